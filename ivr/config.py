"""Settings, read from the environment once and checked before the line starts.

Every setting is documented in `.env.example`. `Config.from_env` collects every
problem and raises one `ConfigError` listing them all, so a deploy fails at start-up
with a readable message instead of failing a caller later.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ivr import hours

PROJECT_ROOT = Path(__file__).resolve().parent.parent
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
VOICE = re.compile(r"^(Polly|Google)\.[A-Za-z0-9_.-]+$")
LANGUAGE = re.compile(r"^[a-z]{2}-[A-Z]{2}$")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """One or more settings are missing or wrong; the message lists each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Settings problems:\n" + "\n".join(f"  - {problem}" for problem in problems))


@dataclass(frozen=True)
class Config:
    auth_token: str
    insecure_local_dev: bool
    public_base_url: str
    trusted_proxies: int
    content_dir: Path
    prompts_dir: Path
    language: str
    practice_name: str
    office_hours: str
    office_timezone: str
    front_desk_number: str
    on_call_number: str
    voicemail: bool
    voicemail_max_seconds: int
    dial_timeout: int
    say_voice: str
    speech_model: str
    gather_timeout: int
    speech_timeout: int
    prompt_audio: bool
    audio_dir: Path
    tts_voice: str
    tts_rate: int
    match_embeddings: bool
    pseudonym_key: bytes
    log_level: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read every setting from `environ` (default: the process environment)."""
        env = dict(os.environ if environ is None else environ)
        reader = _Reader(env)
        auth_token = reader.text("TWILIO_AUTH_TOKEN")
        insecure = reader.flag("IVR_INSECURE_LOCAL_DEV", False)
        if auth_token == "your-twilio-auth-token":  # noqa: S105 - the placeholder, refused
            reader.problem("TWILIO_AUTH_TOKEN is still the example from .env.example: use your Twilio Auth Token")
        if not auth_token and not insecure:
            reader.problem(
                "TWILIO_AUTH_TOKEN is not set: the line cannot check that requests come from Twilio. "
                "Set it to your Twilio Auth Token (or, on your own computer only, IVR_INSECURE_LOCAL_DEV=1)."
            )
        public_base_url = reader.text("PUBLIC_BASE_URL").rstrip("/")
        if public_base_url:
            try:
                parts = urlsplit(public_base_url)
            except ValueError:  # a malformed address, such as an unclosed [IPv6] bracket
                parts = urlsplit("")
            local = parts.hostname in {"localhost", "127.0.0.1", "::1"}
            if parts.scheme not in {"https", "http"} or not parts.netloc or parts.query or parts.fragment:
                reader.problem(f"PUBLIC_BASE_URL '{public_base_url}' must look like https://ivr.example.org")
            elif parts.scheme != "https" and not local:
                reader.problem("PUBLIC_BASE_URL must use https (Twilio refuses plain http for a public line)")
        office_hours = reader.text("OFFICE_HOURS", "Mon-Fri 08:00-17:00")
        office_timezone = reader.text("OFFICE_TIMEZONE", "America/Los_Angeles")
        # The hours and the zone are checked apart, so a mistake in each is reported at once.
        for schedule_text, zone in ((office_hours, "UTC"), ("24/7", office_timezone)):
            try:
                hours.parse_schedule(schedule_text, zone)
            except hours.HoursError as exc:
                reader.problem(str(exc))
        say_voice = reader.text("SAY_VOICE", "Polly.Joanna-Neural")
        if not VOICE.match(say_voice):
            reader.problem(f"SAY_VOICE '{say_voice}' is not a Twilio voice name like Polly.Joanna-Neural")
        language = reader.text("LANGUAGE", "en-US")
        if not LANGUAGE.match(language):
            reader.problem(f"LANGUAGE '{language}' must look like en-US")
        pseudonym_secret = reader.text("PSEUDONYM_KEY")
        if pseudonym_secret:
            pseudonym_key = pseudonym_secret.encode()
        else:
            # Derived from the auth token so every worker agrees without one more secret.
            pseudonym_key = hmac.new(auth_token.encode() or b"local-dev", b"ivr-pseudonym", hashlib.sha256).digest()
        log_level = reader.text("LOG_LEVEL", "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            reader.problem(f"LOG_LEVEL '{log_level}' must be DEBUG, INFO, WARNING or ERROR")
        config = cls(
            auth_token=auth_token,
            insecure_local_dev=insecure,
            public_base_url=public_base_url,
            trusted_proxies=reader.number("TRUSTED_PROXY_COUNT", 0, 0, 5),
            content_dir=reader.path("CONTENT_DIR", "content"),
            prompts_dir=reader.path("PROMPTS_DIR", "prompts"),
            language=language,
            practice_name=reader.text("PRACTICE_NAME"),
            office_hours=office_hours,
            office_timezone=office_timezone,
            front_desk_number=reader.phone("FRONT_DESK_NUMBER"),
            on_call_number=reader.phone("ON_CALL_NUMBER"),
            voicemail=reader.required_flag(
                "VOICEMAIL",
                "VOICEMAIL is not set: choose 1 to let callers leave recorded messages (only with a HIPAA-eligible "
                "Twilio account under a BAA), or 0 to offer call-back and the on-call clinician instead",
            ),
            voicemail_max_seconds=reader.number("VOICEMAIL_MAX_SECONDS", 120, 10, 600),
            dial_timeout=reader.number("DIAL_TIMEOUT", 25, 5, 60),
            say_voice=say_voice,
            speech_model=reader.text("SPEECH_MODEL", "phone_call"),
            gather_timeout=reader.number("GATHER_TIMEOUT", 8, 8, 30),
            speech_timeout=reader.number("SPEECH_TIMEOUT", 3, 2, 10),
            prompt_audio=reader.flag("PROMPT_AUDIO", False),
            audio_dir=reader.path("AUDIO_DIR", "prompts/audio"),
            tts_voice=reader.text("TTS_VOICE", "gmw/en-us"),
            tts_rate=reader.number("TTS_RATE", 160, 80, 220),
            match_embeddings=reader.flag("MATCH_EMBEDDINGS", False),
            pseudonym_key=pseudonym_key,
            log_level=log_level,
        )
        if reader.problems:
            raise ConfigError(reader.problems)
        return config


class _Reader:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def text(self, name: str, default: str = "") -> str:
        return self.env.get(name, default).strip() or default

    def flag(self, name: str, default: bool) -> bool:
        raw = self.env.get(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        self.problem(f"{name} must be 1 or 0 (got '{raw}')")
        return default

    def required_flag(self, name: str, missing: str) -> bool:
        if not self.env.get(name, "").strip():
            self.problem(missing)
            return False
        return self.flag(name, False)

    def number(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problem(f"{name} must be a whole number (got '{raw}')")
            return default
        if not low <= value <= high:
            self.problem(f"{name} must be between {low} and {high} (got {value})")
        return value

    def path(self, name: str, default: str) -> Path:
        """A path setting: relative to the working directory, or the bundled default."""
        raw = self.text(name)
        return Path(raw).resolve() if raw else PROJECT_ROOT / default

    def phone(self, name: str) -> str:
        value = self.text(name).replace(" ", "").replace("-", "")
        if not value:
            self.problem(f"{name} is not set: give the number in international form, like +15415550100")
        elif not E164.match(value):
            self.problem(f"{name} '{value}' must be in international form, like +15415550100")
        return value
