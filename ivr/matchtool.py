"""`python -m ivr match`: the line's question handling on any FAQ list, as JSON lines.

Each caller question gets the decision the line would take at its question prompt:
"urgent" and "person" first (as the line checks them first), then the matcher's
"answer", "confirm" or "none" with the best FAQ's id and score. A question about a danger
("can the medicine slow my breathing?") is "urgent", as the emergency sentence comes first; when
the line then answers it, the line gives the FAQ's id and "then": "answer" or "confirm". A
spoken "help" is "urgent" with "then": "help": the emergency sentence, then how to use the line.
A "confirm" that offers two topics ("Did you mean one of these?") names the second as "alternative".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from ivr.config import PROJECT_ROOT
from ivr.content import read_synonyms
from ivr.intents import Intents
from ivr.intents import danger_question_answer
from ivr.line import caller_language
from ivr.line import load_intent_model
from ivr.matching import Entry
from ivr.matching import Match
from ivr.matching import Matcher
from ivr.prompts import load_catalogue


def faq_entries(faqs: object) -> list[Entry]:
    if not isinstance(faqs, list):
        raise ValueError("expected a JSON list of objects with id, question and answer")
    entries = []
    seen: set[str] = set()
    for number, faq in enumerate(faqs):
        if not isinstance(faq, dict) or not isinstance(faq.get("question"), str) or "id" not in faq:
            raise ValueError(f"item {number} needs an 'id' and a 'question'")
        key = str(faq["id"])
        if key in seen:
            raise ValueError(f"id {key!r} appears twice")
        seen.add(key)
        answer = faq.get("answer", "")
        entries.append(
            Entry(
                key=key, label=faq["question"], phrasings=(faq["question"],), body=str(answer), ref=(0, number, "faq")
            )
        )
    return entries


def build(
    faqs: object, synonyms: str | None = "", language: str = "en-US", embeddings: bool = False
) -> tuple[Matcher, Intents]:
    """A matcher and intent recogniser for an FAQ list, with the bundled words of `language`."""
    catalogue = load_catalogue(PROJECT_ROOT / "prompts", language)
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if synonyms is not None:
        path = Path(synonyms) / "synonyms.txt" if synonyms else PROJECT_ROOT / "content" / "synonyms.txt"
        if path.is_file():
            groups, errors = read_synonyms(path, str(path))
            if errors:
                raise ValueError("; ".join(str(error) for error in errors))
    words = caller_language(catalogue, groups)
    encoder = None
    if embeddings:
        from ivr.embeddings import MiniLM

        encoder = MiniLM()
    model = load_intent_model(PROJECT_ROOT / "prompts", language)
    return Matcher(faq_entries(faqs), words, encoder=encoder), Intents(catalogue, words, model)


def decide_line(matcher: Matcher, intents: Intents, question: str) -> dict[str, object]:
    if intents.is_urgent(question):
        return _urgent(matcher, intents, question)
    if intents.command(question) == "help":  # the emergency sentence, then how to use the line
        return {"question": question, "decision": "urgent", "id": None, "score": None, "then": "help"}
    # the learned model, where the lists heard no emergency: an emergency outranks a request for a person
    second_opinion = intents.second_opinion(question)
    if intents.wants_person(question) or intents.spoken_key(question) == "0":  # "zero" is 0 at every menu
        if second_opinion == "urgent":
            return _urgent(matcher, intents, question)
        return {"question": question, "decision": "person", "id": None, "score": None}
    if second_opinion == "urgent":
        return _urgent(matcher, intents, question)
    if second_opinion == "person":
        return {"question": question, "decision": "person", "id": None, "score": None}
    match = matcher.match(question)
    return {
        "question": question,
        "decision": match.decision,
        "id": match.entry.key if match.entry else None,
        "score": round(match.score, 4),
        **_alternative(match),
    }


def _urgent(matcher: Matcher, intents: Intents, question: str) -> dict[str, object]:
    """A question about a danger the content covers hears the emergency sentence, then the answer."""
    match = danger_question_answer(intents, matcher, question)
    if match is None or match.entry is None:
        return {"question": question, "decision": "urgent", "id": None, "score": None}
    return {
        "question": question,
        "decision": "urgent",
        "id": match.entry.key,
        "score": round(match.score, 4),
        "then": match.decision,
        **_alternative(match),
    }


def _alternative(match: Match) -> dict[str, str]:
    """The other topic a "Did you mean" offers, when it offers two."""
    return {"alternative": match.alternative.key} if match.alternative is not None else {}


def run_match(
    faqs: object, questions: Iterable[str], out: TextIO, synonyms: str | None = "", embeddings: bool = False
) -> None:
    matcher, intents = build(faqs, synonyms, embeddings=embeddings)
    for raw in questions:
        question = raw.rstrip("\n")
        if not question.strip():
            continue
        out.write(json.dumps(decide_line(matcher, intents, question)) + "\n")
        out.flush()
