"""Turn what a caller said (as speech recognition wrote it) into comparable words.

Recognition text arrives in many shapes: "What's the healing time?", "so um like whats
the healing time", "is the intro thecal pump safe", "2 weeks", odd Unicode, stray
markup. Everything here is deterministic and side-effect free, and applies the same
way to the content and to what callers say, so both meet in one vocabulary.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Sequence
from functools import lru_cache

import jellyfish
import snowballstemmer

# Longer input than this is cut: nobody asks a question of this length, and the
# matcher's cost grows with it.
MAX_INPUT_CHARS = 1000

CONTRACTIONS = {
    "what's": "what is",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "here's": "here is",
    "who's": "who is",
    "where's": "where is",
    "how's": "how is",
    "he's": "he is",
    "she's": "she is",
    "can't": "can not",
    "cant": "can not",
    "cannot": "can not",
    "won't": "will not",
    "wont": "will not",
    "shan't": "shall not",
    "ain't": "is not",
    "i'm": "i am",
    "im": "i am",
    "let's": "let us",
    "whats": "what is",
    "wheres": "where is",
    "hows": "how is",
    "thats": "that is",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "couldnt": "could not",
    "shouldnt": "should not",
    "wouldnt": "would not",
    "havent": "have not",
    "hasnt": "has not",
    "youre": "you are",
    "ive": "i have",
    "hes": "he is",
    "shes": "she is",
    "aint": "is not",
    "cannae": "can not",
    "canna": "can not",
    "dinnae": "do not",
    "didnae": "did not",
    "doesnae": "does not",
    "isnae": "is not",
    "wouldnae": "would not",
    "couldnae": "could not",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
}
SUFFIX_CONTRACTIONS = (("n't", " not"), ("'re", " are"), ("'ve", " have"), ("'ll", " will"), ("'d", " would"))

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

# Words that carry grammar rather than topic. They stay in the text for whole-phrase
# comparisons but count for nothing when weighing which topic a question is about.
STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at by for
    with from about as into onto over under is are was
    were be been being am do does did doing done have has had having
    will would shall should can could may might must i me my mine we
    us our you your yours he him his she her it its they them
    their this that these those there here what which whom whose when where
    why how not no so than too very just also any some all each
    every both either neither more most much many lot lots get got gets getting
    go goes going gone need needs want wants know tell say said ask thing
    things something anything way kind sort stuff okay out up down off again then
    now still even really please yes yeah oh well there s t one itself myself yourself himself herself
    themselves ourselves
    """.split()
)

# Everyday words that say little about the topic. A question is not out of scope
# because a caller said "exactly" or "able"; it may be because they said "insurance".
GENERIC = frozenset(
    """
    able exactly happen happens happened happening period time times actual actually supposed allowed possible
    normal normally usual usually general generally mean means meant come comes came coming put puts putting
    keep keeps kept start starts started try tried trying use used using make makes made take takes took taking
    give gives gave feel feels felt look looks looking find found figure decide decided expect expected expecting
    call called talk part parts point day days whole basic basically bit little big thing exact sure certain
    like likely again ever never always already soon later first next last new old good bad better best right
    wrong fine okay ok think thought wonder wondering worried worry concern concerned question questions info
    information explain explained understand details detail anyone someone somebody people person everything
    real really lot whats going let lets help ahead around through while since because
    everyone everybody anybody anyone everywhere anywhere
    currently current now today kinda literally honestly probably maybe perhaps
    mom mother dad father husband wife son daughter sister brother grandmother grandfather grandma grandpa aunt
    uncle friend partner neighbor neighbour child kid kids family parent parents relative caregiver patient
    mum mummy nan nana gran granny hubby carer boyfriend girlfriend fiance stepdad stepmom stepmother stepfather law
    nervous scared afraid anxious worried frightened sorry calling call told mentioned said says recommended
    suggested neurologist surgeon physician specialist provider team clinic practice week month year tomorrow
    doctor doctors dr nurse nurses
    morning afternoon evening tonight soon yet anymore already whole entire one ones kind
    ms sclerosis multiple palsy cerebral injury injuries condition diagnosis diagnosed disease brought mention
    """.split()
)


NOT_WORDLIKE = re.compile(r"[^\w\s'/-]|[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def clean(text: str) -> str:
    """Unicode-normalised, lower-case text with markup, accents and control characters removed."""
    # Cut before and after normalising: one character can expand to many (U+FDFA is 18).
    text = unicodedata.normalize("NFKC", text[:MAX_INPUT_CHARS])[:MAX_INPUT_CHARS]
    text = re.sub(r"<[^>]*>", " ", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    # Letters, digits, apostrophes, hyphens and slashes stay; every other mark is a space.
    text = NOT_WORDLIKE.sub(" ", text).replace("_", " ")
    # Accents and other combining marks go ("naïve", the dot of a lower-cased "İ").
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", text).split())


def number_words(value: int) -> str:
    if value < 10:
        return ONES[value]
    if value < 20:
        return TEENS[value - 10]
    if value < 100:
        tens, ones = divmod(value, 10)
        return TENS[tens] + ("" if ones == 0 else " " + ONES[ones])
    hundreds, rest = divmod(value, 100)
    return ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + number_words(rest))


def _spell_number(match: re.Match[str]) -> str:
    digits = match.group()
    # "911" and long numbers are said digit by digit, as callers say them.
    if digits == "911" or len(digits) > 3 or (len(digits) > 1 and digits.startswith("0")):
        return " " + " ".join(ONES[int(digit)] for digit in digits) + " "
    return " " + number_words(int(digits)) + " "


def words(text: str, *, split_runs: bool = True) -> list[str]:
    """Split cleaned text into words, with contractions expanded and numbers spelt out, words that
    recognition ran together split (unless `split_runs` is off) and compounds it split in two joined."""
    text = clean(text)
    text = re.sub(r"(?<=\d)(st|nd|rd|th)\b", "", text)
    text = re.sub(r"\d+", _spell_number, text)
    text = text.replace("-", " ").replace("/", " ")
    out: list[str] = []
    for token in text.split():
        token = token.strip("'")
        if token:
            pieces = (segment(token) if split_runs else None) or (token,)
            out.extend(word for piece in pieces for word in _expand(piece))
    return _join_split_compounds(out)


# Words recognition often writes in two ("some one", "every where").
SPLIT_COMPOUNDS = {
    ("some", "one"): "someone",
    ("some", "body"): "somebody",
    ("any", "one"): "anyone",
    ("any", "body"): "anybody",
    ("every", "where"): "everywhere",
    ("every", "one"): "everyone",
    ("any", "more"): "anymore",
    ("him", "self"): "himself",
    ("her", "self"): "herself",
    ("my", "self"): "myself",
    ("your", "self"): "yourself",
}


def _join_split_compounds(tokens: list[str]) -> list[str]:
    out: list[str] = []
    index = 0
    while index < len(tokens):
        joined = SPLIT_COMPOUNDS.get(tuple(tokens[index : index + 2]))
        if joined is not None:
            out.append(joined)
            index += 2
        else:
            out.append(tokens[index])
            index += 1
    return out


def _expand(token: str) -> list[str]:
    """One token as words: contractions expanded, a dropped final g put back."""
    if token in CONTRACTIONS:
        return CONTRACTIONS[token].split()
    for suffix, expansion in SUFFIX_CONTRACTIONS:
        if token.endswith(suffix) and len(token) > len(suffix):
            token = token[: -len(suffix)] + expansion
            break
    else:
        if token.endswith("'s"):
            token = token[:-2]
    return [_full_ending(part) for part in token.replace("'", "").split() if part]


@lru_cache(maxsize=65536)
def _full_ending(word: str) -> str:
    """A dropped "g" put back, as recognition writes what was said: "bleedin" -> "bleeding"."""
    if len(word) >= 5 and word.endswith("in") and not is_english(word) and is_english(word + "g"):
        return word + "g"
    return word


def phrase_words(phrases: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """Each phrase as a tuple of words, longest first so longer phrases win."""
    return tuple(sorted({tuple(words(phrase)) for phrase in phrases if words(phrase)}, key=len, reverse=True))


def remove_phrases(tokens: Sequence[str], phrases: tuple[tuple[str, ...], ...]) -> list[str]:
    """Drop every occurrence of any phrase (a word sequence) from the tokens."""
    out: list[str] = []
    index = 0
    while index < len(tokens):
        for phrase in phrases:
            if tuple(tokens[index : index + len(phrase)]) == phrase:
                index += len(phrase)
                break
        else:
            out.append(tokens[index])
            index += 1
    return out


def find_phrase(tokens: Sequence[str], phrase: Sequence[str]) -> int:
    """Index of the first occurrence of `phrase` in `tokens`, or -1."""
    size = len(phrase)
    for index in range(len(tokens) - size + 1):
        if tuple(tokens[index : index + size]) == tuple(phrase):
            return index
    return -1


_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem, so "risks", "implanted", "healing" meet "risk", "implant", "heal"."""
    return _STEMMER.stemWord(word) if word.isalpha() else word


@lru_cache(maxsize=1)
def _english_counts() -> dict[str, int]:
    from spellchecker import SpellChecker

    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


# Below this many uses in the spell checker's corpus a word may as well be a misspelling.
COMMON_WORD_COUNT = 100


@lru_cache(maxsize=65536)
def is_english(word: str) -> bool:
    """A real, reasonably common English word (pyspellchecker's frequency list), not recognition debris."""
    return _english_counts().get(word, 0) >= COMMON_WORD_COUNT


# From this many uses a word is everyday English ("back", "end", "pick"): weak evidence of a topic.
EVERYDAY_WORD_COUNT = 300_000


def is_everyday(word: str) -> bool:
    return _english_counts().get(word, 0) >= EVERYDAY_WORD_COUNT


# Words recognition runs together ("howlongdoistayinthehospital") are split into common words
# (at least this many uses; long words, which are rarely debris, from fewer), preferring few and
# frequent words; pieces of one or two letters must be real small words.
SEGMENT_WORD_COUNT = 2000
SEGMENT_LONG_WORD_COUNT = 500
SEGMENT_MIN_LENGTH = 10
SEGMENT_MAX_LENGTH = 60  # a question run together; anything longer is noise, left alone
SEGMENT_PIECE_COST = 3.0  # added per piece, so fewer, longer words win
SEGMENT_SMALL_WORDS = frozenset("a i am an as at be by do go he if in is it me my no of on or so to up us we".split())
SEGMENT_LONGEST_WORD = 20


@lru_cache(maxsize=1)
def _segment_costs() -> dict[str, float]:
    common = {
        word: count
        for word, count in _english_counts().items()
        if word.isalpha()
        and (count >= SEGMENT_WORD_COUNT or (count >= SEGMENT_LONG_WORD_COUNT and len(word) >= 6))
        and (len(word) > 2 or word in SEGMENT_SMALL_WORDS)
    }
    total = sum(common.values())
    costs = {word: math.log(total / count) + SEGMENT_PIECE_COST for word, count in common.items()}
    # contractions written without their apostrophe ("hesnotbreathing" is "hes not breathing")
    everyday = math.log(total / EVERYDAY_WORD_COUNT) + SEGMENT_PIECE_COST
    costs.update((word, everyday) for word in CONTRACTIONS if word.isalpha() and word not in costs)
    return costs


def _one_edit_from_a_word(word: str) -> bool:
    """Whether one deleted, swapped, changed or added letter makes `word` a real word ("palpitatons")."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:cut], word[cut:]) for cut in range(len(word) + 1)]
    edits = (
        *(left + right[1:] for left, right in splits if right),
        *(left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1),
        *(left + letter + right[1:] for left, right in splits if right for letter in letters),
        *(left + letter + right for left, right in splits for letter in letters),
    )
    return any(is_english(edit) for edit in edits if edit != word)


@lru_cache(maxsize=65536)
def segment(word: str) -> tuple[str, ...] | None:
    """A long non-word split into the likeliest run of common words ("whatisapainpump" -> "what is a
    pain pump"), or None when it is a word, is short, or does not split cleanly into common words."""
    if not SEGMENT_MIN_LENGTH <= len(word) <= SEGMENT_MAX_LENGTH or not word.isalpha() or is_english(word):
        return None
    costs = _segment_costs()
    best = [0.0] + [math.inf] * len(word)
    start = [0] * (len(word) + 1)
    for end in range(1, len(word) + 1):
        for begin in range(max(0, end - SEGMENT_LONGEST_WORD), end):
            cost = costs.get(word[begin:end])
            if cost is not None and best[begin] + cost < best[end]:
                best[end], start[end] = best[begin] + cost, begin
    if math.isinf(best[-1]):
        return None
    pieces: list[str] = []
    end = len(word)
    while end:
        pieces.append(word[start[end] : end])
        end = start[end]
    pieces.reverse()
    # a clean split has words of ordinary length, not a string of scraps ("co um ad in"); and a
    # misspelt word ("perscription") is mended whole later, not split into junk (checked last: slowest)
    if len(pieces) < 2 or len(word) / len(pieces) < 2.5 or _one_edit_from_a_word(word):
        return None
    return tuple(pieces)


@lru_cache(maxsize=65536)
def sound(word: str) -> str:
    """A phonetic key (Metaphone), so "catheder" and "cath itter" meet "catheter"."""
    return jellyfish.metaphone(word) if word.isalpha() else word


def flat_sound(word: str) -> str:
    """The phonetic key with doubled sounds made single: split words lose or gain one at the seam."""
    return re.sub(r"(.)\1+", r"\1", sound(word))
