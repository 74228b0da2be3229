"""Render texts to checked, content-addressed WAV files in a folder, with a manifest.

Shared by `make prompts` (telephone audio, ivr.render) and `make audio-guide` (web
audio, ivr.audio_guide). pyttsx3 never runs in this process: one long-lived child
(ivr.tts_worker) renders one text per request, and this side waits with a timeout,
kills a worker that hangs or dies, records the failure and starts a fresh one.

Each file is named by a hash of what it is made from (text, voice, rate, output
format), so a text that has not changed is never rendered again; every output is
checked before it is kept, and files and manifest are written atomically.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import re
import selectors
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections import deque
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version
from pathlib import Path
from types import TracebackType

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from ivr.audio import MANIFEST
from ivr.resample import resample
from ivr.resample import to_int16

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKER_COMMAND = (sys.executable, "-m", "ivr.tts_worker")
NAME_LENGTH = 24
AUDIO_FILE = re.compile(rf"^[0-9a-f]{{{NAME_LENGTH}}}\.wav$")
TEMP_PREFIX = ".render-"
TEMP_MAX_AGE_SECONDS = 3600  # older temporary files are leftovers of an interrupted run
MIN_SECONDS_PER_WORD = 0.1
SILENCE_PEAK = 64  # a 16-bit file whose loudest sample is below this holds no speech
FILE_MODE = 0o644  # temporary files are private (0600); published files must be readable by the web server


@dataclass(frozen=True)
class AudioFormat:
    """What the kept files are: 16-bit PCM mono WAV at `sample_rate`."""

    sample_rate: int
    channels: int = 1
    sample_width: int = 2

    def describe(self) -> dict[str, object]:
        return {
            "container": "wav",
            "encoding": "pcm_s16le",
            "sample_rate": self.sample_rate,
            "channels": self.channels,
        }


TELEPHONE = AudioFormat(8000)
WEB = AudioFormat(22050)  # what pyttsx3's espeak driver writes: kept as it is


@dataclass(frozen=True)
class RenderOptions:
    """How to render: the voice, the output format and how long to wait for the worker."""

    voice: str
    rate: int
    format: AudioFormat = TELEPHONE
    timeout: float = 20.0
    start_timeout: float = 30.0
    restart_every: int = 0  # start a fresh worker after this many files (0: never)
    worker_command: tuple[str, ...] = WORKER_COMMAND


@dataclass(frozen=True)
class Failure:
    text: str
    reason: str


@dataclass
class FolderResult:
    """What one render of a folder did."""

    folder: Path
    files: dict[str, str]  # text -> file name, for every text that has audio
    texts: int
    rendered: int
    up_to_date: int
    failures: list[Failure]
    removed: int
    seconds: float
    total_bytes: int

    def summary(self) -> str:
        """The lines printed at the end of a run."""
        lines = []
        if not self.rendered and not self.failures:
            lines.append(f"Nothing to render: all {self.texts} texts are up to date.")
        lines += [
            f"Texts:               {self.texts}",
            f"Rendered now:        {self.rendered}",
            f"Already up to date:  {self.up_to_date}",
            f"Failed:              {len(self.failures)}",
            f"Removed stale files: {self.removed}",
            f"Render time:         {self.seconds:.1f} s",
            f"Files:               {len(set(self.files.values()))}, {self.total_bytes / 1024:.0f} KB in {self.folder}",
        ]
        if self.failures:
            lines.append(f"{len(self.failures)} text(s) have no audio and will be spoken with <Say>.")
        return "\n".join(lines)


class InvalidAudioError(ValueError):
    """A rendered file is not usable speech audio."""


class RenderError(RuntimeError):
    """One text could not be rendered; the message says why."""


class WorkerError(RuntimeError):
    """The worker process hung, died or broke the protocol."""


class WorkerStartError(WorkerError):
    """The worker could not start its engine: every text would fail the same way."""


# ---------------------------------------------------------------- names and files


def audio_name(text: str, voice: str, rate: int, audio_format: AudioFormat) -> str:
    """The file name for `text`: 24 hex digits of SHA-256 over a canonical JSON of its inputs, then `.wav`."""
    canonical = json.dumps(
        {"text": text, "voice": voice, "rate": rate, "format": audio_format.describe()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:NAME_LENGTH] + ".wav"


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and os.replace."""
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, FILE_MODE)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def wav_bytes(samples: npt.NDArray[np.int16], sample_rate: int) -> bytes:
    """A mono 16-bit PCM WAV file, in memory."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    samples: npt.NDArray[np.int16]

    @property
    def seconds(self) -> float:
        return self.samples.size / self.sample_rate


def check_wav(path: Path, text: str) -> WavInfo:
    """Read a rendered file and check it is plausible speech for `text`; raise InvalidAudioError if not."""
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except OSError as exc:
        raise InvalidAudioError(f"no file ({exc.strerror})") from exc
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise InvalidAudioError("not a RIFF/WAVE file" if head else "an empty file")
    try:
        with wave.open(str(path), "rb") as audio:
            channels, width, rate = audio.getnchannels(), audio.getsampwidth(), audio.getframerate()
            compression = audio.getcomptype()
            frames = audio.readframes(audio.getnframes())
    except (wave.Error, EOFError, ValueError) as exc:
        raise InvalidAudioError(f"an unreadable WAV file ({exc})") from exc
    if channels != 1 or width != 2 or compression != "NONE":
        raise InvalidAudioError(f"{channels} channel(s), {8 * width}-bit {compression}: expected mono 16-bit PCM")
    samples = np.frombuffer(frames[: len(frames) - len(frames) % 2], dtype="<i2")
    words = max(1, len(text.split()))
    if samples.size == 0:
        raise InvalidAudioError("no audio frames")
    if samples.size < words * MIN_SECONDS_PER_WORD * rate:
        raise InvalidAudioError(f"{samples.size / rate:.2f} s of audio is too short for {words} word(s)")
    if int(np.abs(samples.astype(np.int32)).max()) < SILENCE_PEAK:
        raise InvalidAudioError("silence")
    return WavInfo(rate, samples)


def is_current(path: Path, audio_format: AudioFormat) -> bool:
    """Whether `path` already holds a readable WAV file in `audio_format` (a cheap header check)."""
    try:
        with wave.open(str(path), "rb") as audio:
            return (
                audio.getnchannels() == audio_format.channels
                and audio.getsampwidth() == audio_format.sample_width
                and audio.getframerate() == audio_format.sample_rate
                and audio.getnframes() > 0
            )
    except (OSError, wave.Error, EOFError, ValueError):
        return False


# ---------------------------------------------------------------- the worker process


class Worker:
    """One ivr.tts_worker child process and its line-based JSON protocol."""

    def __init__(self, command: Sequence[str], voice: str, rate: int, start_timeout: float) -> None:
        try:
            self.process = subprocess.Popen(
                [*command, "--voice", voice, "--rate", str(rate)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                env=_child_environment(),
            )
        except OSError as exc:
            raise WorkerStartError(f"the TTS worker did not start: {exc}") from exc
        self.renders = 0
        self._buffer = b""
        self._stderr: deque[str] = deque(maxlen=10)
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()
        try:
            hello = self._receive(start_timeout)
        except WorkerError as exc:
            self.kill()
            raise WorkerStartError(f"the TTS worker did not start: {exc}") from exc
        if not hello.get("ready"):
            self.kill()
            raise WorkerStartError(f"the TTS worker cannot render: {hello.get('error', 'no reason given')}")
        self.engine = str(hello.get("engine", "unknown"))

    def render(self, text: str, path: Path, timeout: float) -> None:
        """Ask for one file; raise RenderError when the worker says no, WorkerError when it hangs or dies."""
        request = json.dumps({"text": text, "path": str(path)}, ensure_ascii=True) + "\n"
        stdin = self.process.stdin
        assert stdin is not None
        data = memoryview(request.encode("ascii"))
        try:
            while data:  # a raw pipe write may take only part of the request
                data = data[stdin.write(data) or 0 :]
        except OSError as exc:
            raise WorkerError(self._died(f"the worker stopped reading ({type(exc).__name__})")) from exc
        reply = self._receive(timeout)
        self.renders += 1
        if not reply.get("ok"):
            raise RenderError(str(reply.get("error", "the worker gave no reason")))

    def _receive(self, timeout: float) -> dict[str, object]:
        """The next JSON line from the worker, waiting at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        stdout = self.process.stdout
        assert stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise WorkerError(f"no answer within {timeout:g} s")
                chunk = os.read(stdout.fileno(), 65536)
                if not chunk:
                    raise WorkerError(self._died("the worker exited"))
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except ValueError as exc:
            raise WorkerError(f"the worker broke the protocol: {line[:80]!r}") from exc
        if not isinstance(message, dict):
            raise WorkerError(f"the worker broke the protocol: {line[:80]!r}")
        return message

    def _died(self, what: str) -> str:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return what
        self._drain.join(timeout=1)
        detail = f": {self._stderr[-1]}" if self._stderr else ""
        return f"{what} (exit code {code}){detail}"

    def _read_stderr(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        for raw in iter(stream.readline, b""):
            text = raw.decode("utf-8", "replace").strip()
            if text:
                self._stderr.append(text)

    def close(self) -> None:
        """Let the worker finish (stdin closed), killing it if it does not."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._cleanup()

    def kill(self) -> None:
        """Stop the worker at once."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        self._cleanup()

    def _cleanup(self) -> None:
        self._drain.join(timeout=2)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None and not stream.closed:
                stream.close()


def _child_environment() -> dict[str, str]:
    """The environment with this project importable, so `-m ivr.tts_worker` works from any folder."""
    env = dict(os.environ)
    paths = [str(PROJECT_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


class Synthesizer:
    """Renders one text at a time in a worker, replacing the worker whenever it fails."""

    def __init__(self, options: RenderOptions) -> None:
        self.options = options
        self.worker: Worker | None = None
        self.engine: str | None = None
        self.broken: str | None = None  # why no worker can start; then every text fails at once

    def __enter__(self) -> Synthesizer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def render(self, text: str, path: Path) -> None:
        """Render `text` into the file `path` (engine output, unchecked); raise RenderError on any failure."""
        worker = self._worker()
        try:
            worker.render(text, path, self.options.timeout)
        except WorkerError as exc:
            worker.kill()
            self.worker = None
            raise RenderError(f"{exc}; the worker was stopped and a new one will take the next text") from exc
        finally:
            if self.worker is not None and self.options.restart_every and worker.renders >= self.options.restart_every:
                self.close()

    def _worker(self) -> Worker:
        if self.broken is not None:
            raise RenderError(self.broken)
        if self.worker is None:
            try:
                self.worker = Worker(
                    self.options.worker_command, self.options.voice, self.options.rate, self.options.start_timeout
                )
            except WorkerStartError as exc:
                self.broken = str(exc)
                raise RenderError(self.broken) from exc
            self.engine = self.worker.engine
        return self.worker


# ---------------------------------------------------------------- a folder of audio


def render_file(synthesizer: Synthesizer, text: str, target: Path, audio_format: AudioFormat) -> None:
    """Render, check and convert one text, then put it at `target` atomically."""
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".wav", dir=target.parent)
    os.close(fd)
    raw = Path(name)
    try:
        synthesizer.render(text, raw)
        try:
            info = check_wav(raw, text)
        except InvalidAudioError as exc:
            raise RenderError(f"the engine's output was rejected: {exc}") from exc
        if info.sample_rate == audio_format.sample_rate:
            os.chmod(raw, FILE_MODE)
            os.replace(raw, target)
        else:
            converted = to_int16(resample(info.samples, info.sample_rate, audio_format.sample_rate))
            atomic_write(target, wav_bytes(converted, audio_format.sample_rate))
    finally:
        raw.unlink(missing_ok=True)


RENDER_ATTEMPTS = 2  # per text


def render_folder(
    texts: Iterable[str], folder: Path, options: RenderOptions, *, progress: bool = True, label: str = "Rendering"
) -> FolderResult:
    """Give every text a checked audio file in `folder`, write the manifest and remove stale files.

    Texts whose file is already there are skipped; those that fail are listed in the
    result (and the manifest) and left out of the manifest's "files".
    """
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    unique = list(dict.fromkeys(text for text in texts if text.strip()))
    names = {text: audio_name(text, options.voice, options.rate, options.format) for text in unique}
    todo = [text for text in unique if not is_current(folder / names[text], options.format)]
    failures: list[Failure] = []
    with (
        Synthesizer(options) as synthesizer,
        tqdm(total=len(todo), desc=label, unit="file", file=sys.stderr, disable=not (progress and todo)) as bar,
    ):
        for text in todo:
            for attempt in range(RENDER_ATTEMPTS):
                try:
                    render_file(synthesizer, text, folder / names[text], options.format)
                    break
                except RenderError as exc:
                    # a speech engine hiccups now and then: one more try, with a fresh worker if it was stopped
                    if attempt == RENDER_ATTEMPTS - 1 or synthesizer.broken is not None:
                        failures.append(Failure(text, str(exc)))
                        break
            bar.update()
    failed = {failure.text for failure in failures}
    files = {text: names[text] for text in unique if text not in failed}
    engine = synthesizer.engine or _previous_engine(folder) or default_engine()
    write_manifest(folder, files, options, engine, failures)
    removed = remove_stale(folder, set(files.values()))
    return FolderResult(
        folder=folder,
        files=files,
        texts=len(unique),
        rendered=len(todo) - len(failures),
        up_to_date=len(unique) - len(todo),
        failures=failures,
        removed=removed,
        seconds=time.monotonic() - started,
        total_bytes=sum((folder / name).stat().st_size for name in set(files.values())),
    )


def write_manifest(
    folder: Path, files: dict[str, str], options: RenderOptions, engine: str, failures: Sequence[Failure]
) -> None:
    """manifest.json: {"files": {text: file name}} plus how the files were made and what failed."""
    data = {
        "files": files,
        "voice": options.voice,
        "rate": options.rate,
        "engine": engine,
        "format": options.format.describe(),
        "failed": [failure.text for failure in failures],
    }
    atomic_write(folder / MANIFEST, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def remove_stale(folder: Path, keep: set[str]) -> int:
    """Delete our audio files that `keep` does not list (and old temporary files); return how many files went.

    Only names this module makes are touched (24 hex digits + .wav, or the temporary
    prefix), so pointing the renderer at a folder with other files in it is harmless.
    """
    removed = 0
    now = time.time()
    for path in folder.iterdir():
        if not path.is_file() or path.is_symlink():
            continue
        if AUDIO_FILE.match(path.name) and path.name not in keep:
            path.unlink(missing_ok=True)
            removed += 1
        elif path.name.startswith(TEMP_PREFIX) and now - path.stat().st_mtime > TEMP_MAX_AGE_SECONDS:
            path.unlink(missing_ok=True)
    return removed


def default_engine() -> str:
    """The engine the worker uses, named without importing it."""
    try:
        return f"pyttsx3 {version('pyttsx3')} (espeak-ng)"
    except PackageNotFoundError:
        return "pyttsx3 (espeak-ng)"


def _previous_engine(folder: Path) -> str | None:
    try:
        engine = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("engine")
    except (OSError, ValueError, AttributeError):
        return None
    return engine if isinstance(engine, str) else None


DEFAULT_TIMEOUT = 20.0


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _rate(raw: str) -> int:
    value = int(raw)
    if not 80 <= value <= 220:
        raise argparse.ArgumentTypeError("must be between 80 and 220 words per minute")
    return value


def add_voice_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every rendering command shares: the voice, its rate, and the per-text timeout."""
    parser.add_argument("--voice", default=None, help="espeak-ng voice (default: the TTS_VOICE setting, gmw/en-us)")
    parser.add_argument("--rate", type=_rate, default=None, help="words per minute (default: TTS_RATE, 160)")
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds one text may take before its worker is killed (default: {DEFAULT_TIMEOUT:g})",
    )
