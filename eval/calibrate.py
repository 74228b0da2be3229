"""Calibrate the matcher's feature weights and decision bands on the tuning sets only.

    PYTHONPATH=. python eval/calibrate.py [--trials 300] [--seed 7] [--embeddings]

A random search over `Weights`, and for each a grid over `Thresholds`, scoring each
setting on the tuning questions by what matters on a medical line: right answers
(or right "did you mean") count for, and answering an out-of-scope question or
answering wrongly count heavily against. It prints the best setting; copy it into
the defaults in ivr/matching.py (Weights/Thresholds, or SEMANTIC_WEIGHTS/SEMANTIC_THRESHOLDS
with --embeddings). The tuning sets are eval/dev*.tsv; the held-out
sets (eval/test*.tsv) are never read here.
"""

from __future__ import annotations

import argparse
import os
import random
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path

from ivr.cli import tool_config
from ivr.evaluation import read_rows
from ivr.line import load_line
from ivr.matching import Index
from ivr.matching import Thresholds
from ivr.matching import Weights
from ivr.matching import decide

TUNING_SETS = tuple(sorted(Path(__file__).parent.glob("dev*.tsv")))


@dataclass(frozen=True)
class Outcome:
    objective: float
    right: float
    oos_answered: float
    wrong_answers: int
    direct: float


def evaluate(ranked_rows: list[tuple[frozenset[str], list]], linked: dict, thresholds: Thresholds) -> Outcome:
    right = direct = wrong = wrong_confirm = oos_answer = oos_confirm = in_scope = oos = 0
    for expected, ranked in ranked_rows:
        match = decide(ranked, linked, thresholds, None)
        key = match.entry.key if match.entry else None
        if "none" in expected:
            oos += 1
            oos_answer += match.decision == "answer"
            oos_confirm += match.decision == "confirm"
            continue
        in_scope += 1
        hit = key in expected
        right += match.decision != "none" and hit
        direct += match.decision == "answer" and hit
        wrong += match.decision == "answer" and not hit
        wrong_confirm += match.decision == "confirm" and not hit
    objective = (
        right / in_scope
        + 0.15 * direct / in_scope
        - 3.0 * oos_answer / oos
        - 2.0 * wrong / in_scope
        - 0.3 * wrong_confirm / in_scope
        - 0.15 * oos_confirm / oos
    )
    return Outcome(objective, right / in_scope, oos_answer / oos, wrong, direct / in_scope)


def threshold_grid() -> list[Thresholds]:
    grid = []
    for answer in [x / 100 for x in range(40, 96, 3)]:
        for confirm in [x / 100 for x in range(20, 80, 3)]:
            if confirm > answer:
                continue
            for margin in (0.0, 0.03, 0.06, 0.1, 0.15, 0.2):
                grid.append(Thresholds(answer=answer, confirm=confirm, margin=margin))
    return grid


def random_weights(rng: random.Random) -> Weights:
    parts = [rng.random() for _ in range(4)]
    total = sum(parts)
    coverage, phrasing, fuzzy, fuzzy_covered = (part / total for part in parts)
    return Weights(
        floor=rng.choice([0.2, 0.35, 0.5, 0.75, 1.0]),
        unknown=rng.choice([0.4, 0.6, 0.8, 1.0, 1.3]),
        generic=rng.choice([0.1, 0.2, 0.35, 0.5]),
        body=rng.choice([0.3, 0.45, 0.6, 0.8]),
        coverage=round(coverage, 3),
        phrasing=round(phrasing, 3),
        fuzzy=round(fuzzy, 3),
        fuzzy_covered=round(fuzzy_covered, 3),
        unknown_penalty=rng.choice([0.0, 0.1, 0.15, 0.2, 0.3]),
        amount_penalty=rng.choice([0.4, 0.5, 0.6, 0.75, 1.0]),
        semantic=rng.choice([0.6, 0.9, 1.2, 1.6, 2.0]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--embeddings", action="store_true", help="calibrate the optional embedding scorer's mode")
    args = parser.parse_args()
    line = load_line(tool_config({**os.environ, "MATCH_EMBEDDINGS": "1" if args.embeddings else "0"}))
    matcher = line.matcher
    rows = [
        (row.expected, matcher.terms(row.question), matcher.vector(row.question))
        for path in TUNING_SETS
        for row in read_rows(path)
        if not ({"urgent", "person"} & row.expected)
        and not line.intents.is_urgent(row.question)
        and not line.intents.wants_person(row.question)
    ]
    entries = [item.entry for item in matcher.index.items]
    grid = threshold_grid()
    rng = random.Random(args.seed)
    candidates = [matcher.index.weights] + [random_weights(rng) for _ in range(args.trials)]
    if args.embeddings:
        candidates = [replace(weights, semantic=max(weights.semantic, 0.6)) for weights in candidates]
    best: tuple[Outcome, Weights, Thresholds] | None = None
    for number, weights in enumerate(candidates):
        index = Index(entries, matcher.language, weights)
        if matcher.index.vectors is not None:  # reuse the vectors: they do not depend on the weights
            index.vectors, index.vector_starts = matcher.index.vectors, matcher.index.vector_starts
        ranked_rows = [(expected, index.rank(terms, query=vector)) for expected, terms, vector in rows]
        for thresholds in grid:
            outcome = evaluate(ranked_rows, index.linked, thresholds)
            if best is None or outcome.objective > best[0].objective:
                best = (outcome, weights, thresholds)
                print(f"[{number}] {outcome}\n    {weights}\n    {thresholds}", flush=True)
    assert best is not None
    outcome, weights, thresholds = best
    print("\nBest on the tuning sets:")
    print(f"  {outcome}")
    print(f"  Weights({', '.join(f'{k}={v}' for k, v in asdict(weights).items())})")
    print(f"  {replace(thresholds)}")


if __name__ == "__main__":
    main()
