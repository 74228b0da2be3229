"""Shared fixtures: settings, the line, the app, and a client that signs requests as Twilio does."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from ivr.config import Config
from ivr.events import MemoryEventSink
from ivr.flow import Line
from ivr.line import load_line
from ivr.web import create_app

TOKEN = "test-auth-token"
FIXTURES = Path(__file__).parent / "fixtures"
LA = dt.timezone(dt.timedelta(hours=-8))  # America/Los_Angeles in November
OPEN_TIME = dt.datetime(2026, 11, 24, 10, 0, tzinfo=LA)  # a Tuesday morning
CLOSED_TIME = dt.datetime(2026, 11, 28, 2, 0, tzinfo=LA)  # a Saturday night
FRONT_DESK = "+15555550100"
ON_CALL = "+15555550199"
CALLER = "+15417770123"

BASE_ENV = {
    "TWILIO_AUTH_TOKEN": TOKEN,
    "FRONT_DESK_NUMBER": FRONT_DESK,
    "ON_CALL_NUMBER": ON_CALL,
    "VOICEMAIL": "1",
    "OFFICE_HOURS": "Mon-Fri 08:00-17:00",
    "OFFICE_TIMEZONE": "America/Los_Angeles",
}


def make_config(**overrides: str) -> Config:
    """Settings as the environment would give them, with `overrides` on top."""
    return Config.from_env({**BASE_ENV, **overrides})


@pytest.fixture
def config() -> Config:
    return make_config()


@pytest.fixture(scope="session")
def line() -> Line:
    """The bundled line, loaded once: its parts are immutable."""
    return load_line(make_config())


@pytest.fixture(scope="session")
def two_procedure_line() -> Line:
    return load_line(make_config(CONTENT_DIR=str(FIXTURES / "two-procedures")))


def element_text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


@dataclass
class Page:
    """One TwiML response, parsed."""

    status: int
    content_type: str
    root: ET.Element
    url: str

    @property
    def said(self) -> str:
        """Everything spoken, in document order (Say inside and outside Gather)."""
        return " ".join(element_text(say) for say in self.root.iter("Say"))

    @property
    def gather(self) -> ET.Element | None:
        return self.root.find("Gather")

    @property
    def action(self) -> str:
        """Where the next input goes: the Gather action, else the Dial or Record action."""
        for verb in ("Gather", "Dial", "Record"):
            element = self.root.find(verb)
            if element is not None and element.get("action"):
                return element.get("action", "")
        redirect = self.root.find("Redirect")
        return redirect.text or "" if redirect is not None else ""

    def verbs(self) -> list[str]:
        return [child.tag for child in self.root]


class TwilioClient:
    """Posts to the app the way Twilio does: the usual call parameters, signed with the token."""

    def __init__(self, client: FlaskClient, token: str = TOKEN, call_sid: str = "CA" + "0" * 32) -> None:
        self.client = client
        self.validator = RequestValidator(token)
        self.call_sid = call_sid

    def params(self, **extra: str) -> dict[str, str]:
        return {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "1" * 32,
            "From": CALLER,
            "To": "+15555550142",
            "Caller": CALLER,
            "Called": "+15555550142",
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **extra,
        }

    def post(self, url: str, *, sign: bool = True, signature: str | None = None, **extra: str) -> Page:
        if not url.startswith("http"):
            url = "http://localhost" + url
        form = self.params(**extra)
        headers = {}
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        elif sign:
            headers["X-Twilio-Signature"] = self.validator.compute_signature(url, form)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.client.post(path, data=form, headers=headers, base_url=f"{parts.scheme}://{parts.netloc}")
        body = response.get_data(as_text=True)
        root = ET.fromstring(body) if response.mimetype == "text/xml" else ET.Element("NotTwiML")
        return Page(response.status_code, response.mimetype or "", root, url)

    def call(self) -> Page:
        return self.post("/voice")

    def press(self, page: Page, digits: str) -> Page:
        return self.post(page.action, Digits=digits)

    def say(self, page: Page, speech: str, confidence: str = "0.92") -> Page:
        return self.post(page.action, SpeechResult=speech, Confidence=confidence)

    def silence(self, page: Page) -> Page:
        """What Twilio does when a Gather times out: the verbs after it, here a Redirect."""
        redirect = page.root.find("Redirect")
        assert redirect is not None, "a Gather with nothing after it would hang up on silence"
        assert redirect.text, "a Redirect needs a URL"
        return self.post(redirect.text)


AppFactory = Callable[..., tuple[Flask, TwilioClient, MemoryEventSink]]


@pytest.fixture
def make_app() -> AppFactory:
    """Build an app with settings overrides and a fixed clock; returns (app, client, events)."""

    def build(now: dt.datetime = OPEN_TIME, **overrides: str) -> tuple[Flask, TwilioClient, MemoryEventSink]:
        events = MemoryEventSink()
        app = create_app(make_config(**overrides), clock=lambda: now, events=events)
        return app, TwilioClient(app.test_client()), events

    return build


@pytest.fixture
def twilio(make_app: AppFactory) -> TwilioClient:
    """A signed client for the bundled line in office hours."""
    return make_app()[1]


@pytest.fixture
def twilio_closed(make_app: AppFactory) -> TwilioClient:
    """A signed client for the bundled line after hours."""
    return make_app(CLOSED_TIME)[1]
