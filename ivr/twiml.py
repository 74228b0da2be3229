"""Render a flow `Reply` as TwiML with twilio's `VoiceResponse`.

One place decides how the line sounds on Twilio: the voice and language of every
`<Say>`, short pauses between sentences, `<Play>` for phrases with rendered audio,
and the `<Gather>` attributes that every menu shares. Text always goes through the
XML builder, so nothing in the content or the prompts can become markup.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass

from twilio.twiml.voice_response import Gather
from twilio.twiml.voice_response import Say
from twilio.twiml.voice_response import VoiceResponse

from ivr.flow import Hangup
from ivr.flow import Menu
from ivr.flow import Reply
from ivr.flow import State
from ivr.flow import Transfer
from ivr.flow import Utterance
from ivr.flow import Voicemail

# Polly refuses a <Say> longer than 3000 characters; stay well below.
MAX_SAY_CHARS = 2500
# About 45 seconds of speech: a longer <Say> groups several sentences a caller must hold in mind
# (checklist D6). A single utterance is never split; content chunks are at most 120 words already.
MAX_SAY_WORDS = 120


@dataclass(frozen=True)
class Voice:
    """How the line speaks and listens."""

    voice: str = "Polly.Joanna-Neural"
    language: str = "en-US"
    speech_model: str = "phone_call"
    speech_timeout: int = 3


AudioLookup = Callable[[str], str | None]  # text -> URL of its rendered audio, or None
UrlForState = Callable[[State], str]


def _no_audio(text: str) -> str | None:
    return None


class Renderer:
    def __init__(self, voice: Voice, url_for: UrlForState, audio_url: AudioLookup = _no_audio) -> None:
        self.voice = voice
        self.url_for = url_for
        self.audio_url = audio_url

    def render(self, reply: Reply) -> str:
        response = VoiceResponse()
        self._speak(response, reply.say, 400)
        step = reply.next
        if isinstance(step, Menu):
            action = self.url_for(step.state)
            gather = Gather(
                input="dtmf speech",
                action=action,
                method="POST",
                timeout=step.timeout,
                num_digits=1,
                finish_on_key="",
                language=self.voice.language,
                hints=", ".join(step.hints),
                speech_timeout=self.voice.speech_timeout,
                speech_model=self.voice.speech_model or None,
                profanity_filter=False,
            )
            self._speak(gather, step.prompt, step.pause_ms)
            response.append(gather)
            # Silence falls through the <Gather>: post back to the same place, with no input.
            response.redirect(action, method="POST")
        elif isinstance(step, Transfer):
            dial = response.dial(
                action=self.url_for(step.state), method="POST", timeout=step.timeout, answer_on_bridge=True
            )
            dial.number(step.number)
        elif isinstance(step, Voicemail):
            action = self.url_for(step.state)
            response.record(
                action=action,
                method="POST",
                max_length=step.max_seconds,
                timeout=5,
                finish_on_key="#",
                play_beep=True,
                trim="trim-silence",
            )
            # When nothing was recorded Twilio goes on to the next verb.
            response.redirect(action, method="POST")
        elif isinstance(step, Hangup):
            response.hangup()
        return str(response)

    def _speak(self, parent: VoiceResponse | Gather, utterances: Sequence[Utterance], pause_ms: int) -> None:
        """Say (or play) utterances in order, grouping consecutive spoken ones into one <Say>."""
        say: Say | None = None
        length = 0
        words = 0
        for utterance in utterances:
            url = self.audio_url(utterance.text)
            if url is not None:
                parent.play(url)
                say = None
                continue
            count = len(utterance.text.split())
            if say is None or length + len(utterance.text) > MAX_SAY_CHARS or words + count > MAX_SAY_WORDS:
                say = Say(voice=self.voice.voice, language=self.voice.language)
                parent.append(say)
                length = 0
                words = 0
            elif length:
                say.break_(time=f"{pause_ms}ms")
            say.append(utterance.text)
            length += len(utterance.text)
            words += count
