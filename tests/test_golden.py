"""Golden transcripts: whole scripted calls through `python -m ivr call --local --script`.

Each tests/golden/<name>.script is the caller's side of one call; <name>.transcript is what
the simulator printed for it, compared exactly. Any change in what callers hear shows up
here as a diff in review. When prompts or content change on purpose the transcripts are
expected to change: regenerate them, then read the diff before committing it:

    UPDATE_GOLDEN=1 PYTHONPATH=. python -m pytest tests/test_golden.py

Calls run with the settings of tests/conftest.py (BASE_ENV, with VOICEMAIL=1) and the
bundled content, at a fixed office time.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import BASE_ENV

from ivr.__main__ import main as ivr_main

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
OPEN = "2026-11-24 10:00"  # a Tuesday morning
CLOSED = "2026-11-28 02:00"  # a Saturday night
CALLS = {
    "main-menu": OPEN,
    "topic-menu-paging": OPEN,
    "section-reading": OPEN,
    "common-questions": OPEN,
    "spoken-question": OPEN,
    "did-you-mean-yes": OPEN,
    "did-you-mean-no": OPEN,
    "question-without-answer": OPEN,
    "urgent-phrase": OPEN,
    "danger-question": OPEN,
    "person-answered": OPEN,
    "person-voicemail": OPEN,
    "retries-to-person": OPEN,
    "voice-commands": OPEN,
    "after-hours-on-call": CLOSED,
    "after-hours-voicemail": CLOSED,
    "retries-after-hours": CLOSED,
}
# Every setting the line reads, cleared so the developer's own environment cannot leak into a call.
SETTINGS = (
    "TWILIO_AUTH_TOKEN IVR_INSECURE_LOCAL_DEV PUBLIC_BASE_URL TRUSTED_PROXY_COUNT CONTENT_DIR PROMPTS_DIR LANGUAGE "
    "PRACTICE_NAME OFFICE_HOURS OFFICE_TIMEZONE FRONT_DESK_NUMBER ON_CALL_NUMBER VOICEMAIL VOICEMAIL_MAX_SECONDS "
    "DIAL_TIMEOUT SAY_VOICE SPEECH_MODEL GATHER_TIMEOUT SPEECH_TIMEOUT PROMPT_AUDIO AUDIO_DIR TTS_VOICE TTS_RATE "
    "PSEUDONYM_KEY LOG_LEVEL"
).split()


@pytest.fixture
def line_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment holds exactly the test settings."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in BASE_ENV.items():
        monkeypatch.setenv(name, value)


def test_every_script_has_a_time_and_a_transcript() -> None:
    """Each golden script is listed here with its clock, and each has its transcript (unless regenerating)."""
    scripts = {path.stem for path in GOLDEN.glob("*.script")}
    assert scripts == set(CALLS)
    if not UPDATE:
        assert {path.stem for path in GOLDEN.glob("*.transcript")} == scripts


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.usefixtures("line_settings")
def test_call_matches_its_golden_transcript(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A scripted call through --local prints exactly its golden transcript, uses its whole script and exits 0."""
    script = GOLDEN / f"{name}.script"
    expected = GOLDEN / f"{name}.transcript"
    status = ivr_main(["call", "--local", "--script", str(script), "--at", CALLS[name]])
    transcript, errors = capsys.readouterr()
    assert (status, errors) == (0, "")
    if UPDATE:
        expected.write_text(transcript, encoding="utf-8")
        return
    assert expected.is_file(), f"no {expected.name}: run with UPDATE_GOLDEN=1 to write it"
    assert transcript == expected.read_text(encoding="utf-8")
