"""The terminal phone: its TwiML interpreter against canned answers, its signing, its script and keyboard."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import socket
import sys
import threading
import time
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

import pytest
from conftest import BASE_ENV
from conftest import FRONT_DESK
from conftest import ON_CALL
from conftest import OPEN_TIME
from conftest import TOKEN
from conftest import make_config
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from ivr import simulator
from ivr.cli import LOCAL_DEV_TOKEN
from ivr.simulator import Console
from ivr.simulator import Ending
from ivr.simulator import HttpResponse
from ivr.simulator import HttpTransport
from ivr.simulator import Identity
from ivr.simulator import KeyboardCaller
from ivr.simulator import Phone
from ivr.simulator import ScriptCaller
from ivr.simulator import ScriptError
from ivr.simulator import Speaker
from ivr.simulator import Turn
from ivr.simulator import parse_script
from ivr.simulator import parse_typed
from ivr.web import create_app

LINE = "https://line.example/voice"
STEP = "https://line.example/voice/step"
SAY = '<Say voice="Polly.Joanna-Neural">{}</Say>'


def twiml(body: str) -> HttpResponse:
    return HttpResponse(200, "text/xml", f'<?xml version="1.0"?><Response>{body}</Response>'.encode())


@dataclass
class Sent:
    method: str
    url: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class CannedLine:
    """A transport that answers each URL from a table and keeps every request it was sent."""

    pages: Mapping[str, HttpResponse]
    sent: list[Sent] = field(default_factory=list)

    def post(self, url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> HttpResponse:
        self.sent.append(Sent("POST", url, dict(form), dict(headers)))
        return self.pages.get(url, HttpResponse(404, "text/plain", b"Not Found"))

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> HttpResponse:
        self.sent.append(Sent("GET", url, {}, dict(headers or {})))
        return self.pages.get(url.split("?")[0], HttpResponse(404, "text/plain", b"Not Found"))


@dataclass
class Call:
    ending: Ending
    transcript: list[str]
    sent: list[Sent]

    def posted(self, url: str) -> list[dict[str, str]]:
        return [request.form for request in self.sent if request.url == url]


def call(pages: Mapping[str, HttpResponse], script: str = "", **phone: object) -> Call:
    """Call the canned line at LINE with a script; returns how it ended, the transcript and the requests."""
    transport = CannedLine(pages)
    out = io.StringIO()
    caller = ScriptCaller(parse_script(script))
    ending = Phone(transport, TOKEN, caller, Console(out), **phone).call(LINE)  # type: ignore[arg-type]
    return Call(ending, out.getvalue().splitlines(), transport.sent)


def menu(prompt: str = "Main menu.", **attributes: str) -> str:
    attrs = {"input": "dtmf speech", "action": STEP, "numDigits": "1", "timeout": "8", **attributes}
    joined = " ".join(f'{name}="{value}"' for name, value in attrs.items())
    return f"<Gather {joined}>{SAY.format(prompt)}</Gather><Redirect>{STEP}?silent=1</Redirect>"


# ---------------------------------------------------------------- Gather


def test_gather_posts_pressed_keys_to_its_action() -> None:
    """Keys pressed at a Gather go to its action as Digits, with Twilio's call parameters."""
    result = call({LINE: twiml(menu()), STEP: twiml("<Hangup/>")}, "press 1")
    assert result.transcript == ["LINE: Main menu.", "CALLER: presses 1", "[the line hung up]"]
    form = result.posted(STEP)[0]
    assert form["Digits"] == "1"
    assert form["CallStatus"] == "in-progress"
    assert form["Direction"] == "inbound"
    assert form["CallSid"].startswith("CA")
    assert len(form["CallSid"]) == 34
    assert {"AccountSid", "From", "To", "Caller", "Called", "ApiVersion"} <= set(form)
    assert result.ending.ok


def test_gather_posts_speech_with_the_default_confidence() -> None:
    """Words typed at a Gather go as SpeechResult with Confidence 0.9."""
    result = call({LINE: twiml(menu()), STEP: twiml("<Hangup/>")}, "say what are the risks")
    assert 'CALLER: says "what are the risks"' in result.transcript
    form = result.posted(STEP)[0]
    assert (form["SpeechResult"], form["Confidence"]) == ("what are the risks", "0.9")
    assert "Digits" not in form


def test_gather_posts_the_scripted_confidence() -> None:
    """`say@0.3` sends Confidence 0.3 and shows it in the transcript."""
    result = call({LINE: twiml(menu()), STEP: twiml("<Hangup/>")}, "say@0.3 what are the risks")
    assert 'CALLER: says "what are the risks" (confidence 0.3)' in result.transcript
    assert result.posted(STEP)[0]["Confidence"] == "0.3"


def test_gather_silence_falls_through_to_the_redirect() -> None:
    """With no input Twilio skips the action and runs the verbs after the Gather: here a Redirect, with no input."""
    pages = {LINE: twiml(menu()), f"{STEP}?silent=1": twiml("<Hangup/>")}
    result = call(pages, "silence")
    assert result.transcript == ["LINE: Main menu.", "CALLER: (silence)", "[the line hung up]"]
    assert result.posted(STEP) == []
    redirected = result.posted(f"{STEP}?silent=1")
    assert len(redirected) == 1
    assert "Digits" not in redirected[0]
    assert "SpeechResult" not in redirected[0]


def test_gather_action_on_empty_result_posts_no_input() -> None:
    """With actionOnEmptyResult="true", silence is posted to the action."""
    pages = {LINE: twiml(menu(actionOnEmptyResult="true")), STEP: twiml("<Hangup/>")}
    result = call(pages, "silence")
    assert len(result.posted(STEP)) == 1
    assert "Digits" not in result.posted(STEP)[0]


def test_gather_takes_only_num_digits_keys() -> None:
    """Pressing 12 at a one-key menu sends 1 and says so."""
    result = call({LINE: twiml(menu()), STEP: twiml("<Hangup/>")}, "press 12")
    assert result.posted(STEP)[0]["Digits"] == "1"
    assert "[the line takes 1]" in result.transcript


def test_gather_stops_at_the_finish_key() -> None:
    """Keys up to finishOnKey are sent, without it."""
    pages = {LINE: twiml(f'<Gather action="{STEP}"/>'), STEP: twiml("<Hangup/>")}
    result = call(pages, "press 123#")
    assert result.posted(STEP)[0]["Digits"] == "123"
    assert not any(line.startswith("[the line takes") for line in result.transcript)


def test_gather_without_action_posts_to_the_document_url() -> None:
    """A Gather with no action posts the input back to the current document's URL."""
    pages = {LINE: twiml('<Gather input="dtmf"/>')}
    result = call(pages, "press 5\nhangup")
    assert [form.get("Digits") for form in result.posted(LINE)] == [None, "5"]


def test_gather_ignores_speech_when_it_listens_for_keys_only() -> None:
    """Speech at a keys-only Gather is not sent; the call goes on as after silence."""
    pages = {LINE: twiml(f'<Gather input="dtmf" action="{STEP}"/><Hangup/>')}
    result = call(pages, "say hello")
    assert "[the line is not listening for speech here]" in result.transcript
    assert result.posted(STEP) == []
    assert result.transcript[-1] == "[the line hung up]"


def test_nested_prompts_are_heard_before_the_caller_answers() -> None:
    """Say, Pause and Say inside a Gather are heard in order, then the caller's turn."""
    body = f'<Gather action="{STEP}">{SAY.format("One.")}<Pause length="2"/>{SAY.format("Two.")}</Gather>'
    result = call({LINE: twiml(body), STEP: twiml("<Hangup/>")}, "press 1")
    assert result.transcript[:4] == ["LINE: One.", "[a pause of 2 seconds]", "LINE: Two.", "CALLER: presses 1"]


def test_say_reads_a_break_as_a_short_pause() -> None:
    """A <break> joins the parts of one Say on one line with a pause mark; SSML tags are dropped."""
    body = '<Say>Sorry. <break time="400ms"/> Please <prosody rate="90%">leave</prosody> a message.</Say>'
    result = call({LINE: twiml(body)})
    assert result.transcript[0] == "LINE: Sorry. ... Please leave a message."


# ---------------------------------------------------------------- Dial


def test_dial_with_action_posts_the_outcome_and_follows_the_answer() -> None:
    """No answer is posted to the Dial action as DialCallStatus, and the call goes on with its TwiML."""
    body = f'<Dial action="{STEP}" timeout="25"><Number>+15555550177</Number></Dial>'
    pages = {LINE: twiml(body), STEP: twiml(SAY.format("Sorry.") + "<Hangup/>")}
    result = call(pages, "no-answer")
    assert result.transcript == [
        "[transferring to 5 5 5, 5 5 5, 0 1 7 7]",
        "[no answer]",
        "LINE: Sorry.",
        "[the line hung up]",
    ]
    form = result.posted(STEP)[0]
    assert form["DialCallStatus"] == "no-answer"
    assert form["DialCallSid"].startswith("CA")
    assert form["DialCallDuration"] == "0"


def test_dial_without_action_goes_on_with_the_next_verb() -> None:
    """Without an action, a busy transfer continues with the verbs after the Dial."""
    body = "<Dial>+15555550177</Dial>" + SAY.format("After.")
    result = call({LINE: twiml(body)}, "busy")
    assert result.transcript == [
        "[transferring to 5 5 5, 5 5 5, 0 1 7 7]",
        "[busy]",
        "LINE: After.",
        "[the TwiML ended: the line hung up]",
    ]


def test_dial_answered_tells_the_action_and_ends_the_call() -> None:
    """When someone answers, the caller talks and hangs up: the action hears "completed" and nothing more is heard."""
    body = f'<Dial action="{STEP}"><Number>{FRONT_DESK}</Number></Dial>'
    pages = {LINE: twiml(body), STEP: twiml(SAY.format("Goodbye.") + "<Hangup/>")}
    result = call(pages, "answer", names={FRONT_DESK: "the front desk", ON_CALL: "the on-call clinician"})
    assert result.transcript == [
        "[transferring to the front desk at 5 5 5, 5 5 5, 0 1 0 0]",
        "[answered; the caller talks, then hangs up]",
        "[the caller hung up]",
    ]
    form = result.posted(STEP)[0]
    assert (form["DialCallStatus"], form["CallStatus"]) == ("completed", "completed")
    assert int(form["DialCallDuration"]) > 0


def test_dial_of_something_other_than_a_number_is_reported() -> None:
    """A <Dial><Client> is TwiML the simulator cannot follow: reported, exit as a problem."""
    result = call({LINE: twiml("<Dial><Client>desk</Client></Dial>")})
    assert result.transcript[-1].startswith("[problem: <Dial><Client>")
    assert not result.ending.ok


# ---------------------------------------------------------------- Record, Hangup, the end


def test_record_with_a_message_posts_the_recording() -> None:
    """A message posts RecordingUrl, a positive RecordingDuration and RecordingSid to the Record action."""
    body = f'<Record action="{STEP}" maxLength="120" finishOnKey="#"/><Redirect>{STEP}?empty=1</Redirect>'
    pages = {LINE: twiml(body), STEP: twiml("<Hangup/>")}
    result = call(pages, "record Hello, this is a message for the office")
    assert "[recording a message, up to 120 seconds; type your message or press Enter for silence]" in (
        result.transcript
    )
    assert 'CALLER: records "Hello, this is a message for the office", then presses #' in result.transcript
    form = result.posted(STEP)[0]
    assert form["RecordingUrl"].startswith("https://")
    assert form["RecordingSid"].startswith("RE")
    assert 0 < int(form["RecordingDuration"]) <= 120
    assert form["Digits"] == "#"


def test_record_silence_goes_on_with_the_next_verb() -> None:
    """Nothing recorded: Twilio skips the action and runs the next verb."""
    body = f'<Record action="{STEP}"/><Redirect>{STEP}?empty=1</Redirect>'
    pages = {LINE: twiml(body), f"{STEP}?empty=1": twiml("<Hangup/>")}
    result = call(pages, "record")
    assert "CALLER: (silence)" in result.transcript
    assert result.posted(STEP) == []
    assert len(result.posted(f"{STEP}?empty=1")) == 1


def test_hangup_ends_the_call() -> None:
    """<Hangup> ends the call; later verbs are not run."""
    result = call({LINE: twiml(SAY.format("Bye.") + "<Hangup/>" + SAY.format("Never."))})
    assert result.transcript == ["LINE: Bye.", "[the line hung up]"]
    assert result.ending == Ending("line")


def test_end_of_document_hangs_up() -> None:
    """When the TwiML runs out, Twilio hangs up."""
    result = call({LINE: twiml(SAY.format("Only this."))})
    assert result.transcript == ["LINE: Only this.", "[the TwiML ended: the line hung up]"]
    assert result.ending.ok


def test_the_caller_hangs_up_when_the_script_runs_out() -> None:
    """A script that ends while the line waits hangs up."""
    result = call({LINE: twiml(menu())}, "")
    assert result.transcript[-1] == "[the caller hung up]"
    assert result.ending == Ending("caller")


# ---------------------------------------------------------------- Play


def test_play_shows_the_text_the_manifest_knows() -> None:
    """A <Play> of rendered audio shows the phrase's text from the local manifest."""
    pages = {LINE: twiml("<Play>/audio/abc.wav</Play>"), "https://line.example/audio/abc.wav": wav()}
    result = call(pages, audio_names={"abc.wav": "Main menu."})
    assert result.transcript[0] == "LINE: Main menu."
    assert result.sent[1].method == "GET"


def test_play_of_unknown_audio_shows_its_name() -> None:
    """Audio the manifest does not know is shown by file name."""
    pages = {LINE: twiml("<Play>/audio/other.wav</Play>"), "https://line.example/audio/other.wav": wav()}
    assert call(pages).transcript[0] == "LINE: [audio other.wav]"


def test_play_with_a_non_audio_content_type_is_reported() -> None:
    """A <Play> URL that answers text/html is a problem: reported, and the call ends."""
    page = HttpResponse(200, "text/html", b"<html></html>")
    result = call({LINE: twiml("<Play>/audio/x.wav</Play>"), "https://line.example/audio/x.wav": page})
    assert result.transcript == ["[problem: <Play> https://line.example/audio/x.wav answered text/html, not audio]"]
    assert not result.ending.ok


def test_play_of_a_missing_file_is_reported() -> None:
    """A <Play> URL that answers 404 is a problem."""
    result = call({LINE: twiml("<Play>/audio/gone.wav</Play>")})
    assert "answered HTTP 404" in result.transcript[-1]
    assert not result.ending.ok


def wav() -> HttpResponse:
    return HttpResponse(200, "audio/wav", b"RIFF....WAVE")


# ---------------------------------------------------------------- not TwiML


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        (HttpResponse(200, "text/xml", b"<Response><Say>unclosed</Response>"), "XML that does not parse"),
        (HttpResponse(200, "text/html", b"<Response/>"), "answered text/html, not TwiML"),
        (HttpResponse(200, "text/xml", b"<Reply/>"), "answered <Reply>, not TwiML"),
        (HttpResponse(500, "text/html", b"<!doctype html>"), "answered HTTP 500"),
        (twiml("<Speak>hello</Speak>"), "<Speak> is not a TwiML verb"),
        (twiml("<Enqueue>support</Enqueue>"), "<Enqueue> is TwiML, but the simulator cannot follow it"),
        (twiml(f'<Gather action="{STEP}"><Dial>+15555550177</Dial></Gather>'), "may hold only <Say>"),
        (twiml(f'<Gather action="{STEP}" timeout="0"/>'), 'timeout="0"'),
        (twiml('<Redirect method="PUT">/voice</Redirect>'), 'method="PUT"'),
    ],
)
def test_what_is_not_valid_twiml_is_reported(page: HttpResponse, problem: str) -> None:
    """Bad XML, a wrong content type or root, a bad status, unknown verbs or bad attributes end the call."""
    result = call({LINE: page})
    assert len(result.transcript) == 1
    assert result.transcript[0].startswith("[problem: ")
    assert problem in result.transcript[0]
    assert not result.ending.ok


def test_a_refused_signature_suggests_checking_the_token() -> None:
    """A 403 says which settings to compare."""
    result = call({LINE: HttpResponse(403, "text/plain", b"Forbidden: the request is not signed by Twilio.\n")})
    assert "HTTP 403: Forbidden: the request is not signed by Twilio." in result.transcript[0]
    assert "TWILIO_AUTH_TOKEN" in result.transcript[0]


def test_a_line_that_never_waits_for_the_caller_is_reported() -> None:
    """A Redirect loop is reported instead of running forever."""
    result = call({LINE: twiml(f"<Redirect>{LINE}</Redirect>")})
    assert "without waiting for the caller" in result.transcript[-1]
    assert not result.ending.ok


# ---------------------------------------------------------------- signing


def test_requests_are_signed_as_twilio_signs_them() -> None:
    """Every request the simulator sends validates with twilio's RequestValidator and the same token."""
    result = call({LINE: twiml(menu()), STEP: twiml("<Hangup/>")}, "press 1")
    validator = RequestValidator(TOKEN)
    assert len(result.sent) == 2
    for request in result.sent:
        assert validator.validate(request.url, request.form, request.headers["X-Twilio-Signature"])
    assert not RequestValidator("another-token").validate(
        result.sent[0].url, result.sent[0].form, result.sent[0].headers["X-Twilio-Signature"]
    )


def test_a_get_action_carries_the_parameters_in_the_signed_url() -> None:
    """method="GET" sends Twilio's parameters in the query string, signed as part of the URL."""
    result = call({LINE: twiml(menu(method="GET")), STEP: twiml("<Hangup/>")}, "press 3")
    request = result.sent[1]
    assert request.method == "GET"
    assert dict(parse_qsl(urlsplit(request.url).query))["Digits"] == "3"
    assert RequestValidator(TOKEN).validate(request.url, {}, request.headers["X-Twilio-Signature"])


def test_the_caller_number_can_be_set() -> None:
    """--from becomes From and Caller."""
    identity = Identity("CA" + "1" * 32, caller="+15415550199")
    result = call({LINE: twiml("<Hangup/>")}, identity=identity)
    form = result.posted(LINE)[0]
    assert form["From"] == form["Caller"] == "+15415550199"


@pytest.fixture
def running_line() -> Iterator[str]:
    """The real line served over HTTP on a free local port, in office hours."""
    app = create_app(make_config(LOG_LEVEL="WARNING"), clock=lambda: OPEN_TIME)
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/voice"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_call_over_http_is_accepted_by_the_line(running_line: str) -> None:
    """Over real HTTP the line accepts the simulator's signature and answers TwiML it can follow."""
    out = io.StringIO()
    caller = ScriptCaller(parse_script("press 9"))
    ending = Phone(HttpTransport(), TOKEN, caller, Console(out)).call(running_line)
    transcript = out.getvalue().splitlines()
    assert transcript[0] == "LINE: If this is a medical emergency, hang up and dial 9 1 1."
    assert transcript[2] == "CALLER: presses 9"
    assert ending == Ending("caller")


def test_an_unreachable_line_is_reported() -> None:
    """Nothing listening at the URL: one clear problem line."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = io.StringIO()
    ending = Phone(HttpTransport(timeout=2), TOKEN, ScriptCaller([]), Console(out)).call(f"http://127.0.0.1:{port}/")
    assert "could not reach" in out.getvalue()
    assert not ending.ok


# ---------------------------------------------------------------- the script


def test_script_lines_become_turns() -> None:
    """Every kind of script line is read, comments and blank lines skipped."""
    script = """
    # a comment
    press 1
    press #   # the pound key
    press 12
    say what are the risks
    say@0.3 what are the risks  # unsure
    silence

    answer
    no-answer
    busy
    failed
    record Hello this is a message
    record
    hangup
    """
    assert parse_script(script) == [
        Turn("press", "1", line=3),
        Turn("press", "#", line=4),
        Turn("press", "12", line=5),
        Turn("say", "what are the risks", line=6),
        Turn("say", "what are the risks", 0.3, line=7),
        Turn("silence", line=8),
        Turn("answer", line=10),
        Turn("no-answer", line=11),
        Turn("busy", line=12),
        Turn("failed", line=13),
        Turn("record", "Hello this is a message", line=14),
        Turn("silence", line=15),
        Turn("hangup", line=16),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("push 1", "unknown turn"),
        ("press", "`press` takes keys"),
        ("press 1a", "`press` takes keys"),
        ("press 1 2", "put the keys together"),
        ("say", "`say` needs the words"),
        ("say@1.5 hello", "from 0 to 1"),
        ("say@high hello", "from 0 to 1"),
        ("answer now", "takes nothing after it"),
    ],
)
def test_script_errors_name_the_line(line: str, message: str) -> None:
    """A line the simulator cannot read is refused with its line number."""
    with pytest.raises(ScriptError, match=message) as error:
        parse_script(f"press 1\n{line}\n")
    assert str(error.value).startswith("line 2:")


def test_a_turn_that_does_not_fit_the_wait_is_refused() -> None:
    """`press 1` while the line transfers the call is a script error, naming what fits."""
    caller = ScriptCaller(parse_script("press 1"))
    with pytest.raises(ScriptError, match="line 1: `press` does not fit here: the line is transferring"):
        caller.turn("dial")


# ---------------------------------------------------------------- the keyboard


@pytest.mark.parametrize(
    ("typed", "wait", "turn"),
    [
        ("1", "gather", Turn("press", "1")),
        ("*", "gather", Turn("press", "*")),
        (" 12 ", "gather", Turn("press", "12")),
        ("what are the risks", "gather", Turn("say", "what are the risks")),
        ("", "gather", Turn("silence")),
        ("/hangup", "gather", Turn("hangup")),
        ("n", "dial", Turn("no-answer")),
        ("answer", "dial", Turn("answer")),
        ("maybe", "dial", None),
        ("Hello there", "record", Turn("record", "Hello there")),
        ("", "record", Turn("silence")),
        ("/HANGUP", "record", Turn("hangup")),
    ],
)
def test_typed_lines_mean_turns(typed: str, wait: simulator.Wait, turn: Turn | None) -> None:
    """Keys are keys, other words are speech, Enter alone is silence, /hangup hangs up."""
    assert parse_typed(typed, wait) == turn


def test_ctrl_d_hangs_up(capsys: pytest.CaptureFixture[str]) -> None:
    """End of input at the keyboard is the caller hanging up."""

    def read(prompt: str) -> str:
        raise EOFError

    assert KeyboardCaller(read).turn("gather") == Turn("hangup")


def test_the_keyboard_asks_again_for_a_transfer_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    """An answer that means nothing at a transfer is asked for again."""
    answers = iter(["maybe", "busy"])
    assert KeyboardCaller(lambda prompt: next(answers)).turn("dial") == Turn("busy")
    assert "answer, no-answer, busy or failed" in capsys.readouterr().out


# ---------------------------------------------------------------- speaking


def test_speaking_that_fails_prints_one_notice_and_goes_on_in_text() -> None:
    """A speech child that fails turns speaking off with one short notice."""
    notices: list[str] = []
    command = [sys.executable, "-c", "import sys; sys.exit('no audio device')"]
    speaker = Speaker(notices.append, command=command)
    speaker.say("Main menu.")
    speaker.finish()
    speaker.say("Again.")
    speaker.finish()
    speaker.close()
    assert notices == ["(speaking is off: no audio device; the call carries on in text)"]
    assert not speaker.working


def test_the_caller_can_interrupt_speaking() -> None:
    """Stopping the speaker ends a child that is still talking, at once."""
    notices: list[str] = []
    speaker = Speaker(notices.append, command=[sys.executable, "-c", "import time; time.sleep(30)"])
    speaker.say("A very long prompt.")
    speaker.start()
    assert speaker.child is not None
    assert speaker.child.poll() is None
    started = time.monotonic()
    speaker.stop()
    speaker.close()
    assert time.monotonic() - started < 5
    assert speaker.child is None
    assert notices == []


# ---------------------------------------------------------------- the command


def arguments(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    simulator.add_arguments(parser)
    return parser.parse_args(argv)


def test_at_needs_local(capsys: pytest.CaptureFixture[str]) -> None:
    """--at without --local is a usage error (exit 2): a running line keeps its own clock."""
    assert simulator.main(arguments("--at", "2026-11-24 10:00", "--script", "x")) == 2
    assert "--at needs --local" in capsys.readouterr().err


def test_a_missing_script_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unreadable script file exits 2 with its name."""
    missing = tmp_path / "missing.script"
    assert simulator.main(arguments("--local", "--script", str(missing))) == 2
    assert "missing.script: cannot read the script" in capsys.readouterr().err


def test_a_bad_script_line_exits_2_with_its_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A script error names the file and the line, exit status 2."""
    script = tmp_path / "bad.script"
    script.write_text("press 1\nwhistle\n", encoding="utf-8")
    assert simulator.main(arguments("--local", "--script", str(script))) == 2
    assert f"{script}: line 2: unknown turn 'whistle'" in capsys.readouterr().err


def test_the_clock_is_office_time() -> None:
    """--at is read as local time in the office's time zone."""
    now = simulator.fixed_clock("2026-11-28 02:00", "America/Los_Angeles")()
    assert now.utcoffset() == dt.timedelta(hours=-8)
    assert (now.year, now.month, now.day, now.hour) == (2026, 11, 28, 2)


def test_a_malformed_time_is_a_usage_error() -> None:
    """--at must look like YYYY-MM-DD HH:MM."""
    with pytest.raises(simulator.UsageError, match="YYYY-MM-DD HH:MM"):
        simulator.fixed_clock("tomorrow", "America/Los_Angeles")


def test_a_local_line_checks_signatures_with_the_dev_token() -> None:
    """Without TWILIO_AUTH_TOKEN, --local signs with the dev token and the line really checks it."""
    env = {key: value for key, value in BASE_ENV.items() if key != "TWILIO_AUTH_TOKEN"}
    setup = simulator.local_setup("2026-11-24 10:00", env)
    assert setup.token == LOCAL_DEV_TOKEN
    heard = io.StringIO()
    ending = Phone(setup.transport, setup.token, ScriptCaller([]), Console(heard)).call(simulator.DEFAULT_URL)
    assert ending == Ending("caller")
    refused = io.StringIO()
    ending = Phone(setup.transport, "not-the-token", ScriptCaller([]), Console(refused)).call(simulator.DEFAULT_URL)
    assert "answered HTTP 403" in refused.getvalue()
    assert not ending.ok


def test_a_local_line_with_a_public_url_is_called_there() -> None:
    """With PUBLIC_BASE_URL set, --local calls the public voice URL, which the line's signature check expects."""
    setup = simulator.local_setup("2026-11-24 10:00", {**BASE_ENV, "PUBLIC_BASE_URL": "https://ivr.example.org"})
    assert setup.voice_url == "https://ivr.example.org/voice"
    assert setup.names == {FRONT_DESK: "the front desk", ON_CALL: "the on-call clinician"}
    ending = Phone(setup.transport, setup.token, ScriptCaller([]), Console(io.StringIO())).call(setup.voice_url)
    assert ending == Ending("caller")
