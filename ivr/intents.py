"""What a caller wants, beyond a question: urgent help, a person, or moving around.

The words come from the prompt catalogue's [hear] lists, so they are data and change
per language. Urgent words and requests for a person are found anywhere in what the
caller says; commands such as "repeat" or "go back" only when they are (nearly) all
the caller said, so "can I go back to work" stays a question.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from ivr import text as textmod
from ivr.intent_model import IntentModel
from ivr.matching import STOP_TERMS
from ivr.matching import Language
from ivr.matching import Match
from ivr.matching import Matcher
from ivr.prompts import Catalogue

COMMANDS = ("repeat", "back", "main_menu", "help", "yes", "no", "go_on", "ask", "urgent_option", "goodbye", "stop")
# Words that may stand around a command without changing it: "can you repeat that please".
COMMAND_GLUE = frozenset(
    """
    that it this the please can could would you me i want to go again menu now just um uh oh okay ok so well
    a an say said
    """.split()
)
NEGATIONS = frozenset({"not", "no", "never", "nope"})
KEY_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "to": "2",
    "too": "2",
    "three": "3",
    "four": "4",
    "for": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "star": "*",
    "pound": "#",
    "first": "1",
    "second": "2",
    "third": "3",
    "fourth": "4",
    "fifth": "5",
}
MODEL_MIN_MEANINGFUL_WORDS = 2
KEY_LEAD = frozenset(["press", "option", "number", "choice", "the", "push", "dial"])
# Words that make the rest a choice of key ("i choose one"), and the words that may stand around it.
KEY_CHOOSING = frozenset(["press", "option", "number", "choice", "push", "dial", "choose", "pick", "select"])
KEY_GLUE = frozenset(
    "i i'd would like want will choose pick select take go with let me can could please um uh just".split()
)


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    joined: str


@dataclass(frozen=True)
class Rule:
    """Words that together mean something ("breathing" with "slow"): every group needs one of its
    alternatives; an alternative may be several words, compared stem by stem."""

    groups: tuple[tuple[tuple[str, ...], ...], ...]

    @classmethod
    def build(cls, groups: Sequence[Sequence[str]]) -> Rule:
        return cls(
            tuple(
                tuple(tuple(textmod.stem(word) for word in textmod.words(alternative)) for alternative in group)
                for group in groups
            )
        )

    def matches(self, tokens: Sequence[str]) -> bool:
        """Every group found, each at words of its own: "rigid" alone is not "rigid" and "rigid"."""
        stems = [textmod.stem(token) for token in tokens]
        found = [{start for alternative in group for start in _places(stems, alternative)} for group in self.groups]
        return _distinct(found, frozenset())


def _distinct(found: list[set[int]], used: frozenset[int]) -> bool:
    """Can each group take one of its places, no two groups the same?"""
    if not found:
        return True
    return any(_distinct(found[1:], used | {place}) for place in found[0] - used)


def _places(stems: Sequence[str], alternative: tuple[str, ...]) -> list[int]:
    """Where the alternative's stems appear in order; a single long word may be misheard slightly."""
    size = len(alternative)
    if size > 1:
        return [index for index in range(len(stems) - size + 1) if tuple(stems[index : index + size]) == alternative]
    word = alternative[0]
    return [
        index
        for index, heard in enumerate(stems)
        if heard == word or (len(word) >= 5 and len(heard) >= 4 and _misheard(heard, word))
    ]


def _mentions(tokens: Sequence[str], phrases: Sequence[_Phrase], *, fuzzy_from: int, cutoff: float) -> bool:
    """Any phrase word for word, or (phrases of `fuzzy_from` letters or more) allowing for recognition errors."""
    joined = " ".join(tokens)
    return any(
        textmod.find_phrase(tokens, phrase.words) >= 0
        # one-word phrases are compared word by word instead: "conscious" is not "unconscious"
        or (
            len(phrase.words) > 1
            and len(phrase.joined) >= fuzzy_from
            and _fuzzy_contains(joined, phrase.joined, cutoff)
        )
        for phrase in phrases
    )


def _says_any(tokens: Sequence[str], phrases: Sequence[_Phrase]) -> bool:
    return any(textmod.find_phrase(tokens, phrase.words) >= 0 for phrase in phrases)


def _misheard(heard: str, word: str) -> bool:
    """`heard` is `word` slightly misheard: close in spelling, and not itself a real English word."""
    return len(heard) >= 5 and heard != word and fuzz.ratio(heard, word) >= 88 and not textmod.is_english(heard)


def _fuzzy_contains(text: str, phrase: str, cutoff: float) -> bool:
    """Whether `phrase` appears in `text` allowing for recognition errors.

    partial_ratio aligns the shorter string inside the longer, so a short utterance
    would "contain" a long phrase; only a text at least as long as the phrase can.
    """
    return len(text) >= len(phrase) and fuzz.partial_ratio(phrase, text) >= cutoff


def _phrases(items: Sequence[str]) -> tuple[_Phrase, ...]:
    return tuple(_Phrase(words, " ".join(words)) for words in textmod.phrase_words(items))


class Mender:
    """Mends recognition damage in the words intents listen for: "opera tor" -> "operator",
    "bree the" -> "breathe", "represent tive" -> "representative".

    A piece that is no English word, or two or three pieces glued together (none of them a small
    word such as "in" or "with"), becomes a listened-for word when it sounds the same (Metaphone)
    and is spelt much alike; pieces that are all real words must be spelt closer still, so
    "pass out" stays two words and nothing real is rewritten into an alarm.
    """

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.words = frozenset(
            word for word in vocabulary if len(word) >= 5 and word.isalpha() and word not in textmod.STOPWORDS
        )
        self.by_sound: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self.words):
            self.by_sound[textmod.flat_sound(word)].append(word)

    def mend(self, tokens: Sequence[str]) -> list[str]:
        out: list[str] = []
        index = 0
        while index < len(tokens):
            for size in (3, 2, 1):
                parts = tokens[index : index + size]
                if len(parts) < size or (size == 1 and parts[0] in self.words):
                    continue
                found = self._closest(parts)
                if found is not None:
                    out.append(found)
                    index += size
                    break
            else:
                out.append(tokens[index])
                index += 1
        return out

    def _closest(self, parts: Sequence[str]) -> str | None:
        glued = "".join(parts)
        if len(glued) < 5 or (len(parts) == 1 and textmod.is_english(glued)):
            return None
        if len(parts) > 1 and any(part in textmod.STOPWORDS for part in parts):
            return None  # "with dr" is not "withdraw", nor "medicine in" "medicine"
        needed = 90 if all(textmod.is_english(part) for part in parts) else 75
        best: tuple[float, str] | None = None
        for word in self.by_sound.get(textmod.flat_sound(glued), ()):
            score = fuzz.ratio(glued, word)
            if score >= needed and (best is None or score > best[0]):
                best = (score, word)
        return best[1] if best else None


class Intents:
    """Recognises urgent words, requests for a person, commands and spoken keys.

    Urgent words and requests for a person are heard by the catalogue's word lists; `second_opinion`
    asks the learned model (`model`, when the line has one) about speech the lists found neither in."""

    def __init__(self, catalogue: Catalogue, language: Language, model: IntentModel | None = None) -> None:
        self.language = language
        self.model = model
        hear = catalogue.hear
        self.urgent_phrases = _phrases(hear["urgent"])
        self.urgent_sounds = tuple(
            (phrase.joined, textmod.flat_sound(phrase.joined))
            for phrase in self.urgent_phrases
            if len(phrase.words) == 1 and len(phrase.joined) >= 7
        )
        self.urgent_rules = tuple(Rule.build(groups) for groups in catalogue.urgent_together)
        self.person_rules = tuple(Rule.build(groups) for groups in catalogue.person_together)
        self.person_phrases = _phrases(hear["person"])
        self.person_alone = _phrases(hear["person_alone"])
        self.leave_message = _phrases(hear["leave_message"])
        self.person_long_words = tuple(
            phrase.joined for phrase in self.person_alone if len(phrase.words) == 1 and len(phrase.joined) >= 7
        )
        self.asks_about_phrases = _phrases(hear["asks_about"])
        self.not_urgent = textmod.phrase_words(hear["not_urgent"])
        self.not_person = textmod.phrase_words(hear["not_person"])
        self.happening_now = _phrases(hear["happening_now"])
        self.first_choice = _phrases(hear["first_choice"])
        self.second_choice = _phrases(hear["second_choice"])
        self.coming_surgery = _phrases(hear["coming_surgery"])
        self.mild_illness = textmod.phrase_words(hear["mild_illness"])
        self.severe_illness = _phrases(hear["severe_illness"])
        self.surgery_done = _phrases(hear["surgery_done"])
        self.past_illness = textmod.phrase_words(hear["past_illness"])
        self.recent = _phrases(hear["recent"])
        # fillers of several words ("i was wondering") hold happening-now words ("was") but say nothing
        self.long_fillers = tuple(words for words in textmod.phrase_words(hear["fillers"]) if len(words) > 1)
        self.commands = {name: _phrases(hear[name]) for name in COMMANDS}
        self.command_words = {
            name: frozenset(word for phrase in phrases for word in phrase.words)
            for name, phrases in self.commands.items()
        }
        listened_for = [
            *hear["urgent"],
            *hear["person"],
            *hear["person_alone"],
            *hear["leave_message"],
            *(
                alternative
                for rules in (catalogue.urgent_together, catalogue.person_together)
                for groups in rules
                for group in groups
                for alternative in group
            ),
        ]
        self.mender = Mender(word for phrase in listened_for for word in textmod.words(phrase))

    def is_urgent(self, said: str) -> bool:
        """Urgent words anywhere, allowing for recognition errors. Errs on the side of urgent."""
        for heard in self._splits(said):
            # "it's not an emergency, but ..." is not itself urgent; what follows still may be
            tokens = textmod.remove_phrases(heard, self.not_urgent)
            if not _says_any(tokens, self.recent):  # "after his stroke" years ago, not this morning
                tokens = textmod.remove_phrases(tokens, self.past_illness)
            if tokens and any(self._urgent(words) for words in self._readings(tokens)):
                return True
        return False

    def asks_about(self, said: str) -> bool:
        """Urgent words in a question about what the pump or medicine can do ("... could the drug slow
        my breathing?"), not in a report of something happening ("he's barely breathing")."""
        said_words = textmod.words(said)
        tokens = textmod.remove_phrases(said_words, self.language.fillers)
        # Happening-now words are looked for with every filler gone ("he is uh barely breathing") and
        # with only the long fillers gone: "just" is a filler in "I just wondered", not in "he just fell".
        readings = (tokens, textmod.remove_phrases(said_words, self.long_fillers))
        return _says_any(tokens, self.asks_about_phrases) and not any(
            _says_any(words, self.happening_now) for words in readings
        )

    def asks_before_surgery(self, said: str) -> bool:
        """A question about an operation still to come, from a caller whose only urgent words are a mild
        illness ("I've got a cold with a fever, will you still operate?"): no pump yet, no pump emergency."""
        tokens = self.language.words(said)
        if not _says_any(tokens, self.coming_surgery) or _says_any(tokens, self.severe_illness + self.surgery_done):
            return False
        return not self.is_urgent(" ".join(textmod.remove_phrases(tokens, self.mild_illness)))

    @staticmethod
    def _splits(said: str) -> list[list[str]]:
        """The words with runs split ("hecantbreathe"), and (when different) as said, so a misspelling
        the split got wrong is still heard whole."""
        split, whole = textmod.words(said), textmod.words(said, split_runs=False)
        return [split, whole] if whole != split else [split]

    def _readings(self, tokens: list[str]) -> list[list[str]]:
        """The words as heard, and (when different) with recognition damage to listened-for words mended."""
        mended = self.mender.mend(tokens)
        return [tokens, mended] if mended != tokens else [tokens]

    def _urgent(self, tokens: list[str]) -> bool:
        if _mentions(tokens, self.urgent_phrases, fuzzy_from=8, cutoff=90):
            return True
        # one-word phrases, also as recognition split them ("un responsive")
        pieces = tokens + [first + second for first, second in zip(tokens, tokens[1:], strict=False)]
        for phrase in self.urgent_phrases:
            if (
                len(phrase.words) == 1
                and len(phrase.joined) >= 5
                and any(
                    piece == phrase.joined
                    or piece in {phrase.joined + "s", phrase.joined + "es"}  # "convulsions", "convulsion"
                    or _misheard(piece, phrase.joined)
                    for piece in pieces
                )
            ):
                return True
        # a long urgent word heard as two pieces that sound the same ("sees sure"): no small word among the
        # pieces ("seeing a" is no "seizing"), the pieces together no real word, the same sound and onset
        sounds: dict[str, list[str]] = defaultdict(list)
        for first, second in zip(tokens, tokens[1:], strict=False):
            glued = first + second
            if (
                first not in textmod.STOPWORDS
                and second not in textmod.STOPWORDS
                and len(glued) >= 6
                and not textmod.is_english(glued)
            ):
                sounds[textmod.flat_sound(glued)].append(glued)
        if any(
            glued[:2] == word[:2] and fuzz.ratio(glued, word) >= 60
            for word, key in self.urgent_sounds
            for glued in sounds.get(key, ())
        ):
            return True
        return any(rule.matches(tokens) for rule in self.urgent_rules)

    def wants_person(self, said: str) -> bool:
        for heard in self._splits(said):
            tokens = textmod.remove_phrases(textmod.remove_phrases(heard, self.language.fillers), self.not_person)
            if tokens and any(self._person(words) for words in self._readings(tokens)):
                return True
        return False

    def wants_message(self, said: str) -> bool:
        """Asks to leave a message ("can I just leave a voicemail"), allowing for recognition errors."""
        return any(
            _says_any(words, self.leave_message) for heard in self._splits(said) for words in self._readings(heard)
        )

    def second_opinion(self, said: str) -> str | None:
        """The learned model's "urgent" or "person" for speech the word lists found neither in, or None.

        Asked only of what would otherwise go to the question matcher: never of a command or a key ("yes",
        "two"), which mean what the menu says, nor of fewer than two words that carry meaning ("i'm not
        sure", "i see"), where the lists alone decide. What the caller rules out ("it's not an emergency,
        but", "I don't need a person") is set aside first, as the lists do."""
        if self.model is None or self.command(said) is not None or self.spoken_key(said) is not None:
            return None
        tokens = textmod.remove_phrases(textmod.words(said), self.not_urgent + self.not_person)
        meaningful = [
            token for token in textmod.remove_phrases(tokens, self.language.fillers) if token not in textmod.STOPWORDS
        ]
        if len(meaningful) < MODEL_MIN_MEANINGFUL_WORDS:
            return None
        return self.model.says(" ".join(tokens))

    def with_model(self, model: IntentModel | None) -> Intents:
        """The same recogniser with another learned model (None: the word lists alone)."""
        other = copy.copy(self)
        other.model = model
        return other

    def without_model(self) -> Intents:
        return self.with_model(None)

    def _person(self, tokens: list[str]) -> bool:
        joined = " ".join(tokens)
        if _mentions(tokens, self.person_phrases, fuzzy_from=10, cutoff=92):
            return True
        if any(rule.matches(tokens) for rule in self.person_rules):
            return True
        # each word once: "agent agent agent" is one word said three times
        content = list(
            dict.fromkeys(
                token for token in tokens if token not in COMMAND_GLUE and token not in {"a", "an", "with", "talk"}
            )
        )
        if len(content) <= 2:
            for phrase in self.person_alone:
                if any(fuzz.ratio(token, phrase.joined) >= 88 for token in content) or joined == phrase.joined:
                    return True
        if len(content) <= 5:  # a short request with its one long word said in pieces: "the docters a sis tant"
            pieces = [tokens[start : start + size] for size in (2, 3, 4, 5) for start in range(len(tokens) - size + 1)]
            runs = [
                "".join(piece)
                for piece in pieces
                if all(len(word) <= 6 for word in piece) and not all(textmod.is_english(word) for word in piece)
            ]
            return any(fuzz.ratio(run, word) >= 88 for run in runs for word in self.person_long_words)
        return False

    def command(self, said: str) -> str | None:
        """A command that is (nearly) all the caller said, or None.

        Tried on the words as said ("uh huh", "yeah" are answers, not fillers) and then without
        fillers; where several commands fit, the longest phrase wins, so "I did not" is no.
        """
        for tokens in (textmod.words(said), self.language.words(said)):
            if not tokens or len(tokens) > 6:
                continue
            found = self._longest_command(tokens)
            if found is not None:
                return found
        return None

    def _longest_command(self, tokens: list[str]) -> str | None:
        joined = " ".join(tokens)
        best: tuple[int, str] | None = None
        for name, phrases in self.commands.items():
            for phrase in phrases:
                exact = joined == phrase.joined or (len(joined) >= 8 and fuzz.ratio(joined, phrase.joined) >= 92)
                start = textmod.find_phrase(tokens, phrase.words)
                if not exact and start < 0:
                    continue
                if not exact:
                    rest = tokens[:start] + tokens[start + len(phrase.words) :]
                    # "not" left over turns "I did" into a different answer
                    # only glue words, or more of the same command ("yes I did"), around a command:
                    # "can I go back to work" is a question
                    same = self.command_words[name]
                    if any(
                        (token in NEGATIONS and name != "no") or (token not in COMMAND_GLUE and token not in same)
                        for token in rest
                    ):
                        continue
                size = len(phrase.words) + (100 if exact else 0)
                if best is None or size > best[0]:
                    best = (size, name)
        return best[1] if best else None

    def spoken_key(self, said: str) -> str | None:
        """A key said aloud: "two", "press two", "option 3", "the second one", "star", and, after a lead
        word, in a few words more: "i want option two", "i choose one", "can i press three please"."""
        tokens = [token for token in self.language.words(said) if token not in KEY_LEAD]
        if len(tokens) > 1 and KEY_CHOOSING & set(textmod.words(said)):
            tokens = [token for token in tokens if token not in KEY_GLUE]
            if tokens in (["to"], ["too"], ["for"], ["oh"]):  # "the option for me" is no key 4
                return None
        if tokens[-1:] == ["one"] and len(tokens) == 2 and tokens[0] in KEY_WORDS:
            tokens = tokens[:1]  # "the second one"
        if len(tokens) == 1 and tokens[0] in KEY_WORDS:
            # "to", "too" and "for" only count after "press" or "option"
            if tokens[0] in {"to", "too", "for", "oh"} and not re.search(r"\b(press|option|number)\b", said.lower()):
                return None
            return KEY_WORDS[tokens[0]]
        return None

    def choice_of_two(self, said: str) -> str | None:
        """At a "Did you mean" between two topics: "1", "2", "3" for neither, or None ("yes" alone says
        not which). "Yes, the second one", "the other one", "none of them" are all choices."""
        if self.command(said) == "no":
            return "3"
        tokens = [token for token in self.language.words(said) if token not in self.command_words["yes"]]
        for key, phrases in (("2", self.second_choice), ("1", self.first_choice)):
            if _says_any(tokens, phrases):
                return key
        key = self.spoken_key(" ".join(tokens)) if tokens else None
        return key if key in {"1", "2", "3"} else None

    def option(self, said: str, labels: Sequence[tuple[str, str]]) -> str | None:
        """The key of the option whose name the caller said ("the risks", "recovery"), or None."""
        heard = set(self.language.terms(said))
        heard_content = {term for term in heard if term not in STOP_TERMS}
        if not heard_content:
            return None
        best: tuple[float, str] | None = None
        for label, key in labels:
            label_terms = {term for term in self.language.terms(label, drop_fillers=False) if term not in STOP_TERMS}
            if not label_terms:
                continue
            shared = heard_content & label_terms
            said_covered = len(shared) / len(heard_content)
            label_covered = len(shared) / len(label_terms)
            if said_covered >= 0.8 and label_covered >= 0.5:
                score = said_covered + label_covered
                if best is None or score > best[0]:
                    best = (score, key)
        return best[1] if best else None


def danger_question_answer(
    intents: Intents, matcher: Matcher, speech: str, confidence: float | None = None
) -> Match | None:
    """For speech with an urgent word: the match to give after the emergency sentence when the caller asks
    about a danger the content answers surely ("could the medicine slow her breathing?"); None when
    the caller reports one, or the content has no sure answer: the caller is then treated as urgent."""
    if not (intents.asks_about(speech) or intents.asks_before_surgery(speech)):
        return None
    match = matcher.match(speech, confidence)
    return match if matcher.answers_danger_question(match) else None
