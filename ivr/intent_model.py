"""A learned second opinion on urgent words and requests for a person.

The word lists in the prompt catalogue ([hear] urgent, person, ...) are reviewable, but a list of
wordings has a long tail: every new set of emergencies or staff errands written by someone else
found wordings the lists missed. This model reads the same normalised words as a bag of words,
word pairs and letter runs (so "bree thing" still shares most of its letter runs with "breathing")
and scores three labels: urgent, person, other. It was fitted on the labelled caller questions in
eval/dev*.tsv by `python -m ivr train-intents`; the weights and the two thresholds live beside the
catalogue (`prompts/<language>.intents.json`), data like the word lists.

It only ever adds, and only where the lists heard nothing in speech that would otherwise go to the
question matcher (`Intents.second_opinion`): there, a confident model sends the caller to the
emergency sentence or to a person. Commands, keys, menu choices and the answer to a "Did you mean"
are never put to it. Pure Python, no numpy at run time: scoring is a sum of a few hundred
dictionary look-ups. Nothing a caller said is kept.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ivr import text as textmod

LABELS = ("other", "person", "urgent")
CHAR_SIZES = (3, 4, 5)
FORMAT = "ivr-intents/1"
# What `features` reads, kept in the model file: weights fitted on other features are refused.
FEATURES = {"words": True, "word_pairs": True, "letter_runs": list(CHAR_SIZES), "scaling": "unit length"}


def features(said: str) -> list[str]:
    """What the model reads: each word, each pair of neighbouring words, and each run of 3 to 5 letters
    of the words joined by spaces (runs cross word boundaries, so words recognition split still count)."""
    tokens = textmod.words(said)
    found = {f"w:{token}" for token in tokens}
    found.update(f"b:{first} {second}" for first, second in zip(tokens, tokens[1:], strict=False))
    joined = f" {' '.join(tokens)} "
    for size in CHAR_SIZES:
        found.update("c:" + joined[start : start + size] for start in range(len(joined) - size + 1))
    return sorted(found)


def feature_values(found: list[str]) -> dict[str, float]:
    """Binary features scaled to unit length, so a long ramble weighs no more than a short request."""
    if not found:
        return {}
    value = 1 / math.sqrt(len(found))
    return dict.fromkeys(found, value)


class IntentModelError(ValueError):
    """The model file cannot be used; the message names the file."""


@dataclass(frozen=True)
class Scores:
    urgent: float
    person: float


@dataclass(frozen=True, eq=False)  # compared by identity: one model per line
class IntentModel:
    """Multinomial logistic regression: for each feature, how much it adds to "person" and to "urgent"
    against "other" (the "other" score is the zero it is measured from)."""

    weights: Mapping[str, tuple[float, float]]
    bias: tuple[float, float]
    urgent_threshold: float
    person_threshold: float

    @classmethod
    def load(cls, path: Path) -> IntentModel | None:
        """The model in `path`, or None where there is none (the line then listens with its word lists alone)."""
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise IntentModelError(f"{path}: not a {FORMAT} file")
            weights = {str(name): (float(pair[0]), float(pair[1])) for name, pair in data["weights"].items()}
            bias = (float(data["bias"][0]), float(data["bias"][1]))
            urgent, person = float(data["thresholds"]["urgent"]), float(data["thresholds"]["person"])
            fitted_with = data["features"]
        except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise IntentModelError(f"{path}: {exc.__class__.__name__}: {exc}") from exc
        if fitted_with != FEATURES:
            raise IntentModelError(f"{path}: fitted on other features ({fitted_with}); run `make intents-model`")
        if not all(math.isfinite(number) for pair in (*weights.values(), bias) for number in pair):
            raise IntentModelError(f"{path}: a weight or bias is not a finite number")
        problem = threshold_problem(urgent, person)
        if problem:
            raise IntentModelError(f"{path}: {problem}")
        return cls(MappingProxyType(weights), bias, urgent, person)

    def scores(self, said: str) -> Scores:
        person = urgent = 0.0
        for name, value in feature_values(features(said)).items():
            pair = self.weights.get(name)
            if pair is not None:
                person += pair[0] * value
                urgent += pair[1] * value
        person += self.bias[0]
        urgent += self.bias[1]
        top = max(0.0, person, urgent)  # a softmax against "other" at 0, kept from overflowing
        exps = (math.exp(-top), math.exp(person - top), math.exp(urgent - top))
        total = sum(exps)
        return Scores(urgent=exps[2] / total, person=exps[1] / total)

    def says(self, said: str) -> str | None:
        """ "urgent", "person" or None."""
        scores = self.scores(said)
        if scores.urgent >= self.urgent_threshold:
            return "urgent"
        if scores.person >= self.person_threshold:
            return "person"
        return None


def threshold_problem(urgent: float, person: float) -> str:
    """Why these thresholds cannot be used, or "": below 0.5 a score could pass both."""
    if 0.5 <= urgent < 1 and 0.5 <= person < 1:
        return ""
    return f"thresholds must be at least 0.5 and below 1 (urgent {urgent}, person {person})"


def model_path(prompts_dir: Path, language: str) -> Path:
    return prompts_dir / f"{language}.intents.json"
