"""The Flask adapter: check Twilio's signature, read the form, run the flow, answer TwiML.

Routes Twilio calls (all POST, all signed):
  /voice            the number's incoming-call webhook
  /voice/step       every action URL the line hands out (menus, transfers, messages)
  /voice/fallback   the number's fallback URL: an apology and a person
Routes for everyone else:
  GET /health       200 when the line is up
  GET /audio/<file> rendered prompt audio, when PROMPT_AUDIO=1
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import traceback
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import abort
from flask import current_app
from flask import request
from flask import send_from_directory
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr import audio
from ivr import flow
from ivr.config import Config
from ivr.events import EventSink
from ivr.events import LogEventSink
from ivr.line import load_line
from ivr.privacy import pseudonym
from ivr.text import MAX_INPUT_CHARS
from ivr.twiml import Renderer
from ivr.twiml import Voice

log = logging.getLogger("ivr.web")
Clock = Callable[[], dt.datetime]
DIAL_STATUSES = frozenset({"completed", "answered", "busy", "no-answer", "failed", "canceled"})
KEYS = frozenset("0123456789*#")
RECORDING_SID = re.compile(r"RE[0-9a-f]{32}")

bp = Blueprint("twilio", __name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LineApp:
    """What the routes share, built once in `create_app`."""

    def __init__(self, config: Config, clock: Clock, events: EventSink) -> None:
        self.config = config
        self.clock = clock
        self.events = events
        self.line = load_line(config)
        self.validator = RequestValidator(config.auth_token) if config.auth_token else None
        self.voice = Voice(config.say_voice, config.language, config.speech_model, config.speech_timeout)
        self.audio = audio.AudioCatalogue.load(config.audio_dir) if config.prompt_audio else None
        if config.prompt_audio and (self.audio is None or not self.audio.files):
            log.warning("PROMPT_AUDIO=1 but no rendered audio in %s: run `make prompts`; using <Say>", config.audio_dir)
        if self.line.intents.model is None:
            log.warning(
                "No %s.intents.json in %s: urgent words and requests are heard by the word lists alone",
                config.language,
                config.prompts_dir,
            )

    def base_url(self) -> str:
        return self.config.public_base_url or request.host_url.rstrip("/")

    def renderer(self) -> Renderer:
        base = self.base_url()

        def url_for_state(state: flow.State) -> str:
            return f"{base}/voice/step?{urlencode(state.to_query())}"

        def audio_url(text: str) -> str | None:
            name = self.audio.file_for(text) if self.audio else None
            return f"{base}/audio/{name}" if name else None

        return Renderer(self.voice, url_for_state, audio_url)

    def requested_url(self) -> str:
        """The URL Twilio signed: the public base URL when set, else what the proxy told us."""
        base = self.config.public_base_url or f"{request.scheme}://{request.host}"
        query = request.query_string.decode("ascii", "replace")
        return f"{base}{request.path}" + (f"?{query}" if query else "")

    def apology(self) -> str:
        """TwiML for when something broke: sorry, the emergency sentence, and a person.

        The transfer's outcome goes to the usual handling (a goodbye, or a message when nobody
        answers). Should even that fail, a plain transfer to the front desk is the last resort.
        """
        try:
            return self.renderer().render(flow.apology(self.line, self.clock()))
        except Exception as exc:  # the apology itself must never fail; its message may quote the caller
            log.error("the apology could not be built (%s); sending the plain transfer", type(exc).__name__)
            response = VoiceResponse()
            prompts = self.line.prompts
            words = " ".join(prompts.phrase(key) for key in ("apology", "emergency", "apology_connecting"))
            response.say(words, voice=self.voice.voice, language=self.voice.language)
            response.dial(timeout=self.line.settings.dial_timeout).number(self.line.settings.front_desk_number)
            return str(response)


def line_app() -> LineApp:
    return current_app.extensions["ivr"]


def twiml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")


@bp.before_request
def check_signature() -> Response | None:
    app = line_app()
    if app.validator is None:
        return None  # IVR_INSECURE_LOCAL_DEV without a token: warned about at start-up
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not app.validator.validate(app.requested_url(), request.form, signature):
        log.warning("refused a request with a %s signature to %s", "wrong" if signature else "missing", request.path)
        return Response("Forbidden: the request is not signed by Twilio.\n", status=403, mimetype="text/plain")
    return None


def caller_input() -> flow.CallerInput:
    form = request.form
    digits = "".join(ch for ch in form.get("Digits", "")[:20] if ch in KEYS)
    speech = form.get("SpeechResult", "")[:MAX_INPUT_CHARS]
    confidence: float | None
    try:
        confidence = float(form.get("Confidence", ""))
        confidence = confidence if 0.0 <= confidence <= 1.0 else None
    except ValueError:
        confidence = None
    status = form.get("DialCallStatus", "").strip().lower()
    try:
        duration = int(form.get("RecordingDuration", "1") or "1")
    except ValueError:
        duration = 1
    recorded = bool(form.get("RecordingUrl") or form.get("RecordingSid")) and duration > 0
    sid = form.get("RecordingSid", "")
    recording = sid if RECORDING_SID.fullmatch(sid) else ""
    return flow.CallerInput(digits, speech, confidence, status if status in DIAL_STATUSES else "", recorded, recording)


def answer(run: Callable[[LineApp], flow.Reply], where: str, note: str) -> Response:
    """Run one step of the flow; whatever goes wrong, the caller hears an apology and a person."""
    app = line_app()
    call = pseudonym(app.config.pseudonym_key, request.form.get("CallSid", ""))
    log.info("call=%s at=%s %s", call, where, note)
    try:
        reply = run(app)
        body = app.renderer().render(reply)
    except Exception as exc:
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        place = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
        # The exception's message may quote what the caller said: log its type and place only.
        log.error(
            "call=%s at=%s internal error %s at %s; answered with the apology", call, where, type(exc).__name__, place
        )
        return twiml(app.apology())
    for event in reply.events:
        try:
            app.events.record(call, event)
        except Exception as exc:  # losing a record must not lose the call
            log.error("call=%s could not record event %s: %s", call, event.name, type(exc).__name__)
    return twiml(body)


@bp.post("/voice")
def incoming_call() -> Response:
    caller = pseudonym(line_app().config.pseudonym_key, request.form.get("From", ""))
    return answer(lambda app: flow.start(app.line, app.clock()), "start", f"caller={caller} started")


@bp.post("/voice/step")
def next_step() -> Response:
    state = flow.State.from_query(request.args)
    said = caller_input()
    kind = "speech" if said.speech.strip() else ("keys" if said.digits else "none")
    key = f" key={said.digits}" if kind == "keys" and len(said.digits) == 1 else ""
    return answer(lambda app: flow.step(app.line, state, said, app.clock()), state.at, f"input={kind}{key}")


@bp.post("/voice/fallback")
def fallback() -> Response:
    log.error("Twilio called the fallback URL (error code %s)", request.form.get("ErrorCode", "?")[:10])
    return twiml(line_app().apology())


def health() -> Response:
    return Response("ok\n", status=200, mimetype="text/plain")


def audio_file(name: str) -> Response:
    app = line_app()
    if app.audio is None or name not in app.audio.files:
        abort(404)
    response = send_from_directory(app.config.audio_dir, name, mimetype="audio/wav", max_age=86400 * 365)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def create_app(config: Config, *, clock: Clock = utc_now, events: EventSink | None = None) -> Flask:
    """Build the line's Flask app from checked settings. Raises if content or prompts are broken."""
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if config.insecure_local_dev and not config.auth_token:
        log.warning(
            "!!! IVR_INSECURE_LOCAL_DEV=1 and no TWILIO_AUTH_TOKEN: requests are NOT checked for Twilio's "
            "signature. Anyone who can reach this server can drive it. Never use this setting in production. !!!"
        )
    app = Flask(__name__)
    app.extensions["ivr"] = LineApp(config, clock, events or LogEventSink())
    if config.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config.trusted_proxies, x_proto=config.trusted_proxies, x_host=config.trusted_proxies
        )
    app.register_blueprint(bp)
    app.add_url_rule("/health", "health", health, methods=["GET"])
    app.add_url_rule("/audio/<name>", "audio", audio_file, methods=["GET"])
    return app
