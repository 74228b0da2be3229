"""Tests for rendering the line's audio: ivr.render, ivr.tts, ivr.tts_worker and ivr.resample."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES
from conftest import make_config

from ivr import __main__ as cli_main
from ivr import render
from ivr.audio import MANIFEST
from ivr.line import load_line
from ivr.render import collect_texts
from ivr.render import content_chunks
from ivr.render import render_prompts
from ivr.resample import resample
from ivr.tts import TELEPHONE
from ivr.tts import WEB
from ivr.tts import FolderResult
from ivr.tts import RenderOptions
from ivr.tts import audio_name
from ivr.tts import render_folder

CONTENT = FIXTURES / "two-procedures"
VOICE = "gmw/en-us"
RATE = 160
REAL = RenderOptions(voice=VOICE, rate=RATE, format=TELEPHONE)

# A stand-in for ivr.tts_worker that speaks its protocol without pyttsx3: a tone for
# ordinary texts, and on cue garbage, a hang, a crash (or one crash only), or no start at all.
FAKE_WORKER = textwrap.dedent(
    """
    import json, math, os, struct, sys, time, wave
    with open(os.environ["FAKE_WORKER_PIDS"], "a") as pids:
        pids.write(f"{os.getpid()}\\n")
    if os.environ.get("FAKE_WORKER_BROKEN"):
        print(json.dumps({"ready": False, "error": "no such voice"}), flush=True)
        sys.exit(1)
    print(json.dumps({"ready": True, "engine": "fake"}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        text, path = request["text"], request["path"]
        if "garbage" in text:
            with open(path, "wb") as out:
                out.write(b"this is not a wave file at all")
        elif "hang" in text:
            time.sleep(3600)
        elif "stumble" in text and not os.path.exists(os.environ["FAKE_WORKER_PIDS"] + ".stumbled"):
            open(os.environ["FAKE_WORKER_PIDS"] + ".stumbled", "w").close()
            os._exit(3)
        elif "crash" in text:
            os._exit(3)
        else:
            frames = int(22050 * 0.4 * len(text.split()))
            tone = b"".join(struct.pack("<h", int(8000 * math.sin(i * 0.1))) for i in range(frames))
            with wave.open(path, "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(22050)
                out.writeframes(tone)
        print(json.dumps({"ok": True}), flush=True)
    """
)


@pytest.fixture
def fake_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RenderOptions:
    """Options that use the fake worker, with a short timeout; started pids go to tmp_path/pids.txt."""
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE_WORKER, encoding="utf-8")
    monkeypatch.setenv("FAKE_WORKER_PIDS", str(tmp_path / "pids.txt"))
    return RenderOptions(
        voice=VOICE, rate=RATE, format=TELEPHONE, timeout=1.0, worker_command=(sys.executable, str(script))
    )


def started_pids(tmp_path: Path) -> list[int]:
    return [int(line) for line in (tmp_path / "pids.txt").read_text().split()]


def manifest(folder: Path) -> dict[str, object]:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def wav_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.wav"))


@pytest.fixture(scope="module")
def fixture_texts() -> list[str]:
    """Every text of the two-procedure line (the crawl is the slow part, so it runs once)."""
    return collect_texts(load_line(make_config(CONTENT_DIR=str(CONTENT))))


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory, fixture_texts: list[str]) -> FolderResult:
    """One real render of every fixture text into a fresh folder: one worker renders them all in a row."""
    return render_prompts(fixture_texts, tmp_path_factory.mktemp("prompts") / "audio", REAL, progress=False)


@pytest.fixture
def rendered_copy(first_run: FolderResult, tmp_path: Path) -> Path:
    """A private copy of the first run's folder, for tests that change it."""
    copy = tmp_path / "audio"
    shutil.copytree(first_run.folder, copy)
    return copy


def test_texts_include_every_content_chunk(fixture_texts: list[str]) -> None:
    """The texts are distinct and hold every section and FAQ chunk of the library."""
    library = load_line(make_config(CONTENT_DIR=str(CONTENT))).library
    assert len(fixture_texts) == len(set(fixture_texts))
    assert set(content_chunks(library)) <= set(fixture_texts)
    assert "Thank you for calling the Anchor Healthcare patient information line." in fixture_texts


@pytest.mark.slow
def test_first_run_renders_every_text_and_writes_a_manifest(first_run: FolderResult, fixture_texts: list[str]) -> None:
    """A first run into an empty folder renders every text and maps each to its file in the manifest."""
    assert first_run.failures == []
    assert first_run.rendered == len(fixture_texts) == first_run.texts
    assert first_run.up_to_date == 0
    data = manifest(first_run.folder)
    assert data["files"] == {text: audio_name(text, VOICE, RATE, TELEPHONE) for text in fixture_texts}
    assert data["voice"] == VOICE
    assert data["rate"] == RATE
    assert "pyttsx3" in str(data["engine"])
    assert data["format"] == {"container": "wav", "encoding": "pcm_s16le", "sample_rate": 8000, "channels": 1}
    assert {path.name for path in wav_files(first_run.folder)} == set(first_run.files.values())
    assert not [path for path in first_run.folder.iterdir() if path.name.startswith(".")]


@pytest.mark.slow
def test_every_file_is_telephone_audio_long_enough_for_its_text(first_run: FolderResult) -> None:
    """Every file is 8 kHz mono 16-bit PCM WAV with at least 0.1 s of audio per word."""
    for text, name in first_run.files.items():
        with wave.open(str(first_run.folder / name), "rb") as audio:
            assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
            assert audio.getcomptype() == "NONE"
            assert audio.getnframes() >= 0.1 * 8000 * len(text.split()), text


@pytest.mark.slow
def test_second_run_renders_nothing_and_says_so(
    rendered_copy: Path,
    fixture_texts: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`python -m ivr prompts` over an up-to-date folder renders nothing, says so and exits 0."""
    before = {path.name: path.stat().st_mtime_ns for path in wav_files(rendered_copy)}
    monkeypatch.setenv("CONTENT_DIR", str(CONTENT))
    # The crawl behind collect_texts takes seconds and is covered by fixture_texts: reuse its answer.
    monkeypatch.setattr(render, "collect_texts", lambda line: fixture_texts)
    assert cli_main.main(["prompts", "--out", str(rendered_copy)]) == 0
    out = capsys.readouterr().out
    assert "Nothing to render" in out
    assert "Rendered now:        0" in out
    assert "Failed:              0" in out
    assert {path.name: path.stat().st_mtime_ns for path in wav_files(rendered_copy)} == before


@pytest.mark.slow
def test_changing_one_text_renders_only_that_one_and_removes_the_stale_file(
    rendered_copy: Path, fixture_texts: list[str]
) -> None:
    """A changed text gets a new file; the others stay, and the old file goes."""
    old = fixture_texts[-1]
    new = old + " Call us if you have any questions."
    texts = [*fixture_texts[:-1], new]
    result = render_prompts(texts, rendered_copy, REAL, progress=False)
    assert (result.rendered, result.up_to_date, result.removed, result.failures) == (1, len(texts) - 1, 1, [])
    files = manifest(rendered_copy)["files"]
    assert isinstance(files, dict)
    assert old not in files
    assert files[new] == audio_name(new, VOICE, RATE, TELEPHONE)
    assert not (rendered_copy / audio_name(old, VOICE, RATE, TELEPHONE)).exists()
    assert {path.name for path in wav_files(rendered_copy)} == set(files.values())


def test_invalid_output_is_rejected_and_counted_as_failed(tmp_path: Path, fake_options: RenderOptions) -> None:
    """A worker that writes garbage gets that text rejected, failed and left out of the manifest."""
    texts = ["Hello and welcome to the line.", "garbage comes out here", "Goodbye for now."]
    out = tmp_path / "audio"
    result = render_folder(texts, out, fake_options, progress=False)
    assert [failure.text for failure in result.failures] == ["garbage comes out here"]
    assert "not a RIFF/WAVE file" in result.failures[0].reason
    assert result.rendered == 2
    data = manifest(out)
    assert data["files"] == {text: audio_name(text, VOICE, RATE, TELEPHONE) for text in (texts[0], texts[2])}
    assert data["failed"] == ["garbage comes out here"]
    assert len(wav_files(out)) == 2
    assert [path.name for path in out.iterdir() if path.name.startswith(".")] == []


def test_hanging_worker_is_killed_after_the_timeout_and_rendering_goes_on(
    tmp_path: Path, fake_options: RenderOptions
) -> None:
    """A worker that never answers is killed after the timeout; a fresh one tries that text once
    more (the engine may have hiccuped), and then another renders the rest."""
    texts = ["First text of the run.", "now hang forever please", "The text that follows."]
    started = time.monotonic()
    result = render_folder(texts, tmp_path / "audio", fake_options, progress=False)
    assert time.monotonic() - started < 10
    assert [failure.text for failure in result.failures] == ["now hang forever please"]
    assert "no answer within 1 s" in result.failures[0].reason
    assert set(result.files) == {texts[0], texts[2]}
    pids = started_pids(tmp_path)
    assert len(pids) == 3
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_one_off_engine_failure_is_tried_again(tmp_path: Path, fake_options: RenderOptions) -> None:
    """A text whose worker dies once is rendered by a fresh worker on the second try."""
    result = render_folder(["stumble once, then speak"], tmp_path / "audio", fake_options, progress=False)
    assert result.failures == []
    assert list(result.files) == ["stumble once, then speak"]
    assert len(started_pids(tmp_path)) == 2


def test_crashing_worker_is_replaced(tmp_path: Path, fake_options: RenderOptions) -> None:
    """A worker that dies mid-request fails that text, with its exit code, and the next worker goes on."""
    texts = ["crash right now", "Still here afterwards."]
    result = render_folder(texts, tmp_path / "audio", fake_options, progress=False)
    assert [failure.text for failure in result.failures] == ["crash right now"]
    assert "exit code 3" in result.failures[0].reason
    assert list(result.files) == ["Still here afterwards."]


def test_worker_that_cannot_start_fails_every_text_once(
    tmp_path: Path, fake_options: RenderOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the engine cannot start, every text fails with its reason, without a new worker per text."""
    monkeypatch.setenv("FAKE_WORKER_BROKEN", "1")
    result = render_folder(["One text.", "Two texts."], tmp_path / "audio", fake_options, progress=False)
    assert [failure.reason for failure in result.failures] == ["the TTS worker cannot render: no such voice"] * 2
    assert len(started_pids(tmp_path)) == 1
    assert manifest(tmp_path / "audio")["files"] == {}


def test_missing_worker_program_fails_cleanly(tmp_path: Path) -> None:
    """A worker command that cannot run fails every text with the reason instead of crashing the run."""
    options = RenderOptions(voice=VOICE, rate=RATE, worker_command=(str(tmp_path / "no-such-program"),))
    result = render_folder(["One text.", "Two texts."], tmp_path / "audio", options, progress=False)
    assert len(result.failures) == 2
    assert "the TTS worker did not start" in result.failures[0].reason


def test_restart_every_starts_fresh_workers(tmp_path: Path, fake_options: RenderOptions) -> None:
    """With restart_every=2, five texts take three workers, and every text still gets audio."""
    options = dataclasses.replace(fake_options, restart_every=2)
    texts = [f"Text number {word} of five." for word in ("one", "two", "three", "four", "five")]
    result = render_folder(texts, tmp_path / "audio", options, progress=False)
    assert result.failures == []
    assert result.rendered == 5
    assert len(started_pids(tmp_path)) == 3


def test_stale_removal_touches_only_files_the_renderer_made(tmp_path: Path, fake_options: RenderOptions) -> None:
    """Unlisted hash-named files go; other files and folders in the audio folder stay."""
    out = tmp_path / "audio"
    out.mkdir()
    stale = out / ("ab" * 12 + ".wav")
    stale.write_bytes(b"old")
    keep = [out / "README.txt", out / "recording.wav", out / "sub" / ("cd" * 12 + ".wav")]
    for path in keep:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"keep")
    result = render_folder(["A text to render."], out, fake_options, progress=False)
    assert result.removed == 1
    assert not stale.exists()
    assert all(path.read_bytes() == b"keep" for path in keep)


def test_web_format_keeps_the_engine_rate(tmp_path: Path, fake_options: RenderOptions) -> None:
    """The web format keeps 22.05 kHz and names files differently from the telephone format."""
    options = dataclasses.replace(fake_options, format=WEB)
    result = render_folder(["Listen to this part."], tmp_path / "web", options, progress=False)
    name = result.files["Listen to this part."]
    assert name != audio_name("Listen to this part.", VOICE, RATE, TELEPHONE)
    with wave.open(str(tmp_path / "web" / name), "rb") as audio:
        assert audio.getframerate() == 22050


def test_audio_name_is_a_hash_of_text_voice_rate_and_format() -> None:
    """Names are 24 hex digits + .wav and change with any input."""
    name = audio_name("Hello.", VOICE, RATE, TELEPHONE)
    assert re.fullmatch(r"[0-9a-f]{24}\.wav", name)
    assert name == audio_name("Hello.", VOICE, RATE, TELEPHONE)
    others = {
        audio_name("Hello!", VOICE, RATE, TELEPHONE),
        audio_name("Hello.", "gmw/en", RATE, TELEPHONE),
        audio_name("Hello.", VOICE, 150, TELEPHONE),
        audio_name("Hello.", VOICE, RATE, WEB),
    }
    assert name not in others
    assert len(others) == 4


def test_resampler_keeps_a_440_hz_tone_and_removes_a_6_khz_tone() -> None:
    """22.05 -> 8 kHz keeps 440 Hz at its frequency and level, and 6 kHz does not alias to 2 kHz."""
    rate_in, rate_out = 22050, 8000
    time_in = np.arange(rate_in) / rate_in  # one second
    low = resample(10000 * np.sin(2 * np.pi * 440 * time_in), rate_in, rate_out)
    high = resample(10000 * np.sin(2 * np.pi * 6000 * time_in), rate_in, rate_out)
    assert low.size == high.size == rate_out
    spectrum = np.abs(np.fft.rfft(low * np.hanning(low.size)))
    assert np.argmax(spectrum) * rate_out / low.size == pytest.approx(440, abs=1)
    middle = slice(400, -400)  # away from the edges of the one-second tone
    assert np.sqrt(np.mean(low[middle] ** 2)) == pytest.approx(10000 / np.sqrt(2), rel=0.01)
    # Switching a tone on and off is a click with energy at every frequency: judge the steady part.
    assert np.sqrt(np.mean(high[middle] ** 2)) < 10000 * 1e-3
    alias = np.abs(np.fft.rfft(high[middle]))[round(2000 * high[middle].size / rate_out)]
    assert alias < 1e-3 * np.abs(np.fft.rfft(low[middle])).max()


def test_pyttsx3_is_never_imported_by_the_parent_modules() -> None:
    """Importing the web app, the renderer, the guide and the worker module loads no pyttsx3."""
    code = (
        "import sys, ivr.web, ivr.render, ivr.tts, ivr.audio_guide, ivr.tts_worker; "
        "sys.exit(1 if 'pyttsx3' in sys.modules else 0)"
    )
    root = Path(__file__).resolve().parent.parent
    completed = subprocess.run([sys.executable, "-c", code], cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    assert completed.returncode == 0
