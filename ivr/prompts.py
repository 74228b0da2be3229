"""The prompt catalogue: every phrase the line speaks, and the words it listens for.

One TOML file per language in the prompts folder (`prompts/en-US.toml`). Python code
chooses a phrase by its key and fills its named placeholders; it never spells out a
sentence itself. The catalogue is checked when the line starts: a missing phrase, an
unknown placeholder or a malformed list stops the line with a message naming the file.
"""

from __future__ import annotations

import datetime as dt
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The phrases the call flow uses, with the placeholders each may contain.
SAY_KEYS: dict[str, frozenset[str]] = {
    key: frozenset(names)
    for key, names in {
        "emergency": (),
        "welcome": ("practice",),
        "how_to_use": (),
        "closed_now": ("opening",),
        "closed_hours": ("hours",),
        "closed_no_opening": (),
        "main_menu": (),
        "option_procedure": ("procedure", "digit"),
        "option_procedures": ("digit",),
        "option_ask": ("digit",),
        "option_urgent": ("digit",),
        "option_person_open": (),
        "option_person_closed": (),
        "option_person_closed_no_voicemail": (),
        "option_repeat": (),
        "option_back": (),
        "option_more": ("digit",),
        "topics_intro": ("procedure",),
        "topics_more_intro": ("procedure",),
        "option_topic": ("topic", "digit"),
        "option_faqs": ("procedure", "digit"),
        "faqs_intro": ("procedure",),
        "option_faq": ("question", "digit"),
        "section_title": ("title",),
        "after_chunk": (),
        "after_last_chunk": ("procedure",),
        "answer_intro": ("question",),
        "after_answer": (),
        "after_answer_more": (),
        "ask": (),
        "ask_keypad": ("procedure", "digit"),
        "confirm": ("question",),
        "confirm_topic": ("topic",),
        "confirm_no": (),
        "confirm_two": (),
        "confirm_choice_section": ("topic", "digit"),
        "confirm_choice_faq": ("topic", "digit"),
        "confirm_neither": (),
        "confirm_which": (),
        "no_answer": (),
        "no_answer_options": (),
        "no_answer_options_closed": (),
        "no_answer_options_closed_no_voicemail": (),
        "help": (),
        "at_main_menu": (),
        "no_input": (),
        "not_understood": (),
        "not_an_option": ("key",),
        "still_there": (),
        "giving_up": (),
        "giving_up_closed": (),
        "connecting_front_desk": (),
        "connecting_on_call": (),
        "front_desk_unavailable": (),
        "front_desk_unavailable_options_no_voicemail": ("number",),
        "on_call_unavailable": (),
        "on_call_unavailable_options": (),
        "on_call_unavailable_options_no_voicemail": ("number",),
        "after_hours_menu": (),
        "after_hours_menu_no_voicemail": (),
        "urgent_offer_open": (),
        "urgent_offer_closed": (),
        "urgent_question": (),
        "voicemail": (),
        "voicemail_empty": (),
        "voicemail_saved": (),
        "goodbye": ("practice",),
        "apology": (),
        "apology_connecting": (),
    }.items()
}

WORD_KEYS: dict[str, frozenset[str]] = {
    key: frozenset(names)
    for key, names in {
        "star": (),
        "pound": (),
        "am": (),
        "pm": (),
        "noon": (),
        "midnight": (),
        "time_on_the_hour": ("hour", "period"),
        "time_with_minutes": ("hour", "minutes", "period"),
        "today_at": ("time",),
        "tomorrow_at": ("time",),
        "day_at": ("day", "time"),
        "date_at": ("day", "month", "date", "time"),
        "day_range": ("first", "last"),
        "time_range": ("start", "end"),
        "days_and_times": ("days", "times"),
        "list_two": ("first", "second"),
        "list_many": ("rest", "last"),
        "always_open": (),
    }.items()
}

HEAR_LISTS = (
    "urgent",
    "person",
    "person_alone",
    "leave_message",
    "repeat",
    "back",
    "main_menu",
    "help",
    "yes",
    "no",
    "go_on",
    "ask",
    "urgent_option",
    "goodbye",
    "stop",
    "fillers",
    "asks_amount",
    "amounts",
    "asks_name",
    "names",
    "asks_about",
    "happening_now",
    "coming_surgery",
    "severe_illness",
    "surgery_done",
    "past_illness",
    "recent",
    "first_choice",
    "second_choice",
    "mild_illness",
    "not_urgent",
    "not_person",
)


class PromptsError(Exception):
    """The prompt catalogue cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Catalogue:
    """The phrases and listening words of one language."""

    language: str
    name: str
    say: Mapping[str, str]
    words: Mapping[str, str]
    days: tuple[str, ...]
    months: tuple[str, ...]
    hear: Mapping[str, tuple[str, ...]]
    urgent_together: tuple[tuple[tuple[str, ...], ...], ...]
    person_together: tuple[tuple[tuple[str, ...], ...], ...]
    sounds_like: Mapping[str, str]
    path: str

    def phrase(self, key: str, /, **values: object) -> str:
        """The phrase `key` with its placeholders filled in."""
        return self.say[key].format_map({name: str(value) for name, value in values.items()})

    def word(self, key: str, /, **values: object) -> str:
        return self.words[key].format_map({name: str(value) for name, value in values.items()})

    def key_name(self, key: str) -> str:
        """How a keypad key is spoken: digits as themselves, * and # by name."""
        return {"*": self.words["star"], "#": self.words["pound"]}.get(key, key)

    def time(self, value: dt.time) -> str:
        if value == dt.time(12, 0):
            return self.words["noon"]
        if value == dt.time(0, 0):
            return self.words["midnight"]
        period = self.words["am"] if value.hour < 12 else self.words["pm"]
        hour = value.hour % 12 or 12
        if value.minute == 0:
            return self.word("time_on_the_hour", hour=hour, period=period)
        return self.word("time_with_minutes", hour=hour, minutes=f"{value.minute:02d}", period=period)

    def join(self, items: list[str]) -> str:
        if len(items) <= 1:
            return "".join(items)
        if len(items) == 2:
            return self.word("list_two", first=items[0], second=items[1])
        return self.word("list_many", rest=", ".join(items[:-1]), last=items[-1])


def placeholders(template: str) -> set[str]:
    """The {names} a phrase uses; raises ValueError for braces that are not simple names."""
    names: set[str] = set()
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"'{{{name}}}' is not a simple placeholder")
        names.add(name)
    return names


def load_catalogue(prompts_dir: Path, language: str) -> Catalogue:
    """Load and check `<prompts_dir>/<language>.toml`."""
    path = prompts_dir / f"{language}.toml"
    display = str(path)
    if not path.is_file():
        available = sorted(candidate.stem for candidate in prompts_dir.glob("*.toml"))
        raise PromptsError(f"{display}: no prompt file for language '{language}' (available: {available})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PromptsError(f"{display}: {exc}") from exc
    # A misspelt table name is named first: it explains the missing phrases listed after it.
    problems = [
        f"[{name}] is not a table the catalogue uses (it has [line], [say], [words] and [hear])"
        for name in sorted(data.keys() - {"line", "say", "words", "hear"})
    ]
    say = _check_phrases(data.get("say"), SAY_KEYS, "say", problems)
    raw_words = data.get("words") if isinstance(data.get("words"), dict) else {}
    words = _check_phrases(
        {key: value for key, value in raw_words.items() if key not in {"days", "months"}}, WORD_KEYS, "words", problems
    )
    days = _string_list(raw_words.get("days"), "words.days", problems)
    months = _string_list(raw_words.get("months"), "words.months", problems)
    if len(days) != 7:
        problems.append("[words] days must list the 7 days, Monday first")
    if len(months) != 12:
        problems.append("[words] months must list the 12 months, January first")
    raw_hear = data.get("hear") if isinstance(data.get("hear"), dict) else {}
    hear = {name: _string_list(raw_hear.get(name), f"hear.{name}", problems) for name in HEAR_LISTS}
    for name in HEAR_LISTS:
        if not hear[name]:
            problems.append(f"[hear] {name} must be a non-empty list of phrases")
    # A misspelt list name would otherwise drop its words without a word of warning.
    sounds_like = raw_hear.get("sounds_like", {})
    if not isinstance(sounds_like, dict) or not all(
        isinstance(key, str) and isinstance(value, str) and value.strip() for key, value in sounds_like.items()
    ):
        problems.append('[hear.sounds_like] must map misheard words to what was meant, like four = "for"')
        sounds_like = {}
    for name in sorted(raw_hear.keys() - {*HEAR_LISTS, "urgent_together", "person_together", "sounds_like"}):
        problems.append(f"[hear] '{name}' is not a list the line uses (remove it, or check its spelling)")
    urgent_together = _groups(raw_hear.get("urgent_together", []), "urgent_together", problems)
    person_together = _groups(raw_hear.get("person_together", []), "person_together", problems)
    line = data.get("line") if isinstance(data.get("line"), dict) else {}
    if line.get("language") != language:
        problems.append(f"[line] language must be '{language}', the file's name")
    if problems:
        raise PromptsError("\n".join(f"{display}: {problem}" for problem in problems))
    return Catalogue(
        language=language,
        name=str(line.get("name", language)),
        say=say,
        words=words,
        days=days,
        months=months,
        hear=hear,
        urgent_together=urgent_together,
        person_together=person_together,
        sounds_like={key.lower(): value.lower() for key, value in sounds_like.items()},
        path=display,
    )


def _check_phrases(
    table: object, expected: dict[str, frozenset[str]], section: str, problems: list[str]
) -> dict[str, str]:
    if not isinstance(table, dict):
        problems.append(f"missing the [{section}] table")
        return {}
    phrases: dict[str, str] = {}
    for key in expected.keys() - table.keys():
        problems.append(f"[{section}] is missing the phrase '{key}'")
    for key, value in table.items():
        if key not in expected:
            problems.append(f"[{section}] '{key}' is not a phrase the line uses (remove it, or check its spelling)")
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(f"[{section}] '{key}' must be non-empty text")
            continue
        try:
            unknown = placeholders(value) - expected[key]
        except ValueError as exc:
            problems.append(f"[{section}] '{key}': {exc}")
            continue
        if unknown:
            allowed = ", ".join(sorted(f"{{{name}}}" for name in expected[key])) or "none"
            problems.append(f"[{section}] '{key}' uses {sorted(unknown)}; it may use {allowed}")
            continue
        phrases[key] = " ".join(value.split())
    return phrases


def _string_list(value: object, name: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        problems.append(f"{name} must be a list of non-empty strings")
        return ()
    return tuple(item.strip() for item in value)


def _groups(value: object, name: str, problems: list[str]) -> tuple[tuple[tuple[str, ...], ...], ...]:
    groups: list[tuple[tuple[str, ...], ...]] = []
    if not isinstance(value, list):
        problems.append(f"hear.{name} must be a list of lists of word lists")
        return ()
    for rule in value:
        if (
            not isinstance(rule, list)
            or len(rule) < 2
            or not all(isinstance(group, list) and group and all(isinstance(w, str) for w in group) for group in rule)
        ):
            problems.append(f"each hear.{name} rule must list two or more groups of words")
            continue
        groups.append(tuple(tuple(word.lower() for word in group) for group in rule))
    return tuple(groups)
