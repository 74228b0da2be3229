"""The TwiML the renderer writes, checked as structure with xml.etree (never as strings)."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from conftest import CLOSED_TIME
from conftest import FRONT_DESK
from conftest import OPEN_TIME

from ivr import flow
from ivr.flow import CallerInput
from ivr.flow import Hangup
from ivr.flow import Line
from ivr.flow import Menu
from ivr.flow import Reply
from ivr.flow import State
from ivr.flow import Transfer
from ivr.flow import Utterance
from ivr.flow import Voicemail
from ivr.twiml import Renderer
from ivr.twiml import Voice

BASE = "https://ivr.example.org"
VOICE = Voice(voice="Polly.Matthew-Neural", language="en-US", speech_model="phone_call", speech_timeout=3)
KNOWN_VERBS = {"Say", "Play", "Pause", "Gather", "Redirect", "Dial", "Record", "Hangup"}
MARKUP = "Use <b>bold</b> & \"double\" 'single' quotes ]]> <Hangup/> &amp; </Say><Dial>+15550000000</Dial>"
TIMES = {"open": OPEN_TIME, "closed": CLOSED_TIME}
STATES = {
    "main": State(),
    "topics": State(flow.TOPICS),
    "topics page 2": State(flow.TOPICS, page=1),
    "section": State(flow.SECTION, item=2),
    "faqs": State(flow.FAQS),
    "answer": State(flow.ANSWER, item=0),
    "ask": State(flow.ASK),
    "confirm": State(flow.CONFIRM, item=1, kind="faq", back=flow.MAIN),
    "no answer": State(flow.NO_ANSWER),
    "urgent": State(flow.URGENT),
    "after hours": State(flow.AFTER_HOURS),
    "on-call failed": State(flow.ON_CALL_FAILED),
    "last try": State(flow.TOPICS, tries=1),
}


def url_for(state: State) -> str:
    return f"{BASE}/voice/step?{urlencode(state.to_query())}"


def render(reply: Reply, voice: Voice = VOICE) -> ET.Element:
    root = ET.fromstring(Renderer(voice, url_for).render(reply))  # noqa: S314 (our own TwiML)
    assert root.tag == "Response"
    assert {child.tag for child in root} <= KNOWN_VERBS
    return root


def text(element: ET.Element) -> str:
    """The words of an element; sentences that a <break> separates stay apart."""
    return " ".join(" ".join(element.itertext()).split())


def replies(line: Line) -> dict[str, Reply]:
    """A reply of every kind the line gives: the entry, each menu, a transfer, a message, a goodbye."""
    found = {f"start {when}": flow.start(line, now) for when, now in TIMES.items()}
    for name, state in STATES.items():
        for when, now in TIMES.items():
            said = CallerInput(digits="8") if state.tries else CallerInput(digits="9")
            found[f"{name} {when}"] = flow.step(line, state, said, now)
    found["dial desk"] = flow.step(line, State(), CallerInput(digits="0"), OPEN_TIME)
    found["dial on-call"] = flow.step(line, State(flow.URGENT), CallerInput(), CLOSED_TIME)
    found["voicemail"] = flow.step(line, State(flow.DIAL_DESK), CallerInput(dial_status="no-answer"), OPEN_TIME)
    found["goodbye"] = flow.step(line, State(flow.DIAL_DESK), CallerInput(dial_status="completed"), OPEN_TIME)
    found["message left"] = flow.step(line, State(flow.VOICEMAIL), CallerInput(recorded=True), OPEN_TIME)
    return found


@pytest.fixture(scope="module")
def documents(line: Line) -> dict[str, tuple[Reply, ET.Element]]:
    return {name: (reply, render(reply)) for name, reply in replies(line).items()}


NAMES = [
    *(f"start {when}" for when in TIMES),
    *(f"{name} {when}" for name in STATES for when in TIMES),
    "dial desk",
    "dial on-call",
    "voicemail",
    "goodbye",
    "message left",
]
MENUS = [name for name in NAMES if not name.startswith(("dial", "voicemail", "goodbye", "message"))]


def test_every_kind_of_reply_is_covered(documents: dict[str, tuple[Reply, ET.Element]]) -> None:
    """The parametrised names below cover every rendered reply, and each kind of next step appears."""
    assert sorted(documents) == sorted(NAMES)
    steps = {type(reply.next) for reply, _ in documents.values()}
    assert steps == {Menu, Transfer, Voicemail, Hangup}


@pytest.mark.parametrize("name", MENUS)
def test_gather_attributes(documents: dict[str, tuple[Reply, ET.Element]], name: str) -> None:
    """Every Gather takes keys and speech, one key, a long timeout, a language, hints and a POST action."""
    reply, root = documents[name]
    gathers = root.findall("Gather")
    assert len(gathers) == 1
    gather = gathers[0]
    assert gather.get("input") == "dtmf speech"
    assert gather.get("numDigits") == "1"
    timeout = int(gather.get("timeout", "0"))
    assert timeout >= (10 if name.startswith("start") else 8)
    assert gather.get("language") == VOICE.language
    hints = [hint.strip() for hint in gather.get("hints", "").split(",")]
    assert hints, "hints are a non-empty comma-separated list"
    assert all(hints), "no empty hint"
    assert len(hints) <= 500
    assert max(len(hint) for hint in hints) <= 100
    assert re.fullmatch(r"\d+", gather.get("speechTimeout", ""))
    assert int(gather.get("speechTimeout", "0")) >= 2
    assert gather.get("method") == "POST"
    assert gather.get("action") == url_for(reply.next.state)  # type: ignore[union-attr]
    says = gather.findall("Say")
    assert says, "the menu prompt is nested inside the Gather"
    assert all(text(say) for say in says)


@pytest.mark.parametrize("name", MENUS)
def test_redirect_follows_every_gather(documents: dict[str, tuple[Reply, ET.Element]], name: str) -> None:
    """Silence falls through the Gather to a POST Redirect back to the same action: the Gather is never last."""
    _, root = documents[name]
    children = list(root)
    index = next(n for n, child in enumerate(children) if child.tag == "Gather")
    assert index < len(children) - 1
    redirect = children[index + 1]
    assert redirect.tag == "Redirect"
    assert redirect.get("method") == "POST"
    assert redirect.text == children[index].get("action")


@pytest.mark.parametrize("name", NAMES)
def test_every_say_has_the_configured_voice(documents: dict[str, tuple[Reply, ET.Element]], name: str) -> None:
    """Every Say, inside a Gather or not, has the configured voice and language, and is at most 3000 characters."""
    _, root = documents[name]
    says = list(root.iter("Say"))
    assert says
    for say in says:
        assert say.get("voice") == VOICE.voice
        assert say.get("language") == VOICE.language
        assert len("".join(say.itertext())) <= 3000


@pytest.mark.parametrize("language", ["en-US", "en-GB"])
def test_voice_and_language_come_from_settings(line: Line, language: str) -> None:
    """Another voice and language reach every Say and the Gather."""
    voice = Voice(voice="Polly.Amy-Neural", language=language)
    root = render(flow.start(line, OPEN_TIME), voice)
    assert {(say.get("voice"), say.get("language")) for say in root.iter("Say")} == {("Polly.Amy-Neural", language)}
    assert root.find("Gather").get("language") == language  # type: ignore[union-attr]


@pytest.mark.parametrize("name", MENUS)
def test_breaks_between_options(documents: dict[str, tuple[Reply, ET.Element]], name: str) -> None:
    """Consecutive sentences of a menu are separated by an SSML break of at least 300 ms."""
    reply, root = documents[name]
    prompt = reply.next.prompt  # type: ignore[union-attr]
    breaks = [b for say in root.find("Gather").iter("Say") for b in say.iter("break")]  # type: ignore[union-attr]
    assert len(breaks) >= len(prompt) - len(root.find("Gather").findall("Say"))  # type: ignore[union-attr]
    for pause in breaks:
        milliseconds = re.fullmatch(r"(\d+)ms", pause.get("time", ""))
        assert milliseconds
        assert int(milliseconds.group(1)) >= 300


def test_last_try_is_read_more_slowly(documents: dict[str, tuple[Reply, ET.Element]]) -> None:
    """On the last try before a person, the pauses between options are longer."""
    normal = {b.get("time") for b in documents["topics open"][1].iter("break")}
    slow = {b.get("time") for b in documents["last try open"][1].iter("break")}
    assert normal == {f"{flow.PAUSE_MS}ms"}
    assert f"{flow.SLOW_PAUSE_MS}ms" in slow


@pytest.mark.parametrize("where", ["say", "prompt"])
def test_markup_in_text_is_escaped(where: str) -> None:
    """Text with <, &, quotes and closing tags is spoken as text, never turned into TwiML."""
    utterance = Utterance(MARKUP, "content:test")
    menu = Menu(State(), (Utterance("Before.", "x"), utterance), 8, ('"quoted" <hint> & more',))
    reply = Reply((utterance,), menu) if where == "say" else Reply((), menu)
    root = render(reply)
    assert [child.tag for child in root] == (
        ["Say", "Gather", "Redirect"] if where == "say" else ["Gather", "Redirect"]
    )
    assert root.find(".//Hangup") is None
    assert root.find(".//Dial") is None
    assert root.find(".//b") is None
    spoken = ["".join(say.itertext()) for say in root.iter("Say")]
    assert any(MARKUP in said for said in spoken)
    assert root.find("Gather").get("hints") == '"quoted" <hint> & more'  # type: ignore[union-attr]


def test_long_text_is_split_across_says() -> None:
    """Many long chunks in a row are split over several Says, none over 3000 characters, nothing lost."""
    chunk = " ".join(["information"] * 120)
    utterances = tuple(Utterance(f"{n} {chunk}", f"content:{n}") for n in range(12))
    root = render(Reply(utterances, Menu(State(), utterances, 8, ("hint",))))
    for say in root.iter("Say"):
        assert len("".join(say.itertext())) <= 3000
    outside = " ".join("".join(say.itertext()) for say in root.findall("Say"))
    assert all(u.text in outside for u in utterances)


def test_dial(documents: dict[str, tuple[Reply, ET.Element]]) -> None:
    """A transfer says where it is connecting, then dials with a POST action, a timeout and a Number."""
    reply, root = documents["dial desk"]
    assert [child.tag for child in root] == ["Say", "Dial"]
    dial = root.find("Dial")
    assert dial is not None
    assert dial.get("action") == url_for(State(flow.DIAL_DESK))
    assert dial.get("method") == "POST"
    assert int(dial.get("timeout", "0")) >= 10
    assert [number.text for number in dial.findall("Number")] == [FRONT_DESK]
    assert "front desk" in text(root.find("Say")).lower()  # type: ignore[arg-type]


def test_record_is_announced(documents: dict[str, tuple[Reply, ET.Element]]) -> None:
    """A message is announced as recorded before the Record, which has a limit, an action and a fallback."""
    _, root = documents["voicemail"]
    children = list(root)
    assert [child.tag for child in children] == ["Say", "Record", "Redirect"]
    assert re.search(r"\brecord", text(children[0]), re.IGNORECASE)
    record = children[1]
    assert int(record.get("maxLength", "0")) > 0
    assert record.get("action") == url_for(State(flow.VOICEMAIL))
    assert record.get("method") == "POST"
    assert record.get("transcribe") is None
    assert children[2].text == record.get("action")


@pytest.mark.parametrize("name", ["goodbye", "message left"])
def test_hangup_is_preceded_by_911_and_call_back(documents: dict[str, tuple[Reply, ET.Element]], name: str) -> None:
    """Every hang-up comes straight after a Say that mentions 9 1 1 and calling back."""
    _, root = documents[name]
    children = list(root)
    assert children[-1].tag == "Hangup"
    assert children[-2].tag == "Say"
    said = text(children[-2])
    assert "9 1 1" in said
    assert "call back" in said


def test_rendered_audio_is_played_inside_the_gather(line: Line) -> None:
    """A phrase with rendered audio becomes a Play in the same place; the rest stay Says."""
    reply = flow.start(line, OPEN_TIME)
    welcome = reply.next.prompt[0].text  # type: ignore[union-attr]
    renderer = Renderer(VOICE, url_for, lambda said: f"{BASE}/audio/welcome.wav" if said == welcome else None)
    root = ET.fromstring(renderer.render(reply))  # noqa: S314 (our own TwiML)
    gather = root.find("Gather")
    assert gather is not None
    assert [child.tag for child in gather][:2] == ["Play", "Say"]
    assert gather.find("Play").text == f"{BASE}/audio/welcome.wav"  # type: ignore[union-attr]
    assert welcome not in text(gather)


@pytest.mark.parametrize("now", [OPEN_TIME, CLOSED_TIME, OPEN_TIME + dt.timedelta(days=3)])
def test_entry_document_order(line: Line, now: dt.datetime) -> None:
    """The entry document is the emergency Say, then the Gather holding the menu, then the Redirect."""
    root = render(flow.start(line, now))
    assert [child.tag for child in root] == ["Say", "Gather", "Redirect"]
    assert "9 1 1" in text(root[0])


def test_says_hold_at_most_120_words() -> None:
    """Sentences are grouped into Says of at most 120 words (about 45 seconds), a long chunk standing alone."""
    sentence = Utterance(" ".join(["word"] * 50), "x")
    chunk = Utterance(" ".join(["content"] * 120), "content:x")
    root = render(Reply((sentence, sentence, sentence, chunk, sentence), Menu(State(), (sentence,), 8, ("h",))))
    counts = [len(" ".join(say.itertext()).split()) for say in root.findall("Say")]
    assert counts == [100, 50, 120, 50]
