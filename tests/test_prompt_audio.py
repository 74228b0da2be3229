"""Tests for playing rendered prompt audio in calls (PROMPT_AUDIO=1): <Play> URLs and GET /audio/<file>."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES
from conftest import OPEN_TIME
from conftest import AppFactory
from conftest import element_text
from conftest import make_config

from ivr import flow
from ivr.line import load_line
from ivr.render import render_prompts
from ivr.tts import TELEPHONE
from ivr.tts import FolderResult
from ivr.tts import RenderOptions

CONTENT = str(FIXTURES / "two-procedures")
UNRENDERED = "To hear this again, press 9."


@pytest.fixture(scope="module")
def opening_texts() -> list[str]:
    """What the two-procedure line says when it answers in office hours."""
    line = load_line(make_config(CONTENT_DIR=CONTENT))
    return [utterance.text for utterance in flow.start(line, OPEN_TIME).all_utterances()]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, opening_texts: list[str]) -> FolderResult:
    """A real render of the opening texts, except one, which must then be spoken with <Say>."""
    assert UNRENDERED in opening_texts
    texts = [text for text in opening_texts if text != UNRENDERED]
    options = RenderOptions(voice="gmw/en-us", rate=160, format=TELEPHONE)
    result = render_prompts(texts, tmp_path_factory.mktemp("prompt-audio") / "audio", options, progress=False)
    assert result.failures == []
    return result


@pytest.mark.slow
def test_twiml_plays_rendered_phrases_and_says_the_others(
    make_app: AppFactory, rendered: FolderResult, opening_texts: list[str]
) -> None:
    """Phrases with audio become <Play> with absolute URLs, in order; the phrase without audio stays <Say>."""
    _, twilio, _ = make_app(PROMPT_AUDIO="1", AUDIO_DIR=str(rendered.folder), CONTENT_DIR=CONTENT)
    page = twilio.call()
    assert page.status == 200
    played = [element_text(play) for play in page.root.iter("Play")]
    expected = [f"http://localhost/audio/{rendered.files[text]}" for text in opening_texts if text in rendered.files]
    assert played == expected
    assert UNRENDERED in page.said
    assert all(text not in page.said for text in rendered.files)


@pytest.mark.slow
def test_play_urls_use_the_public_base_url(make_app: AppFactory, rendered: FolderResult) -> None:
    """With PUBLIC_BASE_URL set, every <Play> URL starts with it."""
    base = "https://ivr.example.org"
    _, twilio, _ = make_app(PROMPT_AUDIO="1", AUDIO_DIR=str(rendered.folder), CONTENT_DIR=CONTENT, PUBLIC_BASE_URL=base)
    page = twilio.post(f"{base}/voice")
    played = [element_text(play) for play in page.root.iter("Play")]
    assert played
    assert all(url.startswith(f"{base}/audio/") for url in played)


def test_without_prompt_audio_every_phrase_is_said(
    make_app: AppFactory, tmp_path: Path, opening_texts: list[str]
) -> None:
    """With PROMPT_AUDIO off, the line uses <Say> only."""
    _, twilio, _ = make_app(AUDIO_DIR=str(tmp_path), CONTENT_DIR=CONTENT)
    page = twilio.call()
    assert list(page.root.iter("Play")) == []
    assert all(text in page.said for text in opening_texts)


@pytest.mark.slow
def test_audio_route_serves_wav_with_long_lived_caching(make_app: AppFactory, rendered: FolderResult) -> None:
    """GET /audio/<file> answers 200, audio/wav, the file's bytes and a year-long immutable Cache-Control."""
    app, _, _ = make_app(PROMPT_AUDIO="1", AUDIO_DIR=str(rendered.folder), CONTENT_DIR=CONTENT)
    name = next(iter(rendered.files.values()))
    with app.test_client().get(f"/audio/{name}") as response:
        assert response.status_code == 200
        assert response.mimetype == "audio/wav"
        cache = response.headers["Cache-Control"]
        assert "public" in cache
        assert "max-age=31536000" in cache
        assert response.get_data() == (rendered.folder / name).read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["0123456789abcdef01234567.wav", "manifest.json", "..%2Fmanifest.json"])
def test_unknown_audio_file_is_404(make_app: AppFactory, rendered: FolderResult, name: str) -> None:
    """A file the manifest does not list, the manifest itself, or a path outside the folder is 404."""
    app, _, _ = make_app(PROMPT_AUDIO="1", AUDIO_DIR=str(rendered.folder), CONTENT_DIR=CONTENT)
    with app.test_client().get(f"/audio/{name}") as response:
        assert response.status_code == 404


def test_audio_route_is_404_when_prompt_audio_is_off(make_app: AppFactory, tmp_path: Path) -> None:
    """Without PROMPT_AUDIO the audio route serves nothing."""
    (tmp_path / "0123456789abcdef01234567.wav").write_bytes(b"RIFF")
    app, _, _ = make_app(AUDIO_DIR=str(tmp_path), CONTENT_DIR=CONTENT)
    with app.test_client().get("/audio/0123456789abcdef01234567.wav") as response:
        assert response.status_code == 404
