"""Try proposed "Also asked" phrasings one at a time on the tuning sets only.

    PYTHONPATH=. python eval/try_phrasings.py PROPOSAL.md

PROPOSAL.md lists candidates under the entry they belong to, as the content files do:

    ## section: The trial phase
    Also asked: Do I get to try the medicine before the pump?
    ## faq: candidate
    Also asked: ...

For each candidate it prints one JSON line: [net, gained, lost, out_of_scope_answered, key, text], where
gained and lost count tuning questions that the line decides right (as `make eval` scores them)
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
from ivr.content import slugify
from ivr.evaluation import Row
from ivr.evaluation import is_right
from ivr.evaluation import read_rows
from ivr.intents import Intents
from ivr.line import load_line
from ivr.matching import Entry
from ivr.matching import Language
from ivr.matching import Matcher
from ivr.matchtool import decide_line

TUNING_SETS = tuple(sorted(Path(__file__).parent.glob("dev*.tsv")))
HEADING = re.compile(r"## (section|faq): (.+)")


def read_proposal(path: Path) -> list[tuple[str, str]]:
    """(entry key, phrasing) pairs; a section is named by its heading, an FAQ by its id."""
    candidates: list[tuple[str, str]] = []
    key = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        heading = HEADING.match(line)
        if heading:
            kind, name = heading.groups()
            key = f"{kind}:{name.strip() if kind == 'faq' else slugify(name)}"
        elif line.startswith("## "):
            raise SystemExit(f"{path}:{number}: a heading must be '## section: <heading>' or '## faq: <id>'")
        elif line.startswith("Also asked:") and key:
            candidates.append((key, line.removeprefix("Also asked:").strip()))
    return candidates


def outcomes(entries: list[Entry], language: Language, intents: Intents, rows: list[Row]) -> list[bool]:
    """Whether the line decides each question right with these entries."""
    matcher = Matcher(entries, language)
    return [is_right(row, decide_line(matcher, intents, row.question)) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("proposal", type=Path)
    args = parser.parse_args()
    line = load_line(tool_config({**os.environ, "MATCH_EMBEDDINGS": "0"}))
    entries = [item.entry for item in line.matcher.index.items]
    language = line.matcher.language
    # the questions whose outcome an entry's phrasings can change
    rows = [row for path in TUNING_SETS for row in read_rows(path) if not ({"urgent", "person"} & row.expected)]
    before = outcomes(entries, language, line.intents, rows)
    keys = {entry.key for entry in entries}
    for key, text in read_proposal(args.proposal):
        if key not in keys:
            raise SystemExit(f"{args.proposal}: no entry {key} in the content")
        trial = [replace(entry, phrasings=(*entry.phrasings, text)) if entry.key == key else entry for entry in entries]
        after = outcomes(trial, language, line.intents, rows)
        gained = sum(now and not then for then, now in zip(before, after, strict=True))
        lost = [index for index, (then, now) in enumerate(zip(before, after, strict=True)) if then and not now]
        answered = sum("none" in rows[index].expected for index in lost)
        net = gained - len(lost) - 2 * answered
        print(json.dumps([net, gained, len(lost), answered, key, text]), flush=True)


if __name__ == "__main__":
    main()
