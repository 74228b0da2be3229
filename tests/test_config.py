"""Tests for ivr.config (settings from the environment) and the `python -m ivr check` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASE_ENV
from conftest import FIXTURES
from conftest import TOKEN
from conftest import make_config

from ivr.config import Config
from ivr.config import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def problems_for(**changes: str | None) -> list[str]:
    """The problems from_env reports for BASE_ENV with `changes` (None removes a setting)."""
    env = {**BASE_ENV, **changes}
    env = {name: value for name, value in env.items() if value is not None}
    with pytest.raises(ConfigError) as caught:
        Config.from_env(env)
    assert str(caught.value).splitlines()[1:] == [f"  - {problem}" for problem in caught.value.problems]
    return caught.value.problems


def test_base_env() -> None:
    """The test settings load, with the documented defaults for everything else."""
    config = make_config()
    assert config.auth_token == TOKEN
    assert not config.insecure_local_dev
    assert (config.front_desk_number, config.on_call_number) == ("+15555550100", "+15555550199")
    assert config.voicemail
    assert config.content_dir == PROJECT_ROOT / "content"
    assert config.prompts_dir == PROJECT_ROOT / "prompts"
    assert (config.language, config.say_voice, config.log_level) == ("en-US", "Polly.Joanna-Neural", "INFO")
    assert (config.gather_timeout, config.dial_timeout, config.trusted_proxies) == (8, 25, 0)
    assert config.public_base_url == ""


def test_environ_defaults_to_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a mapping, from_env reads the process environment."""
    for name, value in BASE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PRACTICE_NAME", "Anchor Healthcare")
    assert Config.from_env().practice_name == "Anchor Healthcare"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        pytest.param({"TWILIO_AUTH_TOKEN": None}, "TWILIO_AUTH_TOKEN is not set", id="no-token"),
        pytest.param({"TWILIO_AUTH_TOKEN": "  "}, "TWILIO_AUTH_TOKEN is not set", id="blank-token"),
        pytest.param(
            {"TWILIO_AUTH_TOKEN": None, "IVR_INSECURE_LOCAL_DEV": "0"},
            "TWILIO_AUTH_TOKEN is not set",
            id="no-token-local-dev-off",
        ),
        pytest.param({"FRONT_DESK_NUMBER": None}, "FRONT_DESK_NUMBER is not set", id="no-front-desk"),
        pytest.param(
            {"FRONT_DESK_NUMBER": "541-555-0100"},
            "FRONT_DESK_NUMBER '5415550100' must be in international form",
            id="local-number",
        ),
        pytest.param({"ON_CALL_NUMBER": "+0123456789"}, "ON_CALL_NUMBER '+0123456789' must be", id="leading-zero"),
        pytest.param({"ON_CALL_NUMBER": "+1555"}, "ON_CALL_NUMBER '+1555' must be", id="too-short"),
        pytest.param({"ON_CALL_NUMBER": "+1 (541) 555-0100"}, "ON_CALL_NUMBER", id="brackets"),
        pytest.param({"VOICEMAIL": None}, "VOICEMAIL is not set: choose 1", id="no-voicemail"),
        pytest.param({"VOICEMAIL": "maybe"}, "VOICEMAIL must be 1 or 0 (got 'maybe')", id="bad-voicemail"),
        pytest.param({"OFFICE_HOURS": "Mon-Fri 9-5"}, "OFFICE_HOURS: '9' is not a time", id="hours-not-times"),
        pytest.param({"OFFICE_HOURS": "Funday 08:00-17:00"}, "OFFICE_HOURS", id="hours-bad-day"),
        pytest.param(
            {"OFFICE_TIMEZONE": "Mars/Base"}, "OFFICE_TIMEZONE: 'Mars/Base' is not a known time zone", id="zone"
        ),
        pytest.param({"OFFICE_TIMEZONE": "PST"}, "OFFICE_TIMEZONE: 'PST'", id="zone-abbreviation"),
        pytest.param({"SAY_VOICE": "alice"}, "SAY_VOICE 'alice' is not a Twilio voice name", id="voice"),
        pytest.param({"SAY_VOICE": "Polly.Joanna Neural"}, "SAY_VOICE", id="voice-with-space"),
        pytest.param({"LANGUAGE": "english"}, "LANGUAGE 'english' must look like en-US", id="language"),
        pytest.param({"LANGUAGE": "en_US"}, "LANGUAGE 'en_US'", id="language-underscore"),
        pytest.param({"PUBLIC_BASE_URL": "http://ivr.example.org"}, "PUBLIC_BASE_URL must use https", id="public-http"),
        pytest.param({"PUBLIC_BASE_URL": "http://10.0.0.5:5000"}, "PUBLIC_BASE_URL must use https", id="lan-http"),
        pytest.param({"PUBLIC_BASE_URL": "ivr.example.org"}, "must look like https://ivr.example.org", id="no-scheme"),
        pytest.param({"PUBLIC_BASE_URL": "ftp://ivr.example.org"}, "must look like https://", id="ftp"),
        pytest.param({"PUBLIC_BASE_URL": "https://ivr.example.org/?a=1"}, "must look like https://", id="query"),
        pytest.param({"PUBLIC_BASE_URL": "https://ivr.example.org/#top"}, "must look like https://", id="fragment"),
        pytest.param({"PUBLIC_BASE_URL": "https://[ivr.example.org"}, "must look like https://", id="malformed"),
        pytest.param({"TRUSTED_PROXY_COUNT": "9"}, "TRUSTED_PROXY_COUNT must be between 0 and 5 (got 9)", id="proxies"),
        pytest.param({"DIAL_TIMEOUT": "2"}, "DIAL_TIMEOUT must be between 5 and 60 (got 2)", id="dial-timeout"),
        pytest.param({"GATHER_TIMEOUT": "5"}, "GATHER_TIMEOUT must be between 8 and 30 (got 5)", id="gather-timeout"),
        pytest.param({"SPEECH_TIMEOUT": "11"}, "SPEECH_TIMEOUT must be between 2 and 10", id="speech-timeout"),
        pytest.param({"VOICEMAIL_MAX_SECONDS": "5000"}, "VOICEMAIL_MAX_SECONDS must be between 10 and 600", id="vm"),
        pytest.param({"TTS_RATE": "-1"}, "TTS_RATE must be between 80 and 220 (got -1)", id="tts-rate"),
        pytest.param({"DIAL_TIMEOUT": "twenty"}, "DIAL_TIMEOUT must be a whole number (got 'twenty')", id="not-number"),
        pytest.param({"GATHER_TIMEOUT": "8.5"}, "GATHER_TIMEOUT must be a whole number", id="fraction"),
        pytest.param({"PROMPT_AUDIO": "maybe"}, "PROMPT_AUDIO must be 1 or 0 (got 'maybe')", id="flag"),
        pytest.param({"IVR_INSECURE_LOCAL_DEV": "sometimes"}, "IVR_INSECURE_LOCAL_DEV must be 1 or 0", id="dev-flag"),
        pytest.param({"LOG_LEVEL": "loud"}, "LOG_LEVEL 'LOUD' must be DEBUG, INFO, WARNING or ERROR", id="log-level"),
    ],
)
def test_setting_problem(changes: dict[str, str | None], fragment: str) -> None:
    """Each wrong or missing setting is one problem naming the setting and what to do."""
    (problem,) = problems_for(**changes)
    assert fragment in problem


def test_all_problems_at_once() -> None:
    """Every problem is reported in one error, not just the first."""
    problems = problems_for(
        TWILIO_AUTH_TOKEN=None,
        FRONT_DESK_NUMBER="555-0100",
        ON_CALL_NUMBER=None,
        VOICEMAIL=None,
        OFFICE_HOURS="Mon-Fri 9-5",
        OFFICE_TIMEZONE="Mars/Base",
        SAY_VOICE="alice",
        LANGUAGE="english",
        PUBLIC_BASE_URL="http://ivr.example.org",
        DIAL_TIMEOUT="2",
        PROMPT_AUDIO="maybe",
    )
    names = [
        "TWILIO_AUTH_TOKEN",
        "PUBLIC_BASE_URL",
        "OFFICE_HOURS",
        "OFFICE_TIMEZONE",
        "SAY_VOICE",
        "LANGUAGE",
        "FRONT_DESK_NUMBER",
        "ON_CALL_NUMBER",
        "VOICEMAIL",
        "DIAL_TIMEOUT",
        "PROMPT_AUDIO",
    ]
    assert len(problems) == len(names)
    assert all(any(problem.startswith(name) for problem in problems) for name in names)


def test_insecure_local_dev_allows_no_token() -> None:
    """IVR_INSECURE_LOCAL_DEV=1 lets the line start without a token, and says so."""
    config = make_config(TWILIO_AUTH_TOKEN="", IVR_INSECURE_LOCAL_DEV="1")
    assert config.auth_token == ""
    assert config.insecure_local_dev


@pytest.mark.parametrize(
    "url", ["http://localhost:5000", "http://127.0.0.1:8080/", "http://[::1]:5000", "https://ivr.example.org/"]
)
def test_public_base_url_accepted(url: str) -> None:
    """https is accepted for any host, plain http only for this computer; a trailing / is dropped."""
    assert make_config(PUBLIC_BASE_URL=url).public_base_url == url.rstrip("/")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("YES", True), (" on ", True), ("0", False), ("false", False), ("No", False)],
)
def test_flags(raw: str, expected: bool) -> None:
    """Flags take 1/0, true/false, yes/no and on/off, in any case."""
    assert make_config(PROMPT_AUDIO=raw).prompt_audio is expected
    assert make_config(VOICEMAIL=raw).voicemail is expected


def test_phone_numbers_tidied() -> None:
    """Spaces and hyphens in a phone number are dropped."""
    assert make_config(FRONT_DESK_NUMBER=" +1 541-555-0100 ").front_desk_number == "+15415550100"


def test_relative_content_dir_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative CONTENT_DIR is taken from the working directory, and stored as an absolute path."""
    monkeypatch.chdir(tmp_path)
    config = make_config(CONTENT_DIR="my-content", PROMPTS_DIR="./phrases")
    assert config.content_dir == tmp_path.resolve() / "my-content"
    assert config.prompts_dir == tmp_path.resolve() / "phrases"
    assert make_config(CONTENT_DIR=str(FIXTURES)).content_dir == FIXTURES.resolve()


def test_pseudonym_key() -> None:
    """The pseudonym key is stable for one token, differs for another, and is not the token."""
    key = make_config().pseudonym_key
    assert make_config().pseudonym_key == key
    assert make_config(TWILIO_AUTH_TOKEN="another-token").pseudonym_key != key
    assert TOKEN.encode() not in key
    assert len(key) == 32


def test_pseudonym_key_setting() -> None:
    """PSEUDONYM_KEY, when set, is the key whatever the token."""
    first = make_config(PSEUDONYM_KEY="shared-secret").pseudonym_key
    second = make_config(PSEUDONYM_KEY="shared-secret", TWILIO_AUTH_TOKEN="another-token").pseudonym_key
    assert first == second == b"shared-secret"


# `python -m ivr check`, as `make check` runs it.


def run_check(content_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the check command in a clean environment with CONTENT_DIR set."""
    env = {"PATH": os.environ.get("PATH", ""), "CONTENT_DIR": str(content_dir), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "ivr", "check", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("content_dir", [PROJECT_ROOT / "content", FIXTURES / "two-procedures"], ids=["bundled", "two"])
def test_check_passes(content_dir: Path) -> None:
    """`python -m ivr check` exits 0 on good content and says the line can start."""
    result = run_check(content_dir)
    assert result.returncode == 0, result.stderr
    assert "The line can start with this content." in result.stdout
    assert result.stderr == ""


def test_check_fails_with_file_and_line(tmp_path: Path) -> None:
    """On broken content the check exits 1 and prints file:line: problem for each problem."""
    page = tmp_path.resolve() / "knee-injection.md"
    page.write_text("# Knee injection\n\nPage date: soon\n\n## What it is\n\nA **shot**.\n", encoding="utf-8")
    result = run_check(tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert f"{page}:3: 'soon' is not a date; write it as YYYY-MM-DD" in lines
    assert f"{page}:7: formatting mark '*' in spoken text; write plain words instead" in lines
    assert lines[-1] == "2 problem(s): the line will not start until they are fixed."


def test_check_settings() -> None:
    """`check --settings` also checks the environment, and fails without the real settings."""
    result = run_check(PROJECT_ROOT / "content", "--settings")
    assert result.returncode == 1
    assert "TWILIO_AUTH_TOKEN is not set" in result.stderr
