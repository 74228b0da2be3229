"""The Flask adapter: the signature matrix, proxies, odd input, internal errors and the plain routes."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from urllib.parse import urlsplit

import pytest
from conftest import CLOSED_TIME
from conftest import FRONT_DESK
from conftest import ON_CALL
from conftest import OPEN_TIME
from conftest import AppFactory
from conftest import Page
from conftest import TwilioClient
from conftest import element_text
from conftest import make_config

from ivr import flow
from ivr.config import ConfigError
from ivr.events import MemoryEventSink
from ivr.flow import Event
from ivr.web import create_app

PUBLIC = "https://ivr.example.org"
ROUTES = ["/voice", "/voice/step?at=main", "/voice/step?at=topics&g=1", "/voice/fallback"]


def post(
    twilio: TwilioClient,
    url: str,
    form: Mapping[str, str],
    *,
    signed_url: str | None = None,
    signed_form: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    sign: bool = True,
) -> Page:
    """POST `form` to `url` exactly, signed over `signed_url` and `signed_form` (by default the same)."""
    if not url.startswith("http"):
        url = "http://localhost" + url
    all_headers = dict(headers or {})
    if sign:
        signature_form = dict(form if signed_form is None else signed_form)
        all_headers["X-Twilio-Signature"] = twilio.validator.compute_signature(signed_url or url, signature_form)
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    response = twilio.client.post(
        path, data=dict(form), headers=all_headers, base_url=f"{parts.scheme}://{parts.netloc}"
    )
    body = response.get_data(as_text=True)
    root = ET.fromstring(body) if response.mimetype == "text/xml" else ET.Element("NotTwiML")  # noqa: S314
    return Page(response.status_code, response.mimetype or "", root, url)


def assert_twiml(page: Page) -> None:
    """A 200 TwiML answer that keeps the caller on the line, or says goodbye with 9 1 1 before hanging up."""
    assert page.status == 200
    assert page.content_type == "text/xml"
    assert page.root.tag == "Response"
    verbs = page.verbs()
    if "Hangup" in verbs and not {"Dial", "Record"} & set(verbs):
        assert verbs[-2:] == ["Say", "Hangup"]
        assert "9 1 1" in element_text(page.root[-2])
    else:
        assert {"Gather", "Dial", "Record"} & set(verbs), verbs


def assert_refused(page: Page) -> None:
    """403 and no TwiML at all."""
    assert page.status == 403
    assert page.content_type != "text/xml"
    assert page.root.tag == "NotTwiML"


def apology_words(twilio: TwilioClient) -> str:
    prompts = twilio.client.application.extensions["ivr"].line.prompts
    return prompts.phrase("apology")


@pytest.fixture(scope="module")
def twilio() -> TwilioClient:
    """One signed client in office hours for the whole module (it overrides conftest's per-test one).

    The requests here change nothing in the app, and building an app per case is most of the run time.
    """
    app = create_app(make_config(), clock=lambda: OPEN_TIME, events=MemoryEventSink())
    return TwilioClient(app.test_client())


# ---------------------------------------------------------------- the signature matrix


@pytest.mark.parametrize("route", ROUTES)
def test_valid_signature_passes(twilio: TwilioClient, route: str) -> None:
    """A request signed as Twilio signs it gets TwiML."""
    assert_twiml(twilio.post(route))


@pytest.mark.parametrize("route", ROUTES)
def test_tampered_parameter_is_refused(twilio: TwilioClient, route: str) -> None:
    """Changing a signed parameter's value after signing gives 403."""
    signed = twilio.params(Digits="1")
    assert_refused(post(twilio, route, {**signed, "Digits": "0"}, signed_form=signed))


@pytest.mark.parametrize("route", ROUTES)
def test_extra_parameter_is_refused(twilio: TwilioClient, route: str) -> None:
    """A parameter added after signing gives 403."""
    signed = twilio.params()
    assert_refused(post(twilio, route, {**signed, "Digits": "0"}, signed_form=signed))


@pytest.mark.parametrize("route", ROUTES)
def test_removed_parameter_is_refused(twilio: TwilioClient, route: str) -> None:
    """A signed parameter dropped on the way gives 403."""
    signed = twilio.params(Digits="1")
    assert_refused(post(twilio, route, twilio.params(), signed_form=signed))


@pytest.mark.parametrize("route", ROUTES)
def test_wrong_token_is_refused(twilio: TwilioClient, route: str) -> None:
    """A request signed with another auth token gives 403."""
    forger = TwilioClient(twilio.client, token="not-the-token")
    assert_refused(forger.post(route))


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("signed_base", ["http://evil.example.org", "https://localhost", "http://localhost.evil.org"])
def test_wrong_host_or_scheme_is_refused(twilio: TwilioClient, route: str, signed_base: str) -> None:
    """A signature over another host or scheme than the one requested gives 403."""
    assert_refused(post(twilio, route, twilio.params(), signed_url=signed_base + route))


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("signature", [None, "", "not base64 at all", "AAAA"])
def test_missing_or_garbage_signature_is_refused(twilio: TwilioClient, route: str, signature: str | None) -> None:
    """No X-Twilio-Signature header, an empty one or a garbage one gives 403."""
    if signature is None:
        page = twilio.post(route, sign=False)
    else:
        page = twilio.post(route, signature=signature)
    assert_refused(page)


@pytest.mark.parametrize(
    ("signed_query", "sent_query"),
    [("at=main", "at=topics"), ("at=topics&t=1", "at=topics&t=2"), ("at=main", ""), ("", "at=closed")],
)
def test_query_string_is_signed(twilio: TwilioClient, signed_query: str, sent_query: str) -> None:
    """The state in the query is part of the signed URL: changing ?at=... gives 403."""
    signed_url = "http://localhost/voice/step" + (f"?{signed_query}" if signed_query else "")
    url = "http://localhost/voice/step" + (f"?{sent_query}" if sent_query else "")
    assert_refused(post(twilio, url, twilio.params(), signed_url=signed_url))
    assert_twiml(post(twilio, signed_url, twilio.params()))


def test_refusal_is_logged_without_caller_data(twilio: TwilioClient, caplog: pytest.LogCaptureFixture) -> None:
    """A refused request is logged as a warning naming the path, not the caller."""
    with caplog.at_level(logging.INFO):
        assert_refused(twilio.post("/voice/step?at=main", sign=False, SpeechResult="Zed Canary"))
    assert any(r.levelno == logging.WARNING and "/voice/step" in r.getMessage() for r in caplog.records)
    assert "Zed" not in caplog.text
    assert "777" not in caplog.text


# ---------------------------------------------------------------- behind a proxy


def test_public_base_url_is_what_is_signed(make_app: AppFactory) -> None:
    """With PUBLIC_BASE_URL, the signature over the public URL passes although the app sees localhost."""
    _, twilio, _ = make_app(PUBLIC_BASE_URL=PUBLIC)
    page = post(twilio, "http://localhost/voice", twilio.params(), signed_url=f"{PUBLIC}/voice")
    assert_twiml(page)
    assert page.gather is not None
    assert page.gather.get("action", "").startswith(f"{PUBLIC}/voice/step?")
    assert_refused(post(twilio, "http://localhost/voice", twilio.params()))


def test_public_base_url_with_query(make_app: AppFactory) -> None:
    """With PUBLIC_BASE_URL, an action URL with its query passes, and a changed query does not."""
    _, twilio, _ = make_app(PUBLIC_BASE_URL=PUBLIC + "/")
    form = twilio.params(Digits="1")
    assert_twiml(post(twilio, "/voice/step?at=main", form, signed_url=f"{PUBLIC}/voice/step?at=main"))
    assert_refused(post(twilio, "/voice/step?at=topics", form, signed_url=f"{PUBLIC}/voice/step?at=main"))


FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ivr.example.org"}


def test_trusted_proxy_headers_pass(make_app: AppFactory) -> None:
    """With TRUSTED_PROXY_COUNT=1, X-Forwarded-Proto/Host rebuild the https URL Twilio signed."""
    _, twilio, _ = make_app(TRUSTED_PROXY_COUNT="1")
    form = twilio.params()
    page = post(twilio, "http://localhost/voice", form, signed_url=f"{PUBLIC}/voice", headers=FORWARDED)
    assert_twiml(page)
    assert page.gather is not None
    assert page.gather.get("action", "").startswith(f"{PUBLIC}/voice/step?")


def test_forwarded_headers_without_a_trusted_proxy_fail(twilio: TwilioClient) -> None:
    """Without TRUSTED_PROXY_COUNT, forwarded headers are ignored, so the https signature fails."""
    form = twilio.params()
    assert_refused(post(twilio, "http://localhost/voice", form, signed_url=f"{PUBLIC}/voice", headers=FORWARDED))


def test_spoofed_forwarded_host_fails_behind_a_trusted_proxy(make_app: AppFactory) -> None:
    """Behind one trusted proxy, a request signed for our host but forwarded for another host fails."""
    _, twilio, _ = make_app(TRUSTED_PROXY_COUNT="1")
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example.org"}
    assert_refused(post(twilio, "/voice", twilio.params(), signed_url=f"{PUBLIC}/voice", headers=headers))


# ---------------------------------------------------------------- start-up


def test_insecure_local_dev_accepts_unsigned_and_warns(make_app: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    """IVR_INSECURE_LOCAL_DEV=1 without a token accepts unsigned requests, after a loud start-up warning."""
    with caplog.at_level(logging.WARNING, logger="ivr.web"):
        _, twilio, _ = make_app(TWILIO_AUTH_TOKEN="", IVR_INSECURE_LOCAL_DEV="1")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("IVR_INSECURE_LOCAL_DEV" in message and "NOT" in message for message in warnings)
    assert_twiml(twilio.post("/voice", sign=False))
    assert_twiml(twilio.post("/voice/step?at=main", sign=False, Digits="1"))


def test_no_token_without_insecure_flag_refuses_to_start() -> None:
    """Without a token (and without the local-dev flag) the settings are refused at start-up."""
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        make_config(TWILIO_AUTH_TOKEN="")


def test_insecure_flag_is_ignored_when_a_token_is_set(make_app: AppFactory) -> None:
    """With a token set, IVR_INSECURE_LOCAL_DEV=1 does not switch off the signature check."""
    _, twilio, _ = make_app(IVR_INSECURE_LOCAL_DEV="1")
    assert_refused(twilio.post("/voice", sign=False))


# ---------------------------------------------------------------- odd input


ODD_FORMS = {
    "unknown keys": {"Digits": "AB%x", "SpeechResult": "", "Foo": "bar", "Digits2": "1"},
    "empty fields": {"Digits": "", "SpeechResult": "", "Confidence": "", "DialCallStatus": "", "RecordingUrl": ""},
    "enormous speech": {"SpeechResult": "tell me about the pump " * 4400, "Confidence": "0.9"},
    "markup speech": {"SpeechResult": "<Say>&amp; </Gather><Hangup/> ]]> \"'", "Confidence": "0.9"},
    "rtl marks": {"SpeechResult": "\u200f\u202eemuspir eht\u202c \u200e\u2067pump\u2069", "Confidence": "0.8"},
    "emoji": {"SpeechResult": "\U0001f691\U0001f62d pump \U0001f9d1\u200d\u2695\ufe0f", "Confidence": "0.8"},
    "combining": {"SpeechResult": "ri\u0301\u0301\u0301sks o\u0308f th\u0336e pump", "Confidence": "0.8"},
    "nul": {"SpeechResult": "pump\x00 risks\x00", "Digits": "\x001", "Confidence": "0.8"},
    "control characters": {"SpeechResult": "\x1b[31mrisks\x07\x08\ufffe\uffff", "Confidence": "0.8"},
    "surrogate-free astral": {"SpeechResult": "\U00010348\U0001d11e risks", "Confidence": "0.8"},
    "confidence too high": {"SpeechResult": "what are the risks", "Confidence": "7"},
    "confidence negative": {"SpeechResult": "what are the risks", "Confidence": "-0.5"},
    "confidence nan": {"SpeechResult": "what are the risks", "Confidence": "nan"},
    "confidence infinite": {"SpeechResult": "what are the risks", "Confidence": "inf"},
    "confidence not a number": {"SpeechResult": "what are the risks", "Confidence": "high"},
    "several keys": {"Digits": "123"},
    "many keys": {"Digits": "0123456789*#" * 20},
    "keys and speech": {"Digits": "1", "SpeechResult": "go back"},
    "odd dial status": {"DialCallStatus": "ANSWERED-ish", "DialCallDuration": "-3"},
    "odd recording": {"RecordingUrl": "javascript:alert(1)", "RecordingDuration": "many"},
    "whitespace speech": {"SpeechResult": " \t\n\u00a0\u2003 ", "Confidence": "0.1"},
}
ODD_STATES = [
    "at=main",
    "at=topics&g=1",
    "at=section&i=3",
    "at=confirm&i=1&k=faq&b=main",
    "at=desk",
    "at=oncall",
    "at=message",
    "at=urgent",
    "at=closed",
    "at=nowhere",
    "at=topics&p=abc",
    "at=section&i=999&c=999",
    "at=%FF%FE",
    "at=main&at=topics",
    "at=",
    "junk=%3Cscript%3E",
    "",
]


@pytest.mark.parametrize("query", ODD_STATES)
@pytest.mark.parametrize("form", ODD_FORMS)
def test_odd_signed_input_gets_twiml(twilio: TwilioClient, query: str, form: str) -> None:
    """Whatever a signed request holds, the answer is 200 TwiML that keeps the caller, never the apology."""
    url = "/voice/step" + (f"?{query}" if query else "")
    page = post(twilio, url, twilio.params(**ODD_FORMS[form]))
    assert_twiml(page)
    assert apology_words(twilio) not in page.said, "odd input must not reach the internal-error path"


@pytest.mark.parametrize("missing", ["CallSid", "From", "To", "AccountSid"])
@pytest.mark.parametrize("route", ["/voice", "/voice/step?at=main"])
def test_missing_call_parameters(twilio: TwilioClient, route: str, missing: str) -> None:
    """A request without CallSid, From, To or AccountSid still gets the normal answer."""
    form = {name: value for name, value in twilio.params(Digits="1").items() if name != missing}
    page = post(twilio, route, form)
    assert_twiml(page)
    assert apology_words(twilio) not in page.said


# ---------------------------------------------------------------- when something breaks


def boom(*args: object, **kwargs: object) -> flow.Reply:
    raise RuntimeError("my name is Zed Canary")  # the message may quote the caller: it must not be logged


@pytest.mark.parametrize(
    ("target", "route"),
    [
        ("ivr.flow.step", "/voice/step?at=main"),
        ("ivr.flow.start", "/voice"),
        ("ivr.twiml.Renderer.render", "/voice/step?at=topics"),
    ],
)
def test_internal_error_apologises_and_connects(
    twilio: TwilioClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, target: str, route: str
) -> None:
    """An exception inside the flow still answers 200 TwiML: an apology, the emergency sentence, a person."""
    monkeypatch.setattr(target, boom)
    with caplog.at_level(logging.DEBUG):
        page = twilio.post(route, Digits="1")
    assert page.status == 200
    assert page.content_type == "text/xml"
    assert apology_words(twilio) in page.said
    assert "9 1 1" in page.said
    dial = page.root.find("Dial")
    assert dial is not None
    assert [n.text for n in dial.findall("Number")] == [FRONT_DESK]
    assert page.verbs() == ["Say", "Dial"]
    if not target.endswith("render"):  # with TwiML rendering itself broken, the last resort is a plain transfer
        assert "/voice/step?at=desk" in dial.get("action", ""), "the transfer's outcome goes to the usual handling"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors
    assert "RuntimeError" in errors[0].getMessage()
    assert "Zed" not in caplog.text


def test_internal_error_after_hours_connects_on_call(make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """After hours the apology dials the on-call clinician."""
    _, twilio, _ = make_app(CLOSED_TIME)
    monkeypatch.setattr("ivr.flow.step", boom)
    page = twilio.post("/voice/step?at=main", Digits="1")
    assert [n.text for n in page.root.iter("Number")] == [ON_CALL]


def test_failing_event_sink_does_not_lose_the_call(make_app: AppFactory, caplog: pytest.LogCaptureFixture) -> None:
    """An event that cannot be stored is logged, and the caller still gets the normal answer."""
    _, twilio, _ = make_app()

    class BrokenSink:
        def record(self, call: str, event: Event) -> None:
            raise OSError("disk full")

    twilio.client.application.extensions["ivr"].events = BrokenSink()
    page = twilio.call()
    assert_twiml(page)
    assert page.gather is not None
    assert any("call_started" in r.getMessage() and "OSError" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("when", ["open", "closed"])
def test_fallback_route_apologises(make_app: AppFactory, when: str) -> None:
    """The fallback URL answers the same apology: emergency sentence and a person."""
    _, twilio, _ = make_app(CLOSED_TIME) if when == "closed" else make_app()
    page = twilio.post("/voice/fallback", ErrorCode="11200", ErrorUrl="https://ivr.example.org/voice")
    assert page.status == 200
    assert page.content_type == "text/xml"
    assert apology_words(twilio) in page.said
    assert "9 1 1" in page.said
    assert [n.text for n in page.root.iter("Number")] == [FRONT_DESK if when == "open" else ON_CALL]


def test_fallback_matches_the_error_apology(twilio: TwilioClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback document is the very same as the one an internal error gives."""
    fallback = twilio.post("/voice/fallback")
    monkeypatch.setattr("ivr.flow.step", boom)
    broken = twilio.post("/voice/step?at=main")
    assert ET.tostring(fallback.root) == ET.tostring(broken.root)


# ---------------------------------------------------------------- plain routes


def test_health(twilio: TwilioClient) -> None:
    """GET /health answers 200 without a signature."""
    response = twilio.client.get("/health")
    assert response.status_code == 200


@pytest.mark.parametrize("route", ["/voice", "/voice/step", "/voice/fallback"])
def test_get_on_twilio_routes_is_not_a_server_error(twilio: TwilioClient, route: str) -> None:
    """GET on a Twilio route is refused or not allowed, never a 500."""
    response = twilio.client.get(route)
    assert response.status_code < 500
    assert response.status_code in {403, 405}


def test_unknown_audio_is_404(twilio: TwilioClient) -> None:
    """An audio file that does not exist is a 404, not a 500, even with audio switched off."""
    assert twilio.client.get("/audio/nothing.wav").status_code == 404
