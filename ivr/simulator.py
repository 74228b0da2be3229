"""`python -m ivr call`: a phone in the terminal.

It calls the line the way Twilio does: it posts Twilio's parameters, signed with the auth
token, and follows the TwiML that comes back (Say, Play, Pause, Gather, Redirect, Dial,
Record, Hangup). What the line says is printed (`LINE: ...`) and, unless --quiet, spoken
aloud in a child process; the caller types at each menu. It is also a testing tool: a bad
HTTP status, anything that is not TwiML, or a <Play> that is not audio ends the call with
exit status 1 (0 when the call ended normally, 2 for a usage or script error).

    python -m ivr call                       # the running line (`make run`) at localhost:5000
    python -m ivr call --local --at "2026-11-28 02:00"   # an in-process line, after hours
    python -m ivr call --local --script call.script      # a scripted call; prints the transcript

At a menu, type keys (`1`, `0`, `*`, `#`, or several like `12`) or words, which are sent as
speech; Enter alone is silence, `/hangup` or Ctrl-D hangs up. A script has one caller turn a
line, used whenever the line waits for the caller:

    press 1 | say what are the risks | say@0.3 what are the risks | silence
    answer | no-answer | busy | failed            (at a transfer)
    record Hello, this is a message | record      (a message, or silence, at a recording)
    hangup

A line starting with `#` is a comment, and so is ` # ...` after a turn; blank lines are
ignored. When the script runs out while the line waits, the caller hangs up.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import math
import os
import posixpath
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Literal
from typing import Protocol
from typing import TextIO
from urllib.error import HTTPError
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler
from urllib.request import Request as UrlRequest
from urllib.request import build_opener
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from twilio.request_validator import RequestValidator

from ivr.audio import MANIFEST
from ivr.cli import LOCAL_DEV_TOKEN
from ivr.cli import tool_config
from ivr.config import PROJECT_ROOT
from ivr.config import Config
from ivr.config import ConfigError
from ivr.content import ContentError
from ivr.flow import spoken_number
from ivr.prompts import PromptsError

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.test import TestResponse

DEFAULT_URL = "http://localhost:5000/voice"
CALLER_NUMBER = "+15415550123"  # fictional: 555-0100 to 555-0199 are reserved for fiction
LINE_NUMBER = "+15415550142"
ACCOUNT_SID = "AC" + "5" * 32
DEFAULT_CONFIDENCE = 0.9
SIGNATURE_HEADER = "X-Twilio-Signature"
TWILIO_TIMEOUT_SECONDS = 15  # Twilio gives up on a webhook after 15 s (error 11205)
TWIML_TYPES = frozenset({"text/xml", "application/xml"})
KEYS = frozenset("0123456789*#")
# Twilio's voice verbs: a tag outside this set is not TwiML at all; inside it, the simulator cannot follow it.
TWIML_VERBS = frozenset(
    {"Say", "Play", "Pause", "Gather", "Redirect", "Dial", "Record", "Hangup", "Reject"}
    | {"Enqueue", "Leave", "Connect", "Refer", "Pay", "Prompt", "Sms", "Start", "Stop", "Echo", "Queue"}
)
HEARD_IN_GATHER = frozenset({"Say", "Play", "Pause"})
BREAK = " ... "  # how a <break> inside a <Say> reads in the transcript
ANSWERED_CALL_SECONDS = 60
WORDS_PER_SECOND = 2.5
# A line that redirects this often without waiting for the caller is looping.
MAX_REQUESTS_WITHOUT_CALLER = 50
SETTINGS = ("FRONT_DESK_NUMBER", "ON_CALL_NUMBER")

Wait = Literal["gather", "dial", "record"]
TurnKind = Literal["press", "say", "silence", "answer", "no-answer", "busy", "failed", "record", "hangup"]
FITS: dict[Wait, frozenset[str]] = {
    "gather": frozenset({"press", "say", "silence", "hangup"}),
    "dial": frozenset({"answer", "no-answer", "busy", "failed", "hangup"}),
    "record": frozenset({"record", "silence", "hangup"}),
}
WAITING_FOR: dict[Wait, str] = {
    "gather": "the line is listening (press, say, silence or hangup)",
    "dial": "the line is transferring the call (answer, no-answer, busy, failed or hangup)",
    "record": "the line is recording a message (record, silence or hangup)",
}
DIAL_TYPED: dict[str, TurnKind] = {
    **{"a": "answer", "n": "no-answer", "b": "busy", "f": "failed"},
    **{"answer": "answer", "no-answer": "no-answer", "busy": "busy", "failed": "failed"},
}
DIAL_OUTCOMES = {"no-answer": "no answer", "busy": "busy", "failed": "the call did not go through"}


# ---------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class HttpResponse:
    status: int
    content_type: str  # the media type only, lower case: "text/xml"
    body: bytes


class Transport(Protocol):
    """How the phone reaches the line: over HTTP, or into an in-process app."""

    def post(self, url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> HttpResponse: ...

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> HttpResponse: ...


class TransportError(Exception):
    """The line could not be reached at all."""


class _NoRedirects(HTTPRedirectHandler):
    # A redirect is reported as the status it is: Twilio would follow it with GET and drop the caller's input.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class HttpTransport:
    """The running line, over HTTP with urllib."""

    def __init__(self, timeout: float = TWILIO_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self.opener = build_opener(_NoRedirects)

    def post(self, url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> HttpResponse:
        data = urlencode(form).encode("utf-8")
        headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        return self._open(self._request(url, "POST", headers, data))

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> HttpResponse:
        return self._open(self._request(url, "GET", headers or {}, None))

    def _request(self, url: str, method: str, headers: Mapping[str, str], data: bytes | None) -> UrlRequest:
        if urlsplit(url).scheme not in {"http", "https"}:
            raise TransportError(f"{url}: only http and https URLs can be called")
        headers = {"User-Agent": "TwilioProxy/1.1 (ivr simulator)", **headers}
        return UrlRequest(url, data=data, headers=headers, method=method)  # noqa: S310 (scheme checked above)

    def _open(self, request: UrlRequest) -> HttpResponse:
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return HttpResponse(response.status, response.headers.get_content_type(), response.read())
        except HTTPError as error:
            with error:
                return HttpResponse(error.code, error.headers.get_content_type(), error.read())
        except TimeoutError:
            raise TransportError(
                f"{request.full_url} did not answer within {self.timeout:g} seconds (Twilio gives up after 15)"
            ) from None
        except (URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TransportError(f"could not reach {request.full_url} ({reason}): is the line running?") from None


class FlaskTransport:
    """An in-process line, through Flask's test client."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()

    def post(self, url: str, form: Mapping[str, str], headers: Mapping[str, str]) -> HttpResponse:
        base, path = _split_base(url)
        response = self.client.post(path, data=dict(form), headers=dict(headers), base_url=base)
        return _flask_response(response)

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> HttpResponse:
        base, path = _split_base(url)
        response = self.client.get(path, headers=dict(headers or {}), base_url=base)
        return _flask_response(response)


def _split_base(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", parts.path + (f"?{parts.query}" if parts.query else "")


def _flask_response(response: TestResponse) -> HttpResponse:
    try:
        return HttpResponse(response.status_code, (response.mimetype or "").lower(), response.get_data())
    finally:
        response.close()  # a sent file stays open until the response is closed


# ---------------------------------------------------------------- the caller's side


@dataclass(frozen=True)
class Turn:
    """One thing the caller does while the line waits."""

    kind: TurnKind
    text: str = ""  # the keys, the words or the message
    confidence: float | None = None  # set by `say@0.3`; None means the call's default
    line: int = 0  # where it is in the script, for messages


class ScriptError(ValueError):
    """A script line the simulator cannot read, or one that does not fit the call."""


def parse_script(text: str) -> list[Turn]:
    """Read a call script: one caller turn a line; `#` comments and blank lines are skipped."""
    turns: list[Turn] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            turns.append(_script_turn(line, number))
    return turns


def _script_turn(line: str, number: int) -> Turn:
    command, _, rest = line.partition(" ")
    rest = rest.strip()
    where = f"line {number}"
    if command == "press":
        keys, _, after = rest.partition(" ")  # a key may be "#", so the comment comes after the keys
        if not keys or not set(keys) <= KEYS:
            raise ScriptError(f"{where}: `press` takes keys 0-9, * and #, like `press 1` (got {rest!r})")
        if after.strip() and not after.strip().startswith("#"):
            raise ScriptError(f"{where}: put the keys together, like `press 12` (got {rest!r})")
        return Turn("press", keys, line=number)
    rest = re.split(r"\s#", rest, maxsplit=1)[0].strip()
    if command == "say" or command.startswith("say@"):
        confidence = _script_confidence(command, where) if command != "say" else None
        if not rest:
            raise ScriptError(f"{where}: `say` needs the words the caller says")
        return Turn("say", rest, confidence, number)
    if command == "record":
        return Turn("record", rest, line=number) if rest else Turn("silence", line=number)
    if command in {"silence", "answer", "no-answer", "busy", "failed", "hangup"}:
        if rest:
            raise ScriptError(f"{where}: `{command}` takes nothing after it (got {rest!r})")
        return Turn(command, line=number)  # type: ignore[arg-type]
    raise ScriptError(
        f"{where}: unknown turn {command!r}; use press, say, say@0.5, silence, answer, no-answer, busy, "
        "failed, record or hangup"
    )


def _script_confidence(command: str, where: str) -> float:
    raw = command.removeprefix("say@")
    try:
        confidence = float(raw)
    except ValueError:
        confidence = -1.0
    if not 0.0 <= confidence <= 1.0:
        raise ScriptError(f"{where}: the confidence in `say@{raw}` must be a number from 0 to 1")
    return confidence


def parse_typed(text: str, wait: Wait) -> Turn | None:
    """What a line typed at the keyboard means while the line waits; None when it means nothing here."""
    typed = text.strip()
    if typed.lower() == "/hangup":
        return Turn("hangup")
    if wait == "gather":
        if not typed:
            return Turn("silence")
        return Turn("press", typed) if set(typed) <= KEYS else Turn("say", typed)
    if wait == "record":
        return Turn("record", typed) if typed else Turn("silence")
    kind = DIAL_TYPED.get(typed.lower())
    return Turn(kind) if kind else None


class Caller(Protocol):
    def turn(self, wait: Wait) -> Turn:
        """What the caller does now that the line waits."""
        ...


class ScriptCaller:
    """Plays a parsed script, one turn each time the line waits."""

    def __init__(self, turns: Iterable[Turn]) -> None:
        self.turns = deque(turns)

    def turn(self, wait: Wait) -> Turn:
        if not self.turns:
            return Turn("hangup")
        turn = self.turns.popleft()
        if turn.kind not in FITS[wait]:
            raise ScriptError(f"line {turn.line}: `{turn.kind}` does not fit here: {WAITING_FOR[wait]}")
        return turn


KEYBOARD_PROMPTS: dict[Wait, str] = {
    "gather": "> ",
    "dial": "[the phone rings] answer, no-answer, busy or failed? > ",
    "record": "message> ",
}


class KeyboardCaller:
    """The person at the keyboard; what the line says is spoken meanwhile and stops when they answer."""

    def __init__(self, read: Callable[[str], str] = input, speaker: Speaker | None = None) -> None:
        self.read = read
        self.speaker = speaker

    def turn(self, wait: Wait) -> Turn:
        while True:
            if self.speaker:
                self.speaker.start()
            try:
                typed = self.read(KEYBOARD_PROMPTS[wait])
            except (EOFError, KeyboardInterrupt):
                print()
                return Turn("hangup")
            finally:
                if self.speaker:
                    self.speaker.stop()  # barge-in: the caller answered, the line stops talking
            turn = parse_typed(typed, wait)
            if turn is not None:
                return turn
            print("  type answer, no-answer, busy or failed (or a, n, b, f); /hangup hangs up")


# ---------------------------------------------------------------- what the caller hears


_WORKER = r"""
import json, subprocess, sys
rate, items = int(sys.argv[1]), json.loads(sys.stdin.read())
engine = None
for kind, value in items:
    if kind == "play":
        subprocess.run(["aplay", "-q", value], check=True)
        continue
    if engine is None:
        import pyttsx3
        engine = pyttsx3.init()
        engine.setProperty("rate", rate)
    engine.say(value)
    engine.runAndWait()
"""


class Speaker:
    """Says what the line says aloud, in a child process, so the caller can always type.

    What the line says between two caller turns is queued; `start` speaks it in a new
    child and `stop` ends that child (barge-in). When speaking fails, one short notice
    is printed and the call carries on in text.
    """

    def __init__(self, notice: Callable[[str], None], rate: int = 160, command: Sequence[str] | None = None) -> None:
        self.notice = notice
        self.rate = rate
        self.command = list(command) if command else [sys.executable, "-c", _WORKER]
        self.queue: list[tuple[str, str]] = []
        self.child: subprocess.Popen[bytes] | None = None
        self.aplay = shutil.which("aplay")
        self.files: tempfile.TemporaryDirectory[str] | None = None
        self.working = True
        if command is None:
            missing = _speech_missing()
            if missing:
                self._give_up(missing)

    def say(self, text: str) -> None:
        if self.working:
            self.queue.append(("say", text))

    def play(self, audio: bytes, name: str, text: str | None) -> None:
        """Play rendered audio with aplay when there is one, else speak its text."""
        if not self.working:
            return
        if self.aplay:
            if self.files is None:
                self.files = tempfile.TemporaryDirectory(prefix="ivr-call-")
            path = Path(self.files.name) / f"{len(os.listdir(self.files.name))}-{Path(name).name or 'audio'}"
            path.write_bytes(audio)
            self.queue.append(("play", str(path)))
        elif text:
            self.queue.append(("say", text))

    def start(self) -> None:
        """Speak everything queued since the caller's last turn, without waiting."""
        self._reap()
        items, self.queue = self.queue, []
        if not items or not self.working:
            return
        try:
            self.child = subprocess.Popen(
                [*self.command, str(self.rate)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, so aplay goes too when it is stopped
            )
        except OSError as error:
            self._give_up(str(error))
            return
        assert self.child.stdin is not None
        with contextlib.suppress(OSError):  # a child that died at once is reported by `_reap`
            self.child.stdin.write(json.dumps(items).encode("utf-8"))
            self.child.stdin.close()

    def stop(self) -> None:
        """Stop talking now: the caller has answered."""
        child = self.child
        if child is None:
            return
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
            child.wait()
            self._close(child)
            self.child = None
            return
        self._reap()

    def finish(self) -> None:
        """Say what is left (the goodbye) and wait for it; Ctrl-C cuts it short."""
        self.start()
        if self.child is not None:
            try:
                self.child.wait()
            except KeyboardInterrupt:
                self.stop()
        self._reap()

    def close(self) -> None:
        self.stop()
        if self.files is not None:
            self.files.cleanup()
            self.files = None

    def _reap(self) -> None:
        """Collect a child that has finished; a failed one turns speaking off."""
        child = self.child
        if child is None or child.poll() is None:
            return
        self.child = None
        error = child.stderr.read().decode("utf-8", "replace") if child.stderr else ""
        self._close(child)
        if child.returncode != 0:
            lines = [line.strip() for line in error.splitlines() if line.strip()]
            self._give_up(lines[-1][:120] if lines else f"exit status {child.returncode}")

    def _close(self, child: subprocess.Popen[bytes]) -> None:
        for stream in (child.stdin, child.stderr):
            if stream is not None:
                stream.close()

    def _give_up(self, reason: str) -> None:
        if self.working:
            self.working = False
            self.queue = []
            self.notice(f"(speaking is off: {reason}; the call carries on in text)")


def _speech_missing() -> str | None:
    """Why the line cannot be spoken aloud here, found without importing pyttsx3."""
    if importlib.util.find_spec("pyttsx3") is None:
        return "pyttsx3 is not installed"
    if sys.platform.startswith("linux") and not (shutil.which("espeak-ng") or shutil.which("espeak")):
        return "pyttsx3 needs espeak-ng (apt-get install espeak-ng)"
    return None


class Console:
    """Prints the call, one line per thing said or done, and hands what the line says to the speaker."""

    def __init__(self, out: TextIO, speaker: Speaker | None = None) -> None:
        self.out = out
        self.speaker = speaker

    def line(self, text: str) -> None:
        self._print(f"LINE: {text}")
        if self.speaker:
            self.speaker.say(text)

    def audio(self, text: str | None, name: str, audio: bytes) -> None:
        self._print(f"LINE: {text}" if text else f"LINE: [audio {name}]")
        if self.speaker:
            self.speaker.play(audio, name, text)

    def caller(self, text: str) -> None:
        self._print(f"CALLER: {text}")

    def event(self, text: str) -> None:
        self._print(f"[{text}]")

    def problem(self, text: str) -> None:
        self._print(f"[problem: {text}]")

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)


# ---------------------------------------------------------------- following TwiML


class LineError(Exception):
    """The line misbehaved: unreachable, a bad status, something that is not TwiML, a <Play> that is not audio."""


@dataclass(frozen=True)
class Identity:
    """The call as Twilio describes it in every request."""

    call_sid: str
    caller: str = CALLER_NUMBER
    line: str = LINE_NUMBER
    account_sid: str = ACCOUNT_SID

    def form(self, status: str, extra: Mapping[str, str]) -> dict[str, str]:
        return {
            "CallSid": self.call_sid,
            "AccountSid": self.account_sid,
            "From": self.caller,
            "To": self.line,
            "Caller": self.caller,
            "Called": self.line,
            "CallStatus": status,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **extra,
        }


def new_sid(prefix: str) -> str:
    """A random Twilio-style id: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


@dataclass(frozen=True)
class Request:
    """The next request the phone makes: where, how, and what beyond the call's own parameters."""

    url: str
    method: str = "POST"
    params: Mapping[str, str] = field(default_factory=dict)
    status: str = "in-progress"


@dataclass(frozen=True)
class Document:
    url: str
    root: ET.Element


@dataclass(frozen=True)
class Ending:
    how: Literal["line", "end", "caller", "rejected", "problem"]

    @property
    def ok(self) -> bool:
        return self.how != "problem"


ENDINGS = {
    "line": "the line hung up",
    "end": "the TwiML ended: the line hung up",
    "caller": "the caller hung up",
    "rejected": "the line rejected the call",
}


@dataclass(frozen=True)
class Listening:
    """A <Gather>'s attributes, checked."""

    action: str
    method: str
    keys: bool
    speech: bool
    num_digits: int | None
    finish_on_key: str
    timeout: int
    action_on_empty: bool

    @classmethod
    def read(cls, element: ET.Element, url: str) -> Listening:
        inputs = (element.get("input") or "dtmf").split()
        if not inputs or not set(inputs) <= {"dtmf", "speech"}:
            raise LineError(f'<Gather input="{element.get("input")}">: input must be dtmf, speech or both')
        finish = element.get("finishOnKey", "#")
        if len(finish) > 1 or not set(finish) <= KEYS:
            raise LineError(f'<Gather finishOnKey="{finish}">: must be one key, or empty')
        empty = element.get("actionOnEmptyResult", "false").lower()
        if empty not in {"true", "false"}:
            raise LineError(f'<Gather actionOnEmptyResult="{empty}">: must be true or false')
        digits = element.get("numDigits")
        return cls(
            action=urljoin(url, element.get("action") or url),
            method=_method(element),
            keys="dtmf" in inputs,
            speech="speech" in inputs,
            num_digits=_whole_number(element, "numDigits", 1) if digits is not None else None,
            finish_on_key=finish,
            timeout=_whole_number(element, "timeout", 5),
            action_on_empty=empty == "true",
        )

    def take_keys(self, pressed: str) -> str:
        """The keys Twilio submits: up to the finish key, or numDigits of them."""
        taken = ""
        for key in pressed:
            if self.finish_on_key and key == self.finish_on_key:
                break
            taken += key
            if self.num_digits is not None and len(taken) >= self.num_digits:
                break
        return taken


def _method(element: ET.Element) -> str:
    method = element.get("method", "POST").upper()
    if method not in {"GET", "POST"}:
        raise LineError(f'<{element.tag} method="{element.get("method")}">: must be GET or POST')
    return method


def _whole_number(element: ET.Element, name: str, default: int, minimum: int = 1) -> int:
    raw = element.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or int(raw) < minimum:
        raise LineError(f'<{element.tag} {name}="{raw}">: must be a whole number of at least {minimum}')
    return int(raw)


def spoken_text(say: ET.Element) -> str:
    """A <Say>'s words, SSML tags dropped, each <break> read as a short pause."""
    pieces: list[str] = []
    current: list[str] = []

    def walk(element: ET.Element) -> None:
        current.append(element.text or "")
        for child in element:
            if child.tag == "break":
                pieces.append(" ".join("".join(current).split()))
                current.clear()
            else:
                walk(child)
            current.append(child.tail or "")

    walk(say)
    pieces.append(" ".join("".join(current).split()))
    return BREAK.join(piece for piece in pieces if piece)


def parse_twiml(url: str, response: HttpResponse) -> ET.Element:
    """The <Response> element of a webhook's answer; LineError when the answer is not TwiML."""
    if response.status != 200:
        first = response.body.decode("utf-8", "replace").strip().splitlines()
        detail = f": {first[0][:120]}" if first and response.content_type == "text/plain" else ""
        hint = ""
        if response.status == 403:
            hint = " (is TWILIO_AUTH_TOKEN the same here as for the line, and is PUBLIC_BASE_URL right?)"
        raise LineError(f"{url} answered HTTP {response.status}{detail}{hint}")
    if response.content_type not in TWIML_TYPES:
        raise LineError(f"{url} answered {response.content_type or 'no content type'}, not TwiML (text/xml)")
    try:
        # The simulator reads the answers of the line under test, a server its user runs.
        root = ET.fromstring(response.body)  # noqa: S314
    except ET.ParseError as error:
        raise LineError(f"{url} answered XML that does not parse ({error})") from None
    if root.tag != "Response":
        raise LineError(f"{url} answered <{root.tag}>, not TwiML (the root must be <Response>)")
    return root


Outcome = Request | Ending | None  # what a verb leads to: a new document, the end, or the next verb


class Phone:
    """One call: makes Twilio's requests, follows the TwiML and asks the caller at each wait."""

    def __init__(
        self,
        transport: Transport,
        token: str,
        caller: Caller,
        console: Console,
        *,
        identity: Identity | None = None,
        names: Mapping[str, str] | None = None,
        audio_names: Mapping[str, str] | None = None,
        confidence: float = DEFAULT_CONFIDENCE,
    ) -> None:
        self.transport = transport
        self.validator = RequestValidator(token)
        self.caller = caller
        self.console = console
        self.identity = identity or Identity(new_sid("CA"))
        self.names = {_digits(number): name for number, name in (names or {}).items()}
        self.audio_names = audio_names or {}
        self.confidence = confidence
        self.waits = 0  # how often the caller was asked, to tell a loop from a call
        self.verbs: dict[str, Callable[[ET.Element, str], Outcome]] = {
            "Say": self.say,
            "Play": self.play,
            "Pause": self.pause,
            "Gather": self.gather,
            "Redirect": self.redirect,
            "Dial": self.dial,
            "Record": self.record,
            "Hangup": lambda element, url: Ending("line"),
            "Reject": lambda element, url: Ending("rejected"),
        }

    def call(self, url: str) -> Ending:
        """Place the call at `url` and follow it to its end."""
        request = Request(url)
        unanswered = 0
        try:
            while True:
                waits_before = self.waits
                outcome = self.follow(self.fetch(request))
                unanswered = 0 if self.waits > waits_before else unanswered + 1
                if unanswered > MAX_REQUESTS_WITHOUT_CALLER:
                    raise LineError(f"{unanswered} requests in a row without waiting for the caller: a loop")
                if isinstance(outcome, Ending):
                    self.console.event(ENDINGS[outcome.how])
                    return outcome
                request = outcome
        except LineError as problem:
            self.console.problem(str(problem))
            return Ending("problem")

    def ask(self, wait: Wait) -> Turn:
        self.waits += 1
        return self.caller.turn(wait)

    def fetch(self, request: Request) -> Document:
        """Make one signed request as Twilio would and read the TwiML it answers."""
        form = self.identity.form(request.status, request.params)
        try:
            if request.method == "GET":
                url = request.url + ("&" if "?" in request.url else "?") + urlencode(form)
                response = self.transport.get(url, {SIGNATURE_HEADER: self.sign(url, {})})
            else:
                response = self.transport.post(request.url, form, {SIGNATURE_HEADER: self.sign(request.url, form)})
        except TransportError as error:
            raise LineError(str(error)) from None
        return Document(request.url, parse_twiml(request.url, response))

    def sign(self, url: str, form: Mapping[str, str]) -> str:
        """X-Twilio-Signature for a request, exactly as Twilio computes it."""
        return self.validator.compute_signature(url, dict(form))

    def follow(self, document: Document) -> Outcome:
        """Run a document's verbs in order until one leads elsewhere; at its end Twilio hangs up."""
        for element in document.root:
            outcome = self.verb(element)(element, document.url)
            if outcome is not None:
                return outcome
        return Ending("end")

    def verb(self, element: ET.Element) -> Callable[[ET.Element, str], Outcome]:
        handler = self.verbs.get(element.tag)
        if handler is not None:
            return handler
        if element.tag in TWIML_VERBS:
            raise LineError(f"<{element.tag}> is TwiML, but the simulator cannot follow it")
        raise LineError(f"<{element.tag}> is not a TwiML verb")

    # ------------------------------------------------------------ what the caller hears

    def say(self, element: ET.Element, url: str) -> Outcome:
        text = spoken_text(element)
        repeats = _whole_number(element, "loop", 1, minimum=0)
        for _ in range(max(repeats, 1)):
            self.console.line(text)
        if repeats == 0:
            self.console.event("said over and over until the caller does something")
        return None

    def play(self, element: ET.Element, url: str) -> Outcome:
        target = (element.text or "").strip()
        if not target:
            if element.get("digits"):
                self.console.event(f"the line sends the keys {element.get('digits')}")
                return None
            raise LineError("<Play> has no URL")
        audio_url = urljoin(url, target)
        try:
            response = self.transport.get(audio_url)
        except TransportError as error:
            raise LineError(f"<Play> {error}") from None
        if response.status != 200:
            raise LineError(f"<Play> {audio_url} answered HTTP {response.status}, not audio")
        if not response.content_type.startswith("audio/"):
            raise LineError(f"<Play> {audio_url} answered {response.content_type or 'no content type'}, not audio")
        name = posixpath.basename(urlsplit(audio_url).path)
        self.console.audio(self.audio_names.get(name), name, response.body)
        return None

    def pause(self, element: ET.Element, url: str) -> Outcome:
        seconds = _whole_number(element, "length", 1, minimum=0)
        self.console.event(f"a pause of {seconds} second{'s' if seconds != 1 else ''}")
        return None

    # ------------------------------------------------------------ where the call goes

    def redirect(self, element: ET.Element, url: str) -> Outcome:
        target = (element.text or "").strip()
        return Request(urljoin(url, target) if target else url, _method(element))

    def gather(self, element: ET.Element, url: str) -> Outcome:
        listening = Listening.read(element, url)
        for child in element:
            if child.tag not in HEARD_IN_GATHER:
                raise LineError(f"<Gather> may hold only <Say>, <Play> and <Pause>, not <{child.tag}>")
            self.verb(child)(child, url)
        turn = self.ask("gather")
        if turn.kind == "hangup":
            return Ending("caller")
        params: dict[str, str] = {}
        if turn.kind == "press":
            self.console.caller(f"presses {turn.text}")
            keys = listening.take_keys(turn.text) if listening.keys else ""
            if not listening.keys:
                self.console.event("the line is not listening for keys here")
            elif keys != turn.text.rstrip(listening.finish_on_key or " "):
                self.console.event(f"the line takes {keys or 'no keys'}")
            if keys:
                params = {"Digits": keys}
        elif turn.kind == "say":
            shown = f" (confidence {turn.confidence:g})" if turn.confidence is not None else ""
            self.console.caller(f'says "{turn.text}"{shown}')
            confidence = self.confidence if turn.confidence is None else turn.confidence
            if listening.speech:
                params = {"SpeechResult": turn.text, "Confidence": f"{confidence:g}"}
            else:
                self.console.event("the line is not listening for speech here")
        else:
            self.console.caller("(silence)")
        if params or listening.action_on_empty:
            return Request(listening.action, listening.method, params)
        return None  # no input: Twilio goes on with the verbs after the <Gather>

    def dial(self, element: ET.Element, url: str) -> Outcome:
        action = element.get("action")
        action_url = urljoin(url, action) if action else None
        method = _method(element)
        _whole_number(element, "timeout", 30)
        numbers = self.dialled(element)
        self.console.event("transferring to " + " and ".join(self.describe(number) for number in numbers))
        turn = self.ask("dial")
        if turn.kind == "hangup":
            return Ending("caller")
        sid = new_sid("CA")
        if turn.kind == "answer":
            self.console.event("answered; the caller talks, then hangs up")
            if action_url:
                # Twilio still tells the action how the transfer ended; the caller is gone, so nothing is heard.
                done = {
                    "DialCallStatus": "completed",
                    "DialCallDuration": str(ANSWERED_CALL_SECONDS),
                    "DialCallSid": sid,
                }
                self.fetch(Request(action_url, method, done, status="completed"))
            return Ending("caller")
        self.console.event(DIAL_OUTCOMES[turn.kind])
        if action_url is None:
            return None  # without an action the document goes on after the <Dial>
        return Request(action_url, method, {"DialCallStatus": turn.kind, "DialCallDuration": "0", "DialCallSid": sid})

    def dialled(self, element: ET.Element) -> list[str]:
        numbers: list[str] = []
        for noun in element:
            if noun.tag != "Number":
                raise LineError(f"<Dial><{noun.tag}>: the simulator can dial only <Number>")
            numbers.append((noun.text or "").strip())
        if not numbers and (element.text or "").strip():
            numbers.append((element.text or "").strip())
        if not numbers or not all(numbers):
            raise LineError("<Dial> has no number to call")
        return numbers

    def describe(self, number: str) -> str:
        """A dialled number as the transcript names it: who it is, and the number read in groups."""
        name = self.names.get(_digits(number))
        spoken = spoken_number(number)
        return f"{name} at {spoken}" if name else spoken

    def record(self, element: ET.Element, url: str) -> Outcome:
        action_url = urljoin(url, element.get("action") or url)
        method = _method(element)
        longest = _whole_number(element, "maxLength", 3600)
        finish_keys = element.get("finishOnKey", "1234567890*#")
        self.console.event(
            f"recording a message, up to {longest} seconds; type your message or press Enter for silence"
        )
        turn = self.ask("record")
        if turn.kind == "hangup":
            return Ending("caller")
        if turn.kind == "silence":
            self.console.caller("(silence)")
            return None  # nothing recorded: Twilio goes on with the next verb
        sid = new_sid("RE")
        params = {
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{self.identity.account_sid}/Recordings/{sid}",
            "RecordingDuration": str(min(longest, max(1, math.ceil(len(turn.text.split()) / WORDS_PER_SECOND)))),
            "RecordingSid": sid,
        }
        ending = ""
        if "#" in finish_keys:
            params["Digits"] = "#"  # the key that ended the recording, as Twilio reports it
            ending = ", then presses #"
        self.console.caller(f'records "{turn.text}"{ending}')
        return Request(action_url, method, params)


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


# ---------------------------------------------------------------- setting up a call


class UsageError(ValueError):
    """The command line asks for something that cannot be done."""


@dataclass(frozen=True)
class Setup:
    """Where the call goes and what the simulator knows about the line."""

    transport: Transport
    token: str
    names: Mapping[str, str]
    audio_dir: Path
    tts_rate: int
    description: str
    voice_url: str | None = None  # where Twilio would call this line, when the settings say


def line_names(config: Config | None, environ: Mapping[str, str]) -> dict[str, str]:
    """The people the line transfers to, by number: the front desk and the on-call clinician."""
    if config is not None:
        front_desk, on_call = config.front_desk_number, config.on_call_number
    else:
        front_desk, on_call = (environ.get(name, "") for name in SETTINGS)
    names = {front_desk: "the front desk", on_call: "the on-call clinician"}
    return {number: name for number, name in names.items() if _digits(number)}


def audio_names(directory: Path) -> dict[str, str]:
    """Rendered audio file name -> its text, from the manifest; empty when there is none."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        return {str(name): str(text) for text, name in data["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def fixed_clock(at: str, timezone: str) -> Callable[[], dt.datetime]:
    """A clock stopped at `at` ("YYYY-MM-DD HH:MM"), office time in `timezone`."""
    try:
        local = dt.datetime.strptime(at, "%Y-%m-%d %H:%M")
    except ValueError:
        raise UsageError(f'--at "{at}": give the office time as "YYYY-MM-DD HH:MM", like "2026-11-24 10:00"') from None
    try:
        moment = local.replace(tzinfo=ZoneInfo(timezone))
    except ZoneInfoNotFoundError:
        raise UsageError(f"OFFICE_TIMEZONE {timezone!r} is not a known time zone") from None
    return lambda: moment


def local_setup(at: str | None, environ: Mapping[str, str]) -> Setup:
    """An in-process line built from the environment, checking signatures with the simulator's token."""
    from ivr.web import create_app  # Flask only when the line runs in this process

    token = environ.get("TWILIO_AUTH_TOKEN") or LOCAL_DEV_TOKEN
    env = {"LOG_LEVEL": "WARNING", **environ, "TWILIO_AUTH_TOKEN": token}
    config = tool_config(env)
    if at is None:
        app = create_app(config)
        when = "the real time"
    else:
        app = create_app(config, clock=fixed_clock(at, config.office_timezone))
        when = f"{at} {config.office_timezone}"
    return Setup(
        FlaskTransport(app),
        token,
        line_names(config, env),
        config.audio_dir,
        config.tts_rate,
        f"the line in this process, at {when}",
        # The line checks signatures against its public URL, so the call must be made to that URL.
        f"{config.public_base_url}/voice" if config.public_base_url else None,
    )


def http_setup(environ: Mapping[str, str]) -> Setup:
    """The running line over HTTP; the local settings only name numbers and audio files."""
    token = environ.get("TWILIO_AUTH_TOKEN") or LOCAL_DEV_TOKEN
    try:
        config: Config | None = tool_config(dict(environ))
    except ConfigError:
        config = None
    audio_dir = config.audio_dir if config else PROJECT_ROOT / "prompts" / "audio"
    return Setup(
        HttpTransport(),
        token,
        line_names(config, environ),
        audio_dir,
        config.tts_rate if config else 160,
        "the running line",
    )


# ---------------------------------------------------------------- the command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `python -m ivr call`."""
    parser.add_argument("url", nargs="?", default=DEFAULT_URL, help=f"the line's voice URL (default {DEFAULT_URL})")
    parser.add_argument("--local", action="store_true", help="call a line built in this process, not a running one")
    parser.add_argument("--script", metavar="FILE", help="play a scripted call and print its transcript")
    parser.add_argument("--at", metavar='"YYYY-MM-DD HH:MM"', help="with --local: the office time to call at")
    parser.add_argument("--from", dest="caller", default=CALLER_NUMBER, help=f"the caller's number ({CALLER_NUMBER})")
    parser.add_argument(
        "--confidence",
        type=float,
        default=DEFAULT_CONFIDENCE,
        help=f"recognition confidence sent with typed speech (default {DEFAULT_CONFIDENCE})",
    )
    parser.add_argument("--quiet", action="store_true", help="print only; do not speak or play anything")


def main(args: argparse.Namespace) -> int:
    """Make one call; 0 when it ended normally, 1 when the line misbehaved, 2 for a usage or script error."""
    try:
        return _run(args, os.environ)
    except (UsageError, ScriptError) as error:
        where = f"{args.script}: " if isinstance(error, ScriptError) and args.script else ""
        print(f"{where}{error}", file=sys.stderr)
        return 2
    except (ConfigError, ContentError, PromptsError) as error:
        print(f"the line cannot start: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    if args.at and not args.local:
        raise UsageError("--at needs --local: a running line keeps its own clock")
    if not 0.0 <= args.confidence <= 1.0:
        raise UsageError("--confidence must be from 0 to 1")
    turns = _read_script(args.script) if args.script else None
    setup = local_setup(args.at, environ) if args.local else http_setup(environ)
    url = setup.voice_url if setup.voice_url and args.url == DEFAULT_URL else args.url
    speaker = None
    if turns is None and not args.quiet:
        speaker = Speaker(lambda text: print(text, flush=True), rate=setup.tts_rate)
    console = Console(sys.stdout, speaker)
    caller: Caller = ScriptCaller(turns) if turns is not None else KeyboardCaller(speaker=speaker)
    if turns is None:
        print(f"Calling {url} ({setup.description}).")
        print("Type keys (1, 0, *, #, or several like 12) or words to say them; Enter alone is silence;")
        print("/hangup or Ctrl-D hangs up.")
    phone = Phone(
        setup.transport,
        setup.token,
        caller,
        console,
        identity=Identity(new_sid("CA"), caller=args.caller),
        names=setup.names,
        audio_names=audio_names(setup.audio_dir),
        confidence=args.confidence,
    )
    try:
        try:
            ending = phone.call(url)
        except KeyboardInterrupt:
            print()
            console.event(ENDINGS["caller"])
            ending = Ending("caller")
        if speaker and ending.how in {"line", "end", "rejected"}:
            speaker.finish()  # the goodbye is heard to its end
    finally:
        if speaker:
            speaker.close()
    if isinstance(caller, ScriptCaller) and caller.turns and ending.ok:
        print(f"{args.script}: the call ended before script line {caller.turns[0].line}", file=sys.stderr)
    return 0 if ending.ok else 1


def _read_script(path: str) -> list[Turn]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{path}: cannot read the script ({error.strerror})") from None
    return parse_script(text)
