"""Assemble the line from the settings: content, prompts, hours, matcher, intents."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ivr import hours
from ivr.config import Config
from ivr.config import ConfigError
from ivr.content import Library
from ivr.content import load_library
from ivr.flow import Line
from ivr.flow import Settings
from ivr.intent_model import IntentModel
from ivr.intent_model import IntentModelError
from ivr.intent_model import model_path
from ivr.intents import Intents
from ivr.matching import Encoder
from ivr.matching import Language
from ivr.matching import Matcher
from ivr.matching import library_entries
from ivr.prompts import Catalogue
from ivr.prompts import PromptsError
from ivr.prompts import load_catalogue

MAX_HINTS = 500
MAX_HINT_LENGTH = 100


def caller_language(catalogue: Catalogue, synonyms: Sequence[tuple[str, Sequence[str]]]) -> Language:
    """How callers' words are read: the catalogue's word lists with the content's synonyms."""
    return Language(
        catalogue.hear["fillers"],
        synonyms,
        catalogue.hear["asks_amount"],
        catalogue.hear["amounts"],
        catalogue.sounds_like,
        catalogue.hear["asks_name"],
        catalogue.hear["names"],
    )


def load_line(config: Config, *, intent_model: bool = True) -> Line:
    """Load and check everything the call flow needs; raise on the first broken part. Without
    `intent_model`, the learned model beside the catalogue is not read (training writes a new one).

    Raises ContentError, PromptsError or ConfigError, each naming what to fix.
    """
    library = load_library(config.content_dir)
    catalogue = load_catalogue(config.prompts_dir, config.language)
    schedule = hours.parse_schedule(
        config.office_hours, config.office_timezone, (holiday.date for holiday in library.holidays)
    )
    practice = practice_name(library, config.practice_name)
    if not practice:
        raise ConfigError(
            ["PRACTICE_NAME is not set and the content files do not agree on one 'Practice:' name; set PRACTICE_NAME"]
        )
    language = caller_language(catalogue, library.synonyms)
    settings = Settings(
        practice=practice,
        front_desk_number=config.front_desk_number,
        on_call_number=config.on_call_number,
        voicemail=config.voicemail,
        voicemail_max_seconds=config.voicemail_max_seconds,
        dial_timeout=config.dial_timeout,
        gather_timeout=config.gather_timeout,
        first_gather_timeout=max(10, config.gather_timeout),
    )
    return Line(
        library=library,
        prompts=catalogue,
        schedule=schedule,
        matcher=Matcher(library_entries(library), language, encoder=_encoder(config)),
        intents=Intents(
            catalogue, language, load_intent_model(config.prompts_dir, config.language) if intent_model else None
        ),
        settings=settings,
        hints=speech_hints(library, catalogue),
    )


def load_intent_model(prompts_dir: Path, language: str) -> IntentModel | None:
    """The learned model beside the catalogue (`<language>.intents.json`), if the language has one."""
    try:
        return IntentModel.load(model_path(prompts_dir, language))
    except IntentModelError as exc:
        raise PromptsError(str(exc)) from exc


def _encoder(config: Config) -> Encoder | None:
    """The optional embedding scorer, when MATCH_EMBEDDINGS=1 (its packages are checked now)."""
    if not config.match_embeddings:
        return None
    from ivr.embeddings import EmbeddingsError
    from ivr.embeddings import MiniLM

    try:
        return MiniLM()
    except EmbeddingsError as exc:
        raise ConfigError([str(exc)]) from exc


def practice_name(library: Library, configured: str) -> str:
    """The practice's name: the setting, else the one name every content file gives ("" if they differ)."""
    if configured:
        return configured
    names = {procedure.practice for procedure in library.procedures if procedure.practice}
    return names.pop() if len(names) == 1 else ""


def speech_hints(library: Library, catalogue: Catalogue) -> tuple[str, ...]:
    """Words and phrases that bias speech recognition toward what the line can answer.

    Procedure names and the content's key words come first, then the words callers use
    for them (drug names), then the commands that work at every menu.
    """
    hints: list[str] = []
    for procedure in library.procedures:
        hints += [procedure.spoken_name, *procedure.also_called]
        for section in procedure.sections:
            hints += [section.menu_name, *section.keywords]
        for faq in procedure.faqs:
            hints += list(faq.keywords)
    for canonical, variants in library.synonyms:
        hints += [canonical, *variants]
    for name in ("person", "repeat", "back", "main_menu", "help", "yes", "no", "go_on", "ask"):
        hints += list(catalogue.hear[name][:6])
    unique: dict[str, str] = {}
    for hint in hints:
        cleaned = " ".join(hint.replace(",", " ").split())
        if cleaned and len(cleaned) <= MAX_HINT_LENGTH:
            unique.setdefault(cleaned.lower(), cleaned.lower())
    return tuple(unique.values())[:MAX_HINTS]
