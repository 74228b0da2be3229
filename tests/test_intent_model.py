"""Tests for ivr.intent_model (the learned second opinion on urgent words and requests for a person),
its place beside the word lists in ivr.intents, and its fitting in ivr.train_intents."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FRONT_DESK
from conftest import OPEN_TIME
from conftest import make_config

from ivr import flow
from ivr.content import ContentError
from ivr.flow import CallerInput
from ivr.flow import Line
from ivr.flow import Menu
from ivr.flow import Reply
from ivr.flow import State
from ivr.flow import Transfer
from ivr.intent_model import FEATURES
from ivr.intent_model import FORMAT
from ivr.intent_model import IntentModel
from ivr.intent_model import IntentModelError
from ivr.intent_model import feature_values
from ivr.intent_model import features
from ivr.intent_model import model_path
from ivr.intents import Intents
from ivr.line import load_line
from ivr.prompts import PromptsError

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


def tiny_model(weights: dict[str, tuple[float, float]], urgent_at: float = 0.6, person_at: float = 0.6) -> IntentModel:
    return IntentModel(weights, (0.0, 0.0), urgent_at, person_at)


@pytest.fixture(scope="module")
def word_lists(line: Line) -> Intents:
    """The bundled line's intents without the model: the catalogue's word lists alone."""
    return line.intents.without_model()


# ---------------------------------------------------------------- features


def test_features_are_words_pairs_and_letter_runs() -> None:
    found = features("My pump's beeping!")
    assert {"w:my", "w:pump", "w:beeping", "b:my pump", "b:pump beeping"} <= set(found)
    assert {"c: my", "c:pump ", "c:beep", "c:eping"} <= set(found)
    assert found == sorted(set(found))


def test_letter_runs_cross_word_boundaries_so_split_words_still_share_them() -> None:
    whole, split = set(features("breathing")), set(features("bree thing"))
    assert {"c:thing", "c:hing "} <= whole & split


def test_features_are_normalised_like_every_other_reading() -> None:
    assert features("HE CAN'T BREATHE") == features("he cannot breathe")
    assert features("") == []
    assert features("<b></b>") == []


def test_feature_values_have_unit_length() -> None:
    values = feature_values(features("i need to talk to a nurse"))
    assert math.isclose(sum(value * value for value in values.values()), 1.0)
    assert feature_values([]) == {}


# ---------------------------------------------------------------- scores and thresholds


def test_scores_are_a_softmax_against_other() -> None:
    model = tiny_model({"w:pump": (0.0, 6.0), "w:nurse": (6.0, 0.0)})
    said = "pump"
    value = 1 / math.sqrt(len(features(said)))
    urgent = math.exp(6.0 * value) / (2 + math.exp(6.0 * value))
    scores = model.scores(said)
    assert math.isclose(scores.urgent, urgent)
    assert math.isclose(scores.person, 1 / (2 + math.exp(6.0 * value)))


def test_extreme_weights_do_not_overflow() -> None:
    scores = tiny_model({"w:pump": (0.0, 1e6)}).scores("pump")
    assert scores.urgent == pytest.approx(1.0)
    assert scores.person == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("weight", "urgent_at", "expected"),
    [(40.0, 0.6, "urgent"), (40.0, 0.99, "urgent"), (0.5, 0.6, None), (-40.0, 0.6, None)],
)
def test_urgent_threshold(weight: float, urgent_at: float, expected: str | None) -> None:
    assert tiny_model({"w:pump": (0.0, weight)}, urgent_at=urgent_at).says("my pump") == expected


def test_person_threshold_and_urgent_first() -> None:
    assert tiny_model({"w:nurse": (40.0, 0.0)}).says("a nurse") == "person"
    assert tiny_model({"w:nurse": (40.0, 0.0)}, person_at=0.999999).says("a nurse") is None
    assert tiny_model({"w:nurse": (20.0, 40.0)}).says("a nurse") == "urgent"


# ---------------------------------------------------------------- loading


def write_model(path: Path, **overrides: object) -> Path:
    document = {
        "format": FORMAT,
        "features": FEATURES,
        "thresholds": {"urgent": 0.6, "person": 0.7},
        "bias": [0.5, -1],
        "weights": {},
    }
    document["weights"] = {"w:pump": [0, 2]}
    path.write_text(json.dumps({**document, **overrides}), encoding="utf-8")
    return path


def test_load(tmp_path: Path) -> None:
    model = IntentModel.load(write_model(tmp_path / "en-US.intents.json"))
    assert model is not None
    assert (model.bias, model.urgent_threshold, model.person_threshold) == ((0.5, -1.0), 0.6, 0.7)
    assert model.weights == {"w:pump": (0.0, 2.0)}
    with pytest.raises(TypeError):
        model.weights["w:pump"] = (9.0, 9.0)  # type: ignore[index]


def test_a_language_without_a_model_listens_with_its_word_lists(tmp_path: Path) -> None:
    assert IntentModel.load(tmp_path / "en-US.intents.json") is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"format": "something-else"},
        {"weights": {"w:pump": ["a", 1]}},
        {"weights": {"w:pump": [1]}},
        {"thresholds": {"urgent": 0.6}},
        {"thresholds": {"urgent": 0.2, "person": 0.7}},
        {"thresholds": {"urgent": 0.6, "person": 1.0}},
        {"bias": None},
        {"bias": [float("nan"), 0]},
        {"weights": {"w:pump": [0, float("inf")]}},
        {"features": {**FEATURES, "letter_runs": [2, 3]}},
        {"features": None},
    ],
)
def test_a_broken_model_names_its_file(tmp_path: Path, overrides: dict[str, object]) -> None:
    path = write_model(tmp_path / "en-US.intents.json", **overrides)
    with pytest.raises(IntentModelError, match="en-US.intents.json"):
        IntentModel.load(path)


def test_a_broken_model_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "en-US.intents.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(IntentModelError, match="en-US.intents.json"):
        IntentModel.load(path)


def test_the_line_refuses_to_start_with_a_broken_model(tmp_path: Path) -> None:
    (tmp_path / "en-US.toml").write_text((PROMPTS / "en-US.toml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "en-US.intents.json").write_text("[]", encoding="utf-8")
    with pytest.raises((PromptsError, ContentError), match="en-US.intents.json"):
        load_line(make_config(PROMPTS_DIR=str(tmp_path)))


def test_the_line_starts_without_a_model(tmp_path: Path) -> None:
    (tmp_path / "en-US.toml").write_text((PROMPTS / "en-US.toml").read_text(encoding="utf-8"), encoding="utf-8")
    assert load_line(make_config(PROMPTS_DIR=str(tmp_path))).intents.model is None


# ---------------------------------------------------------------- beside the word lists


def test_the_bundled_line_has_the_bundled_model(line: Line) -> None:
    assert line.intents.model is not None
    assert model_path(PROMPTS, "en-US").is_file()


def test_the_word_lists_do_not_consult_the_model(line: Line) -> None:
    """is_urgent and wants_person are the lists; only second_opinion asks the model."""
    alarmed = line.intents.with_model(tiny_model({"w:thursday": (40.0, 40.0)}))
    said = "my ride fell through for thursday"
    assert not alarmed.is_urgent(said)
    assert not alarmed.wants_person(said)


def test_a_second_opinion_of_urgent(word_lists: Intents) -> None:
    said = "the thing in my belly is making a racket"
    assert not word_lists.is_urgent(said)
    assert word_lists.with_model(tiny_model({"w:racket": (0.0, 40.0)})).second_opinion(said) == "urgent"


def test_a_second_opinion_of_a_person(word_lists: Intents) -> None:
    said = "my ride fell through for thursday"
    assert not word_lists.wants_person(said)
    assert word_lists.with_model(tiny_model({"w:ride": (40.0, 0.0)})).second_opinion(said) == "person"


def test_no_model_no_second_opinion(word_lists: Intents) -> None:
    assert word_lists.second_opinion("the thing in my belly is making a racket") is None


@pytest.mark.parametrize(
    "said", ["yes", "no thank you", "press two", "option number two", "go back please", "repeat that again please"]
)
def test_the_model_is_never_asked_about_a_command_or_a_key(word_lists: Intents, said: str) -> None:
    alarmed = word_lists.with_model(tiny_model({f"w:{word}": (0.0, 40.0) for word in said.split()}))
    assert alarmed.model is not None
    assert alarmed.model.says(said) == "urgent"
    assert alarmed.second_opinion(said) is None


@pytest.mark.parametrize("said", ["racket", "uh racket please", "i'm not sure", "i don't think so", "i see"])
def test_the_model_is_never_asked_about_fewer_than_two_meaningful_words(word_lists: Intents, said: str) -> None:
    alarmed = word_lists.with_model(tiny_model({f"w:{word}": (0.0, 40.0) for word in (*said.split(), "sure")}))
    assert alarmed.second_opinion(said) is None


def test_what_the_caller_rules_out_is_set_aside_before_the_model_reads(word_lists: Intents) -> None:
    alarmed = word_lists.with_model(tiny_model({"w:emergency": (0.0, 40.0), "w:refill": (40.0, 0.0)}))
    assert alarmed.second_opinion("it's not an emergency, i just have a question about the refill") == "person"
    assert alarmed.second_opinion("it's not an emergency, i just have a question about the pump") is None


# Wordings the word lists miss: two from the newest tuning sets, two written for this test.
@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("me wife's come over all queer and gone down like a sack of spuds", "urgent"),
        ("his speech has gone funny and his left side won't work", "urgent"),
        ("can you put me down for the next refill slot you have", "person"),
        ("the visiting nurse needs updated orders signed for the pump", "person"),
    ],
)
def test_the_bundled_model_hears_what_the_lists_missed(
    line: Line, word_lists: Intents, said: str, expected: str
) -> None:
    assert not word_lists.is_urgent(said)
    assert not word_lists.wants_person(said)
    assert line.intents.second_opinion(said) == expected


@pytest.mark.parametrize(
    "said",
    [
        "what are the risks of the pump",
        "how long is the recovery after the surgery",
        "do i need to stop my blood thinners before the operation",
        "can the medicine in the pump slow down my breathing",
        "will i need regular appointments for refills",
        "hold on let me get a pen",
        "sorry someone's at the door",
        "i'm calling for my husband",
        "give me a second",
        "i want option two",
    ],
)
def test_the_bundled_model_leaves_questions_and_asides_alone(line: Line, said: str) -> None:
    assert line.intents.second_opinion(said) is None


# ---------------------------------------------------------------- in the call


def step(line: Line, state: State, said: str) -> Reply:
    return flow.step(line, state, CallerInput(speech=said), OPEN_TIME)


def test_at_the_question_prompt_the_model_sends_an_emergency_to_the_emergency_sentence(line: Line) -> None:
    reply = step(line, State(flow.ASK), "me wife's come over all queer and gone down like a sack of spuds")
    assert "9 1 1" in reply.say[0].text
    assert isinstance(reply.next, Menu)
    assert reply.next.state.at == flow.URGENT


@pytest.mark.parametrize("state", [State(), State(flow.ASK), State(flow.SECTION, item=1)])
def test_an_emergency_the_lists_missed_outranks_the_request_for_a_person_it_came_with(line: Line, state: State) -> None:
    said = "get me a nurse, me wife's come over all queer and gone down like a sack of spuds"
    assert line.intents.wants_person(said)
    assert not line.intents.is_urgent(said)
    reply = step(line, state, said)
    assert "9 1 1" in reply.say[0].text
    assert isinstance(reply.next, Menu)
    assert reply.next.state.at == flow.URGENT


def test_at_the_question_prompt_the_model_sends_an_errand_to_a_person(line: Line) -> None:
    reply = step(line, State(flow.ASK), "can you put me down for the next refill slot you have")
    assert isinstance(reply.next, Transfer)
    assert reply.next.number == FRONT_DESK


@pytest.mark.parametrize(
    ("state", "said"),
    [
        (State(flow.CONFIRM, item=1, kind="faq", back=flow.MAIN), "i don't think so"),
        (State(flow.CONFIRM, item=1, kind="faq", back=flow.MAIN), "no i don't think so"),
        (State(flow.CONFIRM, item=1, kind="faq", back=flow.MAIN), "i think so yes"),
        (State(flow.CONFIRM, item=1, kind="faq", back=flow.MAIN), "i'm not sure"),
        (State(flow.CONFIRM, item=1, kind="section", other=2, other_kind="section", back=flow.MAIN), "i'm not sure"),
        (State(), "i want option two"),
        (State(), "i choose one"),
        (State(), "give me a second"),
        (State(), "hold on let me get a pen"),
        (State(), "sorry someone's at the door"),
        (State(), "i'm calling for my husband"),
        (State(flow.URGENT), "not an emergency just a question"),
        (State(flow.DESK_FAILED), "i want option two"),
    ],
)
def test_the_model_does_not_change_what_a_menu_answer_does(line: Line, state: State, said: str) -> None:
    """Answers at a menu go where the word lists alone send them."""
    lists_alone = replace(line, intents=line.intents.without_model())
    assert step(line, state, said) == step(lists_alone, state, said)


# ---------------------------------------------------------------- fitting


def test_fitting_exports_what_scikit_learn_predicts() -> None:
    """The weights file, read back, scores as the fitted estimator does."""
    pytest.importorskip("sklearn")
    from ivr.train_intents import fit
    from ivr.train_intents import to_model

    texts = [
        *(f"{who} is not breathing" for who in ("he", "she", "my wife", "my dad", "the patient")),
        *(f"my {who} collapsed" for who in ("husband", "son", "mother", "neighbour", "friend")),
        *(f"can i talk to {who}" for who in ("a nurse", "someone", "the doctor", "reception", "a person")),
        *(f"i need to book {what}" for what in ("an appointment", "a refill", "the trial", "a visit", "a follow up")),
        *(f"what is {what}" for what in ("the pump", "the trial", "the recovery", "a catheter", "intrathecal")),
        *(f"how long does {what} take" for what in ("recovery", "the trial", "healing", "the surgery", "it")),
    ]
    labels = ["urgent"] * 10 + ["person"] * 10 + ["other"] * 10
    estimator, vectoriser = fit(texts, labels)
    model = to_model(estimator, vectoriser, 0.6, 0.6)
    for said in ("my uncle is not breathing", "can i talk to the nurse", "what is the surgery"):
        other, person, urgent = estimator.predict_proba(vectoriser.transform([feature_values(features(said))]))[0]
        scores = model.scores(said)
        assert scores.urgent == pytest.approx(urgent, abs=2e-3)
        assert scores.person == pytest.approx(person, abs=2e-3)
    assert model.says("my uncle is not breathing") == "urgent"
    assert model.says("can i talk to the nurse") == "person"


def test_the_bundled_model_was_fitted_on_the_data_in_the_repo() -> None:
    """A tuning set or a command changed since: run `make intents-model` and commit the file."""
    from ivr.train_intents import training_data
    from ivr.train_intents import training_digest

    data = training_data("en-US")
    document = json.loads(model_path(PROMPTS, "en-US").read_text(encoding="utf-8"))
    assert document["training_texts"] == len(data.texts)
    assert document["training_sha256"] == training_digest(data.texts, data.labels)
