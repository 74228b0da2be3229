"""`python -m ivr train-intents` (`make intents-model`): fit the learned second opinion on urgent words and
requests for a person.

Training data: every row of the tuning sets (eval/dev*.tsv: urgent, person, and every question,
out-of-scope row or aside as "other"), plus, as "other", the catalogue's commands ("yes", "repeat",
...). The held-out sets (eval/test*.tsv) are never read.

Before fitting on everything, it measures the line with and without the model on tuning sets held out
of the fitting: five folds that each hold out whole tuning sets (one author's wording never on both
sides; the commands are in every fitting). Needs scikit-learn (requirements-dev.txt); the line itself
reads only the JSON it writes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ivr.cli import tool_config
from ivr.config import PROJECT_ROOT
from ivr.evaluation import EVAL_DIR
from ivr.evaluation import Row
from ivr.evaluation import SetReport
from ivr.evaluation import read_rows
from ivr.intent_model import FEATURES
from ivr.intent_model import FORMAT
from ivr.intent_model import LABELS
from ivr.intent_model import IntentModel
from ivr.intent_model import feature_values
from ivr.intent_model import features
from ivr.intent_model import model_path
from ivr.intent_model import threshold_problem
from ivr.intents import COMMANDS
from ivr.line import load_line
from ivr.matchtool import decide_line
from ivr.prompts import load_catalogue

FOLDS = 5
REGULARISATION = 10.0  # scikit-learn's C, chosen on the folds: 1 and 3 catch fewer, 30 flags more
SMALLEST_WEIGHT = 1e-3  # weights smaller than this change no decision and are left out of the file


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--urgent-threshold", type=float, default=0.6, help="model score that counts as urgent")
    parser.add_argument("--person-threshold", type=float, default=0.6, help="model score that counts as a person")
    parser.add_argument("--language", default="en-US")
    parser.add_argument("--out", default=None, help="where to write the model (default: prompts/LANGUAGE.intents.json)")


@dataclass(frozen=True)
class TrainingData:
    rows: list[Row]  # the tuning sets' rows
    groups: list[str]  # the set each row came from, for the folds
    always: list[str]  # texts in every fitting, as "other": the catalogue's commands

    @property
    def texts(self) -> list[str]:
        return [row.question for row in self.rows] + self.always

    @property
    def labels(self) -> list[str]:
        return [label_of(row) for row in self.rows] + ["other"] * len(self.always)


def label_of(row: Row) -> str:
    return "urgent" if "urgent" in row.expected else "person" if "person" in row.expected else "other"


def training_data(language: str) -> TrainingData:
    rows: list[Row] = []
    groups: list[str] = []
    for path in sorted(EVAL_DIR.glob("dev*.tsv")):
        for row in read_rows(path):
            rows.append(row)
            groups.append(path.stem)
    catalogue = load_catalogue(PROJECT_ROOT / "prompts", language)
    # "help" may be a call for help: the lists send it to the emergency sentence, so it is no "other"
    commands = dict.fromkeys(phrase for name in COMMANDS if name != "help" for phrase in catalogue.hear[name])
    return TrainingData(rows, groups, list(commands))


def training_digest(texts: Sequence[str], labels: Sequence[str]) -> str:
    """A fingerprint of the training data, kept in the model file: a test compares it with the data in the repo."""
    lines = "\n".join(f"{label}\t{text}" for text, label in zip(texts, labels, strict=True))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def fit(texts: Sequence[str], labels: Sequence[str]):  # noqa: ANN201 - a scikit-learn estimator and vectoriser
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = DictVectorizer()
    matrix = vectoriser.fit_transform([feature_values(features(text)) for text in texts])
    model = LogisticRegression(C=REGULARISATION, max_iter=5000)
    model.fit(matrix, list(labels))
    if tuple(model.classes_) != LABELS:
        raise ValueError(f"the training data must hold every label {LABELS}, not {tuple(model.classes_)}")
    return model, vectoriser


def to_model(model, vectoriser, urgent_at: float, person_at: float) -> IntentModel:  # noqa: ANN001
    """The fitted estimator as the line reads it: per feature, what it adds to person and urgent against other."""
    other, person, urgent = model.coef_
    weights = {}
    for name, index in sorted(vectoriser.vocabulary_.items()):
        pair = (round(float(person[index] - other[index]), 4), round(float(urgent[index] - other[index]), 4))
        if max(abs(pair[0]), abs(pair[1])) >= SMALLEST_WEIGHT:
            weights[name] = pair
    other_bias, person_bias, urgent_bias = model.intercept_
    bias = (round(float(person_bias - other_bias), 4), round(float(urgent_bias - other_bias), 4))
    return IntentModel(weights, bias, urgent_at, person_at)


def held_out_report(data: TrainingData, language: str, urgent_at: float, person_at: float) -> list[str]:
    """The line with and without the model, on tuning sets the model was not fitted on.

    The word lists were written with every tuning set in view, so "word lists alone" is flattering; what
    these folds show honestly is what the model adds on wordings it never saw, and what it costs."""
    from sklearn.model_selection import GroupKFold

    line = load_line(tool_config({**os.environ, "MATCH_EMBEDDINGS": "0", "LANGUAGE": language}), intent_model=False)
    lists_alone = line.intents
    alone = SetReport("word lists alone")
    combined = SetReport("word lists and the model")
    texts, labels = [row.question for row in data.rows], [label_of(row) for row in data.rows]
    model_only = dict.fromkeys(LABELS, 0)
    for train, test in GroupKFold(n_splits=FOLDS).split(texts, labels, data.groups):
        fitted = fit([texts[i] for i in train] + data.always, [labels[i] for i in train] + ["other"] * len(data.always))
        with_model = lists_alone.with_model(to_model(*fitted, urgent_at, person_at))
        for index in test:
            row = data.rows[index]
            alone.add(row, decide_line(line.matcher, lists_alone, row.question))
            combined.add(row, decide_line(line.matcher, with_model, row.question))
            model_only[labels[index]] += with_model.second_opinion(row.question) is not None
    return [
        f"On tuning sets held out of the model's fitting ({FOLDS} folds, whole sets held out):",
        f"  the model alone (where it is asked) finds {model_only['urgent']}/{alone.urgent} emergencies and"
        f" {model_only['person']}/{alone.person} requests for a person, and flags"
        f" {model_only['other']}/{alone.in_scope + alone.oos} other questions",
        *alone.lines(),
        *combined.lines(),
    ]


def main(args: argparse.Namespace) -> int:
    problem = threshold_problem(args.urgent_threshold, args.person_threshold)
    if problem:
        print(problem)
        return 2
    data = training_data(args.language)
    texts, labels = data.texts, data.labels
    print(f"{len(texts)} training texts: " + ", ".join(f"{labels.count(label)} {label}" for label in LABELS))
    print("\n".join(held_out_report(data, args.language, args.urgent_threshold, args.person_threshold)))
    model = to_model(*fit(texts, labels), args.urgent_threshold, args.person_threshold)
    document = {
        "format": FORMAT,
        "about": "Fitted by `python -m ivr train-intents` on eval/dev*.tsv and the catalogue's commands; "
        "each weight is what a feature adds to [person, urgent] against other.",
        "features": FEATURES,
        "training_texts": len(texts),
        "training_sha256": training_digest(texts, labels),
        "thresholds": {"urgent": args.urgent_threshold, "person": args.person_threshold},
        "bias": list(model.bias),
        "weights": dict(model.weights),
    }
    out = Path(args.out) if args.out else model_path(PROJECT_ROOT / "prompts", args.language)
    out.write_text(json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Wrote {len(model.weights)} weights to {out} ({out.stat().st_size / 1e6:.1f} MB).")
    return 0
