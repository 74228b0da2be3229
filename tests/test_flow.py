"""The call flow on its own: flow.start and flow.step at fixed instants, no HTTP, no TwiML."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest
from conftest import CLOSED_TIME
from conftest import FRONT_DESK
from conftest import ON_CALL
from conftest import OPEN_TIME

from ivr import flow
from ivr.content import chunk_text
from ivr.flow import CallerInput
from ivr.flow import Hangup
from ivr.flow import Line
from ivr.flow import Menu
from ivr.flow import Reply
from ivr.flow import State
from ivr.flow import Transfer
from ivr.flow import Utterance
from ivr.flow import Voicemail

PRESS = re.compile(r"\bpress (\d)\b", re.IGNORECASE)
GLOBAL_KEYS = {"0", "9"}
NINE_ONE_ONE = re.compile(r"9 1 1")
TIMES = {"open": OPEN_TIME, "closed": CLOSED_TIME}
# One state per kind of menu the line can be listening at (the bundled line: one procedure).
MENU_STATES = {
    "main": State(),
    "procedures": State(flow.PROCEDURES),
    "topics": State(flow.TOPICS),
    "topics page 2": State(flow.TOPICS, page=1),
    "section": State(flow.SECTION, item=1),
    "last section": State(flow.SECTION, item=6),
    "faqs": State(flow.FAQS),
    "answer": State(flow.ANSWER, item=1),
    "ask": State(flow.ASK),
    "confirm faq": State(flow.CONFIRM, item=1, kind="faq", back=flow.MAIN),
    "confirm section": State(flow.CONFIRM, item=3, kind="section", back=flow.MAIN),
    "confirm two": State(flow.CONFIRM, item=1, kind="section", other=2, other_kind="section", back=flow.MAIN),
    "no answer": State(flow.NO_ANSWER),
    "urgent": State(flow.URGENT),
    "after hours": State(flow.AFTER_HOURS),
    "desk failed": State(flow.DESK_FAILED),
    "on-call failed": State(flow.ON_CALL_FAILED),
}
# Where 0, or giving up, means the on-call clinician rather than the front desk.
ON_CALL_PLACES = {flow.URGENT, flow.AFTER_HOURS, flow.ON_CALL_FAILED}
URGENT_PHRASES = ("I can't breathe", "my pump is beeping", "he is unresponsive", "I have chest pain")


def step(line: Line, state: State, now: dt.datetime = OPEN_TIME, **said: object) -> Reply:
    return flow.step(line, state, CallerInput(**said), now)  # type: ignore[arg-type]


def menu(reply: Reply) -> Menu:
    assert isinstance(reply.next, Menu), f"expected a menu, got {reply.next!r}"
    return reply.next


def transfer(reply: Reply) -> Transfer:
    assert isinstance(reply.next, Transfer), f"expected a transfer, got {reply.next!r}"
    return reply.next


def keys(utterances: tuple[Utterance, ...]) -> list[str]:
    return [utterance.key for utterance in utterances]


def words(utterances: tuple[Utterance, ...]) -> str:
    return " ".join(utterance.text for utterance in utterances)


def numbered(utterances: tuple[Utterance, ...]) -> list[int]:
    """The numbered (non-global) keys a prompt advertises, in spoken order."""
    return [int(digit) for digit in PRESS.findall(words(utterances)) if digit not in GLOBAL_KEYS]


def core(reply: Reply) -> tuple[Utterance, ...]:
    """A menu's prompt without the lead-in (the part that "repeat" plays again)."""
    return menu(reply).prompt


def repeat_of(line: Line, state: State, now: dt.datetime) -> Reply:
    return step(line, state, now, digits="9")


@pytest.fixture(scope="module")
def chunked_line(line: Line) -> Line:
    """The bundled line with its texts cut into short chunks, so reading goes chunk by chunk."""
    procedures = tuple(
        replace(
            procedure,
            sections=tuple(replace(s, chunks=chunk_text(s.text, 12)) for s in procedure.sections),
            faqs=tuple(replace(f, chunks=chunk_text(f.answer, 12)) for f in procedure.faqs),
        )
        for procedure in line.library.procedures
    )
    return replace(line, library=replace(line.library, procedures=procedures))


@pytest.fixture(scope="module")
def no_voicemail_line(line: Line) -> Line:
    """The bundled line with VOICEMAIL=0."""
    return replace(line, settings=replace(line.settings, voicemail=False))


# ---------------------------------------------------------------- the start of a call


@pytest.mark.parametrize("when", TIMES)
@pytest.mark.parametrize("which", ["line", "two_procedure_line"])
def test_entry_order(which: str, when: str, request: pytest.FixtureRequest) -> None:
    """A call opens with the emergency sentence alone, then the welcome naming the practice, then the menu."""
    line: Line = request.getfixturevalue(which)
    reply = flow.start(line, TIMES[when])
    assert keys(reply.say) == ["emergency"]
    assert NINE_ONE_ONE.search(reply.say[0].text)
    assert "emergency" in reply.say[0].text.lower()
    prompt = menu(reply).prompt
    assert prompt[0].key == "welcome"
    assert line.settings.practice in prompt[0].text
    first_option = next(n for n, u in enumerate(prompt) if u.key.startswith("option_"))
    assert keys(prompt[1:first_option]) == (["how_to_use"] if when == "open" else ["closed_now", "how_to_use"]), (
        "only the welcome and how to use the line (and, after hours, that we are closed) before the options"
    )
    assert menu(reply).state == State()
    assert menu(reply).timeout >= 10


@pytest.mark.parametrize("which", ["line", "two_procedure_line"])
@pytest.mark.parametrize("when", TIMES)
def test_main_menu_options_numbered_option_first(which: str, when: str, request: pytest.FixtureRequest) -> None:
    """The main menu numbers its options 1..n, says what each is before its key, and offers 0 and 9."""
    line: Line = request.getfixturevalue(which)
    options = [u for u in menu(flow.start(line, TIMES[when])).prompt if u.key.startswith("option_")]
    advertised = numbered(tuple(options))
    assert advertised == list(range(1, len(advertised) + 1))
    assert 3 <= len(advertised) <= flow.MAX_OPTIONS
    for option in options:
        assert re.match(r"^(To|For) .+, press (\d|star)\b", option.text), option.text
    assert "press 0" in words(tuple(options))
    assert "press 9" in words(tuple(options))


def test_two_procedures_main_menu_lists_procedures_first(two_procedure_line: Line) -> None:
    """With two procedures, the main menu offers each procedure first, then questions, then urgent."""
    prompt = menu(flow.start(two_procedure_line, OPEN_TIME)).prompt
    options = [u for u in prompt if u.key.startswith("option_") and PRESS.search(u.text)]
    names = [p.spoken_name for p in two_procedure_line.library.procedures]
    assert keys(tuple(options[:4])) == ["option_procedure", "option_procedure", "option_ask", "option_urgent"]
    for option, name in zip(options[:2], names, strict=True):
        assert name in option.text


@pytest.mark.parametrize("digit", ["1", "2"])
def test_two_procedures_each_digit_opens_its_topics(two_procedure_line: Line, digit: str) -> None:
    """Pressing a procedure's key opens that procedure's topics."""
    reply = step(two_procedure_line, State(), digits=digit)
    assert menu(reply).state == State(flow.TOPICS, proc=int(digit) - 1)
    procedure = two_procedure_line.library.procedures[int(digit) - 1]
    assert procedure.spoken_name in menu(reply).prompt[0].text


def with_procedures(line: Line, count: int) -> Line:
    """The bundled line with `count` copies of its procedure, each with its own name."""
    procedure = line.library.procedures[0]
    copies = tuple(
        replace(procedure, id=f"p{n}", spoken_name=f"procedure number {n}", title=f"Procedure {n}", also_called=())
        for n in range(count)
    )
    return replace(line, library=replace(line.library, procedures=copies))


@pytest.mark.parametrize("count", range(1, 15))
def test_many_procedures_are_paged(line: Line, count: int) -> None:
    """Up to 3 procedures are listed in the main menu; more go to pages of at most 5 options, each named once."""
    many = with_procedures(line, count)
    main = menu(flow.start(many, OPEN_TIME))
    if count <= 3:
        assert keys(main.prompt).count("option_procedure") == count
        return
    assert "option_procedures" in keys(main.prompt)
    state = menu(step(many, State(), digits="1")).state
    assert state == State(flow.PROCEDURES)
    heard: list[str] = []
    while True:
        prompt = menu(step(many, state, digits="9")).prompt
        options = tuple(u for u in prompt if u.key in {"option_procedure", "option_more"})
        assert numbered(options) == list(range(1, len(options) + 1))
        assert len(options) <= flow.MAX_OPTIONS
        heard += [u.text for u in options if u.key == "option_procedure"]
        for position, option in enumerate(options, start=1):
            if option.key == "option_procedure":
                chosen = menu(step(many, state, digits=str(position)))
                assert chosen.state.at == flow.TOPICS
                assert many.library.procedures[chosen.state.proc].spoken_name in option.text
                back = menu(step(many, chosen.state, digits="*")).state
                assert back == State(flow.PROCEDURES, page=state.page), "star returns to the page it was chosen on"
        if options[-1].key != "option_more":
            break
        following = menu(step(many, state, digits=str(len(options)))).state
        assert menu(step(many, following, digits="*")).state == state
        state = following
    assert len(heard) == count
    for n in range(count):
        assert sum(f"procedure number {n}," in text for text in heard) == 1
    assert menu(step(many, State(flow.PROCEDURES), digits="*")).state == State()


# ---------------------------------------------------------------- topics and reading


def test_topic_menu_pages(line: Line) -> None:
    """Topics come at most 5 numbered options a page, with "more" last; every topic appears once."""
    procedure = line.library.procedures[0]
    expected = [s.menu_name for s in procedure.sections] + (["common questions"] if procedure.faqs else [])
    state = menu(step(line, State(), digits="1")).state
    seen: list[str] = []
    for _ in range(len(expected)):
        prompt = menu(step(line, state, digits="9")).prompt
        options = [u for u in prompt if u.key in {"option_topic", "option_faqs", "option_more"}]
        assert numbered(tuple(options)) == list(range(1, len(options) + 1))
        assert len(options) <= flow.MAX_OPTIONS
        seen += [u.text for u in options if u.key != "option_more"]
        if options[-1].key != "option_more":
            break
        more = step(line, state, digits=str(len(options)))
        assert menu(more).state == replace(state, page=state.page + 1)
        state = menu(more).state
    assert len(seen) == len(expected)
    for text, name in zip(seen, expected, strict=True):
        assert name in text or (name == "common questions" and procedure.spoken_name in text)


def test_topic_pages_go_back_with_star(line: Line) -> None:
    """Star on the second topics page returns to the first; on the first, to the main menu."""
    assert menu(step(line, State(flow.TOPICS, page=1), digits="*")).state == State(flow.TOPICS)
    back = step(line, State(flow.TOPICS), digits="*")
    assert menu(back).state == State()
    assert back.next.prompt[0].key == "main_menu"  # type: ignore[union-attr]


def test_reading_a_section_chunk_by_chunk(chunked_line: Line) -> None:
    """1 reads on chunk by chunk and then into the next section; the title is said once per section."""
    sections = chunked_line.library.procedures[0].sections
    state = menu(step(chunked_line, State(flow.TOPICS), digits="1")).state
    assert state == State(flow.SECTION, item=0)
    for index, section in enumerate(sections[:2]):
        assert len(section.chunks) > 1
        for chunk, text in enumerate(section.chunks):
            reply = step(chunked_line, state, digits="9")
            prompt = menu(reply).prompt
            assert state == State(flow.SECTION, item=index, chunk=chunk)
            assert (prompt[0].key == "section_title") == (chunk == 0)
            assert text in [u.text for u in prompt]
            assert prompt[-1].key == "after_chunk"
            state = menu(step(chunked_line, state, digits="1")).state
    assert state == State(flow.SECTION, item=2)


@pytest.mark.parametrize("chunk", [0, 1])
def test_nine_repeats_the_same_chunk(chunked_line: Line, chunk: int) -> None:
    """9 (and "repeat") at a chunk says that same chunk again, without counting a mistake."""
    state = State(flow.SECTION, item=0, chunk=chunk, tries=1)
    text = chunked_line.library.procedures[0].sections[0].chunks[chunk]
    for said in ({"digits": "9"}, {"speech": "repeat"}):
        again = menu(step(chunked_line, state, **said))
        assert again.state == replace(state, tries=0)
        assert text in [u.text for u in again.prompt]


@pytest.mark.parametrize("chunk", [0, 1])
def test_star_in_a_section_goes_back_to_its_topics_page(chunked_line: Line, chunk: int) -> None:
    """Star while reading returns to the topics page that lists the section being read."""
    sections = chunked_line.library.procedures[0].sections
    pages = set()
    for item, section in enumerate(sections):
        back = menu(step(chunked_line, State(flow.SECTION, item=item, chunk=chunk), digits="*"))
        assert back.state.at == flow.TOPICS
        assert section.menu_name in words(back.prompt)
        pages.add(back.state.page)
    assert len(pages) > 1, "the bundled content has topics on more than one page"


def test_star_after_a_spoken_question_goes_to_the_main_menu(chunked_line: Line) -> None:
    """A section reached by asking a question goes back to the main menu, where the question was asked."""
    back = step(chunked_line, State(flow.SECTION, item=3, back=flow.MAIN), digits="*")
    assert menu(back).state == State()


def test_last_chunk_of_the_last_section_ends_the_information(chunked_line: Line) -> None:
    """After the last chunk the line says the information has ended, and 1 is not a choice any more."""
    section = chunked_line.library.procedures[0].sections[-1]
    state = State(flow.SECTION, item=len(chunked_line.library.procedures[0].sections) - 1)
    state = replace(state, chunk=len(section.chunks) - 1)
    prompt = menu(step(chunked_line, state, digits="9")).prompt
    assert prompt[-1].key == "after_last_chunk"
    assert "press 1" not in prompt[-1].text
    wrong = step(chunked_line, state, digits="1")
    assert menu(wrong).state == replace(state, tries=1)
    assert menu(wrong).prompt[0].key == "not_an_option"


# ---------------------------------------------------------------- common questions


def faq_options(line: Line, state: State) -> list[Utterance]:
    return [u for u in menu(step(line, state, digits="9")).prompt if u.key in {"option_faq", "option_more"}]


def test_faq_list_reads_every_question_in_order(line: Line) -> None:
    """The topics' last option opens the common questions, which read every question before its key, in order."""
    faqs = line.library.procedures[0].faqs
    for page in range(10):
        topics = State(flow.TOPICS, page=page)
        prompt = menu(step(line, topics, digits="9")).prompt
        option = next((u for u in prompt if u.key == "option_faqs"), None)
        if option is not None:
            break
    assert option is not None, "no topics page offers the common questions"
    digit = PRESS.findall(option.text)[-1]
    reply = step(line, topics, digits=digit)
    assert menu(reply).prompt[0].key == "faqs_intro"
    state, heard = menu(reply).state, []
    while True:
        options = faq_options(line, state)
        assert numbered(tuple(options)) == list(range(1, len(options) + 1))
        assert len(options) <= flow.MAX_OPTIONS
        heard += [u.text for u in options if u.key == "option_faq"]
        if options[-1].key != "option_more":
            break
        state = menu(step(line, state, digits=str(len(options)))).state
    assert len(heard) == len(faqs)
    for option, faq in zip(heard, faqs, strict=True):
        assert option.index(faq.question) < option.lower().index("press")


def test_faq_answer(line: Line) -> None:
    """Choosing a question reads the question and its approved answer, then offers more, repeat, 0 and back."""
    faqs = line.library.procedures[0].faqs
    options = [u for u in faq_options(line, State(flow.FAQS)) if u.key == "option_faq"]
    assert options
    for index, faq in enumerate(faqs[: len(options)]):
        reply = step(line, State(flow.FAQS), digits=str(index + 1))
        answer = menu(reply)
        assert answer.state == State(flow.ANSWER, item=index)
        assert faq.question in answer.prompt[0].text
        assert answer.prompt[1].text == faq.chunks[0]
        assert answer.prompt[1].key.startswith("content:")
        assert {"1", "9", "0", "star"} <= set(re.findall(r"press (\d|star)", answer.prompt[-1].text))


def test_faq_answer_star_and_one(line: Line) -> None:
    """From an answer, star goes back to the questions and 1 asks another question."""
    assert menu(step(line, State(flow.ANSWER, item=2), digits="*")).state == State(flow.FAQS)
    assert menu(step(line, State(flow.ANSWER, item=2), digits="1")).state == State(flow.ASK)


def test_long_answer_reads_on_chunk_by_chunk(chunked_line: Line) -> None:
    """A long answer is read a chunk at a time, 1 going on to the next chunk."""
    faq = chunked_line.library.procedures[0].faqs[0]
    state = State(flow.ANSWER, item=0)
    for chunk in faq.chunks:
        prompt = menu(step(chunked_line, state, digits="9")).prompt
        assert chunk in [u.text for u in prompt]
        state = menu(step(chunked_line, state, digits="1")).state
    assert state == State(flow.ASK)


# ---------------------------------------------------------------- spoken questions


@pytest.mark.parametrize("where", ["main", "ask", "topics", "answer"])
def test_spoken_question_is_answered(line: Line, where: str) -> None:
    """Each common question, clearly heard, gets its own answer, wherever it is asked."""
    for index, faq in enumerate(line.library.procedures[0].faqs):
        reply = step(line, MENU_STATES[where], speech=faq.question, confidence=0.92)
        answer = menu(reply)
        assert answer.state == State(flow.ANSWER, item=index, back=flow.MAIN), faq.question
        assert faq.chunks[0] in [u.text for u in answer.prompt]
        assert [e.name for e in reply.events] == ["question"]
        assert reply.events[0].data["decision"] == "answer"


@pytest.fixture
def did_you_mean(line: Line) -> State:
    """The "did you mean" state after a doubtfully heard question about the risks."""
    faq = line.library.procedures[0].faqs[1]
    reply = step(line, State(flow.ASK), speech=faq.question, confidence=0.3)
    question = menu(reply)
    assert question.state == State(flow.CONFIRM, item=1, kind="faq", back=flow.MAIN)
    assert faq.question.rstrip("?") in question.prompt[0].text
    assert reply.events[0].data["decision"] == "confirm"
    return question.state


YES = [
    {"digits": "1"},
    {"speech": "yes"},
    {"speech": "yes please"},
    {"speech": "correct"},
    {"speech": "that is right"},
    {"speech": "sure"},
    {"speech": "yeah"},
    {"speech": "uh huh"},
]
NO = [
    {"digits": "2"},
    {"speech": "no"},
    {"speech": "nope"},
    {"speech": "no thanks"},
    {"speech": "wrong"},
    {"speech": "that is not it"},
    {"speech": "not really"},
    {"speech": "i did not"},
]


@pytest.mark.parametrize("said", YES, ids=str)
def test_did_you_mean_yes_answers(line: Line, did_you_mean: State, said: dict[str, str]) -> None:
    """Saying yes (or pressing 1) to "did you mean" reads that answer."""
    reply = step(line, did_you_mean, **said)
    assert menu(reply).state == State(flow.ANSWER, item=1, back=flow.MAIN)
    assert line.library.procedures[0].faqs[1].chunks[0] in [u.text for u in menu(reply).prompt]


@pytest.mark.parametrize("said", NO, ids=str)
def test_did_you_mean_no_asks_again(line: Line, did_you_mean: State, said: dict[str, str]) -> None:
    """Saying no (or pressing 2) apologises and asks for the question again."""
    reply = step(line, did_you_mean, **said)
    assert menu(reply).state == State(flow.ASK)
    assert menu(reply).prompt[0].key == "confirm_no"


TWO_TOPICS = MENU_STATES["confirm two"]  # the trial (1) or the surgery (2)


def test_did_you_mean_offers_two_close_topics(line: Line) -> None:
    """A doubtful question close to two topics offers both, each named before its key, then neither."""
    reply = step(line, State(flow.ASK), speech="how the trial works or about the surgery", confidence=0.3)
    offered = menu(reply)
    assert offered.state.at == flow.CONFIRM
    assert offered.state.other_kind == "section"
    assert keys(offered.prompt) == [
        "confirm_two",
        "confirm_choice_section",
        "confirm_choice_section",
        "confirm_neither",
    ]
    assert {offered.state.item, offered.state.other} == {1, 2}
    assert all(utterance.text.endswith(f"press {digit}.") for digit, utterance in enumerate(offered.prompt[1:3], 1))


@pytest.mark.parametrize(
    ("said", "item"),
    [
        ({"digits": "1"}, 1),
        ({"digits": "2"}, 2),
        ({"speech": "two"}, 2),
        ({"speech": "the surgery"}, 2),
        ({"speech": "the trial phase"}, 1),
    ],
    ids=str,
)
def test_did_you_mean_two_topics_choosing_one(line: Line, said: dict[str, str], item: int) -> None:
    """Either topic is chosen by its key, its number said, or its name."""
    reply = step(line, TWO_TOPICS, **said)
    assert menu(reply).state == State(flow.SECTION, item=item, back=flow.MAIN)


@pytest.mark.parametrize(
    "said", [{"digits": "3"}, {"speech": "no"}, {"speech": "neither"}, {"speech": "three"}], ids=str
)
def test_did_you_mean_two_topics_neither(line: Line, said: dict[str, str]) -> None:
    """Neither (3, or no) apologises and asks for the question again."""
    reply = step(line, TWO_TOPICS, **said)
    assert menu(reply).state == State(flow.ASK)
    assert menu(reply).prompt[0].key == "confirm_no"


def test_did_you_mean_two_topics_yes_asks_which(line: Line) -> None:
    """A plain yes does not say which topic: the caller is asked which, and hears both again."""
    reply = step(line, TWO_TOPICS, speech="yes")
    assert menu(reply).state == replace(TWO_TOPICS, tries=1)
    assert keys(menu(reply).prompt)[:2] == ["confirm_which", "confirm_two"]


@pytest.mark.parametrize(
    ("said", "item"),
    [
        ({"speech": "yes the second one"}, 2),
        ({"speech": "the other one"}, 2),
        ({"speech": "the last one"}, 2),
        ({"speech": "the first one please"}, 1),
        ({"speech": "number one"}, 1),
    ],
    ids=str,
)
def test_did_you_mean_two_topics_by_position(line: Line, said: dict[str, str], item: int) -> None:
    """Callers name a choice by its place as often as by its key: "the other one", "yes, the second one"."""
    assert menu(step(line, TWO_TOPICS, **said)).state == State(flow.SECTION, item=item, back=flow.MAIN)


@pytest.mark.parametrize("said", ["none of them", "neither of those"])
def test_did_you_mean_two_topics_none_of_them(line: Line, said: str) -> None:
    """'None of them' is neither: the caller is asked for the question again."""
    assert menu(step(line, TWO_TOPICS, speech=said)).state == State(flow.ASK)


def test_did_you_mean_with_a_stale_second_topic_offers_one(line: Line) -> None:
    """A second topic the content no longer has (an old URL): the usual one-topic "Did you mean", where no is 2."""
    stale = replace(TWO_TOPICS, other=99)
    offered = menu(step(line, stale, digits="9"))
    assert keys(offered.prompt) == ["confirm_topic"]
    assert menu(step(line, stale, speech="no")).state == State(flow.ASK)
    assert menu(step(line, stale, speech="yes")).state == State(flow.SECTION, item=1, back=flow.MAIN)


def test_did_you_mean_a_new_question_instead(line: Line, did_you_mean: State) -> None:
    """A different question at "did you mean" is answered instead."""
    faq = line.library.procedures[0].faqs[2]
    reply = step(line, did_you_mean, speech=faq.question, confidence=0.92)
    assert menu(reply).state == State(flow.ANSWER, item=2, back=flow.MAIN)


@pytest.mark.parametrize("when", TIMES)
def test_unanswerable_question_offers_a_person(line: Line, when: str) -> None:
    """A question the line has no answer for says so and offers a person (0) and another question (1)."""
    now = TIMES[when]
    reply = step(line, State(), now, speech="what will the weather be like tomorrow", confidence=0.9)
    no_answer = menu(reply)
    assert no_answer.state == State(flow.NO_ANSWER)
    assert no_answer.prompt[0].key == "no_answer"
    assert "press 0" in words(no_answer.prompt)
    assert reply.events[0].data["decision"] == "none"
    assert menu(step(line, no_answer.state, now, digits="1")).state == State(flow.ASK)
    person = step(line, no_answer.state, now, digits="0")
    if when == "open":
        assert transfer(person).to == "front_desk"
    else:
        assert menu(person).state == State(flow.AFTER_HOURS)


# ---------------------------------------------------------------- urgent words


@pytest.mark.parametrize("phrase", URGENT_PHRASES)
@pytest.mark.parametrize("where", MENU_STATES)
@pytest.mark.parametrize("when", TIMES)
def test_urgent_speech_at_every_menu(line: Line, where: str, phrase: str, when: str) -> None:
    """Urgent words anywhere give the emergency sentence first, then a person; silence connects.

    In office hours the person is our staff, with the on-call clinician if nobody answers; after
    hours, the on-call clinician.
    """
    now = TIMES[when]
    reply = step(line, MENU_STATES[where], now, speech=phrase, confidence=0.5)
    assert keys(reply.say)[0] == "emergency"
    if MENU_STATES[where].at == flow.URGENT:  # said again at the urgent menu: connect at once
        expected = ("front_desk", FRONT_DESK) if when == "open" else ("on_call", ON_CALL)
        assert (transfer(reply).to, transfer(reply).number) == expected
        return
    assert keys(reply.say) == ["emergency"]
    urgent = menu(reply)
    assert urgent.state == State(flow.URGENT)
    assert "press 1" in words(urgent.prompt)
    assert [e.name for e in reply.events] == ["urgent"]
    for said in ({}, {"digits": "1"}, {"digits": "0"}):
        connected = transfer(step(line, urgent.state, now, **said))
        if when == "open":
            assert (connected.to, connected.number) == ("front_desk", FRONT_DESK)
            assert connected.state == State(flow.DIAL_DESK, kind="urgent")
            fallback = transfer(step(line, connected.state, now, dial_status="no-answer"))
            assert (fallback.to, fallback.number) == ("on_call", ON_CALL)
        else:
            assert (connected.to, connected.number) == ("on_call", ON_CALL)


@pytest.mark.parametrize(
    "question",
    [
        "can the medicine in the pump slow down my breathing",
        "could the pump drugs make me stop breathing",
        "is it possible for the medicine to cause breathing problems",
    ],
)
@pytest.mark.parametrize("where", ["main", "ask", "no answer"])
def test_question_about_a_danger_hears_the_emergency_sentence_then_the_answer(
    line: Line, question: str, where: str
) -> None:
    """A question about what the medicine can do is answered, after the emergency sentence and the way to a person."""
    reply = step(line, MENU_STATES[where], speech=question, confidence=0.9)
    assert keys(reply.say)[:2] == ["emergency", "urgent_question"]
    assert "press 0" in words(reply.say[1:2])
    assert [event.name for event in reply.events[:2]] == ["urgent_question", "question"]
    assert reply.events[1].data["entry"] == "faq:risks"
    heard = words(reply.say + menu(reply).prompt)
    assert "respiratory depression" in heard or menu(reply).state.at == flow.CONFIRM


def test_mild_illness_before_the_operation_hears_the_emergency_sentence_then_the_answer(line: Line) -> None:
    """A fever before an operation still to come is answered (no pump yet), after the emergency sentence."""
    reply = step(line, State(flow.ASK), speech="i have a fever would you still operate on me", confidence=0.9)
    assert keys(reply.say)[:2] == ["emergency", "urgent_question"]
    assert [event.name for event in reply.events[:2]] == ["urgent_question", "question"]
    assert str(reply.events[1].data["entry"]).endswith("preparation")


@pytest.mark.parametrize(
    "said",
    [
        "can you help my husband is not breathing",
        "could it be an overdose i feel really sleepy",
        "can the pump be beeping right now",
        "could a seizure happen on a plane",  # the content has no answer: urgent
    ],
)
def test_danger_happening_now_is_urgent(line: Line, said: str) -> None:
    """Urgent words in a report of something happening, or with no answer in the content, are an emergency."""
    reply = step(line, State(flow.ASK), speech=said, confidence=0.9)
    assert keys(reply.say) == ["emergency"]
    assert menu(reply).state == State(flow.URGENT)


# ---------------------------------------------------------------- a person


@pytest.mark.parametrize("where", MENU_STATES)
def test_zero_reaches_a_person_in_office_hours(line: Line, where: str) -> None:
    """0 at every menu in office hours dials a person: the front desk, or on-call from its own menus."""
    state = MENU_STATES[where]
    for said in ({"digits": "0"}, {"speech": "operator"}, {"speech": "representative"}):
        reply = step(line, state, OPEN_TIME, **said)
        dial = transfer(reply)
        expected = "on_call" if state.at in ON_CALL_PLACES - {flow.URGENT} else "front_desk"
        assert dial.to == expected
        assert dial.number == (ON_CALL if expected == "on_call" else FRONT_DESK)
        assert dial.state.at == (flow.DIAL_ON_CALL if expected == "on_call" else flow.DIAL_DESK)


@pytest.mark.parametrize("where", MENU_STATES)
def test_zero_after_hours_gives_the_after_hours_choices(line: Line, where: str) -> None:
    """0 at every menu after hours gives the after-hours choices, where 0 or 1 dials on-call."""
    state = MENU_STATES[where]
    reply = step(line, state, CLOSED_TIME, digits="0")
    if state.at in ON_CALL_PLACES:
        assert transfer(reply).to == "on_call"
        return
    choices = menu(reply)
    assert choices.state == State(flow.AFTER_HOURS)
    assert "emergency" in keys(reply.say)
    assert "closed_now" in keys(reply.say)
    for key in ("0", "1"):
        assert transfer(step(line, choices.state, CLOSED_TIME, digits=key)).to == "on_call"
    assert isinstance(step(line, choices.state, CLOSED_TIME, digits="2").next, Voicemail)


@pytest.mark.parametrize(
    "said",
    ["leave a message", "can i just leave a voicemail please", "i'd like to leave the office a message", "voice mail"],
)
@pytest.mark.parametrize("where", ["after hours", "on-call failed"])
def test_asking_to_leave_a_message_records_one(line: Line, no_voicemail_line: Line, where: str, said: str) -> None:
    """At the after-hours choices, asking to leave a message is the message choice (2), not the on-call
    clinician's phone; with VOICEMAIL=0 there is no message to leave."""
    state = MENU_STATES[where]
    reply = step(line, state, CLOSED_TIME, speech=said)
    assert isinstance(reply.next, Voicemail)
    assert reply.next.state.kind == ("urgent" if state.at == flow.ON_CALL_FAILED else "")
    assert not isinstance(step(no_voicemail_line, state, CLOSED_TIME, speech=said).next, Voicemail)


@pytest.mark.parametrize("said", ["i need to speak to the doctor", "operator", "put me through to someone"])
def test_other_words_at_the_after_hours_choices_still_reach_on_call(line: Line, said: str) -> None:
    assert transfer(step(line, MENU_STATES["after hours"], CLOSED_TIME, speech=said)).to == "on_call"


def test_after_hours_without_voicemail_has_no_message_choice(no_voicemail_line: Line) -> None:
    """With VOICEMAIL=0, the after-hours choices offer on-call only, and 2 is not a choice."""
    choices = menu(step(no_voicemail_line, State(), CLOSED_TIME, digits="0"))
    assert "message" not in words(choices.prompt).lower()
    assert transfer(step(no_voicemail_line, choices.state, CLOSED_TIME, digits="1")).to == "on_call"
    wrong = step(no_voicemail_line, choices.state, CLOSED_TIME, digits="2")
    assert menu(wrong).prompt[0].key == "not_an_option"


# ---------------------------------------------------------------- mistakes and silence


FAILURES = {"silence": {}, "invalid key": {"digits": "8"}, "pound": {"digits": "#"}, "two keys": {"digits": "12"}}


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("where", MENU_STATES)
@pytest.mark.parametrize("when", TIMES)
def test_tapered_retries_end_with_a_person(line: Line, where: str, failure: str, when: str) -> None:
    """Two failures reprompt (the second with "still there" and 0); the third reaches a person, never a hang-up."""
    now, said, state = TIMES[when], FAILURES[failure], MENU_STATES[where]
    urgent_person = "front_desk" if when == "open" else "on_call"
    if state.at == flow.URGENT and not said:  # silence after the emergency sentence connects at once
        assert transfer(step(line, state, now)).to == urgent_person
        return
    first = step(line, state, now, **said)
    assert menu(first).state == replace(state, tries=1)
    assert menu(first).prompt[0].key == ("no_input" if not said else "not_an_option")
    assert "still_there" not in keys(menu(first).prompt)
    second = step(line, menu(first).state, now, **said)
    assert menu(second).state == replace(state, tries=2)
    assert "still_there" in keys(menu(second).prompt)
    assert "press 0" in words(menu(second).prompt)
    assert menu(second).pause_ms > menu(first).pause_ms, "the last try is read more slowly"
    third = step(line, menu(second).state, now, **said)
    assert not isinstance(third.next, Hangup)
    if state.at == flow.URGENT:
        assert transfer(third).to == urgent_person
    elif state.at in ON_CALL_PLACES or state.at == flow.DESK_FAILED:
        assert transfer(third).to == "on_call"
    elif when == "open":
        assert transfer(third).to == "front_desk"
    else:
        assert menu(third).state == State(flow.AFTER_HOURS)
        assert "emergency" in keys(third.say)


# ---------------------------------------------------------------- help, repeat, back, main menu


@pytest.mark.parametrize("where", MENU_STATES)
@pytest.mark.parametrize("when", TIMES)
def test_spoken_help(line: Line, where: str, when: str) -> None:
    """ "Help" gives the emergency sentence (it may be a call for help), explains the keys,
    mentions a person, and stays at the same menu."""
    state = replace(MENU_STATES[where], tries=1)
    reply = step(line, state, TIMES[when], speech="help")
    assert keys(reply.say) == ["emergency"]
    help_menu = menu(reply)
    assert help_menu.state == replace(state, tries=0)
    assert help_menu.prompt[0].key == "help"
    assert re.search(r"press 0|person", help_menu.prompt[0].text)
    assert help_menu.prompt[1:] == core(repeat_of(line, state, TIMES[when]))


@pytest.mark.parametrize("speech", ["repeat", "say that again", "can you repeat that please"])
@pytest.mark.parametrize("where", MENU_STATES)
def test_spoken_repeat_is_the_nine_key(line: Line, where: str, speech: str) -> None:
    """Saying "repeat" replays the same prompt as pressing 9."""
    state = MENU_STATES[where]
    assert step(line, state, speech=speech) == repeat_of(line, state, OPEN_TIME)


@pytest.mark.parametrize("where", MENU_STATES)
def test_nine_replays_the_menu(line: Line, where: str) -> None:
    """9 replays the menu's own prompt: the same state with no lead-in and the try count reset."""
    state = replace(MENU_STATES[where], tries=2)
    again = menu(repeat_of(line, state, OPEN_TIME))
    assert again.state == replace(state, tries=0)
    mistake = menu(step(line, replace(state, tries=0), OPEN_TIME, digits="8"))
    assert mistake.prompt[1:] == again.prompt, "a reprompt is the lead-in plus the very same menu"


@pytest.mark.parametrize("speech", ["go back", "back"])
@pytest.mark.parametrize("where", MENU_STATES)
def test_spoken_back_is_the_star_key(line: Line, where: str, speech: str) -> None:
    """Saying "go back" does what star does."""
    state = MENU_STATES[where]
    assert step(line, state, speech=speech) == step(line, state, digits="*")


@pytest.mark.parametrize("where", MENU_STATES)
def test_spoken_main_menu(line: Line, where: str) -> None:
    """Saying "main menu" goes to the main menu from anywhere."""
    reply = step(line, MENU_STATES[where], speech="main menu")
    assert menu(reply).state == State()
    assert menu(reply).prompt[0].key == "main_menu"


# ---------------------------------------------------------------- transfers and messages


@pytest.mark.parametrize("status", ["completed", "answered"])
@pytest.mark.parametrize("place", [flow.DIAL_DESK, flow.DIAL_ON_CALL])
def test_answered_transfer_says_goodbye(line: Line, place: str, status: str) -> None:
    """After a connected call, the line says goodbye with 9 1 1 and calling back, then hangs up."""
    reply = step(line, State(place), dial_status=status)
    assert isinstance(reply.next, Hangup)
    goodbye = words(reply.say)
    assert NINE_ONE_ONE.search(goodbye)
    assert "call back" in goodbye


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled", ""])
def test_unanswered_desk_goes_to_voicemail(line: Line, status: str) -> None:
    """With VOICEMAIL=1, an unanswered front desk takes a message, announced as recorded."""
    reply = step(line, State(flow.DIAL_DESK), dial_status=status)
    assert isinstance(reply.next, Voicemail)
    assert reply.next.state == State(flow.VOICEMAIL)
    assert keys(reply.say) == ["front_desk_unavailable", "voicemail"]
    assert "recorded" in reply.say[-1].text
    assert [e.name for e in reply.events] == ["transfer_failed"]


@pytest.mark.parametrize("status", ["no-answer", "busy"])
def test_unanswered_desk_without_voicemail(no_voicemail_line: Line, status: str) -> None:
    """With VOICEMAIL=0, an unanswered desk reads its number digit by digit and offers retry and urgent."""
    reply = step(no_voicemail_line, State(flow.DIAL_DESK), dial_status=status)
    choices = menu(reply)
    assert choices.state == State(flow.DESK_FAILED)
    assert "5 5 5, 5 5 5, 0 1 0 0" in words(choices.prompt)
    assert not re.search(r"\d{3}", words(choices.prompt))
    assert transfer(step(no_voicemail_line, choices.state, digits="1")).to == "front_desk"
    urgent = step(no_voicemail_line, choices.state, digits="2")
    assert keys(urgent.say) == ["emergency"]


@pytest.mark.parametrize("voicemail", [True, False])
def test_unanswered_on_call(line: Line, no_voicemail_line: Line, voicemail: bool) -> None:
    """An unanswered on-call clinician repeats the emergency sentence and offers to try again."""
    used = line if voicemail else no_voicemail_line
    reply = step(used, State(flow.DIAL_ON_CALL), CLOSED_TIME, dial_status="no-answer")
    choices = menu(reply)
    assert choices.state == State(flow.ON_CALL_FAILED)
    assert "emergency" in keys(choices.prompt)
    assert transfer(step(used, choices.state, CLOSED_TIME, digits="1")).to == "on_call"
    message = step(used, choices.state, CLOSED_TIME, digits="2")
    if voicemail:
        assert isinstance(message.next, Voicemail)
        assert message.next.state == State(flow.VOICEMAIL, kind="urgent")
    else:
        assert "5 5 5, 5 5 5, 0 1 9 9" in words(choices.prompt)
        assert menu(message).prompt[0].key == "not_an_option"


@pytest.mark.parametrize("kind", ["", "urgent"])
def test_voicemail_recorded(line: Line, kind: str) -> None:
    """A recorded message is thanked for, followed by goodbye with 9 1 1, and reported with its recording id."""
    sid = "RE" + "ab" * 16
    reply = step(line, State(flow.VOICEMAIL, kind=kind), recorded=True, recording=sid)
    assert isinstance(reply.next, Hangup)
    assert keys(reply.say) == ["voicemail_saved", "goodbye"]
    assert NINE_ONE_ONE.search(words(reply.say))
    assert [(e.name, e.data) for e in reply.events] == [("voicemail", {"urgent": kind == "urgent", "recording": sid})]


def test_voicemail_nothing_recorded(line: Line) -> None:
    """When nothing was recorded, the line says so and returns to the main menu."""
    reply = step(line, State(flow.VOICEMAIL))
    assert menu(reply).state == State()
    assert keys(menu(reply).prompt)[:2] == ["voicemail_empty", "main_menu"]
    assert reply.events == ()


# ---------------------------------------------------------------- the state in the URL


ROUND_TRIP = [
    *MENU_STATES.values(),
    State(flow.DIAL_DESK),
    State(flow.DIAL_ON_CALL),
    State(flow.VOICEMAIL, kind="urgent"),
    State(flow.SECTION, proc=2, item=12, chunk=7, page=3, tries=2, back=flow.MAIN),
    State(flow.FAQS, proc=999, page=999),
]


@pytest.mark.parametrize("state", ROUND_TRIP, ids=str)
def test_state_query_round_trip(state: State) -> None:
    """A state survives the trip through the action URL's query, in short ASCII values."""
    query = state.to_query()
    assert query["at"] == state.at
    assert all(value.isascii() and len(value) <= 12 for value in query.values())
    assert State.from_query(query) == state


DAMAGED = [
    {"at": "nowhere"},
    {"at": ""},
    {"at": "topics", "p": "x"},
    {"at": "topics", "p": "-1"},
    {"at": "topics", "p": "1000"},
    {"at": "topics", "t": "1e3"},
    {"at": "topics", "b": "up"},
    {"at": "<Say>"},
    {"at": "topics\u00e9"},
    {"at": "topics", "k": "x" * 13},
    {"at": "a" * 13},
    {"at": "topics", "g": "\u0663"},
    {"at": "topics", "g": "1_0"},
    {"at": "topics", "g": " 1"},
    {"at": "confirm", "i": "1", "k": "section", "o": "2", "ok": "urgent"},
    {"at": "confirm", "i": "1", "k": "section", "o": "1", "ok": "section"},
]


@pytest.mark.parametrize("query", DAMAGED, ids=repr)
def test_damaged_state_gives_the_main_menu(line: Line, query: dict[str, str]) -> None:
    """Unknown or damaged state in the query falls back to the main menu."""
    state = State.from_query(query)
    assert state == State()
    assert menu(step(line, state, digits="9")).state == State()


@pytest.mark.parametrize(
    "state",
    [State(flow.SECTION, item=99), State(flow.ANSWER, item=99), State(flow.TOPICS, proc=9), State(flow.CONFIRM)],
    ids=str,
)
def test_out_of_range_state_reads_the_main_menu(line: Line, state: State) -> None:
    """A state naming content that does not exist reads the main menu's options instead of failing."""
    prompt = menu(step(line, state, digits="9")).prompt
    assert "option_ask" in keys(prompt)
