"""Tests for ivr.intents: urgent words, requests for a person, commands, spoken keys and option names."""

from __future__ import annotations

import pytest

from ivr.flow import Line
from ivr.intents import Intents


@pytest.fixture(scope="module")
def intents(line: Line) -> Intents:
    """The bundled line's intent recogniser (prompts/en-US.toml [hear] lists)."""
    return line.intents


@pytest.fixture(scope="module")
def topic_labels(line: Line) -> list[tuple[str, str]]:
    """The topic menu's option names as the call flow builds them: menu name and title, keyed 1, 2, ..."""
    procedure = line.library.procedures[0]
    return [
        (name, str(number))
        for number, section in enumerate(procedure.sections, start=1)
        for name in (section.menu_name, section.title)
    ]


# ---------------------------------------------------------------- urgent

URGENT = [
    # breathing
    "my husband is not breathing",
    "my mom can't breathe",
    "he stopped breathing",
    "she's having trouble breathing",
    "i am short of breath",
    "his breathing is really slow",
    "she can barely breathe",
    "he is gasping for air",
    "my grandpa is choking",
    "my lips are turning blue",
    "my baby is turning blue",
    # consciousness
    "my wife won't wake up",
    "my dad passed out",
    "he fainted in the kitchen",
    "my wife collapsed on the floor",
    "my husband is unconscious",
    "my mother is very sleepy and hard to wake",
    "he is not responding",
    "i think i'm going to pass out",
    # overdose and medicine
    "i think i overdosed",
    "I took too many pills",
    "i took a double dose",
    # heart and stroke
    "i have chest pain",
    "my chest feels tight",
    "his heart is racing",
    "i think my mom is having a stroke",
    "her face is drooping",
    "he is slurring his words",
    "she is very confused",
    # seizures, allergy, bleeding
    "my son is having a seizure",
    "my throat is swelling",
    "i have hives and my throat feels tight",
    "my daughter is having an anaphylactic reaction",
    "the incision is bleeding a lot",
    "my dad is throwing up blood",
    # infection and nerves
    "i have a high fever and the incision is red",
    "i have a fever and a stiff neck",
    "the wound is leaking pus",
    "my temperature is over a hundred and two",
    "i can't feel my legs",
    "i lost control of my bladder",
    "the worst headache of my life",
    "i fell and hit my head",
    # the pump and withdrawal
    "the pump is beeping",
    "the pump alarm is going off",
    "my pump is empty",
    "i missed my refill and i'm sweating and shaking",
    "i ran out of medicine and my muscles are rigid",
    # self-harm
    "i want to kill myself",
    "i dont want to live anymore",
    # asking for help outright
    "this is an emergency",
    "call 911",
    "call an ambulance",
    # garbled by recognition
    "emergancy",
    "he's not breething",
    "shes having convulsions",
    "i feel dizzy and i've been sweating since the refill",
    "she has a rash and swelling all of a sudden",
    "the cut is bleedin right through the bandage theres blood all over",
    "my wife is un responsive",
    "i cant breath",
    "im having a hart attack",
    "<b>my husband</b> is NOT BREATHING!!",
    "um uh my dad is uh choking",
    "he's only taking a breath every now and then like really far apart",
    "i can't get my son to open his eyes",
    "she's all mixed up keeps asking me what year it is",
    "there's blood all over the place from where they put the pump in",
    "the pump thing keeps chirping at her",
    "my dad wet himself and he can't feel his legs",
    "help please something's really wrong with my husband",
    "head ache so bad i can barely see",
    "my husband he no breathe good",
    "my mother she not talk she fall",
    "he no can move his legs and he have big fever",
    "probably nothing but his lips look a bit dark",
    "i'm gonna do something stupid",
    "the skin over the pump has opened and i can see the device",
    "she's having a seas your right now",
    "there's blood every where from the cut on my belly",
    "i don't wanna be alive any more",
    "the pump thing is squealin",
    "legs givin out i cant stand",
    "my toddler got into grandma's pain pills",
    "my four year old swallowed some of my baclofen tablets",
    "there's a squishy bulge around the pump",
    "please my son he shaking shaking no stop",
    "he said he's going to take all his pills tonight and i'm scared",
    "i've got a crushing feeling in my chest and my left arm's aching",
    "he's slumped in his chair and i can't get much out of him",
    "my husband very hot shaking cold and the place of operation have yellow water",
    "i am having palpitatons",
    "hesnotbreathing",
    "my son's fitting and he's got the baclofen pump",
    "low reservoir alarm keeps sounding and i'm way past my refill date",
    "is it serious if hes only breathing like four times a minute",
    "sorry um my son is um he's having like a fit or something he's jerking",
    "i want to kill my shelf",
    "it's an a merge and see",
    "help he's gone blew",
    "my father collapse in bathroom",
    "nine won won",
    "she keeps saying everyone would be better off without her",
    "my son keeps saying he wants to end his life",
    "he's talking about killing him self",
    "ah cannae wake him up",
    "she's breathing like once every ten seconds",
    "puss coming out the cut and a temperature of forty",
    "patient's resp rate is six and he's barely rousable since his pump refill this morning",
    "sats are eighty five on room air and she's got an intrathecal baclofen pump",
    "g c s has dropped to eight",
    "the wound has d his sea'd",
    "he's took poorly all of a sudden and he's not with it at all",
    "i'm after taking too many of me tablets on purpose",
    "she's not brie thing properly since the pump refill",
    "my wife is having a sees sure",
    "the thing in my stomach keeps alarming and i feel really strange",
    "my incision popped open",
    "blood is coming through the bandage",
    "my husband want wake up he has the pain pump",
    "my back incision is gushing clear liquid",
    "i think he o d'd on his pain medicine",
    "nobody can wake my grandpa up after they filled his pump",
    "there's an alarm sound coming from inside my stomach",
    "my wife's baclofen pump is chiming and it won't stop",
    "my pump ran empty and now i feel really sick",
    "i'm having trouble bree thing",
    "my blood is poor ring out of the in vision",
    "i just got hit by a car and i have a pump in my stomach",
    "my whole belly around the pump is hot red and hard and it's spreading fast",
    "pupils pinpoint rr 8 hx intrathecal morphine",
    "sorry to bother you but my face has blown up like a balloon and i'm wheezy",
    "i just feel like there's no point carrying on",
]
URGENT_MISSED = [
    "she stopped responding",
    "my son swallowed my pills",
    "she's not making any sense",
]


@pytest.mark.parametrize("said", URGENT + URGENT_MISSED)
def test_urgent(intents: Intents, said: str) -> None:
    """Emergencies, the caller's own or a relative's, even garbled, are urgent."""
    assert intents.is_urgent(said)


@pytest.mark.parametrize(
    "said",
    [
        "what are the risks",
        "do I need to stop my blood thinners",
        "can I lift heavy things",
        "my pain medicine is not working anymore is the pump for me",
        "what should I watch for after the surgery",
        "can the medicine affect my breathing",
        "is there a risk of infection",
        "what are the signs of infection",
        "can I get an infection from the pump",
        "what is respiratory depression",
        "what is a granuloma",
        "how does the pump work",
        "does the pump have a battery",
        "when can I go home",
        "how long is the recovery",
        "i have chronic back pain",
        "does the surgery hurt",
        "can I take a shower after surgery",
        "can the catheter move out of place",
        "is a fever a side effect of the pump",
        "can the medicine cause a rash",
        "how should i get myself ready for the operation",
        "why would a pump be better than just swallowing my pain pills",
        "do i have to come back to get the pump filled up",
        "would my mother get to cut back on all the tablets she swallows if she had this",
        "my mother's trial helped her a lot does that mean she gets the pump fitted now",
        "they said my pain hasn't responded to anything else is that why they're offering me the pump",
        "her back pain stopped responding to her pain meds is the pump for her",
        "",
        "   ",
    ],
)
def test_not_urgent(intents: Intents, said: str) -> None:
    """Questions about risks, medicine and recovery are not emergencies."""
    assert not intents.is_urgent(said)


# ---------------------------------------------------------------- a person


@pytest.mark.parametrize(
    "said",
    [
        "operator",
        "representative",
        "can I talk to a representative",
        "a nurse",
        "nurse please",
        "I need to speak with a nurse",
        "can I talk to Dr Moghim",
        "I need to reach doctor moghim",
        "can doctor moghim call me back",
        "appointments",
        "I need to make an appointment",
        "I want to reschedule my appointment",
        "billing",
        "I have a question about my bill",
        "call me back",
        "can someone call me back",
        "real person please",
        "get me a human",
        "front desk",
        "transfer me",
        "opera tor please",
        "represent tive",
        "i wanna speak to the dock tor",
        "none of the above",
        "none of these options",
        "i don't want the machine, a real person",
        "agent agent agent",
        "callback please",
        "is anybody there",
        "i need a follow up appointment after my implant",
        "do you have an interpreter my english is not so good",
        "is the physician assistant available today",
        "i need to set a date for my surgery",
        "cancel my surgery",
        "can someone update the address you have on file for me",
        "i'm trying to reach the the scheduling lady",
        "could somebody give me a ring back",
        "stop talking and get me someone",
        "i was hoping to have a word with one of the nurses",
        "please somebody talk me my english not good",
        "i need my pain medicine renewed",
        "my wife has a question for the nurse can some one call her",
        "in ter preter",
        "records depart ment",
        "can i push my surgery date back a couple of weeks",
        "i want appointment for my father",
        "i think i've been charged twice",
        "i'm on the waiting list and want to know where i am",
        "i need a perscription refilled",
        "i need a consulation",
        "how do i book the trial",
        "can i leave a voicemail for the doctor",
        "yeah hi can i get through to appointments",
        "uh yeah i'm just returning the doctor's call from this morning",
        "the front dest please",
        "can i change my a point mint",
        "put me thru to de nurse",
        "um yeah can i get the uh reception nest",
        "hi my grandma wants me to ask if someone can call her back",
        "i'm nearly out of my tablets can someone sort a repeat",
        "can the nurse ring my daughter back about her results",
        "sec re tary",
        "the docters a sis tant please",
        "rep re sen ta tive",
        "re pre zen ta tive",
        "reprehensive",
        "rep re zen tative",
        "pain management please",
        "i need a reef fur all to a specialist",
        "the farm a see said they need a call from you guys",
        "my pump is due to be topped up when can you fit me in",
        "uh hello is is there an actual person there",
        "i need to cancel my sir jury",
        "can you tell the doctor i called",
        "i've called three times and no one has gotten back to me this is ridiculous",
        "do you have any openings this week",
        "my in surance changed and i need to give you the new card",
        "i need to get my trial scheduled",
        "i need the doctor to turn my pump dose up it isn't holding my pain",
        "my pump refill is coming due and nobody has called me to set it up",
        "i left a message yesterday and nobody called me back",
        "my pharmacy says they need an okay from the doctor before they can fill it",
        "i'm not calling to make an appointment i need to talk to a nurse",
        "can you lower my dose please",
        "is the office open on saturdays",
        "is dr okafor in today",
        "i want to know when my appointment is",
    ],
)
def test_wants_person(intents: Intents, said: str) -> None:
    """Requests for the operator, a nurse, the doctor, appointments, billing or a call back reach a person."""
    assert intents.wants_person(said)


@pytest.mark.parametrize(
    "said",
    [
        "will I need appointments after the surgery",
        "will I need regular appointments after the surgery",
        "will i need appointments after the pump goes in",
        "will i need regular a point mints for main tenants",
        "i'm on the waiting list for the pump op, what should i be doing to get ready",
        "what is the pump",
        "what are the risks",
        "how does the pump work",
        "who is the pump for",
        "when can I go home",
        "does doctor moghim do the surgery",
        "what does the nurse do during the trial",
        "is there any danger in getting one of these pumps",
        "would I need less medication with one of these",
        "i'm not asking about the price i'm asking will this let me take fewer pills",
        "the pharmacy says her blood thinner has to be sorted before surgery, does she really have to stop it",
        "do i need to book regular appointments once the pump is in",
        "i'm not calling to make an appointment i just want to know if you go home the same day",
        "i don't want a prescription i only want to know if i have to be off blood thinners",
        "is the dose much lower than what i'm taking by mouth",
        "not trying to book anything i just want to know what the appointments after the surgery are for",
        "",
    ],
)
def test_not_a_person_request(intents: Intents, said: str) -> None:
    """Questions that mention appointments or staff are questions, not requests for a person."""
    assert not intents.wants_person(said)


@pytest.mark.parametrize(
    ("said", "question"),
    [
        ("can the medication in the pump slow down my breathing", True),
        ("um could the morphine slow my breathing too much", True),
        ("is it possible for a pump to give an overdose", True),
        ("can you help my husband is not breathing", False),
        ("could it be an overdose i feel really sleepy", False),
        ("does the pump beep right now", False),
        ("my pump is beeping", False),
        ("is it normal to have chest pain after surgery", False),
        ("um sorry one more thing uh can the drug make my breathing slow", True),
        ("could the medicine slow her breathing down too much", True),
        ("i read the drug can slow your breathing is that true", True),
        ("my husband is barely breathing could the pump do that", False),
        ("could the pump be making him so drowsy he won't wake up", False),
        ("can the pump cause seizures my son just had one", False),
        ("could the pump have stopped his breathing he's blue", False),
        ("my husband is uh barely breathing could the drug slow his breathing", False),
        ("could the drug do this shes barely breathing", False),
        ("i was wondering can the medicine slow my breathing", True),
    ],
)
def test_asks_about_a_danger(intents: Intents, said: str, question: bool) -> None:
    """A question about what the pump or medicine can do, as against a report of something happening."""
    assert intents.asks_about(said) is question


@pytest.mark.parametrize(
    ("said", "question"),
    [
        ("i have a fever would you still operate on me", True),
        ("i've had a cold with a fever does that affect the surgery", True),
        ("my husband has a fever and a cough and he's supposed to get his pump next week", True),
        ("i have a fever and i can't breathe will you still operate", False),
        ("he's got a fever and he's really confused, his surgery is next week", False),
        ("he is out cold and has a fever, do we go ahead with the surgery", False),
        ("i have a fever of 104 do we go ahead with the surgery", False),
        ("she has a high temperature, will you still operate", False),
        ("i have a fever, does it matter for the operation i had last week", False),
        ("i have a fever and my wound is red and swollen", False),
    ],
)
def test_asks_before_surgery(intents: Intents, said: str, question: bool) -> None:
    """A mild illness before an operation still to come is a question; any other urgent word is not."""
    assert intents.is_urgent(said)
    assert intents.asks_before_surgery(said) is question


@pytest.mark.parametrize(
    ("said", "urgent", "person"),
    [
        ("im not having an emergency i just want to know what signs of infection to watch for", False, False),
        ("it's not an emergency but he can't breathe well since the refill", True, False),
        ("i dont need to talk to anyone i just want to know when i can go home", False, False),
        ("not a prescription refill i mean does the pump itself need refilling", False, False),
        ("i don't need to talk to anyone, but my husband is not breathing", True, False),
        ("would i end up needing a lower dose of my pain meds", False, False),
        ("she's had spasticity for years after her stroke, would she be a good fit for the pump", False, False),
        ("i'm on brilinta and warfarin after my heart attack, can i still have the pump surgery", False, False),
        ("we're both confused about what the trial is meant to show", False, False),
        ("the little tube they use for the trial, does it come back out", False, False),
        ("okay my husband has sleep apnea could the pump drug mess with his breathing", False, False),
        ("he had a stroke after his stroke medicine ran out", True, False),
        ("my dad is sweating and grey after his heart attack this morning", True, False),
        ("i think my dad is suffering from a stroke", True, False),
        ("he is confused about who i am", True, False),
        ("dad seems really confused about where he is", True, False),
        ("i black out every time i get up", True, False),
        ("can i take an extra dose if i am in pain", False, False),
        ("would i be better off without the pump", False, False),
        ("will the tube collapse", False, False),
        ("what is the risk of sepsis after the operation", False, False),
        ("do i need to tell my prescriber before the surgery", False, False),
        ("how big is the incission", False, False),
        ("will somebody go over the anesthesia with me before", False, False),
        ("do i need somebody to drive me home", False, False),
        ("er i'm a bit nervous um could something go wrong with the tube", False, False),
        ("does the doctor have to see me regularly afterwards for the device", False, False),
        ("will i be seeing a nurse after the surgery", False, False),
        ("what size are the pumps", False, False),
        ("does the swelling go down over days", False, False),
        ("does the pump suit all types of pain", False, False),
        ("i get a panic attack with needles", False, False),
        ("can i put some on the scar", False, False),
        ("will the pump let me live my own life again", False, False),
        ("we've tried to kill the pain with tablets", False, False),
        ("i find the risks alarming", False, False),
        ("is this pump suitable for a patient with cerebral palsy", False, False),
        ("how do i get him in the car after the surgery", False, False),
        ("what happens if the refill is overdue", False, False),
        ("what is a good question for the doctor to ask", False, False),
        ("can i turn my pump off for an mri", False, False),
        ("something go wrong with my husband", True, False),
        ("i do not have an appointment yet, can i book one", False, True),
        ("i need an appointment every month for refills, can you set that up", False, True),
        ("my breathing is fine now but could the pump medicine ever slow it down", False, False),
        ("no need to transfer me i only want to know if i stay at the hospital after", False, False),
        ("does the trial tell the doctor whether i can have the pump", False, False),
        ("i have a cold right now um will that mess up my surgery", False, False),
        ("what happens if i lost my appetite after the surgery", False, False),
        ("is it safe in a car accident", False, False),
        ("does the medicine work by spreading fast through the spine", False, False),
        ("what if i am running out of my blood thinner before surgery", False, False),
        ("do i get my medicine from the drugstore after the pump", False, False),
        ("what do you call it in the spine the catheter", False, False),
        ("can you email me the consent forms", False, True),
        ("he was hit by a car", True, False),
        (
            "hi im calling for my grandma she cant hear good on the phone she wants to know if she would qualify",
            False,
            False,
        ),
        ("uh hi i'm calling for my mom um is she gonna have to stay in the hospital after", False, False),
        ("how often will we have to bring him back to get it filled up again", False, False),
        ("i need to book regular appointments for my refills", False, True),
        ("i'm calling to get my test results from the trial", False, True),
        ("what kind of results do i need from the trial to move forward", False, False),
        ("can you lower my dose", False, True),
        ("can i get my trial results", False, True),
    ],
)
def test_ruling_out_an_emergency_or_a_person(intents: Intents, said: str, urgent: bool, person: bool) -> None:
    """Words that rule an emergency or a person out are set aside; the rest is still listened to."""
    assert (intents.is_urgent(said), intents.wants_person(said)) == (urgent, person)


# ---------------------------------------------------------------- mending listened-for words


@pytest.mark.parametrize(
    ("heard", "mended"),
    [
        ("opera tor please", "operator please"),
        ("represent tive", "representative"),
        ("he is not breething", "he is not breathing"),
        ("he will not wake up after the re fill", "he will not wake up after the refill"),
        # small words never glue onto their neighbours, and real words stay as they are
        ("can i speak with dr moghim", "can i speak with dr moghim"),
        ("the medicine in the pump", "the medicine in the pump"),
        ("my dad passed out on the floor", "my dad passed out on the floor"),
        ("is there a risk of bleeding", "is there a risk of bleeding"),
    ],
)
def test_mender(intents: Intents, heard: str, mended: str) -> None:
    """Recognition damage to the words intents listen for is mended; nothing else is touched."""
    assert " ".join(intents.mender.mend(heard.split())) == mended


# ---------------------------------------------------------------- commands


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("repeat", "repeat"),
        ("can you repeat that please", "repeat"),
        ("can you say that again please", "repeat"),
        ("what did you say", "repeat"),
        ("back", "back"),
        ("go back", "back"),
        ("go back please", "back"),
        ("i want to go back", "back"),
        ("main menu", "main_menu"),
        ("main menu please", "main_menu"),
        ("start over", "main_menu"),
        ("help", "help"),
        ("help me please", "help"),
        ("what are my options", "help"),
        ("yes", "yes"),
        ("yes please", "yes"),
        ("um yes", "yes"),
        ("uh huh", "yes"),
        ("yeah", "yes"),
        ("that is right", "yes"),
        ("i did", "yes"),
        ("yes i did", "yes"),
        ("no", "no"),
        ("nope", "no"),
        ("no thank you", "no"),
        ("not really", "no"),
        ("that is not it", "no"),
        ("i did not", "no"),
        ("no i did not", "no"),
        ("uh no", "no"),
        ("go on", "go_on"),
        ("go on please", "go_on"),
        ("keep going", "go_on"),
        ("tell me more", "go_on"),
        ("next", "go_on"),
        ("that's it", "yes"),
    ],
)
def test_command(intents: Intents, said: str, expected: str) -> None:
    """A command said on its own, with glue words or fillers around it, is recognised; the longest wins."""
    assert intents.command(said) == expected


@pytest.mark.parametrize(
    "said",
    [
        pytest.param("can I go back to work", id="back-to-work"),
        pytest.param("can I go back to work after the surgery", id="back-to-work-after-surgery"),
        pytest.param("what is the recovery like", id="recovery"),
        pytest.param("what does the pump do", id="pump"),
        pytest.param("what are the risks", id="risks"),
        pytest.param("tell me more about the risks", id="more-about-risks"),
        pytest.param("when can I go home", id="go-home"),
        pytest.param("can I go home", id="can-go-home"),
        pytest.param("what is it", id="what-is-it"),
    ],
)
def test_question_is_not_a_command(intents: Intents, said: str) -> None:
    """A question that contains a command word is still a question."""
    assert intents.command(said) is None


# ---------------------------------------------------------------- spoken keys


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("two", "2"),
        ("2", "2"),
        ("press two", "2"),
        ("press 2", "2"),
        ("option 3", "3"),
        ("number five", "5"),
        ("one", "1"),
        ("the second one", "2"),
        ("the first one", "1"),
        ("the third", "3"),
        ("star", "*"),
        ("press star", "*"),
        ("pound", "#"),
        ("zero", "0"),
        ("press to", "2"),
        ("press for", "4"),
        ("option too", "2"),
        ("press oh", "0"),
        ("um two", "2"),
        ("i want option two", "2"),
        ("i choose one", "1"),
        ("can i press three please", "3"),
        ("i'd like option four", "4"),
        ("i pick number five", "5"),
    ],
)
def test_spoken_key(intents: Intents, said: str, expected: str) -> None:
    """A key said aloud, alone or after press/option/number, is that key."""
    assert intents.spoken_key(said) == expected


@pytest.mark.parametrize(
    "said",
    [
        "to",
        "too",
        "for",
        "oh",
        "two weeks",
        "what are the risks",
        "press",
        "the",
        "star trek",
        "",
        "um",
        "option for me",
        "the number for me",
        "i want the number to",
        "i'd like the number for",
        "i want two",
        "i want to go",
        "what is option one",
        "is the pump an option for me",
        "i choose to wait",
    ],
)
def test_not_a_spoken_key(intents: Intents, said: str) -> None:
    """Homophones of keys ("to", "for") count only after press; longer speech is not a key."""
    assert intents.spoken_key(said) is None


# ---------------------------------------------------------------- option names


@pytest.mark.parametrize(
    ("said", "section_title"),
    [
        ("the risks", "Risks"),
        ("risks", "Risks"),
        ("about the risks", "Risks"),
        ("the surgery", "The surgery"),
        ("surgery please", "The surgery"),
        ("the trial", "The trial phase"),
        ("how to prepare", "Preparation"),
        ("recovery and aftercare", "Recovery and aftercare"),
    ],
)
def test_option_by_name(
    line: Line, intents: Intents, topic_labels: list[tuple[str, str]], said: str, section_title: str
) -> None:
    """Saying an option's name picks that option's key."""
    sections = line.library.procedures[0].sections
    expected = str(next(number for number, section in enumerate(sections, start=1) if section.title == section_title))
    assert intents.option(said, topic_labels) == expected


@pytest.mark.parametrize(
    "said",
    [
        "the risks of knee replacement",
        "tell me about knee surgery",
        "what is the weather",
        "the",
        "",
    ],
)
def test_not_an_option(intents: Intents, topic_labels: list[tuple[str, str]], said: str) -> None:
    """Speech that says more than an option's name (or nothing of it) picks no option."""
    assert intents.option(said, topic_labels) is None
