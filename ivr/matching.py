"""Match what a caller said to the answer the line can give, or decide it has none.

The pieces, in the order a question meets them:

1. `Language` turns text into canonical words: cleaned, contractions expanded,
   numbers spelt out, fillers dropped, synonyms mapped to the content's word
   ("Eliquis" -> "blood thinner"), and a light stem.
2. `Index.repair` mends recognition damage against the content vocabulary: words
   split apart ("intro thecal"), misspelt ("catheder") or misheard ("cath itter")
   are joined or replaced when their spelling or their sound (Metaphone) is close
   to a word the content uses.
3. `Index.rank` scores every entry (an FAQ or a section) on several features: how
   much of the question's weight (inverse document frequency) the entry covers,
   how well the question matches the entry's best phrasing, and rapidfuzz
   similarity to its question and extra phrasings. Words the content never uses
   count against every entry, which is what rejects "how much does it cost".
4. `decide` picks answer / confirm / none from the top score, its margin over the
   best entry that says something different, and recognition confidence.

Intents (urgent, a person, repeat, back, ...) use the same `Language`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz import process
from rapidfuzz import utils

from ivr import text as textmod
from ivr.content import Library

Decision = Literal["answer", "confirm", "none"]


@dataclass(frozen=True)
class Entry:
    """Something the line can answer: an FAQ or a procedure section."""

    key: str  # unique, e.g. "faq:risks" or "section:the-trial-phase"
    label: str  # what "Did you mean" reads: the question or the section title
    phrasings: tuple[str, ...]  # the question and its extra phrasings, or the section's title and menu name
    keywords: tuple[str, ...] = ()
    body: str = ""  # the answer or the section text
    ref: tuple[int, int, str] = (0, 0, "faq")  # (procedure index, item index, kind) for the call flow


@dataclass(frozen=True)
class Thresholds:
    """Band edges of the three-way decision, calibrated with `make eval` (see README)."""

    answer: float = 0.62
    confirm: float = 0.40
    margin: float = 0.08
    low_confidence: float = 0.40  # recognition confidence below this never answers outright
    very_low_confidence: float = 0.15  # ... and below this never even confirms


@dataclass(frozen=True)
class Scored:
    entry: Entry
    score: float
    coverage: float
    phrasing: float
    fuzzy: float


@dataclass(frozen=True)
class Match:
    """The decision, and the best entry even when the decision is "none" (for reports)."""

    decision: Decision
    entry: Entry | None
    score: float
    margin: float
    ranked: tuple[Scored, ...] = ()


class Language:
    """Turns text into canonical word lists: fillers out, synonyms mapped, words stemmed."""

    def __init__(self, fillers: Iterable[str] = (), synonyms: Sequence[tuple[str, Sequence[str]]] = ()) -> None:
        self.fillers = textmod.phrase_words(fillers)
        table: dict[tuple[str, ...], tuple[str, ...]] = {}
        for canonical, variants in synonyms:
            target = tuple(textmod.words(canonical))
            for variant in variants:
                source = tuple(textmod.words(variant))
                if source and source != target:
                    table[source] = target
        self.synonyms = table
        self.synonym_phrases = tuple(sorted(table, key=len, reverse=True))

    def words(self, text: str, *, drop_fillers: bool = True) -> list[str]:
        tokens = textmod.words(text)
        return textmod.remove_phrases(tokens, self.fillers) if drop_fillers else tokens

    def canonical(self, tokens: Sequence[str]) -> list[str]:
        """Map synonyms (longest phrase first) to the content's words, then stem."""
        out: list[str] = []
        index = 0
        while index < len(tokens):
            for phrase in self.synonym_phrases:
                if tuple(tokens[index : index + len(phrase)]) == phrase:
                    out.extend(self.synonyms[phrase])
                    index += len(phrase)
                    break
            else:
                out.append(tokens[index])
                index += 1
        return [textmod.stem(token) for token in out]

    def terms(self, text: str, *, drop_fillers: bool = True) -> list[str]:
        return self.canonical(self.words(text, drop_fillers=drop_fillers))


STOP_TERMS = textmod.STOPWORDS | {textmod.stem(word) for word in textmod.STOPWORDS}


def content_terms(terms: Iterable[str]) -> list[str]:
    return [term for term in terms if term not in STOP_TERMS]


@dataclass
class _Phrase:
    terms: tuple[str, ...]
    content: frozenset[str]
    joined: str  # the terms joined by spaces, for rapidfuzz


@dataclass
class _Indexed:
    entry: Entry
    strong: list[_Phrase] = field(default_factory=list)  # question, phrasings, keywords
    body: frozenset[str] = frozenset()
    terms: frozenset[str] = frozenset()  # every content term of the entry
    strong_terms: frozenset[str] = frozenset()


class Index:
    """The searchable form of a list of entries. Built once; `rank` is cheap."""

    def __init__(self, entries: Sequence[Entry], language: Language) -> None:
        self.language = language
        self.items: list[_Indexed] = []
        document_frequency: dict[str, int] = defaultdict(int)
        postings: dict[str, list[int]] = defaultdict(list)
        for position, entry in enumerate(entries):
            item = _Indexed(entry)
            for phrase in (*entry.phrasings, *entry.keywords):
                terms = tuple(language.terms(phrase, drop_fillers=False))
                if terms:
                    item.strong.append(_Phrase(terms, frozenset(content_terms(terms)), " ".join(terms)))
            item.body = frozenset(content_terms(language.terms(entry.body, drop_fillers=False)))
            item.strong_terms = frozenset(term for phrase in item.strong for term in phrase.content)
            item.terms = item.strong_terms | item.body
            for term in item.terms:
                document_frequency[term] += 1
                postings[term].append(position)
            self.items.append(item)
        count = max(len(self.items), 1)
        self.idf = {term: _idf(count, frequency) for term, frequency in document_frequency.items()}
        self.unknown_idf = _idf(count, 0)
        self.postings = dict(postings)
        # Recognition damage is mended on the caller's own words, before synonyms and stems,
        # against every word the content and the synonym list spell out.
        raw_words: set[str] = set()
        for entry in entries:
            for text in (*entry.phrasings, *entry.keywords, entry.body):
                raw_words.update(textmod.words(text))
        for source, target in language.synonyms.items():
            raw_words.update(source)
            raw_words.update(target)
        self.vocabulary = sorted(word for word in raw_words if word.isalpha() and word not in textmod.STOPWORDS)
        self.raw_words = frozenset(raw_words)
        self.by_sound: dict[str, list[str]] = defaultdict(list)
        for word in self.vocabulary:
            self.by_sound[textmod.sound(word)].append(word)
        self.linked = _link_related(self.items)

    def known(self, word: str) -> bool:
        return word in self.raw_words or word in textmod.STOPWORDS or textmod.stem(word) in self.idf

    def repair(self, words: Sequence[str]) -> list[str]:
        """Join split words and replace misheard ones with the content word they sound or look like."""
        out: list[str] = []
        index = 0
        while index < len(words):
            word = words[index]
            joined = self._join(words, index)
            if joined is not None:
                replacement, used = joined
                out.append(replacement)
                index += used
                continue
            out.append(word if self.known(word) else self._closest(word) or word)
            index += 1
        return out

    def _join(self, terms: Sequence[str], index: int) -> tuple[str, int] | None:
        """A known word recognition split in two or three ("intro thecal", "cath itter")."""
        # a real word is joined to its neighbour only when the neighbour is not a word
        neighbour_known = index + 1 >= len(terms) or self.known(terms[index + 1])
        if self.known(terms[index]) and terms[index] not in {"in", "an", "a"} and neighbour_known:
            return None
        for size in (3, 2):
            if index + size > len(terms):
                continue
            parts = terms[index : index + size]
            if all(self.known(part) for part in parts):
                continue
            glued = "".join(parts)
            if glued in self.raw_words:
                return glued, size
            candidate = self._closest(glued, strict=True)
            if candidate is not None:
                return candidate, size
        return None

    def _closest(self, term: str, *, strict: bool = False) -> str | None:
        """The content word closest in sound and spelling, or None when nothing is close."""
        if len(term) < 4 or not term.isalpha():
            return None
        best: tuple[float, str] | None = None
        for candidate in self.by_sound.get(textmod.sound(term), ()):
            score = fuzz.ratio(term, candidate)
            if score >= (72 if strict else 60) and (best is None or score > best[0]):
                best = (score, candidate)
        if best is not None:
            return best[1]
        # Spelling alone is trusted only with the first letter right: recognition keeps it, and
        # without that rule "replacement" would become "placement".
        found = process.extractOne(term, self.vocabulary, scorer=fuzz.ratio, score_cutoff=88 if strict else 84)
        return found[0] if found and found[0][0] == term[0] else None

    def rank(self, terms: Sequence[str], limit: int = 8) -> list[Scored]:
        query_content = content_terms(terms)
        if not query_content:
            return []
        weights = {term: self.idf.get(term, self.unknown_idf) for term in query_content}
        total = sum(weights.values())
        candidates: dict[int, float] = defaultdict(float)
        for term in set(query_content):
            for position in self.postings.get(term, ()):
                candidates[position] += weights[term]
        if not candidates:
            return []
        shortlist = sorted(candidates, key=candidates.__getitem__, reverse=True)[: max(limit * 4, 24)]
        joined = " ".join(terms)
        scored = [self._score(self.items[position], weights, total, joined) for position in shortlist]
        scored.sort(key=lambda item: item.score, reverse=True)
        return scored[:limit]

    def _score(self, item: _Indexed, weights: dict[str, float], total: float, joined: str) -> Scored:
        covered = 0.0
        for term, weight in weights.items():
            if term in item.strong_terms:
                covered += weight
            elif term in item.body:
                covered += 0.6 * weight
        coverage = covered / total
        query_terms = set(weights)
        phrasing = 0.0
        fuzzy = 0.0
        for phrase in item.strong:
            if phrase.content:
                shared = sum(weights[term] for term in query_terms & phrase.content)
                precision = shared / total
                recall = sum(self.idf.get(t, 0.0) for t in phrase.content & query_terms) / max(
                    sum(self.idf.get(t, 0.0) for t in phrase.content), 1e-9
                )
                if precision + recall:
                    phrasing = max(phrasing, 2 * precision * recall / (precision + recall))
            fuzzy = max(fuzzy, fuzz.token_sort_ratio(joined, phrase.joined, processor=utils.default_process) / 100)
        score = 0.5 * coverage + 0.3 * phrasing + 0.2 * fuzzy * coverage
        return Scored(item.entry, score, coverage, phrasing, fuzzy)


def _idf(count: int, frequency: int) -> float:
    return math.log(1 + (count - frequency + 0.5) / (frequency + 0.5))


def _link_related(items: list[_Indexed]) -> dict[str, frozenset[str]]:
    """Pairs of an FAQ and a section that say much the same thing do not compete for the margin."""
    links: dict[str, set[str]] = defaultdict(set)
    for first in items:
        for second in items:
            if (
                first.entry.ref[2] == "faq"
                and second.entry.ref[2] == "section"
                and first.entry.ref[0] == second.entry.ref[0]
            ):
                smaller = min(len(first.body), len(second.body))
                if smaller and len(first.body & second.body) / smaller >= 0.6:
                    links[first.entry.key].add(second.entry.key)
                    links[second.entry.key].add(first.entry.key)
    return {key: frozenset(value) for key, value in links.items()}


class Matcher:
    """Answer, confirm, or say there is no answer."""

    def __init__(self, entries: Sequence[Entry], language: Language, thresholds: Thresholds | None = None) -> None:
        self.language = language
        self.index = Index(entries, language)
        self.thresholds = thresholds or Thresholds()

    def terms(self, question: str) -> list[str]:
        return self.language.canonical(self.index.repair(self.language.words(question)))

    def match(self, question: str, confidence: float | None = None) -> Match:
        ranked = self.index.rank(self.terms(question))
        return decide(ranked, self.index.linked, self.thresholds, confidence)


def decide(
    ranked: Sequence[Scored],
    linked: dict[str, frozenset[str]],
    thresholds: Thresholds,
    confidence: float | None,
) -> Match:
    if not ranked:
        return Match("none", None, 0.0, 0.0, tuple(ranked))
    top = ranked[0]
    related = linked.get(top.entry.key, frozenset())
    rival = next((item.score for item in ranked[1:] if item.entry.key not in related), 0.0)
    margin = top.score - rival
    decision: Decision = "none"
    if top.score >= thresholds.answer and margin >= thresholds.margin:
        decision = "answer"
    elif top.score >= thresholds.confirm:
        decision = "confirm"
    if confidence is not None:
        if decision == "answer" and confidence < thresholds.low_confidence:
            decision = "confirm"
        if decision == "confirm" and confidence < thresholds.very_low_confidence:
            decision = "none"
    return Match(decision, top.entry, top.score, margin, tuple(ranked))


def library_entries(library: Library) -> list[Entry]:
    """Every FAQ and section of every procedure, as matcher entries."""
    entries: list[Entry] = []
    for p, procedure in enumerate(library.procedures):
        prefix = f"{procedure.id}/" if len(library.procedures) > 1 else ""
        for i, faq in enumerate(procedure.faqs):
            entries.append(
                Entry(
                    key=f"faq:{prefix}{faq.id}",
                    label=faq.question,
                    phrasings=(faq.question, *faq.also_asked),
                    keywords=faq.keywords,
                    body=faq.answer,
                    ref=(p, i, "faq"),
                )
            )
        for i, section in enumerate(procedure.sections):
            entries.append(
                Entry(
                    key=f"section:{prefix}{section.id}",
                    label=section.title,
                    phrasings=(section.title, section.menu_name),
                    keywords=section.keywords,
                    body=section.text,
                    ref=(p, i, "section"),
                )
            )
    return entries
