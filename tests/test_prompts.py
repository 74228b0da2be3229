"""Tests for ivr.prompts: loading and checking the catalogue, formatting, and the wording rules."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ivr.prompts import HEAR_LISTS
from ivr.prompts import SAY_KEYS
from ivr.prompts import WORD_KEYS
from ivr.prompts import Catalogue
from ivr.prompts import PromptsError
from ivr.prompts import load_catalogue
from ivr.prompts import placeholders

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
BUNDLED = (PROMPTS_DIR / "en-US.toml").read_text(encoding="utf-8")

# "press 4 for ..." puts the key before the option; callers must hear the option first.
KEY_BEFORE_OPTION = re.compile(r"\bpress\s+(\d|star|pound)\s+(for|to)\b", re.IGNORECASE)
# Any way of writing 911 (911, 9-1-1, 9.1.1, 9 1 1); only "9 1 1" is read digit by digit.
NINE_ONE_ONE = re.compile(r"9[\s.-]*1[\s.-]*1")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MAX_SENTENCE_WORDS = 30
LONG_SENTENCES_ALLOWED = {"help"}  # help lists every command in one breath, on request only

# Realistic values for every placeholder, so the rules are checked on what callers hear.
SAMPLE_VALUES = {
    "practice": "Anchor Healthcare",
    "procedure": "intrathecal pump implantation",
    "topic": "about the risks",
    "question": "What are the risks associated with intrathecal pump implantation?",
    "title": "Risks",
    "digit": "4",
    "key": "6",
    "hours": "Monday to Friday, 8 AM to 5 PM",
    "opening": "tomorrow at 8 AM",
    "number": "+1 555 555 0100",
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(PROMPTS_DIR, "en-US")


def filled(catalogue: Catalogue, key: str) -> str:
    """The phrase `key` as a caller hears it, with sample values in its placeholders."""
    return catalogue.phrase(key, **{name: SAMPLE_VALUES.get(name, "something") for name in SAY_KEYS[key]})


def load_edited(tmp_path: Path, edit: Callable[[str], str], language: str = "en-US") -> Catalogue:
    """Load a copy of the bundled catalogue after `edit` has changed its text."""
    (tmp_path / f"{language}.toml").write_text(edit(BUNDLED), encoding="utf-8")
    return load_catalogue(tmp_path, language)


def replace(old: str, new: str) -> Callable[[str], str]:
    """An edit that replaces one exact piece of the file (which must be there)."""

    def edit(text: str) -> str:
        assert old in text, f"the bundled file no longer has {old!r}"
        return text.replace(old, new, 1)

    return edit


def replace_line(key: str, line: str) -> Callable[[str], str]:
    """An edit that replaces the whole `key = ...` line (and its continuation lines) with `line`."""

    def edit(text: str) -> str:
        pattern = re.compile(rf"^{key} = (\[\n.*?^\]|[^\n]*)$", re.MULTILINE | re.DOTALL)
        assert pattern.search(text), f"the bundled file has no '{key} = ' line"
        return pattern.sub(lambda _: line, text, count=1)

    return edit


# The bundled catalogue.


def test_bundled_catalogue_loads(catalogue: Catalogue) -> None:
    """prompts/en-US.toml loads with every phrase, word and listening list."""
    assert (catalogue.language, catalogue.name) == ("en-US", "English")
    assert catalogue.say.keys() == SAY_KEYS.keys()
    assert catalogue.words.keys() == WORD_KEYS.keys()
    assert catalogue.days[0] == "Monday"
    assert len(catalogue.days) == 7
    assert catalogue.months[-1] == "December"
    assert len(catalogue.months) == 12
    assert all(catalogue.hear[name] for name in HEAR_LISTS)
    assert catalogue.urgent_together
    assert catalogue.path == str(PROMPTS_DIR / "en-US.toml")


@pytest.mark.parametrize(("table", "key"), [*(("say", key) for key in SAY_KEYS), *(("words", k) for k in WORD_KEYS)])
def test_placeholders_allowed(catalogue: Catalogue, table: str, key: str) -> None:
    """Every phrase uses only the placeholders the line fills in for it."""
    phrases, allowed = (catalogue.say, SAY_KEYS) if table == "say" else (catalogue.words, WORD_KEYS)
    assert placeholders(phrases[key]) <= allowed[key]


@pytest.mark.parametrize(
    ("template", "names"),
    [
        pytest.param("Press {digit}.", {"digit"}, id="one"),
        pytest.param("{topic}, press {digit}.", {"topic", "digit"}, id="two"),
        pytest.param("No placeholders.", set(), id="none"),
        pytest.param("Braces {{doubled}} are text.", set(), id="escaped"),
    ],
)
def test_placeholders(template: str, names: set[str]) -> None:
    """placeholders() lists the {names} in a phrase."""
    assert placeholders(template) == names


@pytest.mark.parametrize("template", ["{0}", "{}", "{digit:>3}", "{digit!r}", "{a.b}", "{a[0]}"])
def test_placeholders_refuses_non_names(template: str) -> None:
    """Positional, formatted or indexed braces are not simple placeholders."""
    with pytest.raises(ValueError, match="not a simple placeholder"):
        placeholders(template)


def test_phrase_fills_placeholders(catalogue: Catalogue) -> None:
    """phrase() fills the named placeholders, turning values into text."""
    assert catalogue.phrase("option_topic", topic="about the risks", digit=4) == "To hear about the risks, press 4."


# A broken catalogue stops the line with a message naming the file and the phrase.

BROKEN_CATALOGUES = [
    pytest.param(replace_line("welcome", ""), "[say] is missing the phrase 'welcome'", id="missing-phrase"),
    pytest.param(replace_line("noon", ""), "[words] is missing the phrase 'noon'", id="missing-word"),
    pytest.param(
        replace_line("welcome", 'welcome = "Thanks for calling {clinic}."'),
        "[say] 'welcome' uses ['clinic']; it may use {practice}",
        id="unknown-placeholder",
    ),
    pytest.param(
        replace_line("main_menu", 'main_menu = "Main menu for {practice}."'),
        "[say] 'main_menu' uses ['practice']; it may use none",
        id="placeholder-where-none-allowed",
    ),
    pytest.param(
        replace_line("welcome", 'welcome = "Thanks for calling {0}."'),
        "[say] 'welcome': '{0}' is not a simple placeholder",
        id="positional-placeholder",
    ),
    pytest.param(replace_line("welcome", "welcome = 5"), "[say] 'welcome' must be non-empty text", id="number"),
    pytest.param(replace_line("welcome", 'welcome = ["Hello"]'), "[say] 'welcome' must be non-empty text", id="list"),
    pytest.param(replace_line("welcome", 'welcome = "  "'), "[say] 'welcome' must be non-empty text", id="blank"),
    pytest.param(
        replace("[say]\n", '[say]\nwelcom = "Hello."\n'),
        "[say] 'welcom' is not a phrase the line uses",
        id="unknown-phrase",
    ),
    pytest.param(replace("[say]\n", "[say"), "Expected ']'", id="malformed-table"),
    pytest.param(replace_line("welcome", 'welcome = "Thanks'), "(at line", id="unclosed-string"),
    pytest.param(replace_line("goodbye", 'welcome = "Again."'), "Cannot overwrite a value", id="duplicate-key"),
    pytest.param(replace('language = "en-US"', 'language = "en-GB"'), "[line] language must be 'en-US'", id="language"),
    pytest.param(replace('language = "en-US"\n', ""), "[line] language must be 'en-US'", id="no-language"),
    pytest.param(replace_line("repeat", 'repeat = "repeat"'), "hear.repeat must be a list", id="hear-not-a-list"),
    pytest.param(replace_line("repeat", "repeat = []"), "[hear] repeat must be a non-empty list", id="hear-empty"),
    pytest.param(replace_line("repeat", 'repeat = ["again", 2]'), "hear.repeat must be a list", id="hear-non-string"),
    pytest.param(replace_line("repeat", 'repeat = ["again", " "]'), "hear.repeat must be a list", id="hear-blank"),
    pytest.param(replace_line("urgent", ""), "[hear] urgent must be a non-empty list", id="hear-missing-urgent"),
    pytest.param(
        replace("[hear]\n", '[hear]\nrepeats = ["again"]\n'),
        "[hear] 'repeats' is not a list the line uses",
        id="hear-unknown-list",
    ),
    pytest.param(
        replace_line("urgent_together", 'urgent_together = "pump alarm"'),
        "hear.urgent_together must be a list",
        id="urgent-together-not-a-list",
    ),
    pytest.param(
        replace_line("urgent_together", 'urgent_together = [[["fever"]]]'),
        "each hear.urgent_together rule must list two or more groups",
        id="urgent-together-one-group",
    ),
    pytest.param(
        replace_line("urgent_together", 'urgent_together = [[["fever"], []]]'),
        "each hear.urgent_together rule must list two or more groups",
        id="urgent-together-empty-group",
    ),
    pytest.param(replace_line("days", 'days = ["Monday"]'), "[words] days must list the 7 days", id="days"),
    pytest.param(replace_line("months", "months = []"), "[words] months must list the 12 months", id="months"),
    pytest.param(replace("[words]\n", "[wordz]\n"), "[wordz] is not a table the catalogue uses", id="misspelt-table"),
    pytest.param(replace("[say]\n", "[sya]\n"), "missing the [say] table", id="missing-say-table"),
]


@pytest.mark.parametrize(("edit", "fragment"), BROKEN_CATALOGUES)
def test_broken_catalogue(tmp_path: Path, edit: Callable[[str], str], fragment: str) -> None:
    """A broken catalogue raises PromptsError naming the file and what is wrong where."""
    with pytest.raises(PromptsError) as caught:
        load_edited(tmp_path, edit)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'en-US.toml'}: ")
    assert fragment in message


def test_all_catalogue_problems_at_once(tmp_path: Path) -> None:
    """Every problem is listed, one line each, each line naming the file."""
    edits = [
        replace_line("welcome", ""),
        replace_line("option_topic", 'option_topic = "To hear {subject}, press {digit}."'),
        replace_line("repeat", "repeat = []"),
    ]

    def edit_all(text: str) -> str:
        for edit in edits:
            text = edit(text)
        return text

    with pytest.raises(PromptsError) as caught:
        load_edited(tmp_path, edit_all)
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"{tmp_path / 'en-US.toml'}: ") for line in lines)
    assert "'welcome'" in lines[0]
    assert "'option_topic' uses ['subject']" in str(caught.value)


def test_missing_language_file(tmp_path: Path) -> None:
    """Asking for a language with no file names the file and the languages there are."""
    (tmp_path / "en-US.toml").write_text(BUNDLED, encoding="utf-8")
    with pytest.raises(PromptsError) as caught:
        load_catalogue(tmp_path, "fr-FR")
    assert str(caught.value) == f"{tmp_path / 'fr-FR.toml'}: no prompt file for language 'fr-FR' (available: ['en-US'])"


def test_catalogue_not_utf8(tmp_path: Path) -> None:
    """A catalogue saved in another encoding is a PromptsError naming the file."""
    (tmp_path / "en-US.toml").write_bytes(BUNDLED.replace("Main menu.", "Men\u00fa.").encode("latin-1"))
    with pytest.raises(PromptsError, match=re.escape(str(tmp_path / "en-US.toml"))):
        load_catalogue(tmp_path, "en-US")


def test_phrase_whitespace_is_tidied(tmp_path: Path) -> None:
    """Line breaks and runs of spaces inside a phrase become single spaces."""
    catalogue = load_edited(tmp_path, replace_line("main_menu", 'main_menu = """\nMain\n   menu."""'))
    assert catalogue.say["main_menu"] == "Main menu."


# Times, lists and keys, as spoken.


@pytest.mark.parametrize(
    ("value", "spoken"),
    [
        (dt.time(8, 0), "8 AM"),
        (dt.time(9, 30), "9:30 AM"),
        (dt.time(12, 0), "noon"),
        (dt.time(0, 0), "midnight"),
        (dt.time(12, 30), "12:30 PM"),
        (dt.time(0, 5), "12:05 AM"),
        (dt.time(13, 0), "1 PM"),
        (dt.time(17, 45), "5:45 PM"),
        (dt.time(23, 59), "11:59 PM"),
    ],
)
def test_time(catalogue: Catalogue, value: dt.time, spoken: str) -> None:
    """Times are spoken on a 12-hour clock, with noon and midnight by name."""
    assert catalogue.time(value) == spoken


@pytest.mark.parametrize(
    ("items", "spoken"),
    [
        ([], ""),
        (["a"], "a"),
        (["a", "b"], "a and b"),
        (["a", "b", "c"], "a, b, and c"),
        (["Monday", "Wednesday", "Friday", "Sunday"], "Monday, Wednesday, Friday, and Sunday"),
    ],
)
def test_join(catalogue: Catalogue, items: list[str], spoken: str) -> None:
    """Lists are joined with commas and a final 'and'."""
    assert catalogue.join(items) == spoken


@pytest.mark.parametrize(("key", "spoken"), [("*", "star"), ("#", "pound"), ("0", "0"), ("9", "9")])
def test_key_name(catalogue: Catalogue, key: str, spoken: str) -> None:
    """Digits are spoken as themselves, * and # by name."""
    assert catalogue.key_name(key) == spoken


def test_word_with_placeholders(catalogue: Catalogue) -> None:
    """word() fills a word pattern, as for 'on Monday at 8 AM'."""
    assert catalogue.word("day_at", day="Monday", time=catalogue.time(dt.time(8, 0))) == "on Monday at 8 AM"


# Accessibility wording rules, for every phrase the line says.


@pytest.mark.parametrize("key", sorted(SAY_KEYS))
def test_option_before_key(catalogue: Catalogue, key: str) -> None:
    """No phrase says 'press N for/to': the option comes first, then the key."""
    assert not KEY_BEFORE_OPTION.search(filled(catalogue, key))
    assert not KEY_BEFORE_OPTION.search(catalogue.say[key])


@pytest.mark.parametrize("key", sorted(SAY_KEYS))
def test_nine_one_one_spelt_out(catalogue: Catalogue, key: str) -> None:
    """911 is always written '9 1 1', so text-to-speech reads it digit by digit."""
    said = filled(catalogue, key)
    assert all(match == "9 1 1" for match in NINE_ONE_ONE.findall(said))
    assert "nine hundred" not in said.lower()


@pytest.mark.parametrize("key", sorted(SAY_KEYS.keys() - LONG_SENTENCES_ALLOWED))
def test_sentences_short(catalogue: Catalogue, key: str) -> None:
    """No sentence is longer than 30 words (the help phrase aside)."""
    longest = max(len(sentence.split()) for sentence in SENTENCE_END.split(filled(catalogue, key)))
    assert longest <= MAX_SENTENCE_WORDS


def test_emergency_phrase(catalogue: Catalogue) -> None:
    """The emergency phrase says 'emergency' and '9 1 1'."""
    said = catalogue.phrase("emergency")
    assert "emergency" in said.lower()
    assert "9 1 1" in said


def test_key_before_option_pattern() -> None:
    """The wording rule's pattern catches the forms it is meant to catch, and no others."""
    assert KEY_BEFORE_OPTION.search("Press 4 for the risks.")
    assert KEY_BEFORE_OPTION.search("press star to go back")
    assert not KEY_BEFORE_OPTION.search("To go back, press star.")
    assert not KEY_BEFORE_OPTION.search("To try again, press 1. To go back, press star.")
