"""Walk every path of the call flow, as a very patient caller would.

Starting from a new call, at office hours and after hours, the crawler tries every
key, silence, the spoken commands, every option's name and every FAQ question at
every menu, and follows where each leads. What it collects is the whole line: every
reply (for the conformance tests) and every sentence (for `make script` and for
rendering audio). The flow is pure, so a full crawl takes well under a second.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import deque
from collections.abc import Hashable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace
from typing import cast

from ivr import flow
from ivr import hours
from ivr.flow import CallerInput
from ivr.flow import Line
from ivr.flow import Reply
from ivr.flow import State
from ivr.flow import Utterance
from ivr.intents import Intents
from ivr.matching import Matcher
from ivr.prompts import SAY_KEYS

KEYS = tuple("0123456789*#")
COMMANDS = ("repeat", "help", "go back", "main menu", "operator", "yes", "no", "next", "ask a question")
OUT_OF_SCOPE = "what will the weather be like tomorrow"
URGENT = "I can't breathe"


@dataclass(frozen=True)
class Visit:
    """One request of the crawl: where, what was done, at which time, and the reply."""

    state: State | None  # None for the incoming call
    said: CallerInput
    now: dt.datetime
    reply: Reply


def sample_instants(line: Line, start: dt.date | None = None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """An instant when the office is open and one when it is closed, in the coming two weeks."""
    zone = line.schedule.timezone
    day = start or dt.datetime.now(zone).date()
    open_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    for offset in range(14 * 24):
        instant = dt.datetime.combine(day, dt.time(0, 30), tzinfo=zone) + dt.timedelta(hours=offset)
        if hours.is_open(line.schedule, instant):
            open_at = open_at or instant
        else:
            closed_at = closed_at or instant
        if open_at and closed_at:
            break
    return open_at, closed_at


def inputs_for(line: Line, state: State) -> Iterator[CallerInput]:
    if state.at in {flow.DIAL_DESK, flow.DIAL_ON_CALL}:
        yield CallerInput(dial_status="completed")
        yield CallerInput(dial_status="no-answer")
        return
    if state.at == flow.VOICEMAIL:
        yield CallerInput(recorded=True)
        yield CallerInput()
        return
    yield CallerInput()
    for key in KEYS:
        yield CallerInput(digits=key)
    for command in COMMANDS:
        yield CallerInput(speech=command)
    yield CallerInput(speech=URGENT)
    yield CallerInput(speech=OUT_OF_SCOPE)
    for procedure in line.library.procedures:
        yield CallerInput(speech=procedure.spoken_name)
        for section in procedure.sections:
            yield CallerInput(speech=section.menu_name)
        for faq in procedure.faqs:
            yield CallerInput(speech=faq.question)
            yield CallerInput(speech=faq.question, confidence=0.3)
        # two topics in one breath, doubtfully heard: a "Did you mean" that offers both
        for first, second in itertools.pairwise(procedure.sections):
            yield CallerInput(speech=f"{first.menu_name} or {second.menu_name}", confidence=0.3)


def next_state(reply: Reply) -> State | None:
    step = reply.next
    return None if isinstance(step, flow.Hangup) else step.state


class Remembering:
    """Answers each call once: wraps the line's matcher or intents, whose answers depend on their
    arguments only. The crawl asks the same few dozen phrases at every state; remembering the
    answers makes it many times faster and changes nothing it finds."""

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self._answers: dict[Hashable, object] = {}

    def __getattr__(self, name: str) -> object:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def remembered(*args: object, **kwargs: object) -> object:
            key = (
                name,
                tuple(tuple(arg) if isinstance(arg, list) else arg for arg in args),
                tuple(sorted(kwargs.items())),
            )
            try:
                return self._answers[key]
            except KeyError:
                answer = self._answers[key] = attribute(*args, **kwargs)
                return answer
            except TypeError:  # unhashable arguments: just ask
                return attribute(*args, **kwargs)

        return remembered


def remembering(line: Line) -> Line:
    """The same line, with its matcher's and intents' answers remembered."""
    if isinstance(line.matcher, Remembering):
        return line
    return replace(
        line, matcher=cast(Matcher, Remembering(line.matcher)), intents=cast(Intents, Remembering(line.intents))
    )


def crawl(line: Line, instants: tuple[dt.datetime, ...]) -> Iterator[Visit]:
    """Every reply reachable from a new call at each instant (each state visited once per instant)."""
    line = remembering(line)
    for now in instants:
        first = flow.start(line, now)
        yield Visit(None, CallerInput(), now, first)
        queue: deque[State] = deque()
        seen: set[State] = set()
        start = next_state(first)
        if start is not None:
            queue.append(start)
            seen.add(start)
        while queue:
            state = queue.popleft()
            for said in inputs_for(line, state):
                reply = flow.step(line, state, said, now)
                yield Visit(state, said, now, reply)
                following = next_state(reply)
                if following is not None and following not in seen:
                    seen.add(following)
                    queue.append(following)


def closed_notices(line: Line, start: dt.date | None = None) -> Iterator[Utterance]:
    """The "we open again ..." sentence at closed times through the coming week."""
    zone = line.schedule.timezone
    day = start or dt.datetime.now(zone).date()
    for offset in range(8 * 24):
        instant = dt.datetime.combine(day, dt.time(0, 15), tzinfo=zone) + dt.timedelta(hours=offset)
        if not hours.is_open(line.schedule, instant):
            yield from flow.Call(line, instant, State()).closed_notice()


def all_utterances(line: Line, start: dt.date | None = None) -> list[Utterance]:
    """Every distinct sentence the line can speak, in the order a crawl first meets them."""
    open_at, closed_at = sample_instants(line, start)
    instants = tuple(instant for instant in (open_at, closed_at) if instant is not None)
    found: dict[tuple[str, str], Utterance] = {}
    for visit in crawl(line, instants):
        for utterance in visit.reply.all_utterances():
            found.setdefault((utterance.key, utterance.text), utterance)
    for utterance in closed_notices(line, start):
        found.setdefault((utterance.key, utterance.text), utterance)
    # and every fixed phrase, also those only some words reach ("can the medicine slow my breathing?")
    for key, names in SAY_KEYS.items():
        if not names:
            utterance = Utterance(line.prompts.phrase(key), key)
            found.setdefault((utterance.key, utterance.text), utterance)
    return list(found.values())
