"""`make eval`: how often the line answers right, and how often it answers when it should not.

Two measurements:

1. The bundled content, on the caller question sets in eval/ (dev.tsv is for tuning,
   test.tsv is held out and never tuned on). Each question goes through the same
   checks the line makes at its question prompt: urgent words, a person, then the
   matcher's answer / confirm / none.
2. An external FAQ set nobody here wrote (../shared/data/covid-faq): in-scope top-1
   accuracy and the out-of-scope false-answer rate, through `python -m ivr match`,
   beside a plain BM25 (rank-bm25) and a plain rapidfuzz baseline in the same harness.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from pathlib import Path

from ivr.config import PROJECT_ROOT
from ivr.matchtool import decide_line

EVAL_DIR = PROJECT_ROOT / "eval"
EXTERNAL_DEFAULT = PROJECT_ROOT.parent / "shared" / "data" / "covid-faq"


@dataclass(frozen=True)
class Row:
    question: str
    expected: frozenset[str]  # entry keys, or {"none"}, {"urgent"}, {"person"}
    category: str


def offered(outcome: dict[str, object], decision: str) -> set[object]:
    """The ids the caller hears under `decision`: the answer, or the one or two topics a "Did you mean" offers."""
    if decision == "answer":
        return {outcome["id"]}
    if decision == "confirm":
        return {outcome["id"], outcome.get("alternative")} - {None}
    return set()


def is_right(row: Row, outcome: dict[str, object]) -> bool:
    """Whether the line's decision is what the row expects: the emergency sentence for an emergency,
    a person (or the emergency sentence) for a request for one, no answer out of scope, and the
    right answer or the right "Did you mean" (after the emergency sentence, for a danger) in scope:
    a "Did you mean" that offers two topics is right when either is."""
    decision = str(outcome["decision"])
    then = str(outcome.get("then", decision))
    if "urgent" in row.expected:
        return decision == "urgent"
    if "person" in row.expected:
        return decision in {"person", "urgent"}
    if "none" in row.expected:
        return then != "answer"
    return bool(offered(outcome, then) & row.expected)


def read_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        return [
            Row(row["question"], frozenset(row["expected"].split("|")), row["category"])
            for row in reader
            if row.get("question")
        ]


def question_sets() -> tuple[str, ...]:
    """The names of the question sets in eval/: the tuning sets (dev*) first, then the held-out ones (test*)."""
    names = sorted(path.stem for path in EVAL_DIR.glob("*.tsv"))
    return tuple(sorted(names, key=is_held_out))


def is_held_out(name: str) -> bool:
    return name.startswith("test")


@dataclass
class SetReport:
    name: str
    in_scope: int = 0
    right: int = 0  # answered right, or confirmed right
    right_direct: int = 0
    wrong_answer: int = 0
    wrong_confirm: int = 0
    oos: int = 0
    oos_answered: int = 0
    oos_confirmed: int = 0
    urgent: int = 0
    urgent_found: int = 0
    person: int = 0
    person_reached: int = 0
    false_urgent: int = 0
    after_emergency: int = 0  # in-scope questions answered after the emergency sentence
    misses: list[str] = field(default_factory=list)
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # in-scope kind -> [right, total]

    def add(self, row: Row, outcome: dict[str, object]) -> None:
        decision = str(outcome["decision"])
        # a question about a danger: the emergency sentence, then the answer ("then")
        then = str(outcome.get("then", decision))
        key = outcome["id"]
        ok = is_right(row, outcome)
        if decision == "urgent" and "urgent" not in row.expected and "then" not in outcome:
            self.false_urgent += 1
        if "urgent" in row.expected:
            self.urgent += 1
            self.urgent_found += ok
        elif "person" in row.expected:
            self.person += 1
            self.person_reached += ok
        elif "none" in row.expected:
            self.oos += 1
            self.oos_answered += then == "answer"
            self.oos_confirmed += then == "confirm"
        else:
            self.in_scope += 1
            self.right += ok
            self.right_direct += then == "answer" and ok
            self.wrong_answer += then == "answer" and not ok
            self.wrong_confirm += then == "confirm" and not ok
            self.after_emergency += ok and decision == "urgent"
            tally = self.by_kind.setdefault(row.category, [0, 0])
            tally[0] += ok
            tally[1] += 1
        if not ok:
            self.misses.append(
                f"{row.category:10} {then:8} {key!s:40} want {'|'.join(sorted(row.expected))}: {row.question}"
            )

    @property
    def questions(self) -> int:
        return self.in_scope + self.oos + self.urgent + self.person

    def lines(self) -> list[str]:
        def pct(part: int, whole: int) -> str:
            return f"{100 * part / whole:5.1f}% ({part}/{whole})" if whole else "  n/a"

        return [
            f"{self.name}:",
            f"  in scope, right answer or right 'did you mean': {pct(self.right, self.in_scope)}"
            f"   [answered directly {pct(self.right_direct, self.in_scope)}; wrong answers {self.wrong_answer};"
            f" wrong 'did you mean' {self.wrong_confirm}]",
            "    by kind: "
            + ", ".join(f"{kind} {right}/{total}" for kind, (right, total) in sorted(self.by_kind.items())),
            f"  out of scope, answered with an FAQ:              {pct(self.oos_answered, self.oos)}"
            f"   [asked 'did you mean' {self.oos_confirmed}]",
            f"  urgent, emergency sentence first:               {pct(self.urgent_found, self.urgent)}",
            f"  asked for a person, reached a person:           {pct(self.person_reached, self.person)}",
            f"  not urgent, but sent to the emergency sentence: {self.false_urgent}"
            f"   [questions about a danger answered after it: {self.after_emergency}]",
        ]


def embeddings_available() -> bool:
    try:
        from ivr.embeddings import MiniLM

        MiniLM()
    except Exception:  # missing packages or model: the optional scorer is simply not measured
        return False
    return True


def wording(question: str) -> str:
    """A question's words, lower case, without punctuation: two sets hold the same question when these match."""
    return " ".join(re.findall(r"[a-z0-9']+", question.lower()))


def score_bundled(
    rows: Sequence[Row],
    name: str,
    embeddings: bool = False,
    model: bool = True,
    *,
    new_wordings: SetReport | None = None,
    tuning_wordings: frozenset[str] = frozenset(),
) -> SetReport:
    """The line's decisions on `rows`; with `model` off, urgent words and requests for a person are heard by
    the catalogue's word lists alone, without the learned second opinion. Rows whose wording is in none of
    `tuning_wordings` are also counted in `new_wordings`, when given."""
    import os

    from ivr.cli import tool_config
    from ivr.line import load_line

    line = load_line(tool_config({**os.environ, "MATCH_EMBEDDINGS": "1" if embeddings else "0"}))
    intents = line.intents if model else line.intents.without_model()
    report = SetReport(name)
    for row in rows:
        outcome = decide_line(line.matcher, intents, row.question)
        report.add(row, outcome)
        if new_wordings is not None and wording(row.question) not in tuning_wordings:
            new_wordings.add(row, outcome)
    return report


def total(name: str, reports: Sequence[SetReport]) -> SetReport:
    """The reports' counts added up (their misses are not carried: totals list no questions)."""
    summed = SetReport(name)
    counters = [item.name for item in fields(SetReport) if item.type in {"int", int}]
    for report in reports:
        for counter in counters:
            setattr(summed, counter, getattr(summed, counter) + getattr(report, counter))
        for kind, (right, count) in report.by_kind.items():
            tally = summed.by_kind.setdefault(kind, [0, 0])
            tally[0] += right
            tally[1] += count
    return summed


# ---------------------------------------------------------------- the external set


@dataclass(frozen=True)
class ExternalQuestion:
    text: str
    ids: frozenset[str]  # empty when out of scope


def read_external(folder: Path) -> tuple[list[dict[str, str]], list[ExternalQuestion]]:
    with (folder / "faq_db.csv").open(encoding="utf-8", newline="") as handle:
        faqs = [
            {"id": row["ID"], "question": row["Question"], "answer": row["Answer"]} for row in csv.DictReader(handle)
        ]
    questions = []
    with (folder / "validation.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            ids = frozenset(part.strip() for part in row["Answer"].split(",") if part.strip() and part.strip() != "-1")
            questions.append(ExternalQuestion(" ".join(row["Question"].split()), ids))
    return faqs, questions


@dataclass(frozen=True)
class Figures:
    name: str
    top1: float  # in-scope questions whose best FAQ is right
    answered_right: float  # in-scope questions answered (or confirmed) with the right FAQ
    false_answers: float  # out-of-scope questions answered with an FAQ
    note: str = ""


def ours(
    faqs: list[dict[str, str]], questions: Sequence[ExternalQuestion], embeddings: bool = False
) -> tuple[Figures, list[dict[str, object]]]:
    """Run `python -m ivr match` as a separate process, exactly as a user would."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(faqs, handle)
        faq_path = handle.name
    result = subprocess.run(
        # the external set gets none of the bundled content's synonyms: only the general machinery
        [sys.executable, "-m", "ivr", "match", "--faqs", faq_path, "--no-synonyms", *(["--embeddings"] * embeddings)],
        input="".join(question.text + "\n" for question in questions),
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    Path(faq_path).unlink(missing_ok=True)
    outcomes = [json.loads(line) for line in result.stdout.splitlines()]
    in_scope = [(q, o) for q, o in zip(questions, outcomes, strict=True) if q.ids]
    oos = [(q, o) for q, o in zip(questions, outcomes, strict=True) if not q.ids]
    top1 = sum(o["id"] in q.ids and o["decision"] not in {"urgent", "person"} for q, o in in_scope) / len(in_scope)
    right = sum(bool(offered(o, str(o["decision"])) & q.ids) for q, o in in_scope) / len(in_scope)
    false = sum(o["decision"] == "answer" for q, o in oos) / len(oos)
    confirmed = sum(o["decision"] == "confirm" for q, o in oos)
    name = "this line, with embeddings (--embeddings)" if embeddings else "this line (python -m ivr match)"
    return Figures(name, top1, right, false, f"'did you mean' on {confirmed} out-of-scope"), outcomes


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def baseline(
    name: str,
    rank: Callable[[str], tuple[str, float]],
    questions: Sequence[ExternalQuestion],
    ours: Figures,
) -> list[Figures]:
    """A baseline at two thresholds, each the fairest point to compare with this line: where it
    answers no more out-of-scope questions than this line does (how many does it get right?),
    and where it gets as many in-scope questions right (how many out-of-scope does it answer?)."""
    scored = [(question, *rank(question.text)) for question in questions]
    in_scope = [(q, best, score) for q, best, score in scored if q.ids]
    oos_scores = sorted((score for q, _, score in scored if not q.ids), reverse=True)
    top1 = sum(best in q.ids for q, best, _ in in_scope) / len(in_scope)
    right_scores = sorted((score for q, best, score in in_scope if best in q.ids), reverse=True)

    def at(threshold: float, note: str) -> Figures:
        answered_right = sum(1 for s in right_scores if s >= threshold) / len(in_scope)
        false = sum(1 for s in oos_scores if s >= threshold) / len(oos_scores)
        return Figures(name, top1, answered_right, false, note)

    allowed = int(ours.false_answers * len(oos_scores))  # out-of-scope answers it may give
    same_false = oos_scores[allowed] + 1e-9 if allowed < len(oos_scores) else float("-inf")
    needed = round(ours.answered_right * len(in_scope))
    if needed > len(right_scores):
        same_right = at(float("-inf"), f"never gets {100 * ours.answered_right:.0f}% right: answering everything")
    else:
        threshold = right_scores[needed - 1] if needed else float("inf")
        same_right = at(threshold, f"threshold {threshold:.3g}: as many right as this line")
    return [at(same_false, f"threshold {same_false:.3g}: no more false answers than this line"), same_right]


def bm25_ranker(faqs: list[dict[str, str]]) -> Callable[[str], tuple[str, float]]:
    from rank_bm25 import BM25Okapi

    bm25 = BM25Okapi([_tokens(faq["question"] + " " + faq["answer"]) for faq in faqs])

    def rank(text: str) -> tuple[str, float]:
        scores = bm25.get_scores(_tokens(text))
        best = max(range(len(faqs)), key=lambda index: scores[index])
        return faqs[best]["id"], float(scores[best])

    return rank


def rapidfuzz_ranker(faqs: list[dict[str, str]]) -> Callable[[str], tuple[str, float]]:
    from rapidfuzz import fuzz
    from rapidfuzz import process
    from rapidfuzz import utils

    choices = [faq["question"] for faq in faqs]

    def rank(text: str) -> tuple[str, float]:
        found = process.extractOne(text, choices, scorer=fuzz.WRatio, processor=utils.default_process)
        assert found is not None
        return faqs[found[2]]["id"], float(found[1])

    return rank


def external_report(folder: Path, embeddings: bool) -> list[str]:
    faqs, questions = read_external(folder)
    mine, _ = ours(faqs, questions)
    rows = [
        mine,
        *baseline("plain BM25 (rank-bm25 BM25Okapi)", bm25_ranker(faqs), questions, mine),
        *baseline("plain rapidfuzz (WRatio, extractOne)", rapidfuzz_ranker(faqs), questions, mine),
    ]
    if embeddings:
        rows.append(ours(faqs, questions, embeddings=True)[0])
    in_scope = sum(1 for q in questions if q.ids)
    lines = [
        f"External set {folder.name}: {len(faqs)} FAQs, {len(questions)} questions ({in_scope} in scope, "
        f"{len(questions) - in_scope} out of scope)",
        f"  {'system':40} {'top-1 accuracy':>15} {'answered right':>15} {'false answers':>14}",
    ]
    for figures in rows:
        lines.append(
            f"  {figures.name:40} {100 * figures.top1:14.1f}% {100 * figures.answered_right:14.1f}%"
            f" {100 * figures.false_answers:13.1f}%   {figures.note}"
        )
    lines.append("  (top-1 accuracy ignores thresholds; each baseline is shown at two thresholds: no more false")
    lines.append("   answers than this line, and as many right answers as this line)")
    return lines


def main(args: argparse.Namespace) -> int:
    sets = question_sets() if args.set == "all" else (args.set,)
    unknown = [name for name in sets if not (EVAL_DIR / f"{name}.tsv").is_file()]
    if unknown:
        print(
            f"No question set named {', '.join(unknown)}; the sets are: {', '.join(question_sets())}", file=sys.stderr
        )
        return 2
    installed = embeddings_available()
    embeddings = installed and not args.quick
    modes = [("The line as configured by default (rapidfuzz matcher, word lists and learned model)", False, True)]
    if not args.quick:
        modes.append(("Word lists alone, without the learned model (totals only)", False, False))
    if embeddings:
        modes.append(("With the optional embedding scorer (MATCH_EMBEDDINGS=1)", True, True))
    # Writers of different sets often hit on the same words ("recovery time", "operator"): a held-out question
    # worded exactly like a tuning one is no unseen question, so the held-out totals are also given without them.
    tuning_wordings = frozenset(
        wording(row.question)
        for name in question_sets()
        if not is_held_out(name)
        for row in read_rows(EVAL_DIR / f"{name}.tsv")
    )
    for title, mode, model in modes:
        print(f"== {title}")
        reports: dict[bool, list[SetReport]] = {False: [], True: []}
        new_wordings = SetReport("")
        for name in sets:
            path = EVAL_DIR / f"{name}.tsv"
            held_out = is_held_out(name)
            role = "held out: never tuned on" if held_out else "tuning set"
            report = score_bundled(
                read_rows(path),
                f"{name} set ({path.relative_to(PROJECT_ROOT)}, {role})",
                mode,
                model,
                new_wordings=new_wordings if held_out else None,
                tuning_wordings=tuning_wordings,
            )
            reports[held_out].append(report)
            if not model:
                continue
            print("\n".join(report.lines()))
            if args.verbose and not held_out:  # the held-out set's questions are never listed
                print("\n".join("    " + miss for miss in report.misses))
            print()
        if model:
            print(
                "(The learned model was fitted on the tuning sets, so their urgent and person figures above are no"
                " estimate: `make intents-model` measures it on tuning sets held out of its fitting.)\n"
            )
        for held_out, label in ((False, "tuning sets"), (True, "held-out sets")):
            if len(reports[held_out]) > 1 or (reports[held_out] and not model):
                summed = total(f"All {len(reports[held_out])} {label}, together", reports[held_out])
                print("\n".join(summed.lines()))
                print()
        if reports[True]:
            held = sum(report.questions for report in reports[True])
            new_wordings.name = (
                f"The same held-out sets, without the {held - new_wordings.questions} of their {held} questions"
                " worded exactly as a tuning question"
            )
            print("\n".join(new_wordings.lines()))
            print()
    if not installed:
        print("(The optional embedding scorer is not installed: pip install -r requirements-embeddings.txt)\n")
    folder = Path(args.external) if args.external else EXTERNAL_DEFAULT
    if folder.is_dir():
        print("\n".join(external_report(folder, embeddings)))
    else:
        print(f"External set not found at {folder}; pass --external FOLDER to measure it.")
    return 0
