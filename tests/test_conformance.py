"""The accessibility checklist (/work/shared/docs/accessibility.md) checked over a crawl of the whole line.

ivr.crawl walks every state with every key, silence, the spoken commands and every question,
in office hours and after hours; each reply is rendered to TwiML and every document is checked.
The check names (A1, B1, ...) are the checklist's. Each test collects every offending document,
so one failure lists all the places that break the rule.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Hashable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
from conftest import CLOSED_TIME
from conftest import ON_CALL
from conftest import OPEN_TIME

from ivr import flow
from ivr.crawl import KEYS
from ivr.crawl import URGENT
from ivr.crawl import Visit
from ivr.crawl import crawl
from ivr.crawl import remembering
from ivr.flow import CallerInput
from ivr.flow import Line
from ivr.flow import Menu
from ivr.flow import Reply
from ivr.flow import State
from ivr.twiml import Renderer
from ivr.twiml import Voice

BASE = "https://ivr.example.org"
VOICE = Voice()
INSTANTS = (OPEN_TIME, CLOSED_TIME)
MAX_OPTIONS = 5
MAX_WORDS_PER_SAY = 120
NINE_ONE_ONE = re.compile(r"9[\s-]?1[\s-]?1")
PRESS_KEY = re.compile(r"\bpress (\d|star|pound)\b", re.IGNORECASE)
PRESS_N_FOR = re.compile(r"\bpress\s+(\d|star|pound)\s+(for|to)\b", re.IGNORECASE)
PHONE = re.compile(r"\d{3}[-.]\d{3}[-.]\d{4}")
CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b(?!\s*(AM|PM|a\.m\.|p\.m\.))")
GLOBAL_KEYS = {"0", "9"}
CANARY_SPEECH = "my name is Zed Canary born 01/02/1950 call me at 541 777 0123"
CANARY_PARTS = ("zed", "canary", "1950", "01/02", "541", "777", "0123")
STATE_KEYS = set(State._QUERY.values())  # noqa: SLF001


def text(element: ET.Element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def url_for(state: State) -> str:
    return f"{BASE}/voice/step?{urlencode(state.to_query())}"


def describe(state: State | None, said: CallerInput, now: dt.datetime) -> str:
    when = "open" if now == OPEN_TIME else "closed"
    return f"{when} {state or 'new call'} {said}"


@dataclass
class Document:
    visit: Visit
    root: ET.Element

    @property
    def where(self) -> str:
        return describe(self.visit.state, self.visit.said, self.visit.now)

    def says(self) -> list[ET.Element]:
        return list(self.root.iter("Say"))

    def gather(self) -> ET.Element | None:
        return self.root.find("Gather")

    def urls(self) -> Iterator[str]:
        for element in self.root.iter():
            if element.get("action"):
                yield element.get("action", "")
            if element.tag in {"Redirect", "Play"}:
                yield element.text or ""


@dataclass
class Crawled:
    """One line crawled at an open and a closed instant, every reply rendered."""

    line: Line
    documents: list[Document] = field(default_factory=list)
    replies: dict[tuple[State, CallerInput, dt.datetime], Reply] = field(default_factory=dict)
    menus: set[tuple[State, dt.datetime]] = field(default_factory=set)
    rendered: dict[Hashable, ET.Element] = field(default_factory=dict)

    def distinct(self) -> list[Document]:
        """One document per distinct TwiML (many requests get the very same answer), the first met."""
        first: dict[int, Document] = {}
        for doc in self.documents:
            first.setdefault(id(doc.root), doc)
        return list(first.values())

    def render(self, reply: Reply) -> ET.Element:
        key = (reply.say, reply.next)
        if key not in self.rendered:
            self.rendered[key] = ET.fromstring(Renderer(VOICE, url_for).render(reply))  # noqa: S314 (our own TwiML)
        return self.rendered[key]

    def answer(self, state: State, said: CallerInput, now: dt.datetime) -> Reply:
        """The crawl's reply to `said` at `state`, or a fresh step for input the crawl does not try."""
        reply = self.replies.get((state, said, now))
        return reply if reply is not None else flow.step(self.line, state, said, now)

    def answer_doc(self, state: State, said: CallerInput, now: dt.datetime) -> ET.Element:
        return self.render(self.answer(state, said, now))

    def gather_states(self) -> list[tuple[State, dt.datetime]]:
        return sorted(self.menus, key=lambda item: (item[1], repr(item[0])))


@pytest.fixture(scope="module", params=["line", "two_procedure_line", "no_voicemail"])
def crawled(request: pytest.FixtureRequest) -> Crawled:
    """The bundled line, the two-procedure line and the bundled line with VOICEMAIL=0, crawled and rendered once."""
    if request.param == "no_voicemail":
        bundled: Line = request.getfixturevalue("line")
        original = replace(bundled, settings=replace(bundled.settings, voicemail=False))
    else:
        original = request.getfixturevalue(request.param)
    line = remembering(original)
    result = Crawled(line)
    for visit in crawl(line, INSTANTS):
        result.documents.append(Document(visit, result.render(visit.reply)))
        if visit.state is not None:
            result.replies[(visit.state, visit.said, visit.now)] = visit.reply
        if isinstance(visit.reply.next, Menu):
            result.menus.add((visit.reply.next.state, visit.now))
    return result


def assert_none(failures: list[str], rule: str) -> None:
    shown = "\n  ".join(failures[:12])
    assert not failures, f"{rule}: {len(failures)} failures, for example:\n  {shown}"


def keeps_caller(root: ET.Element) -> bool:
    verbs = {child.tag for child in root}
    return bool(verbs & {"Gather", "Dial", "Record"}) and "Hangup" not in verbs


def dials(root: ET.Element, number: str | None = None) -> bool:
    numbers = [n.text for n in root.iter("Number")]
    return root.find("Dial") is not None and (number is None or numbers == [number])


def advertised(gather: ET.Element) -> list[str]:
    return [key.lower() for key in PRESS_KEY.findall(text(gather))]


# ---------------------------------------------------------------- the crawl itself


def test_crawl_reaches_every_kind_of_place(crawled: Crawled) -> None:
    """The crawl reaches every place a caller can be, open and closed, so the checks below cover them."""
    places = {state.at for state, _ in crawled.menus}
    expected = {
        flow.MAIN,
        flow.TOPICS,
        flow.SECTION,
        flow.FAQS,
        flow.ANSWER,
        flow.ASK,
        flow.CONFIRM,
        flow.NO_ANSWER,
        flow.URGENT,
        flow.AFTER_HOURS,
        flow.ON_CALL_FAILED,
    }
    if not crawled.line.settings.voicemail:
        expected.add(flow.DESK_FAILED)
    assert expected <= places
    assert any(state.at == flow.CONFIRM and state.other_kind for state, _ in crawled.menus)  # two topics offered
    assert {now for _, now in crawled.menus} == set(INSTANTS)
    assert len(crawled.documents) > 1000


# ---------------------------------------------------------------- A. safety


def test_a1_emergency_sentence_comes_first(crawled: Crawled) -> None:
    """A1: the entry's first spoken words, outside the Gather and before any option, say 9 1 1 for emergencies."""
    failures = []
    entries = [doc for doc in crawled.documents if doc.visit.state is None]
    assert len(entries) == len(INSTANTS)
    for doc in entries:
        first = doc.root[0]
        said = " ".join(text(say) for say in doc.says())
        first_words = " ".join(said.split()[:30])
        if first.tag != "Say" or not NINE_ONE_ONE.search(text(first)) or "emergency" not in text(first).lower():
            failures.append(f"{doc.where}: first verb is not the emergency sentence: {first.tag} {text(first)!r}")
        elif not (NINE_ONE_ONE.search(first_words) and "emergency" in first_words.lower()):
            failures.append(f"{doc.where}: emergency sentence not within the first 30 words")
        elif PRESS_KEY.search(said[: NINE_ONE_ONE.search(said).end()]):  # type: ignore[union-attr]
            failures.append(f"{doc.where}: an option comes before the emergency sentence")
    assert_none(failures, "A1")


def test_a2_911_is_spoken_as_digits(crawled: Crawled) -> None:
    """A2: no Say has a bare "911" that text-to-speech could read as nine hundred eleven."""
    failures = [
        f"{doc.where}: {text(say)!r}"
        for doc in crawled.distinct()
        for say in doc.says()
        if re.search(r"\b911\b", text(say))
    ]
    assert_none(failures, "A2")


def test_a3_urgent_words_at_every_gather(crawled: Crawled) -> None:
    """A3: urgent words at every Gather put the emergency sentence first, and never hang up."""
    failures = []
    for state, now in crawled.gather_states():
        root = crawled.answer_doc(state, CallerInput(speech=URGENT), now)
        if root[0].tag != "Say" or not NINE_ONE_ONE.search(text(root[0])) or not keeps_caller(root):
            failures.append(describe(state, CallerInput(speech=URGENT), now))
    assert_none(failures, "A3")


# ---------------------------------------------------------------- B. a person


@pytest.mark.parametrize("said", [CallerInput(digits="0"), CallerInput(speech="operator")], ids=["0", "operator"])
def test_b1_zero_reaches_a_person_from_every_gather(crawled: Crawled, said: CallerInput) -> None:
    """B1: 0 (or "operator") at every Gather dials a person, or after hours gives the choices whose 1 dials on-call."""
    failures = []
    for state, now in crawled.gather_states():
        reply = crawled.answer(state, said, now)
        root = crawled.render(reply)
        if "Hangup" in {child.tag for child in root}:
            failures.append(f"{describe(state, said, now)}: hangs up")
        elif dials(root):
            continue
        elif flow.is_open(crawled.line, now):
            failures.append(f"{describe(state, said, now)}: no Dial in office hours")
        elif not (isinstance(reply.next, Menu) and reply.next.state.at == flow.AFTER_HOURS):
            failures.append(f"{describe(state, said, now)}: neither a Dial nor the after-hours choices")
        elif not dials(crawled.answer_doc(reply.next.state, CallerInput(digits="1"), now), ON_CALL):
            failures.append(f"{describe(state, said, now)}: 1 at the after-hours choices does not dial on-call")
    assert_none(failures, "B1")


# ---------------------------------------------------------------- C. menus


def test_c1_option_before_key(crawled: Crawled) -> None:
    """C1: no Say puts the key before the option ("press 1 for ...")."""
    failures = [
        f"{doc.where}: {PRESS_N_FOR.search(text(say)).group(0)!r}"  # type: ignore[union-attr]
        for doc in crawled.distinct()
        for say in doc.says()
        if PRESS_N_FOR.search(text(say))
    ]
    assert_none(failures, "C1")


def test_c2_c4_at_most_five_options_numbered_in_order(crawled: Crawled) -> None:
    """C2/C4: every Gather advertises at most 5 numbered options, numbered 1..n in spoken order."""
    failures = []
    for doc in crawled.distinct():
        gather = doc.gather()
        if gather is None:
            continue
        digits = [int(key) for key in advertised(gather) if key.isdigit() and key not in GLOBAL_KEYS]
        if digits != list(range(1, len(digits) + 1)) or len(digits) > MAX_OPTIONS:
            failures.append(f"{doc.where}: numbered {digits}")
    assert_none(failures, "C2/C4")


@pytest.mark.parametrize("key", KEYS)
def test_c5_every_key_is_handled_at_every_gather(crawled: Crawled, key: str) -> None:
    """C5: each key at every Gather answers with a Gather, Dial or Record; a key not offered says so and asks again."""
    failures = []
    for state, now in crawled.gather_states():
        reply = crawled.answer(state, CallerInput(digits=key), now)
        root = crawled.render(reply)
        if not keeps_caller(root):
            failures.append(f"{describe(state, CallerInput(digits=key), now)}: {[c.tag for c in root]}")
            continue
        offered = advertised(crawled.render(crawled.answer(state, CallerInput(digits="9"), now)).find("Gather"))  # type: ignore[arg-type]
        spoken_key = {"*": "star", "#": "pound"}.get(key, key)
        if spoken_key in offered or key in {"0", "9", "*"} or state.tries >= flow.MAX_TRIES - 1:
            continue
        if not (isinstance(reply.next, Menu) and reply.next.state == replace(state, tries=state.tries + 1)):
            failures.append(f"{describe(state, CallerInput(digits=key), now)}: a key not offered is not reprompted")
        elif spoken_key not in text(root.find("Gather")):  # type: ignore[arg-type]
            failures.append(f"{describe(state, CallerInput(digits=key), now)}: the reprompt does not name the key")
    assert_none(failures, f"C5 key {key}")


# ---------------------------------------------------------------- D. timing and reprompts


def test_d1_enough_time(crawled: Crawled) -> None:
    """D1: every Gather waits at least 8 seconds, the first menu at least 10, with a numeric speech timeout."""
    failures = []
    for doc in crawled.distinct():
        gather = doc.gather()
        if gather is None:
            continue
        timeout = int(gather.get("timeout", "0"))
        if timeout < (10 if doc.visit.state is None else 8):
            failures.append(f"{doc.where}: timeout {timeout}")
        if not gather.get("speechTimeout", "").isdigit() or int(gather.get("speechTimeout", "0")) < 2:
            failures.append(f"{doc.where}: speechTimeout {gather.get('speechTimeout')!r}")
    assert_none(failures, "D1")


@pytest.mark.parametrize("said", [CallerInput(), CallerInput(digits="#")], ids=["silence", "invalid key"])
def test_d3_third_failure_reaches_a_person(crawled: Crawled, said: CallerInput) -> None:
    """D3/B3: the third silence or wrong key dials a person (after hours: the on-call choices), never hangs up."""
    failures = []
    last_tries = [(state, now) for state, now in crawled.gather_states() if state.tries == flow.MAX_TRIES - 1]
    assert last_tries
    for state, now in last_tries:
        reply = crawled.answer(state, said, now)
        root = crawled.render(reply)
        after_hours = isinstance(reply.next, Menu) and reply.next.state.at == flow.AFTER_HOURS
        if "Hangup" in {child.tag for child in root} or not (
            dials(root) or (after_hours and not flow.is_open(crawled.line, now))
        ):
            failures.append(f"{describe(state, said, now)}: {[c.tag for c in root]}")
    assert_none(failures, "D3")


def test_d4_no_gather_is_the_last_verb(crawled: Crawled) -> None:
    """D4: every Gather is followed by a POST Redirect back to its own action."""
    failures = []
    for doc in crawled.distinct():
        children = list(doc.root)
        for index, child in enumerate(children):
            if child.tag != "Gather":
                continue
            following = children[index + 1] if index + 1 < len(children) else None
            if following is None or following.tag != "Redirect" or following.text != child.get("action"):
                failures.append(
                    f"{doc.where}: Gather followed by {following.tag if following is not None else 'nothing'}"
                )
    assert_none(failures, "D4")


def test_d5_instructions_are_inside_the_gather(crawled: Crawled) -> None:
    """D5: a Say that mentions pressing a key is inside the Gather (barge-in), except the recording's instructions."""
    failures = []
    for doc in crawled.distinct():
        children = list(doc.root)
        for index, child in enumerate(children):
            if child.tag != "Say" or "press" not in text(child).lower():
                continue
            following = children[index + 1] if index + 1 < len(children) else None
            if following is None or following.tag != "Record":
                failures.append(f"{doc.where}: {text(child)[:80]!r}")
    assert_none(failures, "D5")


def test_d6_no_long_says(crawled: Crawled) -> None:
    """D6: no Say, and no piece of content, is longer than 120 words."""
    failures = []
    for doc in crawled.distinct():
        failures += [
            f"{doc.where}: a Say of {len(text(say).split())} words"
            for say in doc.says()
            if len(text(say).split()) > MAX_WORDS_PER_SAY
        ]
        failures += [
            f"{doc.where}: {utterance.key} has {len(utterance.text.split())} words"
            for utterance in doc.visit.reply.all_utterances()
            if utterance.key.startswith("content:") and len(utterance.text.split()) > MAX_WORDS_PER_SAY
        ]
    assert_none(sorted(set(failures)), "D6")


# ---------------------------------------------------------------- E. repeat


@pytest.mark.parametrize("said", [CallerInput(digits="9"), CallerInput(speech="repeat")], ids=["9", "repeat"])
def test_e1_repeat_replays_the_same_prompt(crawled: Crawled, said: CallerInput) -> None:
    """E1: 9 or "repeat" at every Gather replays that menu: every prompt heard there ends with the replayed text."""
    heard: dict[tuple[State, dt.datetime], set[str]] = defaultdict(set)
    for doc in crawled.documents:
        gather = doc.gather()
        if gather is not None and isinstance(doc.visit.reply.next, Menu):
            heard[(replace(doc.visit.reply.next.state, tries=0), doc.visit.now)].add(text(gather))
    failures = []
    for state, now in crawled.gather_states():
        reply = crawled.answer(state, said, now)
        if not isinstance(reply.next, Menu) or reply.next.state != replace(state, tries=0):
            failures.append(f"{describe(state, said, now)}: goes to {reply.next}")
            continue
        replayed = text(crawled.render(reply).find("Gather"))  # type: ignore[arg-type]
        failures += [
            f"{describe(state, said, now)}: replays {replayed[:60]!r}, but the caller heard {prompt[:60]!r}"
            for prompt in heard[(replace(state, tries=0), now)]
            if not prompt.endswith(replayed)
        ]
    assert_none(failures, "E1")


# ---------------------------------------------------------------- F. input modes


def test_f1_f2_keys_always_work_and_speech_is_set_up(crawled: Crawled) -> None:
    """F1/F2: every Gather takes keys; speech Gathers set the Say's language and non-empty hints."""
    failures = []
    for doc in crawled.distinct():
        gather = doc.gather()
        if gather is None:
            continue
        modes = gather.get("input", "dtmf").split()
        if "dtmf" not in modes:
            failures.append(f"{doc.where}: input {modes}")
        if "speech" in modes:
            languages = {say.get("language") for say in gather.iter("Say")}
            if languages != {gather.get("language")} or not gather.get("language"):
                failures.append(f"{doc.where}: Gather language {gather.get('language')} vs Say {languages}")
            hints = [hint.strip() for hint in gather.get("hints", "").split(",") if hint.strip()]
            if not hints or len(hints) > 500 or max(len(hint) for hint in hints) > 100:
                failures.append(f"{doc.where}: {len(hints)} hints")
    assert_none(failures, "F1/F2")


# ---------------------------------------------------------------- G. numbers and times


def test_g3_numbers_and_times_are_easy_to_hear(crawled: Crawled) -> None:
    """G3: no Say reads a phone number as 555-555-0100, nor a clock time without AM or PM."""
    failures = []
    for doc in crawled.distinct():
        for say in doc.says():
            said = text(say)
            if PHONE.search(said) or re.search(r"\d{7,}", said):
                failures.append(f"{doc.where}: phone number {said[:80]!r}")
            if CLOCK.search(said):
                failures.append(f"{doc.where}: clock time {CLOCK.search(said).group(0)!r}")  # type: ignore[union-attr]
    assert_none(failures, "G3")


# ---------------------------------------------------------------- J. privacy


def check_urls(root: ET.Element, where: str, forbidden: tuple[str, ...] = ()) -> list[str]:
    """Every URL is ours, and its query holds only the call's state: short ASCII values, no caller words."""
    failures = []
    for url in Document(None, root).urls():  # type: ignore[arg-type]
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != BASE or parts.fragment:
            failures.append(f"{where}: foreign URL {url}")
        query = parse_qsl(parts.query, keep_blank_values=True)
        if any(
            key not in STATE_KEYS or not value.isascii() or not value.isalnum() or len(value) > 12
            for key, value in query
        ):
            failures.append(f"{where}: query {query}")
        failures += [f"{where}: {part!r} in {url}" for part in forbidden if part in url.lower()]
    return failures


def test_j2_no_caller_input_in_urls(crawled: Crawled) -> None:
    """J2: action and Redirect URLs carry only the state, never what the caller said or pressed."""
    failures = []
    for doc in crawled.distinct():
        failures += check_urls(doc.root, doc.where)
    canaries = (
        CallerInput(speech=CANARY_SPEECH, confidence=0.9),
        CallerInput(speech=CANARY_SPEECH, confidence=0.2),
        CallerInput(digits="5417770123"),
    )
    for state, now in crawled.gather_states():
        for said in canaries:
            failures += check_urls(crawled.answer_doc(state, said, now), describe(state, said, now), CANARY_PARTS)
    assert_none(failures, "J2")


def test_j3_recording_only_when_enabled_and_announced(crawled: Crawled) -> None:
    """J3: with VOICEMAIL=0 nothing is ever recorded; with VOICEMAIL=1 each Record follows a Say about recording."""
    failures = []
    records = 0
    for doc in crawled.distinct():
        children = list(doc.root)
        for element in doc.root.iter():
            if element.get("record") or element.get("transcribe"):
                failures.append(f"{doc.where}: {element.tag} records or transcribes")
        for index, child in enumerate(children):
            if child.tag != "Record":
                continue
            records += 1
            if not crawled.line.settings.voicemail:
                failures.append(f"{doc.where}: a Record with VOICEMAIL=0")
            elif index == 0 or children[index - 1].tag != "Say" or "record" not in text(children[index - 1]).lower():
                failures.append(f"{doc.where}: a Record without an announcement")
    assert (records > 0) == crawled.line.settings.voicemail
    assert_none(failures, "J3")


# ---------------------------------------------------------------- K. robustness


def test_k2_no_abrupt_hang_ups(crawled: Crawled) -> None:
    """K2: every Hangup comes straight after a Say that mentions 9 1 1 or calling back."""
    failures = []
    hangups = 0
    for doc in crawled.distinct():
        children = list(doc.root)
        for index, child in enumerate(children):
            if child.tag != "Hangup":
                continue
            hangups += 1
            before = children[index - 1] if index else None
            said = text(before) if before is not None and before.tag == "Say" else ""
            if not (NINE_ONE_ONE.search(said) or "call back" in said or "call us" in said):
                failures.append(f"{doc.where}: Hangup after {said[-80:]!r}")
    assert hangups, "the crawl should reach the goodbyes"
    assert_none(failures, "K2")


def test_k1_only_known_verbs(crawled: Crawled) -> None:
    """K1: every document is a Response of known verbs, Dials have an action and a Number, Records an action."""
    failures = []
    for doc in crawled.distinct():
        if doc.root.tag != "Response" or not {c.tag for c in doc.root} <= {
            "Say",
            "Play",
            "Gather",
            "Redirect",
            "Dial",
            "Record",
            "Hangup",
        }:
            failures.append(f"{doc.where}: {[c.tag for c in doc.root]}")
        for verb in doc.root:
            if verb.tag in {"Dial", "Record"} and not verb.get("action"):
                failures.append(f"{doc.where}: {verb.tag} without an action")
            if verb.tag == "Dial" and not [n for n in verb.findall("Number") if n.text]:
                failures.append(f"{doc.where}: Dial without a Number")
    assert_none(failures, "K1")
