"""Tests for `python -m ivr match` (ivr.matchtool), the eval harness (ivr.evaluation) and ivr.bench."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ivr import bench
from ivr.evaluation import Row
from ivr.evaluation import SetReport
from ivr.evaluation import is_right
from ivr.evaluation import read_rows
from ivr.evaluation import score_bundled
from ivr.evaluation import wording

PROJECT = Path(__file__).resolve().parent.parent
DECISIONS = {"answer", "confirm", "none", "urgent", "person"}
FAQS = [
    {"id": "hours", "question": "What are your opening hours?", "answer": "We are open Monday to Friday, 9 to 5."},
    {"id": "parking", "question": "Where can I park my car?", "answer": "There is a car park behind the building."},
    {"id": "flu", "question": "Do you give flu shots?", "answer": "Yes, flu vaccines are given every autumn."},
    {"id": "results", "question": "How do I read my lab report?", "answer": "The report lists each value and range."},
]


def run_match(faq_file: Path, stdin: str) -> subprocess.CompletedProcess[str]:
    """`python -m ivr match --faqs FILE` as a user runs it, from the project folder."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [sys.executable, "-m", "ivr", "match", "--faqs", str(faq_file)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture
def faq_file(tmp_path: Path) -> Path:
    """A small FAQ list as a JSON file."""
    path = tmp_path / "faqs.json"
    path.write_text(json.dumps(FAQS), encoding="utf-8")
    return path


def test_match_prints_one_json_line_per_question(faq_file: Path) -> None:
    """Each non-blank question gives one JSON object with question, decision, id and score; blanks are skipped."""
    questions = [
        "where do I park my car",
        "",
        "   ",
        "do you give flu shots",
        "my husband is not breathing",
        "can I talk to a representative",
        "what is the capital of france",
        "zero",
    ]
    result = run_match(faq_file, "\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    asked = [question for question in questions if question.strip()]
    assert len(lines) == len(asked)
    outcomes = [json.loads(line) for line in lines]
    ids = {faq["id"] for faq in FAQS}
    for question, outcome in zip(asked, outcomes, strict=True):
        assert set(outcome) - {"alternative"} == {"question", "decision", "id", "score"}
        assert outcome["question"] == question
        assert outcome["decision"] in DECISIONS
        if outcome["decision"] in {"urgent", "person"}:
            assert outcome["id"] is None
            assert outcome["score"] is None
        else:
            assert outcome["id"] is None or outcome["id"] in ids
            assert isinstance(outcome["score"], float | int)
    by_question = {outcome["question"]: outcome for outcome in outcomes}
    assert by_question["my husband is not breathing"]["decision"] == "urgent"
    assert by_question["can I talk to a representative"]["decision"] == "person"
    assert by_question["zero"]["decision"] == "person"  # 0 is a person at every menu, said or pressed
    assert by_question["where do I park my car"]["id"] == "parking"
    assert by_question["do you give flu shots"]["id"] == "flu"
    assert by_question["what is the capital of france"]["decision"] != "answer"


def test_match_with_no_questions_prints_nothing(faq_file: Path) -> None:
    """An empty or all-blank input prints no lines and succeeds."""
    result = run_match(faq_file, "\n  \n\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param('[{"id": 1, "quest', "cannot read", id="not-json"),
        pytest.param('{"id": 1, "question": "a"}', "expected a JSON list", id="not-a-list"),
        pytest.param('[{"question": "no id"}]', "item 0", id="missing-id"),
        pytest.param('[{"id": 1, "question": 7}]', "item 0", id="question-not-text"),
        pytest.param('[{"id": 1, "question": "a"}, {"id": 1, "question": "b"}]', "appears twice", id="duplicate-id"),
        pytest.param(None, "cannot read", id="missing-file"),
    ],
)
def test_match_rejects_a_malformed_faq_file(tmp_path: Path, content: str | None, message: str) -> None:
    """A malformed or missing FAQ file exits 1 with a message that names the file."""
    path = tmp_path / "broken-faqs.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_match(path, "what are your hours\n")
    assert result.returncode == 1
    assert str(path) in result.stderr
    assert message in result.stderr
    assert result.stdout == ""


# ---------------------------------------------------------------- the eval harness

TSV = """question\texpected\tcategory
what are the risks\tfaq:risks|section:risks\tplain
what are the risks\tfaq:candidate\tplain
what is the weather like today\tnone\toos
my husband is not breathing\turgent\turgent
can I talk to a representative\tperson\tperson
\tnone\tblank
"""


@pytest.fixture
def rows(tmp_path: Path) -> list[Row]:
    """The tiny question set above, read back from a TSV file."""
    path = tmp_path / "tiny.tsv"
    path.write_text(TSV, encoding="utf-8")
    return read_rows(path)


def test_read_rows(rows: list[Row]) -> None:
    """read_rows() reads question, expected keys and category, and skips rows with no question."""
    assert len(rows) == 5
    assert rows[0] == Row("what are the risks", frozenset({"faq:risks", "section:risks"}), "plain")
    assert rows[2].expected == frozenset({"none"})


def test_set_report_counts(rows: list[Row]) -> None:
    """SetReport counts in-scope right and wrong, out-of-scope answered, urgent and person outcomes."""
    report = SetReport("tiny")
    outcomes = [
        {"decision": "answer", "id": "faq:risks"},  # right
        {"decision": "answer", "id": "faq:risks"},  # wrong answer: wanted faq:candidate
        {"decision": "answer", "id": "faq:risks"},  # out of scope, answered
        {"decision": "urgent", "id": None},
        {"decision": "urgent", "id": None},  # a person request sent to urgent still reaches a person
    ]
    for row, outcome in zip(rows, outcomes, strict=True):
        report.add(row, outcome)
    assert (report.in_scope, report.right, report.right_direct, report.wrong_answer) == (2, 1, 1, 1)
    assert (report.oos, report.oos_answered, report.oos_confirmed) == (1, 1, 0)
    assert (report.urgent, report.urgent_found) == (1, 1)
    assert (report.person, report.person_reached) == (1, 1)
    assert report.false_urgent == 1
    assert len(report.misses) == 2
    text = "\n".join(report.lines())
    assert "tiny:" in text
    assert "50.0% (1/2)" in text


def test_set_report_counts_confirms(rows: list[Row]) -> None:
    """A right "did you mean" counts as right; a wrong one and an out-of-scope one are counted apart."""
    report = SetReport("confirms")
    outcomes = [
        {"decision": "confirm", "id": "section:risks"},
        {"decision": "confirm", "id": "faq:risks"},
        {"decision": "confirm", "id": "faq:risks"},
        {"decision": "none", "id": None},
        {"decision": "answer", "id": "faq:risks"},
    ]
    for row, outcome in zip(rows, outcomes, strict=True):
        report.add(row, outcome)
    assert (report.right, report.right_direct, report.wrong_confirm) == (1, 0, 1)
    assert (report.oos_answered, report.oos_confirmed) == (0, 1)
    assert (report.urgent_found, report.person_reached) == (0, 0)


def test_match_names_the_second_topic_a_did_you_mean_offers(faq_file: Path) -> None:
    """A question that fits two FAQs about equally is a "confirm" that offers both: "alternative" is the second."""
    result = run_match(faq_file, "flu shots or lab report\n")
    outcome = json.loads(result.stdout)
    assert outcome["decision"] == "confirm"
    assert {outcome["id"], outcome["alternative"]} == {"flu", "results"}


def test_a_did_you_mean_of_two_topics_is_right_when_either_is(rows: list[Row]) -> None:
    """A "Did you mean" that offers two topics counts as right when the wanted one is either of them."""
    report = SetReport("two")
    report.add(rows[1], {"decision": "confirm", "id": "faq:risks", "alternative": "faq:candidate"})
    report.add(rows[1], {"decision": "confirm", "id": "faq:risks", "alternative": "faq:recovery"})
    report.add(rows[1], {"decision": "answer", "id": "faq:risks", "alternative": "faq:candidate"})
    assert (report.in_scope, report.right, report.wrong_confirm, report.wrong_answer) == (3, 1, 1, 1)
    assert is_right(
        rows[1], {"decision": "urgent", "id": "faq:risks", "then": "confirm", "alternative": "faq:candidate"}
    )


def test_set_report_counts_answers_after_the_emergency_sentence(rows: list[Row]) -> None:
    """A question about a danger answered after the emergency sentence counts as answered, not as a false alarm."""
    report = SetReport("danger")
    report.add(rows[0], {"decision": "urgent", "id": "faq:risks", "then": "answer"})
    report.add(rows[1], {"decision": "urgent", "id": "faq:risks", "then": "confirm"})
    assert (report.right, report.right_direct, report.wrong_confirm, report.after_emergency) == (1, 1, 1, 1)
    assert report.false_urgent == 0


def test_set_report_counts_an_out_of_scope_answer_after_the_emergency_sentence(rows: list[Row]) -> None:
    """An out-of-scope question answered after the emergency sentence is still answered with an FAQ."""
    report = SetReport("danger")
    report.add(rows[2], {"decision": "urgent", "id": "faq:risks", "then": "answer"})
    report.add(rows[2], {"decision": "urgent", "id": "faq:risks", "then": "confirm"})
    assert (report.oos, report.oos_answered, report.oos_confirmed) == (2, 1, 1)
    assert len(report.misses) == 1


def test_match_answers_a_question_about_a_danger_after_the_emergency_sentence(tmp_path: Path) -> None:
    """`match` says "urgent" for a question about a danger, with the FAQ the line then answers."""
    path = tmp_path / "faqs.json"
    faq = {"id": "breathing", "question": "Can the medicine slow my breathing?", "answer": "It can; we monitor it."}
    path.write_text(json.dumps([*FAQS, faq]), encoding="utf-8")
    result = run_match(path, "can the medicine slow my breathing\nhe is not breathing\n")
    question, report = (json.loads(line) for line in result.stdout.splitlines())
    assert (question["decision"], question["id"], question["then"]) == ("urgent", "breathing", "answer")
    assert (report["decision"], report["id"]) == ("urgent", None)
    assert "then" not in report


def test_score_bundled_smoke(rows: list[Row]) -> None:
    """score_bundled() runs the bundled line over a question set and sorts every row into its count."""
    report = score_bundled(rows, "tiny")
    assert (report.in_scope, report.oos, report.urgent, report.person) == (2, 1, 1, 1)
    assert report.right >= 1  # "what are the risks" finds the risks entry
    assert report.oos_answered == 0
    assert report.urgent_found == 1
    assert report.person_reached == 1
    assert report.false_urgent == 0


def test_held_out_questions_worded_as_tuning_ones_are_also_counted_apart(rows: list[Row]) -> None:
    """score_bundled() counts in `new_wordings` only the rows whose wording (case and punctuation aside) is
    in no tuning set, so held-out figures can be given without questions the line was tuned on."""
    known = frozenset({wording("What are the RISKS?"), wording(rows[3].question)})
    fresh = SetReport("fresh")
    report = score_bundled(rows, "tiny", new_wordings=fresh, tuning_wordings=known)
    assert (report.in_scope, report.oos, report.urgent, report.person) == (2, 1, 1, 1)
    kept = [row for row in rows if wording(row.question) not in known]
    assert [row.category for row in kept] == ["oos", "person"]  # both "what are the risks" rows are known
    assert (fresh.in_scope, fresh.oos, fresh.urgent, fresh.person) == (0, 1, 0, 1)


def test_wording_ignores_case_punctuation_and_spacing() -> None:
    assert wording("  Is the pump   SAFE?? ") == wording("is the pump safe") == "is the pump safe"
    assert wording("i can't breathe") != wording("i can breathe")


# ---------------------------------------------------------------- the benchmark


def test_bench_measure_is_sane() -> None:
    """bench.measure on 10 FAQs returns positive, ordered, modest figures."""
    result = bench.measure(10, 12)
    assert result.faqs == 10
    assert 0 < result.build_seconds < 30
    assert 0 < result.median_ms <= result.p99_ms < 5000
    assert 0 < result.memory_mb < 500
