"""The call as a state machine: given where the caller is, what they did and the time,
decide what the line says and does next.

Nothing here knows about HTTP, Twilio or the clock. `start` answers a new call and
`step` answers everything after it; both return a `Reply`, which the TwiML adapter
renders and the simulator, the script printer and the tests read directly. The state
a call needs travels in `State`, which the web layer puts into signed action URLs,
so any worker can take the next request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Literal

from ivr import hours
from ivr.content import Library
from ivr.content import Procedure
from ivr.intents import Intents
from ivr.intents import danger_question_answer
from ivr.matching import Match
from ivr.matching import Matcher
from ivr.prompts import Catalogue

MAX_OPTIONS = 5
MAX_TRIES = 3
PAUSE_MS = 400
SLOW_PAUSE_MS = 900
# Where the line is in a call. Short values: they travel in every action URL.
MAIN = "main"
PROCEDURES = "procs"
TOPICS = "topics"
SECTION = "section"
FAQS = "faqs"
ANSWER = "answer"
ASK = "ask"
CONFIRM = "confirm"
NO_ANSWER = "noanswer"
URGENT = "urgent"
AFTER_HOURS = "closed"
DIAL_DESK = "desk"
DIAL_ON_CALL = "oncall"
DESK_FAILED = "deskfail"
ON_CALL_FAILED = "oncallfail"
VOICEMAIL = "message"
PLACES = frozenset(
    {
        MAIN,
        PROCEDURES,
        TOPICS,
        SECTION,
        FAQS,
        ANSWER,
        ASK,
        CONFIRM,
        NO_ANSWER,
        URGENT,
        AFTER_HOURS,
        DIAL_DESK,
        DIAL_ON_CALL,
        DESK_FAILED,
        ON_CALL_FAILED,
        VOICEMAIL,
    }
)


@dataclass(frozen=True)
class State:
    """Where a call is. Every field is small and ASCII, for the action URL's query string."""

    at: str = MAIN
    proc: int = 0
    item: int = 0
    chunk: int = 0
    page: int = 0
    tries: int = 0
    back: str = ""  # "main" when star should return to the main menu rather than the parent
    kind: str = ""  # "faq" or "section" while confirming; "urgent" for an urgent message
    other: int = 0  # a "Did you mean" between two topics: the other one's item ...
    other_kind: str = ""  # ... and kind ("faq" or "section"); "" when it offers one

    _QUERY = {
        "at": "at",
        "proc": "p",
        "item": "i",
        "chunk": "c",
        "page": "g",
        "tries": "t",
        "back": "b",
        "kind": "k",
        "other": "o",
        "other_kind": "ok",
    }

    def to_query(self) -> dict[str, str]:
        default = State()
        return {
            short: str(getattr(self, name))
            for name, short in self._QUERY.items()
            if getattr(self, name) != getattr(default, name) or name == "at"
        }

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> State:
        """Read a state from a query string; anything damaged gives the main menu."""
        try:
            values: dict[str, object] = {}
            for name, short in cls._QUERY.items():
                raw = query.get(short)
                if raw is None:
                    continue
                if name in {"at", "back", "kind", "other_kind"}:
                    if not raw.isascii() or not raw.isalpha() or len(raw) > 12:
                        return cls()
                    values[name] = raw
                else:
                    # Only plain ASCII digits: int() would also take " 1", "1_0" and "\u0663".
                    if not raw.isascii() or not raw.isdigit():
                        return cls()
                    number = int(raw)
                    if not 0 <= number <= 999:
                        return cls()
                    values[name] = number
            state = cls(**values)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return cls()
        if state.other_kind and (
            state.other_kind not in {"faq", "section"} or (state.other_kind, state.other) == (state.kind, state.item)
        ):
            return cls()
        return state if state.at in PLACES and state.back in {"", MAIN} else cls()


@dataclass(frozen=True)
class CallerInput:
    """What Twilio reported the caller did, already cleaned by the web layer."""

    digits: str = ""
    speech: str = ""
    confidence: float | None = None
    dial_status: str = ""
    recorded: bool = False
    recording: str = ""  # Twilio's RecordingSid, so staff can find the message


@dataclass(frozen=True)
class Utterance:
    text: str
    key: str  # the prompt key, or "content:<procedure>/<part>" for content text


@dataclass(frozen=True)
class Menu:
    """Say `prompt` while listening; the answer goes to `state` (silence too)."""

    state: State
    prompt: tuple[Utterance, ...]
    timeout: int
    hints: tuple[str, ...]
    pause_ms: int = PAUSE_MS


@dataclass(frozen=True)
class Transfer:
    """Connect the caller to a person; the outcome comes back to `state`."""

    to: Literal["front_desk", "on_call"]
    number: str
    state: State
    timeout: int


@dataclass(frozen=True)
class Voicemail:
    """Record a message (announced before); the outcome comes back to `state`."""

    state: State
    max_seconds: int


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Event:
    """Something worth recording about a call: never raw words or numbers in logs."""

    name: str
    data: Mapping[str, object] = field(default_factory=dict)


Next = Menu | Transfer | Voicemail | Hangup


@dataclass(frozen=True)
class Reply:
    say: tuple[Utterance, ...]
    next: Next
    events: tuple[Event, ...] = ()

    def all_utterances(self) -> tuple[Utterance, ...]:
        return self.say + (self.next.prompt if isinstance(self.next, Menu) else ())


@dataclass(frozen=True)
class Settings:
    """The part of the configuration the call flow needs."""

    practice: str
    front_desk_number: str
    on_call_number: str
    voicemail: bool = True
    voicemail_max_seconds: int = 120
    dial_timeout: int = 25
    gather_timeout: int = 8
    first_gather_timeout: int = 10


@dataclass(frozen=True)
class Line:
    """Everything the flow consults, loaded and checked once at start-up."""

    library: Library
    prompts: Catalogue
    schedule: hours.Schedule
    matcher: Matcher
    intents: Intents
    settings: Settings
    hints: tuple[str, ...]


# ---------------------------------------------------------------- helpers


def spoken_number(number: str) -> str:
    """A phone number read digit by digit in groups: "+15415550100" -> "5 4 1, 5 5 5, 0 1 0 0"."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if number.startswith("+1") and len(digits) == 11:
        digits = digits[1:]
    if len(digits) == 10:
        groups = [digits[:3], digits[3:6], digits[6:]]
    else:
        groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return ", ".join(" ".join(group) for group in groups)


def _content(text: str, ref: str) -> Utterance:
    return Utterance(text, f"content:{ref}")


def is_open(line: Line, now: dt.datetime) -> bool:
    return hours.is_open(line.schedule, now)


def describe_opening(line: Line, now: dt.datetime) -> str | None:
    """When the office next opens, as words: "tomorrow at 8 AM", "on Monday at 8 AM"."""
    opening = hours.next_opening(line.schedule, now)
    if opening is None:
        return None
    words = line.prompts
    local_now = now.astimezone(line.schedule.timezone)
    days_ahead = (opening.date() - local_now.date()).days
    time = words.time(opening.timetz().replace(tzinfo=None))
    if days_ahead == 0:
        return words.word("today_at", time=time)
    if days_ahead == 1:
        return words.word("tomorrow_at", time=time)
    day = words.days[opening.weekday()]
    if days_ahead < 7:
        return words.word("day_at", day=day, time=time)
    return words.word("date_at", day=day, month=words.months[opening.month - 1], date=opening.day, time=time)


def describe_hours(line: Line) -> str:
    words = line.prompts
    if line.schedule.always_open:
        return words.word("always_open")
    parts = []
    for day_range in hours.weekly_ranges(line.schedule):
        first = words.days[day_range.first_weekday]
        days = (
            first
            if day_range.first_weekday == day_range.last_weekday
            else words.word("day_range", first=first, last=words.days[day_range.last_weekday])
        )
        times = words.join(
            [words.word("time_range", start=words.time(a), end=words.time(b)) for a, b in day_range.times]
        )
        parts.append(words.word("days_and_times", days=days, times=times))
    return words.join(parts)


def _pages(count: int) -> list[range]:
    """Split `count` options into menu pages: up to 5 on one page, else 4 and "more"."""
    if count <= MAX_OPTIONS:
        return [range(count)]
    size = MAX_OPTIONS - 1
    pages = [range(start, min(start + size, count)) for start in range(0, count, size)]
    if len(pages[-1]) == 1 and len(pages) > 1:  # a last page of one fits beside the others' "more"
        last = pages.pop()
        pages[-1] = range(pages[-1].start, last.stop)
    return pages


# ---------------------------------------------------------------- menus


@dataclass(frozen=True)
class Option:
    """One numbered choice: how it is announced, what names it answers to, what it does."""

    announce: Utterance
    names: tuple[str, ...]
    act: Callable[[], Reply]


@dataclass(frozen=True)
class MenuView:
    """A menu as the caller meets it: the words, the numbered options, and the special keys."""

    intro: tuple[Utterance, ...]
    options: tuple[Option, ...]
    outro: tuple[Utterance, ...]
    questions: bool = False  # unmatched speech is taken as a question
    extra_keys: Mapping[str, Callable[[], Reply]] = field(default_factory=dict)
    timeout: int | None = None


class Call:
    """One step of one call: the line, the time and the state being answered."""

    def __init__(self, line: Line, now: dt.datetime, state: State) -> None:
        self.line = line
        self.now = now
        self.state = state
        self.open = is_open(line, now)

    # ------------------------------------------------------------ building replies

    def say(self, key: str, /, **values: object) -> Utterance:
        return Utterance(self.line.prompts.phrase(key, **values), key)

    def menu_reply(
        self, state: State, *, before: tuple[Utterance, ...] = (), lead: tuple[Utterance, ...] = ()
    ) -> Reply:
        view = self.view(state)
        prompt = lead + view.intro + tuple(option.announce for option in view.options) + view.outro
        pause = SLOW_PAUSE_MS if state.tries >= MAX_TRIES - 1 else PAUSE_MS
        timeout = view.timeout or self.line.settings.gather_timeout
        return Reply(before, Menu(state, prompt, timeout, self.hints_for(view), pause))

    def hints_for(self, view: MenuView) -> tuple[str, ...]:
        names = tuple(name for option in view.options for name in option.names if len(name) <= 100)
        return tuple(dict.fromkeys(names + self.line.hints))[:500]

    def person_option(self) -> Utterance:
        if self.open:
            return self.say("option_person_open")
        if self.line.settings.voicemail:
            return self.say("option_person_closed")
        return self.say("option_person_closed_no_voicemail")

    # ------------------------------------------------------------ the menus

    def view(self, state: State) -> MenuView:
        builders: dict[str, Callable[[State], MenuView]] = {
            MAIN: self.main_view,
            PROCEDURES: self.procedures_view,
            TOPICS: self.topics_view,
            SECTION: self.section_view,
            FAQS: self.faqs_view,
            ANSWER: self.answer_view,
            ASK: self.ask_view,
            CONFIRM: self.confirm_view,
            NO_ANSWER: self.no_answer_view,
            URGENT: self.urgent_view,
            AFTER_HOURS: self.after_hours_view,
            DESK_FAILED: self.desk_failed_view,
            ON_CALL_FAILED: self.on_call_failed_view,
        }
        return builders.get(state.at, self.main_view)(state)

    def procedure(self, state: State) -> Procedure | None:
        return self.line.library.procedure(state.proc)

    def main_view(self, state: State) -> MenuView:
        library = self.line.library
        options: list[Option] = []
        if len(library.procedures) <= MAX_OPTIONS - 2:
            for index, procedure in enumerate(library.procedures):
                digit = len(options) + 1
                options.append(
                    Option(
                        self.say("option_procedure", procedure=procedure.spoken_name, digit=digit),
                        (procedure.spoken_name, procedure.title, *procedure.also_called),
                        lambda index=index: self.menu_reply(State(TOPICS, proc=index)),
                    )
                )
        else:
            options.append(
                Option(
                    self.say("option_procedures", digit=1), ("procedures",), lambda: self.menu_reply(State(PROCEDURES))
                )
            )
        options.append(Option(self.say("option_ask", digit=len(options) + 1), (), lambda: self.menu_reply(State(ASK))))
        options.append(Option(self.say("option_urgent", digit=len(options) + 1), (), self.urgent))
        outro = (self.person_option(), self.say("option_repeat"))
        timeout = self.line.settings.first_gather_timeout
        return MenuView((), tuple(options), outro, questions=True, timeout=timeout)

    def procedures_view(self, state: State) -> MenuView:
        procedures = self.line.library.procedures
        pages = _pages(len(procedures))
        page = min(state.page, len(pages) - 1)
        options = [
            Option(
                self.say("option_procedure", procedure=procedures[index].spoken_name, digit=position + 1),
                (procedures[index].spoken_name, procedures[index].title, *procedures[index].also_called),
                lambda index=index: self.menu_reply(State(TOPICS, proc=index)),
            )
            for position, index in enumerate(pages[page])
        ]
        self._add_more(options, len(pages), page, lambda: self.menu_reply(State(PROCEDURES, page=page + 1)))
        return MenuView((), tuple(options), (self.say("option_back"), self.person_option()), questions=True)

    def _add_more(self, options: list[Option], page_count: int, page: int, act: Callable[[], Reply]) -> None:
        if page < page_count - 1:
            options.append(Option(self.say("option_more", digit=len(options) + 1), ("more", "more choices"), act))

    def topic_items(
        self, proc: int, procedure: Procedure
    ) -> list[tuple[Callable[[int], Utterance], tuple[str, ...], Callable[[], Reply]]]:
        """The things in a procedure's menu: how each is announced for its key, its names, what it does."""
        items: list[tuple[Callable[[int], Utterance], tuple[str, ...], Callable[[], Reply]]] = []
        for index, section in enumerate(procedure.sections):
            items.append(
                (
                    lambda digit, name=section.menu_name: self.say("option_topic", topic=name, digit=digit),
                    (section.menu_name, section.title),
                    lambda index=index: self.read_section(proc, index, 0),
                )
            )
        if procedure.faqs:
            items.append(
                (
                    lambda digit: self.say("option_faqs", procedure=procedure.spoken_name, digit=digit),
                    ("common questions", "questions"),
                    lambda: self.menu_reply(State(FAQS, proc=proc)),
                )
            )
        return items

    def topics_view(self, state: State) -> MenuView:
        procedure = self.procedure(state)
        if procedure is None:
            return self.main_view(State())
        items = self.topic_items(state.proc, procedure)
        pages = _pages(len(items))
        page = min(state.page, len(pages) - 1)
        options: list[Option] = []
        for position, index in enumerate(pages[page]):
            announce, names, act = items[index]
            options.append(Option(announce(position + 1), names, act))
        self._add_more(
            options, len(pages), page, lambda: self.menu_reply(State(TOPICS, proc=state.proc, page=page + 1))
        )
        intro_key = "topics_intro" if page == 0 else "topics_more_intro"
        intro = (self.say(intro_key, procedure=procedure.spoken_name),)
        return MenuView(intro, tuple(options), (self.say("option_back"), self.person_option()), questions=True)

    def read_section(self, proc: int, index: int, chunk: int, back: str = "") -> Reply:
        return self.menu_reply(State(SECTION, proc=proc, item=index, chunk=chunk, back=back))

    def section_view(self, state: State) -> MenuView:
        procedure = self.procedure(state)
        if procedure is None or not 0 <= state.item < len(procedure.sections):
            return self.main_view(State())
        section = procedure.sections[state.item]
        chunk = min(state.chunk, len(section.chunks) - 1)
        intro: tuple[Utterance, ...] = ()
        if chunk == 0:
            intro = (self.say("section_title", title=section.title),)
        ref = f"{procedure.id}/{section.id}/{chunk}"
        intro += (_content(section.chunks[chunk], ref),)
        last_section = state.item == len(procedure.sections) - 1
        last_chunk = chunk == len(section.chunks) - 1
        extra: dict[str, Callable[[], Reply]] = {}
        if last_section and last_chunk:
            outro = (self.say("after_last_chunk", procedure=procedure.spoken_name),)
        else:
            outro = (self.say("after_chunk"),)
            if last_chunk:
                extra["1"] = lambda: self.read_section(state.proc, state.item + 1, 0, state.back)
            else:
                extra["1"] = lambda: self.read_section(state.proc, state.item, chunk + 1, state.back)
        return MenuView(intro, (), outro, questions=True, extra_keys=extra)

    def faqs_view(self, state: State) -> MenuView:
        procedure = self.procedure(state)
        if procedure is None or not procedure.faqs:
            return self.main_view(State())
        pages = _pages(len(procedure.faqs))
        page = min(state.page, len(pages) - 1)
        options = [
            Option(
                self.say("option_faq", question=procedure.faqs[index].question, digit=position + 1),
                (),
                lambda index=index: self.answer(state.proc, index, 0, ""),
            )
            for position, index in enumerate(pages[page])
        ]
        self._add_more(options, len(pages), page, lambda: self.menu_reply(State(FAQS, proc=state.proc, page=page + 1)))
        intro = (self.say("faqs_intro", procedure=procedure.spoken_name),) if page == 0 else ()
        return MenuView(intro, tuple(options), (self.say("option_back"), self.person_option()), questions=True)

    def answer(self, proc: int, index: int, chunk: int, back: str, events: tuple[Event, ...] = ()) -> Reply:
        reply = self.menu_reply(State(ANSWER, proc=proc, item=index, chunk=chunk, back=back))
        return replace(reply, events=events)

    def answer_view(self, state: State) -> MenuView:
        procedure = self.procedure(state)
        if procedure is None or not 0 <= state.item < len(procedure.faqs):
            return self.main_view(State())
        faq = procedure.faqs[state.item]
        chunk = min(state.chunk, len(faq.chunks) - 1)
        intro: tuple[Utterance, ...] = ()
        if chunk == 0:
            intro = (self.say("answer_intro", question=faq.question),)
        intro += (_content(faq.chunks[chunk], f"{procedure.id}/{faq.id}/{chunk}"),)
        extra: dict[str, Callable[[], Reply]] = {}
        if chunk < len(faq.chunks) - 1:
            outro = (self.say("after_answer_more"),)
            extra["1"] = lambda: self.answer(state.proc, state.item, chunk + 1, state.back)
        else:
            outro = (self.say("after_answer"),)
            extra["1"] = lambda: self.menu_reply(State(ASK))
        return MenuView(intro, (), outro, questions=True, extra_keys=extra)

    def ask_view(self, state: State) -> MenuView:
        options = []
        for index, procedure in enumerate(self.line.library.procedures):
            if procedure.faqs and len(options) < MAX_OPTIONS:
                digit = len(options) + 1
                options.append(
                    Option(
                        self.say("ask_keypad", procedure=procedure.spoken_name, digit=digit),
                        (),
                        lambda index=index: self.menu_reply(State(FAQS, proc=index)),
                    )
                )
        return MenuView(
            (self.say("ask"),), tuple(options), (self.say("option_back"), self.person_option()), questions=True
        )

    def confirm_view(self, state: State) -> MenuView:
        procedure = self.procedure(state)
        first = self.confirmable(state.proc, procedure, state.kind, state.item)
        if procedure is None or first is None:
            return self.main_view(State())
        declined = lambda: self.menu_reply(State(ASK), lead=(self.say("confirm_no"),))  # noqa: E731
        second = self.confirmable(state.proc, procedure, state.other_kind, state.other)
        if second is None:
            kind, name, accept = first
            question = (
                self.say("confirm_topic", topic=name) if kind == "section" else self.say("confirm", question=name)
            )
            return MenuView((question,), (), (), questions=True, extra_keys={"1": accept, "2": declined})
        options = tuple(
            Option(self.say(f"confirm_choice_{kind}", topic=name, digit=digit), (name,), accept)
            for digit, (kind, name, accept) in enumerate((first, second), start=1)
        )
        return MenuView(
            (self.say("confirm_two"),),
            options,
            (self.say("confirm_neither"),),
            questions=True,
            extra_keys={"3": declined},
        )

    def confirmable(
        self, proc: int, procedure: Procedure | None, kind: str, item: int
    ) -> tuple[str, str, Callable[[], Reply]] | None:
        """A topic a "Did you mean" offers: its kind, how it is named, and hearing it."""
        if procedure is None:
            return None
        if kind == "section" and 0 <= item < len(procedure.sections):
            return kind, procedure.sections[item].title, lambda: self.read_section(proc, item, 0, MAIN)
        if kind == "faq" and 0 <= item < len(procedure.faqs):
            confirmed = (Event("question", {"decision": "confirmed"}),)
            return kind, procedure.faqs[item].question.rstrip("?"), lambda: self.answer(proc, item, 0, MAIN, confirmed)
        return None

    def no_answer_view(self, state: State) -> MenuView:
        if self.open:
            options = self.say("no_answer_options")
        elif self.line.settings.voicemail:
            options = self.say("no_answer_options_closed")
        else:
            options = self.say("no_answer_options_closed_no_voicemail")
        return MenuView(
            (self.say("no_answer"),),
            (),
            (options,),
            questions=True,
            extra_keys={"1": lambda: self.menu_reply(State(ASK))},
        )

    def urgent_view(self, state: State) -> MenuView:
        offer = self.say("urgent_offer_open" if self.open else "urgent_offer_closed")
        return MenuView((), (), (offer,), extra_keys={"1": self.urgent_person})

    def after_hours_view(self, state: State) -> MenuView:
        extra: dict[str, Callable[[], Reply]] = {"1": self.dial_on_call}
        if self.line.settings.voicemail:
            extra["2"] = lambda: self.voicemail("")
            return MenuView((), (), (self.say("after_hours_menu"),), extra_keys=extra)
        return MenuView((), (), (self.say("after_hours_menu_no_voicemail"),), extra_keys=extra)

    def desk_failed_view(self, state: State) -> MenuView:
        number = spoken_number(self.line.settings.front_desk_number)
        return MenuView(
            (self.say("front_desk_unavailable"),),
            (),
            (self.say("front_desk_unavailable_options_no_voicemail", number=number),),
            extra_keys={"1": self.dial_front_desk, "2": self.urgent},
        )

    def on_call_failed_view(self, state: State) -> MenuView:
        extra: dict[str, Callable[[], Reply]] = {"1": self.dial_on_call}
        if self.line.settings.voicemail:
            extra["2"] = lambda: self.voicemail("urgent")
            outro = self.say("on_call_unavailable_options")
        else:
            number = spoken_number(self.line.settings.on_call_number)
            outro = self.say("on_call_unavailable_options_no_voicemail", number=number)
        return MenuView((self.say("on_call_unavailable"), self.say("emergency")), (), (outro,), extra_keys=extra)

    # ------------------------------------------------------------ people and messages

    def person(self) -> Reply:
        """A person: the front desk in office hours; after hours, the after-hours choices.

        Where the after-hours choices or the emergency sentence were just heard, a person
        means the on-call clinician at once.
        """
        if self.state.at == URGENT:
            return self.urgent_person()
        if self.state.at in {AFTER_HOURS, ON_CALL_FAILED}:
            return self.dial_on_call()
        if self.open:
            return self.dial_front_desk()
        return self.menu_reply(State(AFTER_HOURS), before=self.closed_notice() + (self.say("emergency"),))

    def urgent_person(self) -> Reply:
        """An urgent problem: our staff in office hours (then on-call if nobody answers), else on-call."""
        if not self.open:
            return self.dial_on_call()
        reply = self.dial_front_desk()
        assert isinstance(reply.next, Transfer)
        return replace(reply, next=replace(reply.next, state=State(DIAL_DESK, kind="urgent")))

    def closed_notice(self) -> tuple[Utterance, ...]:
        opening = describe_opening(self.line, self.now)
        notice = self.say("closed_now", opening=opening) if opening else self.say("closed_no_opening")
        if self.line.schedule.openings or self.line.schedule.always_open:
            return (notice, self.say("closed_hours", hours=describe_hours(self.line)))
        return (notice,)

    def dial_front_desk(self) -> Reply:
        settings = self.line.settings
        return Reply(
            (self.say("connecting_front_desk"),),
            Transfer("front_desk", settings.front_desk_number, State(DIAL_DESK), settings.dial_timeout),
            (Event("transfer", {"to": "front_desk"}),),
        )

    def dial_on_call(self) -> Reply:
        settings = self.line.settings
        return Reply(
            (self.say("connecting_on_call"),),
            Transfer("on_call", settings.on_call_number, State(DIAL_ON_CALL), settings.dial_timeout),
            (Event("transfer", {"to": "on_call"}),),
        )

    def voicemail(self, kind: str, before: tuple[Utterance, ...] = ()) -> Reply:
        settings = self.line.settings
        return Reply(
            before + (self.say("voicemail"),), Voicemail(State(VOICEMAIL, kind=kind), settings.voicemail_max_seconds)
        )

    def urgent(self) -> Reply:
        reply = self.menu_reply(State(URGENT), before=(self.say("emergency"),))
        return replace(reply, events=(Event("urgent"),))

    def goodbye(self, *before: Utterance) -> Reply:
        return Reply(before + (self.say("goodbye", practice=self.line.settings.practice),), Hangup())

    def give_up(self) -> Reply:
        """After the third failed try: a person, never a hang-up."""
        if self.state.at == URGENT:
            return self.urgent_person()
        if self.state.at in {AFTER_HOURS, ON_CALL_FAILED}:
            return self.dial_on_call()
        if self.state.at == DESK_FAILED:  # the desk did not answer: the on-call clinician rather than again
            return self.dial_on_call()
        if self.open:
            reply = self.dial_front_desk()
            return replace(reply, say=(self.say("giving_up"),) + reply.say)
        return self.menu_reply(
            State(AFTER_HOURS), before=(self.say("giving_up_closed"),) + self.closed_notice() + (self.say("emergency"),)
        )

    # ------------------------------------------------------------ answering input

    def parent(self) -> Reply:
        """Star: the menu above this one."""
        state = self.state
        if state.back == MAIN or state.at in {MAIN, ASK, NO_ANSWER, URGENT, AFTER_HOURS, DESK_FAILED, ON_CALL_FAILED}:
            if state.at == MAIN:
                return self.menu_reply(State(), lead=(self.say("at_main_menu"),))
            return self.main_menu()
        if state.at == PROCEDURES:
            return self.menu_reply(State(PROCEDURES, page=state.page - 1)) if state.page > 0 else self.main_menu()
        if state.at == TOPICS:
            if state.page > 0:
                return self.menu_reply(State(TOPICS, proc=state.proc, page=state.page - 1))
            count = len(self.line.library.procedures)
            if count > MAX_OPTIONS - 2:  # back to the page of procedures that lists this one
                page = next((n for n, items in enumerate(_pages(count)) if state.proc in items), 0)
                return self.menu_reply(State(PROCEDURES, page=page))
            return self.main_menu()
        if state.at == SECTION:
            page = next((n for n, items in enumerate(_pages(self._topic_count())) if state.item in items), 0)
            return self.menu_reply(State(TOPICS, proc=state.proc, page=page))
        if state.at in {FAQS, ANSWER}:
            procedure = self.procedure(state)
            if procedure is None:
                return self.main_menu()
            if state.at == FAQS and state.page > 0:
                return self.menu_reply(State(FAQS, proc=state.proc, page=state.page - 1))
            if state.at == ANSWER:
                page = next((n for n, items in enumerate(_pages(len(procedure.faqs))) if state.item in items), 0)
                return self.menu_reply(State(FAQS, proc=state.proc, page=page))
            pages = _pages(self._topic_count())
            return self.menu_reply(State(TOPICS, proc=state.proc, page=len(pages) - 1))
        return self.main_menu()

    def _topic_count(self) -> int:
        procedure = self.procedure(self.state)
        if procedure is None:
            return 0
        return len(procedure.sections) + (1 if procedure.faqs else 0)

    def main_menu(self) -> Reply:
        return self.menu_reply(State(), lead=(self.say("main_menu"),))

    def again(self, *lead: Utterance, count_try: bool) -> Reply:
        """The same menu again, after a mistake (counted) or a request (not counted)."""
        tries = self.state.tries + 1 if count_try else 0
        if count_try and tries >= MAX_TRIES:
            return self.give_up()
        if count_try and tries == MAX_TRIES - 1:
            lead = lead + (self.say("still_there"),)
        return self.menu_reply(replace(self.state, tries=tries), lead=lead)

    def handle(self, said: CallerInput) -> Reply:
        at = self.state.at
        if at in (DIAL_DESK, DIAL_ON_CALL):
            return self.dial_result(said)
        if at == VOICEMAIL:
            return self.message_result(said)
        view = self.view(self.state)
        if said.speech.strip():
            return self.heard(said, view)
        digits = said.digits.strip()
        if digits:
            return self.pressed(digits, view)
        if at == URGENT:  # silence after the emergency sentence: connect rather than wait
            return self.urgent_person()
        return self.again(self.say("no_input"), count_try=True)

    def pressed(self, digits: str, view: MenuView) -> Reply:
        key = digits[0] if len(digits) == 1 else ""
        if key == "0":
            return self.person()
        if key == "*":
            return self.parent()
        if key == "9":
            return self.again(count_try=False)
        if key in view.extra_keys:
            return view.extra_keys[key]()
        if key.isdigit() and 1 <= int(key) <= len(view.options):
            return view.options[int(key) - 1].act()
        spoken = self.line.prompts.key_name(digits[:1]) if len(digits) == 1 else digits[:6]
        return self.again(self.say("not_an_option", key=spoken), count_try=True)

    def heard(self, said: CallerInput, view: MenuView) -> Reply:
        intents = self.line.intents
        speech = said.speech
        if intents.is_urgent(speech):
            return self.urgent_words(said, view)
        if self.state.at == CONFIRM and "3" in view.extra_keys:  # "Did you mean" one of two topics
            choice = intents.choice_of_two(speech)
            if choice is not None:
                return self.pressed(choice, view)
            if intents.command(speech) == "yes":  # yes, but which?
                return self.again(self.say("confirm_which"), count_try=True)
        elif self.state.at == CONFIRM:
            command = intents.command(speech)
            if command in {"yes", "no"}:
                return self.pressed("1" if command == "yes" else "2", view)
        if self.state.at in {AFTER_HOURS, ON_CALL_FAILED} and "2" in view.extra_keys and intents.wants_message(speech):
            return self.pressed("2", view)  # a message for the office, not the on-call clinician's phone
        if intents.wants_person(speech):
            # an emergency the lists missed outranks the request for a person it came with, where a person is
            # not already the on-call clinician
            if self.state.at not in {CONFIRM, URGENT, AFTER_HOURS, ON_CALL_FAILED} and (
                intents.second_opinion(speech) == "urgent"
            ):
                return self.urgent_words(said, view)
            return self.person()
        command = intents.command(speech)
        if command == "repeat":
            return self.again(count_try=False)
        if command in {"back", "stop"}:
            return self.parent()
        if command == "goodbye":
            return replace(self.goodbye(), events=(Event("caller_said_goodbye"),))
        if command == "main_menu":
            return self.main_menu()
        if command == "help":  # "help!" may be a call for help: the emergency sentence first
            return self.menu_reply(
                replace(self.state, tries=0), before=(self.say("emergency"),), lead=(self.say("help"),)
            )
        if command in {"go_on", "yes"} and "1" in view.extra_keys:
            return view.extra_keys["1"]()
        if command == "go_on":  # "more" at a menu with another page
            more = next((option for option in view.options if "more" in option.names), None)
            if more is not None:
                return more.act()
        if command == "ask":
            return self.menu_reply(State(ASK))
        if command == "urgent_option":
            return self.urgent()
        if command in {"yes", "no"}:  # nothing here asked a yes-or-no question
            return self.again(self.say("not_understood"), count_try=True)
        key = intents.spoken_key(speech)
        if key is not None:
            return self.pressed(key, view)
        labels = [(name, str(n + 1)) for n, option in enumerate(view.options) for name in option.names]
        chosen = intents.option(speech, labels)
        if chosen is not None:
            return view.options[int(chosen) - 1].act()
        if view.questions:
            # What the lists heard nothing in and would go to the matcher: the learned model's second opinion.
            # Not at a "Did you mean", where "I'm not sure" or "I don't think so" answer the question asked.
            second_opinion = intents.second_opinion(speech) if self.state.at != CONFIRM else None
            if second_opinion == "urgent":
                return self.urgent_words(said, view)
            if second_opinion == "person":
                return self.person()
            return self.question(said)
        return self.again(self.say("not_understood"), count_try=True)

    def urgent_words(self, said: CallerInput, view: MenuView) -> Reply:
        """Urgent words: the emergency sentence and a person, or (a question about a danger the content
        answers surely) the emergency sentence, then the answer."""
        if self.state.at == URGENT:  # more urgent words at the urgent menu: the 9 1 1 sentence, then connect
            reply = self.urgent_person()
            return replace(reply, say=(self.say("emergency"),) + reply.say, events=(Event("urgent"),) + reply.events)
        match = (
            danger_question_answer(self.line.intents, self.line.matcher, said.speech, said.confidence)
            if view.questions
            else None
        )
        if match is not None:
            return self.question_about_danger(said, match)
        return self.urgent()

    def question_about_danger(self, said: CallerInput, match: Match) -> Reply:
        """A question about a danger the content answers: the emergency sentence, then the answer."""
        reply = self.question(said, match)
        return replace(
            reply,
            say=(self.say("emergency"), self.say("urgent_question")) + reply.say,
            events=(Event("urgent_question"),) + reply.events,
        )

    def question(self, said: CallerInput, match: Match | None = None) -> Reply:
        """The matcher's decision on what the caller asked (`match`, when it is already made)."""
        match = match or self.line.matcher.match(said.speech, said.confidence)
        if match.entry is None and not self.line.matcher.terms(said.speech):
            return self.again(self.say("not_understood"), count_try=True)
        event = _question_event(match)
        if match.decision == "none" or match.entry is None:
            return replace(self.menu_reply(State(NO_ANSWER)), events=(event,))
        proc, index, kind = match.entry.ref
        if match.decision == "confirm":
            confirm = State(CONFIRM, proc=proc, item=index, kind=kind, back=MAIN)
            if match.alternative is not None and match.alternative.ref[0] == proc:
                confirm = replace(confirm, other=match.alternative.ref[1], other_kind=match.alternative.ref[2])
            return replace(self.menu_reply(confirm), events=(event,))
        if kind == "section":
            return replace(self.read_section(proc, index, 0, MAIN), events=(event,))
        return self.answer(proc, index, 0, MAIN, (event,))

    def dial_result(self, said: CallerInput) -> Reply:
        if said.dial_status in {"completed", "answered"}:
            return self.goodbye()
        failed = Event("transfer_failed", {"to": "front_desk" if self.state.at == DIAL_DESK else "on_call"})
        if self.state.at == DIAL_DESK and self.state.kind == "urgent":
            # an urgent caller is never left with a message box: the on-call clinician next
            reply = self.dial_on_call()
            return replace(reply, say=(self.say("front_desk_unavailable"),) + reply.say, events=(failed,))
        if self.state.at == DIAL_DESK:
            if self.line.settings.voicemail:
                return replace(self.voicemail("", before=(self.say("front_desk_unavailable"),)), events=(failed,))
            return replace(self.menu_reply(State(DESK_FAILED)), events=(failed,))
        return replace(self.menu_reply(State(ON_CALL_FAILED)), events=(failed,))

    def message_result(self, said: CallerInput) -> Reply:
        if said.recorded:
            reply = self.goodbye(self.say("voicemail_saved"))
            event = Event("voicemail", {"urgent": self.state.kind == "urgent", "recording": said.recording})
            return replace(reply, events=(event,))
        return self.menu_reply(State(), lead=(self.say("voicemail_empty"), self.say("main_menu")))


def _question_event(match: Match) -> Event:
    return Event(
        "question",
        {
            "decision": match.decision,
            "entry": match.entry.key if match.entry else None,
            "score": round(match.score, 3),
            "margin": round(match.margin, 3),
        },
    )


def start(line: Line, now: dt.datetime) -> Reply:
    """A new call: the emergency sentence, the welcome, then the main menu."""
    call = Call(line, now, State())
    before = (call.say("emergency"),)
    lead: tuple[Utterance, ...] = (call.say("welcome", practice=line.settings.practice),)
    if not call.open:
        lead += call.closed_notice()[:1]
    lead += (call.say("how_to_use"),)
    return replace(
        call.menu_reply(State(), before=before, lead=lead), events=(Event("call_started", {"open": call.open}),)
    )


def apology(line: Line, now: dt.datetime) -> Reply:
    """When something broke: sorry, the emergency sentence, and a person (desk or on-call by the hour)."""
    call = Call(line, now, State())
    reply = call.dial_front_desk() if call.open else call.dial_on_call()
    return replace(reply, say=(call.say("apology"), call.say("emergency"), call.say("apology_connecting")))


def step(line: Line, state: State, said: CallerInput, now: dt.datetime) -> Reply:
    """Answer whatever the caller did at `state`."""
    return Call(line, now, state).handle(said)
