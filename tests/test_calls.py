"""Whole calls through the app, with a signed client that follows the TwiML exactly as Twilio would.

Expected sentences come from the line's own prompt catalogue and content (`Caller.phrase`,
`Caller.procedure`), so the calls check what the caller hears without breaking on every
rewording of a prompt or a content file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from conftest import CLOSED_TIME
from conftest import FRONT_DESK
from conftest import ON_CALL
from conftest import AppFactory
from conftest import Page
from conftest import TwilioClient

from ivr.content import Procedure
from ivr.flow import Line
from ivr.flow import spoken_number

EMERGENCY = re.compile(r"emergency.*9 1 1", re.IGNORECASE)


def element_text(element: ET.Element) -> str:
    """The words of an element, with sentences that a <break> separates kept apart."""
    return " ".join(" ".join(element.itertext()).split())


class Caller:
    """A caller on the line: keeps the current TwiML and only does what that TwiML allows."""

    def __init__(self, twilio: TwilioClient) -> None:
        self.twilio = twilio
        self.line: Line = twilio.client.application.extensions["ivr"].line
        self.page = self._check(twilio.call())
        self.heard = [self.page.said]

    # ------------------------------------------------------------ what the line should say

    def phrase(self, key: str, **values: object) -> str:
        """A sentence from the line's prompt catalogue."""
        return " ".join(self.line.prompts.phrase(key, **values).split())

    @property
    def procedure(self) -> Procedure:
        return self.line.library.procedures[0]

    def faq(self, faq_id: str) -> tuple[str, str]:
        """A common question and the first chunk of its answer."""
        faq = next(faq for faq in self.procedure.faqs if faq.id == faq_id)
        return faq.question, " ".join(faq.chunks[0].split())

    # ------------------------------------------------------------ what the caller does

    @staticmethod
    def _check(page: Page) -> Page:
        assert page.status == 200, page.status
        assert page.content_type == "text/xml"
        assert page.root.tag == "Response"
        return page

    def _go(self, url: str, **form: str) -> Caller:
        self.page = self._check(self.twilio.post(url, **form))
        self.heard.append(self.page.said)
        return self

    def _gather_action(self) -> str:
        gather = self.page.gather
        assert gather is not None, f"nothing is listening: {self.page.verbs()}"
        return gather.get("action", "")

    def press(self, digits: str) -> Caller:
        return self._go(self._gather_action(), Digits=digits)

    def say(self, speech: str, confidence: str = "0.92") -> Caller:
        return self._go(self._gather_action(), SpeechResult=speech, Confidence=confidence)

    def stay_silent(self) -> Caller:
        """A Gather timed out: Twilio runs the next verb, which must be a Redirect."""
        verbs = self.page.verbs()
        assert "Gather" in verbs
        following = self.page.root[verbs.index("Gather") + 1]
        assert following.tag == "Redirect"
        assert following.text
        return self._go(following.text)

    def dial_ends(self, status: str) -> Caller:
        dial = self.page.root.find("Dial")
        assert dial is not None
        assert dial.get("action")
        duration = "42" if status == "completed" else "0"
        return self._go(
            dial.get("action", ""), DialCallStatus=status, DialCallSid="CA" + "2" * 32, DialCallDuration=duration
        )

    def leave_message(self, seconds: int) -> Caller:
        record = self.page.root.find("Record")
        assert record is not None
        assert record.get("action")
        if seconds == 0:  # Twilio goes on to the verb after the Record
            return self._go(self.page.root[self.page.verbs().index("Record") + 1].text or "")
        return self._go(
            record.get("action", ""),
            RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
            RecordingSid="RE" + "3" * 32,
            RecordingDuration=str(seconds),
        )

    # ------------------------------------------------------------ what the caller heard

    @property
    def prompt(self) -> str:
        """What the caller hears inside the Gather (the menu)."""
        gather = self.page.gather
        return element_text(gather) if gather is not None else ""

    @property
    def before_prompt(self) -> str:
        """What the caller hears before the menu starts (outside the Gather)."""
        return " ".join(element_text(say) for say in self.page.root.findall("Say"))

    def dialled(self) -> list[str]:
        return [number.text or "" for number in self.page.root.iter("Number")]


def test_pressing_through_to_a_section_and_back(twilio: TwilioClient) -> None:
    """Keys lead to a procedure, a topic, more topics and back, each step saying what the caller chose."""
    caller = Caller(twilio)
    name = caller.procedure.spoken_name
    sections = caller.procedure.sections
    assert caller.page.verbs() == ["Say", "Gather", "Redirect"]
    assert EMERGENCY.search(caller.before_prompt)
    assert caller.phrase("option_procedure", procedure=name, digit=1) in caller.prompt

    caller.press("1")
    assert caller.prompt.startswith(caller.phrase("topics_intro", procedure=name))
    assert caller.phrase("option_topic", topic=sections[2].menu_name, digit=3) in caller.prompt
    assert caller.phrase("option_more", digit=5) in caller.prompt
    topics = caller.prompt

    caller.press("3")
    assert caller.page.verbs() == ["Gather", "Redirect"]
    assert caller.prompt.startswith(caller.phrase("section_title", title=sections[2].title))
    assert " ".join(sections[2].chunks[0].split()) in caller.prompt
    section = caller.prompt

    caller.press("9")
    assert caller.prompt == section

    caller.press("*")
    assert caller.prompt == topics

    caller.press("5")
    more = caller.prompt
    assert more.startswith(caller.phrase("topics_more_intro", procedure=name))
    caller.press("2")
    assert caller.prompt.startswith(caller.phrase("section_title", title=sections[5].title))
    assert " ".join(sections[5].chunks[0].split()) in caller.prompt
    caller.press("*")
    assert caller.prompt == more
    caller.press("*")
    assert caller.prompt == topics
    caller.press("*")
    assert caller.prompt.startswith(caller.phrase("main_menu"))


def test_spoken_question_is_answered(make_app: AppFactory) -> None:
    """A spoken question is answered from the approved content, and the answer is reported as an event."""
    _, twilio, events = make_app()
    caller = Caller(twilio)
    question, answer = caller.faq("recovery")
    caller.say(question)
    assert caller.prompt.startswith(caller.phrase("answer_intro", question=question))
    assert answer in caller.prompt
    assert caller.phrase("after_answer") in caller.prompt
    assert [(e.name, e.data.get("decision")) for _, e in events.events] == [
        ("call_started", None),
        ("question", "answer"),
    ]
    caller.press("1")
    assert caller.prompt.startswith(caller.phrase("ask"))
    question, answer = caller.faq("risks")
    caller.say(question)
    assert answer in caller.prompt


def test_did_you_mean_yes(twilio: TwilioClient) -> None:
    """A doubtfully heard question is confirmed first; "yes" reads the answer."""
    caller = Caller(twilio)
    question, answer = caller.faq("risks")
    caller.say(question, "0.3")
    assert caller.prompt == caller.phrase("confirm", question=question.rstrip("?"))
    caller.say("yes")
    assert caller.prompt.startswith(caller.phrase("answer_intro", question=question))
    assert answer in caller.prompt


def test_did_you_mean_no_then_keys(twilio: TwilioClient) -> None:
    """Pressing 2 at "did you mean" asks again, and the keypad reaches the questions instead."""
    caller = Caller(twilio)
    question, _ = caller.faq("risks")
    caller.say(question, "0.3").press("2")
    assert caller.prompt.startswith(f"{caller.phrase('confirm_no')} {caller.phrase('ask')}")
    caller.press("1")
    assert caller.prompt.startswith(caller.phrase("faqs_intro", procedure=caller.procedure.spoken_name))
    caller.press("3")
    question, answer = caller.faq(caller.procedure.faqs[2].id)
    assert caller.prompt.startswith(caller.phrase("answer_intro", question=question))
    assert answer in caller.prompt


def test_unanswerable_question_then_a_person(make_app: AppFactory) -> None:
    """A question the line cannot answer offers a person; 0 dials the front desk in office hours."""
    _, twilio, events = make_app()
    caller = Caller(twilio).say("what will the weather be like tomorrow")
    assert caller.prompt.startswith(caller.phrase("no_answer"))
    assert caller.phrase("no_answer_options") in caller.prompt
    caller.press("0")
    assert caller.page.verbs() == ["Say", "Dial"]
    assert caller.before_prompt == caller.phrase("connecting_front_desk")
    assert caller.dialled() == [FRONT_DESK]
    names = [e.name for _, e in events.events]
    assert names == ["call_started", "question", "transfer"]


@pytest.mark.parametrize("phrase", ["my husband is not breathing", "I think I'm having an allergic reaction"])
def test_urgent_phrase(twilio: TwilioClient, phrase: str) -> None:
    """Urgent words get the emergency sentence before anything else; staying on the line connects our
    staff in office hours, and the on-call clinician when nobody at the desk answers."""
    caller = Caller(twilio).say(phrase, "0.6")
    assert caller.page.verbs() == ["Say", "Gather", "Redirect"]
    assert caller.before_prompt == caller.phrase("emergency")
    assert EMERGENCY.search(caller.before_prompt)
    assert caller.prompt == caller.phrase("urgent_offer_open")
    caller.stay_silent()
    assert caller.dialled() == [FRONT_DESK]
    caller.dial_ends("no-answer")
    assert caller.dialled() == [ON_CALL]
    assert caller.before_prompt == f"{caller.phrase('front_desk_unavailable')} {caller.phrase('connecting_on_call')}"


def test_person_in_hours_desk_does_not_answer_then_voicemail(make_app: AppFactory) -> None:
    """In office hours "operator" dials the desk; when nobody answers, the caller leaves an announced message."""
    _, twilio, events = make_app()
    caller = Caller(twilio).say("operator")
    assert caller.dialled() == [FRONT_DESK]
    caller.dial_ends("no-answer")
    assert caller.page.verbs() == ["Say", "Record", "Redirect"]
    assert caller.before_prompt == f"{caller.phrase('front_desk_unavailable')} {caller.phrase('voicemail')}"
    assert "recorded" in caller.before_prompt
    caller.leave_message(17)
    assert caller.page.verbs() == ["Say", "Hangup"]
    assert caller.before_prompt.startswith(caller.phrase("voicemail_saved"))
    assert "9 1 1" in caller.before_prompt
    assert [e.name for _, e in events.events] == ["call_started", "transfer", "transfer_failed", "voicemail"]


def test_silent_recording_returns_to_the_menu(twilio: TwilioClient) -> None:
    """When the caller records nothing, the line says so and reads the main menu again."""
    caller = Caller(twilio).press("0").dial_ends("busy").leave_message(0)
    assert caller.prompt.startswith(f"{caller.phrase('voicemail_empty')} {caller.phrase('main_menu')}")


def test_person_without_voicemail_reads_the_number(make_app: AppFactory) -> None:
    """With VOICEMAIL=0 an unanswered desk reads its number digit by digit, and 1 tries again."""
    _, twilio, _ = make_app(VOICEMAIL="0")
    caller = Caller(twilio).press("0").dial_ends("no-answer")
    assert "Record" not in caller.page.verbs()
    assert spoken_number(FRONT_DESK) == "5 5 5, 5 5 5, 0 1 0 0"
    assert "5 5 5, 5 5 5, 0 1 0 0" in caller.prompt
    caller.press("1")
    assert caller.dialled() == [FRONT_DESK]


def test_after_hours_reaches_on_call(twilio_closed: TwilioClient) -> None:
    """After hours the caller hears the office is closed, then 0 and 1 reach the on-call clinician."""
    caller = Caller(twilio_closed)
    assert "We open again on Monday at 8 AM." in caller.prompt
    assert caller.phrase("option_person_closed") in caller.prompt
    caller.press("0")
    assert "Monday to Friday, 8 AM to 5 PM" in caller.before_prompt
    assert EMERGENCY.search(caller.before_prompt)
    assert caller.prompt == caller.phrase("after_hours_menu")
    caller.press("1")
    assert caller.dialled() == [ON_CALL]
    caller.dial_ends("completed")
    assert caller.page.verbs() == ["Say", "Hangup"]
    assert caller.before_prompt == caller.phrase("goodbye", practice=caller.line.settings.practice)
    assert "call back" in caller.before_prompt
    assert "9 1 1" in caller.before_prompt


def test_after_hours_on_call_does_not_answer(twilio_closed: TwilioClient) -> None:
    """When on-call does not answer, the caller hears the emergency sentence and can leave an urgent message."""
    caller = Caller(twilio_closed).press("0").press("1").dial_ends("no-answer")
    assert caller.prompt.startswith(caller.phrase("on_call_unavailable"))
    assert EMERGENCY.search(caller.prompt)
    caller.press("2")
    assert caller.page.verbs() == ["Say", "Record", "Redirect"]
    assert "recorded" in caller.before_prompt


def test_silence_in_hours_reaches_the_front_desk(twilio: TwilioClient) -> None:
    """A caller who never speaks hears two gentler reprompts, then is connected to the front desk."""
    caller = Caller(twilio).stay_silent()
    assert caller.prompt.startswith(caller.phrase("no_input"))
    assert caller.phrase("still_there") not in caller.prompt
    caller.stay_silent()
    assert caller.prompt.startswith(f"{caller.phrase('no_input')} {caller.phrase('still_there')}")
    assert "press 0" in caller.prompt
    caller.stay_silent()
    assert "Hangup" not in caller.page.verbs()
    assert caller.before_prompt.startswith(caller.phrase("giving_up"))
    assert caller.dialled() == [FRONT_DESK]


def test_silence_after_hours_reaches_on_call(make_app: AppFactory) -> None:
    """After hours, silence leads to the after-hours choices and then, still silent, to on-call."""
    _, twilio, _ = make_app(CLOSED_TIME)
    caller = Caller(twilio).stay_silent().stay_silent().stay_silent()
    assert caller.before_prompt.startswith(caller.phrase("giving_up_closed"))
    assert caller.prompt == caller.phrase("after_hours_menu")
    for _ in range(3):
        assert "Hangup" not in caller.page.verbs()
        caller.stay_silent()
    assert caller.dialled() == [ON_CALL]


def test_a_long_call_never_meets_a_refusal(twilio: TwilioClient) -> None:
    """A long call never meets a 403: each action URL the app hands out passes its own signature check."""
    caller = Caller(twilio).press("1").press("5").press("4").press("2").press("9").say("go back")
    caller.say("main menu").say("help").press("8").press("*")
    assert all(caller.heard)
    assert caller.prompt.startswith(caller.phrase("at_main_menu"))
