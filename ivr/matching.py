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
import re
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Literal
from typing import Protocol

import numpy as np
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
    """Band edges of the three-way decision, calibrated with eval/calibrate.py on the tuning sets."""

    answer: float = 0.79
    confirm: float = 0.2
    margin: float = 0.06
    low_confidence: float = 0.40  # recognition confidence below this never answers outright
    very_low_confidence: float = 0.15  # ... and below this never even confirms
    # A question about a danger ("can the medicine slow my breathing?") is answered, after the
    # emergency sentence, only from this score; below it the caller is treated as urgent.
    danger_question: float = 0.45
    # "Did you mean" offers the best other topic too when it scores within this of the best one
    alternative: float = 0.1
    information: float = 0.5  # a question's content words must weigh this much to be answered outright


@dataclass(frozen=True)
class Weights:
    """How the features combine into one score, calibrated with eval/calibrate.py on the tuning sets."""

    floor: float = 0.2  # the least a content word the content uses counts for
    unknown: float = 0.8  # an unknown word, as a share of the rarest content word's weight
    generic: float = 0.1  # ... times this when it is a generic English word ("exactly", "able")
    generic_cap: float = 1.0  # the most a generic word counts when the content uses it
    body: float = 0.45  # credit for a word found only in the answer or section text
    coverage: float = 0.374
    phrasing: float = 0.364
    fuzzy: float = 0.097
    fuzzy_covered: float = 0.165
    function_words: float = 0.5  # the score of a question of only small words matching a phrasing exactly
    unknown_penalty: float = 0.0  # each word the content never uses (and not generic) takes this share off
    amount_penalty: float = 0.6  # "how long ...?" against text that gives no amount keeps this share
    semantic: float = 1.2  # the weight of embedding similarity, when MATCH_EMBEDDINGS=1


@dataclass(frozen=True)
class Scored:
    entry: Entry
    score: float
    coverage: float
    phrasing: float
    fuzzy: float
    semantic: float = 0.0


@dataclass(frozen=True)
class Match:
    """The decision, and the best entry even when the decision is "none" (for reports)."""

    decision: Decision
    entry: Entry | None
    score: float
    margin: float
    ranked: tuple[Scored, ...] = ()
    alternative: Entry | None = None  # a "Did you mean" offers this too: a close second on another topic


# The specific things a question may ask for, and a text give (Language.specifics).
AMOUNT = 0  # "how long ...?": a length of time, a number, a dose
NAME = 1  # "which medicine ...?": a named medicine


class Language:
    """Turns text into canonical word lists: fillers out, synonyms mapped, words stemmed."""

    def __init__(
        self,
        fillers: Iterable[str] = (),
        synonyms: Sequence[tuple[str, Sequence[str]]] = (),
        asks_amount: Iterable[str] = (),
        amounts: Iterable[str] = (),
        sounds_like: dict[str, str] | None = None,
        asks_name: Iterable[str] = (),
        names: Iterable[str] = (),
    ) -> None:
        self.fillers = textmod.phrase_words(fillers)
        self.sounds_like = dict(sounds_like or {})
        # several words that together sound like one ("bat tree" -> "battery"), longest first, keyed
        # as repair sees them: with fillers gone ("an ease the ze ah" is "an ease the ze")
        runs = ((tuple(self.words(heard)), meant) for heard, meant in self.sounds_like.items())
        self.sounds_like_runs = tuple(sorted((run for run in runs if len(run[0]) > 1), key=lambda run: -len(run[0])))
        table: dict[tuple[str, ...], tuple[str, ...]] = {}
        for canonical, variants in synonyms:
            target = tuple(textmod.words(canonical))
            for variant in variants:
                source = tuple(textmod.words(variant))
                if source and source != target:
                    table[source] = target
        self.synonyms = table
        self.synonym_phrases = tuple(sorted(table, key=len, reverse=True))
        # Questions asking for something specific, and the words of a text that gives it, indexed by
        # AMOUNT ("how long ...?" wants "days", "overnight") and NAME ("which medicine ...?").
        self.specifics = tuple(
            (
                tuple(tuple(self.canonical(words)) for words in textmod.phrase_words(asks)),
                frozenset(word for phrase in given for word in textmod.words(phrase)),
            )
            for asks, given in ((asks_amount, amounts), (asks_name, names))
        )

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

    def asks_for(self, terms: Sequence[str]) -> frozenset[int]:
        """Which specifics (AMOUNT, NAME) the question asks for."""
        return frozenset(
            kind
            for kind, (asks, _) in enumerate(self.specifics)
            if any(textmod.find_phrase(terms, phrase) >= 0 for phrase in asks)
        )

    def gives(self, words: Iterable[str]) -> frozenset[int]:
        """Which specifics (AMOUNT, NAME) text, as words, gives."""
        present = set(words)
        return frozenset(kind for kind, (_, given) in enumerate(self.specifics) if present & given)


STOP_TERMS = textmod.STOPWORDS | {textmod.stem(word) for word in textmod.STOPWORDS}
GENERIC_TERMS = textmod.GENERIC | {textmod.stem(word) for word in textmod.GENERIC}


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
    gives: frozenset[int] = frozenset()  # the specifics its text gives (Language.gives)
    strong: list[_Phrase] = field(default_factory=list)  # question, phrasings, keywords
    body: frozenset[str] = frozenset()
    terms: frozenset[str] = frozenset()  # every content term of the entry
    strong_terms: frozenset[str] = frozenset()


class Encoder(Protocol):
    """Turns sentences into unit vectors (ivr.embeddings.MiniLM)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class Index:
    """The searchable form of a list of entries. Built once; `rank` is cheap."""

    def __init__(
        self,
        entries: Sequence[Entry],
        language: Language,
        weights: Weights | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        self.language = language
        self.weights = weights or Weights()
        self.items: list[_Indexed] = []
        document_frequency: dict[str, int] = defaultdict(int)
        postings: dict[str, list[int]] = defaultdict(list)
        # Recognition damage is mended on the caller's own words, before synonyms and stems,
        # against every word the content and the synonym list spell out.
        raw_words: set[str] = set()
        for position, entry in enumerate(entries):
            body_words = textmod.words(entry.body)
            raw_words.update(body_words)
            item = _Indexed(entry, language.gives(body_words))
            for phrase in (*entry.phrasings, *entry.keywords):
                phrase_words = textmod.words(phrase)
                raw_words.update(phrase_words)
                terms = tuple(language.canonical(phrase_words))
                if terms:
                    item.strong.append(_Phrase(terms, frozenset(content_terms(terms)), " ".join(terms)))
            item.body = frozenset(content_terms(language.canonical(body_words)))
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
        for source, target in language.synonyms.items():
            raw_words.update(source)
            raw_words.update(target)
        self.vocabulary = sorted(word for word in raw_words if word.isalpha() and word not in textmod.STOPWORDS)
        # content terms that are everyday English ("back", "end", "pick") count no more than generic words
        self.everyday = frozenset(
            term for word in raw_words if textmod.is_everyday(word) and (term := textmod.stem(word)) in self.idf
        )
        self.raw_words = frozenset(raw_words)
        self.by_sound: dict[str, list[str]] = defaultdict(list)
        self.long_by_sound: dict[str, list[str]] = defaultdict(list)  # for words glued from small ones
        for word in self.vocabulary:
            self.by_sound[textmod.sound(word)].append(word)
            if len(word) >= 8:
                self.long_by_sound[textmod.flat_sound(word)].append(word)
        self.linked = _link_related(self.items)
        self.vectors: np.ndarray | None = None
        self.vector_starts: np.ndarray | None = None
        if encoder is not None:
            self._embed(encoder)

    def _embed(self, encoder: Encoder) -> None:
        """One vector per phrasing and per sentence of the text; an entry scores its best one."""
        texts: list[str] = []
        starts: list[int] = []
        for item in self.items:
            starts.append(len(texts))
            texts.extend(item.entry.phrasings)
            texts.extend(sentence for sentence in SENTENCE_SPLIT.split(item.entry.body) if sentence.strip())
        self.vectors = encoder.encode(texts)
        self.vector_starts = np.array(starts, dtype=np.int64)

    def similarities(self, query: np.ndarray) -> np.ndarray | None:
        """Each entry's best cosine similarity to the question's vector."""
        if self.vectors is None or self.vector_starts is None or not len(self.items):
            return None
        return np.maximum.reduceat(self.vectors @ query, self.vector_starts)

    def known(self, word: str) -> bool:
        return word in self.raw_words or word in textmod.STOPWORDS or textmod.stem(word) in self.idf

    def repair(self, words: Sequence[str]) -> list[str]:
        """Join split words and replace misheard ones with the content word they sound or look like."""
        out: list[str] = []
        index = 0
        while index < len(words):
            word = words[index]
            run = self._misheard_run(words, index)
            if run is not None:
                meant, used = run
                out.extend(meant.split())
                index += used
                continue
            joined = self._join(words, index)
            if joined is not None:
                replacement, used = joined
                out.append(replacement)
                index += used
                continue
            if self.known(word):
                out.append(word)
            else:
                out.extend((self.language.sounds_like.get(word) or self._closest(word) or word).split())
            index += 1
        return out

    def _misheard_run(self, words: Sequence[str], index: int) -> tuple[str, int] | None:
        """Words that together sound like a content word ("bat tree" -> "battery")."""
        for heard, meant in self.language.sounds_like_runs:
            if tuple(words[index : index + len(heard)]) == heard:
                return meant, len(heard)
        return None

    def _join(self, terms: Sequence[str], index: int) -> tuple[str, int] | None:
        """A content word recognition split in two to four pieces ("intro thecal", "res pure a tory").

        A join starts at a piece the content does not know, at a piece recognition often splits
        off the front of a word ("in fection"), or at a known word followed by debris ("cath itter")
        when that joins better than the debris alone: never swallowing a real word ("is intra the cal").
        """
        first = terms[index]
        sounded = self._sounded_join([terms[index : index + size] for size in (2, 3) if index + size <= len(terms)])
        if sounded is not None:
            return sounded[1], sounded[2]
        if self.known(first) and first not in SPLIT_PREFIXES:
            following = terms[index + 1] if index + 1 < len(terms) else ""
            if not following or self.known(following) or textmod.is_english(following):
                return None
            mine, theirs = self._best_join(terms, index), self._best_join(terms, index + 1)
            if mine is None or (theirs is not None and theirs[0] >= mine[0]):
                return None
            return mine[1], mine[2]
        best = self._best_join(terms, index)
        return (best[1], best[2]) if best else None

    def _best_join(self, terms: Sequence[str], index: int) -> tuple[float, str, int] | None:
        """(similarity, content word, pieces used) of the best join starting at `index`."""
        pieces = [terms[index : index + size] for size in (2, 3, 4) if index + size <= len(terms)]
        for parts in pieces:  # a word spelt out exactly wins ("intra the cal")
            if "".join(parts) in self.raw_words and not all(self.known(part) for part in parts):
                return 100.0, "".join(parts), len(parts)
        pieces = [parts for parts in pieces if not all(self.known(part) for part in parts)]
        best: tuple[float, str, int] | None = None
        for parts in pieces:
            glued = "".join(parts)
            candidate = self._closest(glued)
            if candidate is None or len(candidate) < 0.7 * len(glued):
                continue
            similarity = fuzz.ratio(glued, candidate)
            # Pieces that are all real words ("how long") join only when the spelling agrees too.
            if all(textmod.is_english(part) for part in parts) and similarity < 80:
                continue
            if best is None or similarity > best[0]:  # the closest join, the fewest pieces on a tie
                best = (similarity, candidate, len(parts))
        return best

    def _sounded_join(self, pieces: Sequence[Sequence[str]]) -> tuple[float, str, int] | None:
        """Small real words that together sound like a long content word ("can did it" -> "candidate").

        Only small words (none a content word itself) and only a long content word that sounds the
        same and is spelt much alike: "how long" or "in fact" never become anything.
        """
        best: tuple[float, str, int] | None = None
        for parts in pieces:
            if not all(part in textmod.STOPWORDS or not self.known(part) for part in parts):
                break
            glued = "".join(parts)
            for candidate in self.long_by_sound.get(textmod.flat_sound(glued), ()):
                similarity = fuzz.ratio(glued, candidate)
                if similarity >= 80 and (best is None or similarity > best[0]):
                    best = (similarity, candidate, len(parts))
        return best

    def _closest(self, term: str) -> str | None:
        """The content word closest in sound and spelling, or None when nothing is close.

        A real English word is never replaced ("scan" is not "skin", "injections" not
        "infections"): only debris that is no word at all is mended.
        """
        if len(term) < 4 or not term.isalpha() or textmod.is_english(term):
            return None
        key = textmod.sound(term)
        # A long sound key is specific enough to trust over spelling ("catheder" -> "catheter");
        # a short one ("FS": face, fees, phase) needs the spelling to agree too.
        needed = 50 if len(key) >= 3 else 70
        best: tuple[float, str] | None = None
        for candidate in self.by_sound.get(key, ()):
            score = fuzz.ratio(term, candidate)
            if score >= needed and (best is None or score > best[0]):
                best = (score, candidate)
        if best is not None:
            return best[1]
        # Spelling alone is trusted only with the first letter right: recognition keeps it, and
        # without that rule "replacement" would become "placement".
        # a long run of glued pieces ("abdoughmen") may stray a little more than one misspelt word
        cutoff = 80 if len(term) >= 10 else 84
        found = process.extractOne(term, self.vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff)
        return found[0] if found and _same_onset(found[0], term) else None

    def weigh(self, term: str) -> float:
        """How much a word of the question counts: rarer content words more, unknown words most."""
        idf = self.idf.get(term)
        generic = term in GENERIC_TERMS or term in self.everyday
        if idf is not None and not generic:
            return max(idf, self.weights.floor)
        unknown = self.weights.unknown * self.unknown_idf
        if idf is not None:  # an everyday word ("exactly", "end") a phrasing happens to use counts less
            return min(max(idf, self.weights.floor), self.weights.generic_cap)
        return unknown * self.weights.generic if generic else unknown

    def rank(self, terms: Sequence[str], limit: int = 8, query: np.ndarray | None = None) -> list[Scored]:
        """The best entries for a question's terms (and, with embeddings, its vector), best first."""
        semantic = self.similarities(query) if query is not None else None
        query_content = content_terms(terms)
        if not query_content and semantic is None:
            return self._rank_function_words(terms)
        weights = {term: self.weigh(term) for term in query_content}
        total = sum(weights.values())
        candidates: dict[int, float] = defaultdict(float)
        for term in set(query_content):
            for position in self.postings.get(term, ()):
                candidates[position] += weights[term] * self.idf[term]
        width = max(limit * 4, 24)
        shortlist = sorted(candidates, key=candidates.__getitem__, reverse=True)[:width]
        if semantic is not None:
            nearest = np.argsort(-semantic)[:width]
            shortlist = list(dict.fromkeys([*shortlist, *(int(position) for position in nearest)]))
        if not shortlist:
            return []
        joined = " ".join(terms)
        unknown = sum(1 for term in weights if term not in self.idf and term not in GENERIC_TERMS)
        penalty = (1 - self.weights.unknown_penalty) ** unknown
        asks = self.language.asks_for(terms)
        scored = []
        for position in shortlist:
            item = self._score(self.items[position], weights, total, joined, penalty, asks)
            if semantic is not None:
                similarity = float(semantic[position])
                item = replace(
                    item, score=item.score + self.weights.semantic * similarity * penalty, semantic=similarity
                )
            scored.append(item)
        scored.sort(key=lambda item: item.score, reverse=True)
        return scored[:limit]

    def _rank_function_words(self, terms: Sequence[str]) -> list[Scored]:
        """A question of only small words ("what is it") can still be a phrasing word for word."""
        joined = " ".join(terms)
        if not joined:
            return []
        best: Scored | None = None
        for item in self.items:
            for phrase in item.strong:
                similarity = fuzz.ratio(joined, phrase.joined) / 100
                if similarity >= 0.9 and (best is None or similarity > best.fuzzy):
                    # never above the confirm band: so few words can only ever be a guess
                    best = Scored(item.entry, self.weights.function_words, 0.0, 0.0, similarity)
        return [best] if best else []

    def _score(
        self,
        item: _Indexed,
        weights: dict[str, float],
        total: float,
        joined: str,
        penalty: float = 1.0,
        asks: frozenset[int] = frozenset(),
    ) -> Scored:
        knobs = self.weights
        if not weights:
            return Scored(item.entry, 0.0, 0.0, 0.0, 0.0)
        covered = 0.0
        for term, weight in weights.items():
            if term in item.strong_terms:
                covered += weight
            elif term in item.body:
                covered += knobs.body * weight
        coverage = covered / total
        query_terms = set(weights)
        phrasing = 0.0
        fuzzy = 0.0
        for phrase in item.strong:
            shared = query_terms & phrase.content
            if shared:
                precision = sum(weights[term] for term in shared) / total
                recall = sum(weights[term] for term in shared) / sum(
                    weights.get(term) or self.weigh(term) for term in phrase.content
                )
                phrasing = max(phrasing, 2 * precision * recall / (precision + recall))
            fuzzy = max(fuzzy, fuzz.token_sort_ratio(joined, phrase.joined, processor=utils.default_process) / 100)
        score = (
            knobs.coverage * coverage
            + knobs.phrasing * phrasing
            + knobs.fuzzy * fuzzy
            + knobs.fuzzy_covered * fuzzy * coverage
        )
        # "How long ...?" is not answered by text that gives no length of time at all, nor
        # "what medicine is in the pump?" by text that names none.
        if asks - item.gives:
            penalty *= knobs.amount_penalty
        return Scored(item.entry, score * penalty, coverage, phrasing, fuzzy)


SPLIT_PREFIXES = frozenset({"in", "an", "a", "en", "un", "de", "re", "pre", "pro", "con", "dis", "ex"})
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
# Calibrated on eval/dev.tsv and eval/dev2.tsv with `eval/calibrate.py --embeddings`.
SEMANTIC_WEIGHTS = Weights(
    floor=0.5,
    unknown=1.0,
    generic=0.35,
    body=0.45,
    coverage=0.41,
    phrasing=0.039,
    fuzzy=0.196,
    fuzzy_covered=0.355,
    unknown_penalty=0.15,
    amount_penalty=0.5,
    semantic=0.6,
)
SEMANTIC_THRESHOLDS = Thresholds(answer=0.94, confirm=0.41, margin=0.2, danger_question=0.6)


def _same_onset(first: str, second: str) -> bool:
    """Same first letter, or both start with a vowel ("affects" / "effects")."""
    return first[0] == second[0] or (first[0] in "aeiou" and second[0] in "aeiou")


def _idf(count: int, frequency: int) -> float:
    return math.log(1 + (count - frequency + 0.5) / (frequency + 0.5))


def _link_related(items: list[_Indexed]) -> dict[str, frozenset[str]]:
    """Pairs of an FAQ and a section that say much the same thing do not compete for the margin."""
    faqs: dict[int, list[_Indexed]] = defaultdict(list)
    sections: dict[int, list[_Indexed]] = defaultdict(list)
    for item in items:
        (faqs if item.entry.ref[2] == "faq" else sections)[item.entry.ref[0]].append(item)
    links: dict[str, set[str]] = defaultdict(set)
    for procedure, procedure_faqs in faqs.items():
        for faq in procedure_faqs:
            for section in sections.get(procedure, ()):
                smaller = min(len(faq.body), len(section.body))
                if smaller and len(faq.body & section.body) / smaller >= 0.6:
                    links[faq.entry.key].add(section.entry.key)
                    links[section.entry.key].add(faq.entry.key)
    return {key: frozenset(value) for key, value in links.items()}


class Matcher:
    """Answer, confirm, or say there is no answer."""

    def __init__(
        self,
        entries: Sequence[Entry],
        language: Language,
        thresholds: Thresholds | None = None,
        weights: Weights | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        self.language = language
        self.encoder = encoder
        self.index = Index(entries, language, weights or (SEMANTIC_WEIGHTS if encoder else None), encoder)
        self.thresholds = thresholds or (SEMANTIC_THRESHOLDS if encoder else Thresholds())

    def terms(self, question: str) -> list[str]:
        return self.language.canonical(self.index.repair(self.language.words(question)))

    def vector(self, question: str) -> np.ndarray | None:
        """The question's embedding (fillers dropped), when the optional scorer is on."""
        if self.encoder is None:
            return None
        return self.encoder.encode([" ".join(self.language.words(question)) or textmod.clean(question)])[0]

    def match(self, question: str, confidence: float | None = None) -> Match:
        terms = self.terms(question)
        match = decide(
            self.index.rank(terms, query=self.vector(question)), self.index.linked, self.thresholds, confidence
        )
        said_as_written = bool(match.ranked) and match.ranked[0].fuzzy >= 0.85  # a phrasing near word for word
        if match.decision != "answer" or said_as_written:
            return match
        # A question whose only content is a word every entry uses ("the pump") is a guess at best.
        information = sum(self.index.weigh(term) for term in set(content_terms(terms)))
        return replace(match, decision="confirm") if information < self.thresholds.information else match

    def answers_danger_question(self, match: Match) -> bool:
        """Is this match sure enough to answer a question about a danger rather than treat it as urgent?"""
        return match.entry is not None and match.decision != "none" and match.score >= self.thresholds.danger_question


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
    rival = next((item for item in ranked[1:] if item.entry.key not in related), None)
    margin = top.score - (rival.score if rival else 0.0)
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
    alternative = None
    if (
        decision == "confirm"
        and rival is not None
        and rival.score >= max(thresholds.confirm, top.score - thresholds.alternative)
    ):
        alternative = rival.entry
    return Match(decision, top.entry, top.score, margin, tuple(ranked), alternative)


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
                    phrasings=(section.title, section.menu_name, *section.also_asked),
                    keywords=section.keywords,
                    body=section.text,
                    ref=(p, i, "section"),
                )
            )
    return entries
