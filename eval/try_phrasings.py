"""Try proposed "Also asked" phrasings one at a time on the tuning sets only.

    PYTHONPATH=. python eval/try_phrasings.py PROPOSAL.md

PROPOSAL.md lists candidates under the entry they belong to, as the content files do:

    ## section: The trial phase
    Also asked: Do I get to try the medicine before the pump?
    ## faq: candidate
    Also asked: ...

For each candidate it prints one JSON line: [net, gained, lost, out_of_scope_answered, key, text], where
gained and lost count tuning questions that the line gets right (or, out of scope, does not answer)
only with or only without the candidate, and net = gained - lost - 2 * out_of_scope_answered.
A candidate is worth adding to the content when its net is positive and it answers no
out-of-scope question, and a person has checked that its entry's own text answers it.
The held-out sets (eval/test*.tsv) are never read here.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from dataclasses import replace
from pathlib import Path

from ivr.cli import tool_config
from ivr.evaluation import Row
from ivr.evaluation import read_rows
from ivr.line import load_line
from ivr.matching import Entry
from ivr.matching import Language
from ivr.matching import Matcher

TUNING_SETS = tuple(sorted(Path(__file__).parent.glob("dev*.tsv")))
HEADING = re.compile(r"## (section|faq): (.+)")


def read_proposal(path: Path) -> list[tuple[str, str]]:
    """(entry key, phrasing) pairs; a section is named by its heading, an FAQ by its id."""
    candidates: list[tuple[str, str]] = []
    key = None
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = HEADING.match(line)
        if heading:
            kind, name = heading.groups()
            slug = name.strip() if kind == "faq" else re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
            key = f"{kind}:{slug}"
        elif line.startswith("Also asked:") and key:
            candidates.append((key, line.removeprefix("Also asked:").strip()))
    return candidates


def outcomes(entries: list[Entry], language: Language, rows: list[Row]) -> list[bool]:
    matcher = Matcher(entries, language)
    results = []
    for row in rows:
        match = matcher.match(row.question)
        if "none" in row.expected:
            results.append(match.decision != "answer")
        else:
            results.append(match.decision != "none" and match.entry is not None and match.entry.key in row.expected)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("proposal", type=Path)
    args = parser.parse_args()
    line = load_line(tool_config({**os.environ, "MATCH_EMBEDDINGS": "0"}))
    entries = [item.entry for item in line.matcher.index.items]
    language = line.matcher.language
    # the questions the matcher decides: urgent words and requests for a person never reach it
    rows = [
        row
        for path in TUNING_SETS
        for row in read_rows(path)
        if not ({"urgent", "person"} & row.expected)
        and not line.intents.is_urgent(row.question)
        and not line.intents.wants_person(row.question)
    ]
    before = outcomes(entries, language, rows)
    keys = {entry.key for entry in entries}
    for key, text in read_proposal(args.proposal):
        if key not in keys:
            raise SystemExit(f"{args.proposal}: no entry {key} in the content")
        trial = [replace(entry, phrasings=(*entry.phrasings, text)) if entry.key == key else entry for entry in entries]
        after = outcomes(trial, language, rows)
        gained = sum(now and not then for then, now in zip(before, after, strict=True))
        lost = [index for index, (then, now) in enumerate(zip(before, after, strict=True)) if then and not now]
        answered = sum("none" in rows[index].expected for index in lost)
        net = gained - len(lost) - 2 * answered
        print(json.dumps([net, gained, len(lost), answered, key, text]), flush=True)


if __name__ == "__main__":
    main()
