"""No caller data in the logs (checklist J1): whole calls with canary values, every log record scanned."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable

import pytest
from conftest import CALLER
from conftest import CLOSED_TIME
from conftest import OPEN_TIME
from conftest import Page
from conftest import TwilioClient
from conftest import make_config

from ivr.config import Config
from ivr.privacy import pseudonym
from ivr.web import create_app

CANARY_SPEECH = "my name is Zed Canary born 01/02/1950 call me at 541 777 0123"
CANARY_NUMBER = CALLER  # +15417770123
# The caller's number in every way it might be written, the name, and the date of birth.
CANARIES = (
    "+15417770123",
    "15417770123",
    "5417770123",
    "541 777 0123",
    "541-777-0123",
    "(541) 777-0123",
    "541.777.0123",
    "777-0123",
    "777 0123",
    "7770123",
    "zed",
    "canary",
    "01/02/1950",
    "1950",
)
CALL_SID = "CA" + "c0ffee" * 5 + "42"
TIMES = {"open": OPEN_TIME, "closed": CLOSED_TIME}
Script = Callable[[TwilioClient], None]


def app_client(now: dt.datetime) -> tuple[TwilioClient, Config]:
    """An app with the real (logging) event sink, debug logging, and a client posting canary call fields."""
    config = make_config(LOG_LEVEL="DEBUG")
    app = create_app(config, clock=lambda: now)
    client = TwilioClient(app.test_client(), call_sid=CALL_SID)
    base_params = client.params

    def params(**extra: str) -> dict[str, str]:
        return base_params(CallerName="ZED CANARY", FromCity="CANARYVILLE", FromZip="97401", **extra)

    client.params = params  # type: ignore[method-assign]
    return client, config


def follow(client: TwilioClient, page: Page, *steps: dict[str, str]) -> Page:
    """Answer the current TwiML step by step: each step posts its fields to the Gather, Dial or Record action."""
    for fields in steps:
        if not fields:
            redirect = page.root.find("Redirect")
            assert redirect is not None
            assert redirect.text
            page = client.post(redirect.text)
        else:
            page = client.post(page.action, **fields)
        assert page.status == 200, page.status
    return page


def canary_question(client: TwilioClient) -> None:
    follow(client, client.call(), {"SpeechResult": CANARY_SPEECH, "Confidence": "0.93"}, {"Digits": "1"})


def canary_then_person_then_message(client: TwilioClient) -> None:
    follow(
        client,
        client.call(),
        {"SpeechResult": CANARY_SPEECH, "Confidence": "0.9"},
        {"Digits": "0"},
        {"DialCallStatus": "no-answer", "DialCallDuration": "0"},
        {"RecordingUrl": "https://api.twilio.com/RE1", "RecordingDuration": "12", "RecordingSid": "RE" + "1" * 32},
    )


def canary_doubtful_and_everywhere(client: TwilioClient) -> None:
    page = follow(client, client.call(), {"Digits": "1"}, {"Digits": "1"})
    page = follow(client, page, {"SpeechResult": CANARY_SPEECH, "Confidence": "0.2"})
    follow(client, page, {"SpeechResult": f"{CANARY_SPEECH} what are the risks", "Confidence": "0.3"}, {})


def canary_urgent(client: TwilioClient) -> None:
    follow(client, client.call(), {"SpeechResult": f"this is Zed Canary and I can't breathe {CANARY_NUMBER}"}, {})


def canary_keys(client: TwilioClient) -> None:
    follow(client, client.call(), {"Digits": "5417770123"}, {"Digits": "15417770123#"}, {"Digits": "0"})


def canary_internal_error(client: TwilioClient) -> None:
    follow(client, client.call(), {"SpeechResult": CANARY_SPEECH, "RecordingDuration": "1950"})


SCRIPTS: dict[str, Script] = {
    "question": canary_question,
    "person and message": canary_then_person_then_message,
    "doubtful question": canary_doubtful_and_everywhere,
    "urgent": canary_urgent,
    "keys": canary_keys,
}


def leaks(records: list[logging.LogRecord], text: str) -> list[str]:
    found = []
    for record in records:
        message = record.getMessage()
        extra = " ".join(str(value) for value in (record.exc_text, record.stack_info) if value)
        for canary in CANARIES:
            if canary in message.lower() or canary in extra.lower():
                found.append(f"{canary!r} in {record.name}: {message!r}")
    found += [f"{canary!r} in the captured log text" for canary in CANARIES if canary in text.lower()]
    return found


@pytest.mark.parametrize("when", TIMES)
@pytest.mark.parametrize("script", SCRIPTS)
def test_no_caller_data_in_logs(caplog: pytest.LogCaptureFixture, script: str, when: str) -> None:
    """A call full of canary numbers, names and dates leaves none of them in any log record."""
    client, config = app_client(TIMES[when])
    with caplog.at_level(logging.DEBUG):
        SCRIPTS[script](client)
    assert caplog.records, "the calls should have been logged"
    assert leaks(caplog.records, caplog.text) == []


@pytest.mark.parametrize("when", TIMES)
@pytest.mark.parametrize("script", SCRIPTS)
def test_pseudonymous_ids_are_logged(caplog: pytest.LogCaptureFixture, script: str, when: str) -> None:
    """The logs name the call and the caller by keyed pseudonyms, so one call can still be followed."""
    client, config = app_client(TIMES[when])
    with caplog.at_level(logging.DEBUG):
        SCRIPTS[script](client)
    call = pseudonym(config.pseudonym_key, CALL_SID)
    caller = pseudonym(config.pseudonym_key, CANARY_NUMBER)
    assert re.fullmatch(r"[0-9a-f]{12}", call)
    assert re.fullmatch(r"[0-9a-f]{12}", caller)
    assert f"caller={caller}" in caplog.text
    messages = [record.getMessage() for record in caplog.records]
    assert all(call in message for message in messages if "call=" in message or '"call"' in message)
    assert sum(call in message for message in messages) >= 3
    assert any('"event": "call_started"' in message for message in messages), "events reach the log sink"


def test_internal_error_is_logged_without_caller_data(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception whose message quotes the caller is logged by type and place only."""

    def fail(*args: object) -> None:
        raise ValueError(f"could not match {CANARY_SPEECH!r} from {CANARY_NUMBER}")

    client, _ = app_client(OPEN_TIME)
    monkeypatch.setattr("ivr.flow.step", fail)
    with caplog.at_level(logging.DEBUG):
        canary_internal_error(client)
    assert any("ValueError" in record.getMessage() for record in caplog.records)
    assert leaks(caplog.records, caplog.text) == []


@pytest.mark.parametrize("route", ["/voice", "/voice/step?at=main", "/voice/fallback"])
def test_refused_and_fallback_requests_log_no_caller_data(caplog: pytest.LogCaptureFixture, route: str) -> None:
    """Refused (unsigned) requests and the fallback route log nothing the caller said or their number."""
    client, _ = app_client(OPEN_TIME)
    with caplog.at_level(logging.DEBUG):
        client.post(route, sign=False, SpeechResult=CANARY_SPEECH)
        client.post(route, SpeechResult=CANARY_SPEECH, ErrorCode="11200", ErrorUrl=f"https://x.org/{CANARY_NUMBER}")
    assert caplog.records
    assert leaks(caplog.records, caplog.text) == []


def test_pseudonym_is_keyed_and_stable() -> None:
    """The same number gives the same pseudonym however it is written, a different key a different one."""
    key = make_config().pseudonym_key
    assert pseudonym(key, "+1 (541) 777-0123") == pseudonym(key, CANARY_NUMBER)
    assert pseudonym(b"another key", CANARY_NUMBER) != pseudonym(key, CANARY_NUMBER)
    assert pseudonym(key, "") == "-"
    assert not any(canary in pseudonym(key, CANARY_NUMBER) for canary in CANARIES)
