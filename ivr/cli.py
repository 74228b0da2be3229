"""The commands behind `python -m ivr` (and the Makefile targets that call them)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ivr.config import Config
from ivr.config import ConfigError
from ivr.content import ContentError
from ivr.content import load_library
from ivr.prompts import PromptsError
from ivr.prompts import load_catalogue

Handler = Callable[[argparse.Namespace], int]

# The auth token `make run` and `make call` share on one computer when no real one is set.
LOCAL_DEV_TOKEN = "local-dev-token"  # noqa: S105 - not a secret: localhost only

# Fictional numbers (the 555-01xx range is reserved for fiction) for tools that
# need a complete configuration but never place a call.
EXAMPLE_FRONT_DESK = "+15555550100"
EXAMPLE_ON_CALL = "+15555550199"


def tool_config(environ: dict[str, str] | None = None) -> Config:
    """Settings for offline tools: the environment, with harmless stand-ins for what only calls need."""
    env = dict(os.environ if environ is None else environ)
    if not env.get("TWILIO_AUTH_TOKEN"):
        env["IVR_INSECURE_LOCAL_DEV"] = "1"
    env.setdefault("FRONT_DESK_NUMBER", EXAMPLE_FRONT_DESK)
    env.setdefault("ON_CALL_NUMBER", EXAMPLE_ON_CALL)
    env.setdefault("VOICEMAIL", "1")
    return Config.from_env(env)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def check(args: argparse.Namespace) -> int:
    """Check the content folder and the prompts; with --settings, the environment too."""
    env = dict(os.environ)
    try:
        config = Config.from_env(env) if args.settings else tool_config(env)
    except ConfigError as exc:
        return _fail(str(exc))
    problems = 0
    try:
        library = load_library(config.content_dir)
    except ContentError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        problems += len(exc.errors)
    else:
        for procedure in library.procedures:
            print(f"ok  {procedure.path}: {len(procedure.sections)} sections, {len(procedure.faqs)} questions")
    try:
        catalogue = load_catalogue(config.prompts_dir, config.language)
    except PromptsError as exc:
        print(exc, file=sys.stderr)
        problems += 1
    else:
        print(f"ok  {catalogue.path}: {len(catalogue.say)} phrases")
    if problems:
        return _fail(f"{problems} problem(s): the line will not start until they are fixed.")
    try:
        from ivr.line import load_line

        load_line(config)
    except (ConfigError, ContentError, PromptsError, ValueError) as exc:
        return _fail(str(exc))
    print("The line can start with this content.")
    return 0


def script(args: argparse.Namespace) -> int:
    """Print every sentence a caller can hear: the prompts as filled in, then the content."""
    from ivr.script import write_script

    try:
        config = tool_config()
        from ivr.line import load_line

        line = load_line(config)
    except (ConfigError, ContentError, PromptsError) as exc:
        return _fail(str(exc))
    try:
        write_script(line, sys.stdout)
    except BrokenPipeError:  # `make script | head`: the reader has enough
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stdout must stay open until exit
    return 0


def match(args: argparse.Namespace) -> int:
    """Try the matcher on any FAQ list: questions on stdin, one JSON decision per line on stdout."""
    from ivr.matchtool import run_match

    try:
        faqs = json.loads(Path(args.faqs).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return _fail(f"{args.faqs}: cannot read the FAQ list ({exc})")
    try:
        run_match(
            faqs,
            sys.stdin,
            sys.stdout,
            synonyms=None if args.no_synonyms else (args.content or ""),
            embeddings=args.embeddings,
        )
    except (ValueError, RuntimeError) as exc:
        return _fail(f"{args.faqs}: {exc}")
    return 0


def _lazy(module: str, function: str) -> Handler:
    """A handler that imports its module only when its command runs."""

    def run(args: argparse.Namespace) -> int:
        handler: Handler = getattr(importlib.import_module(module), function)
        return handler(args)

    return run


def _arguments_from(module: str) -> Callable[[argparse.ArgumentParser], None]:
    """The command's own `add_arguments(parser)`, imported when the parser is built."""

    def add(parser: argparse.ArgumentParser) -> None:
        importlib.import_module(module).add_arguments(parser)

    return add


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--settings", action="store_true", help="also check every setting in the environment")


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    return None


def _match_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--faqs", required=True, help='JSON file: [{"id": ..., "question": ..., "answer": ...}, ...]')
    parser.add_argument(
        "--content", default=None, help="content folder whose synonyms.txt to use (default: the bundled content)"
    )
    parser.add_argument("--no-synonyms", action="store_true", help="match without any synonym list")
    parser.add_argument(
        "--embeddings", action="store_true", help="add the optional embedding scorer (requirements-embeddings.txt)"
    )


def _eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set", default="all", help="which question set of eval/ to score, by name (dev, test, ...), or all"
    )
    parser.add_argument(
        "--external", default=None, help="folder of the external FAQ set (default: ../shared/data/covid-faq)"
    )
    parser.add_argument("--verbose", action="store_true", help="list every question the line gets wrong")
    parser.add_argument(
        "--quick", action="store_true", help="the default line only: no word-lists-alone or embedding passes"
    )


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default="10,100,1000,10000", help="comma-separated FAQ counts")
    parser.add_argument("--questions", type=int, default=400, help="questions timed per size")


COMMANDS: dict[str, tuple[Handler, str, Callable[[argparse.ArgumentParser], None]]] = {
    "check": (
        check,
        "check the content folder and the prompts (with --settings, the environment too)",
        _check_arguments,
    ),
    "script": (script, "print every sentence the line can say, for review", _no_arguments),
    "match": (match, "match caller questions (stdin) against an FAQ list, one JSON line each", _match_arguments),
    "eval": (
        _lazy("ivr.evaluation", "main"),
        "measure the matcher on the question sets and an external FAQ set",
        _eval_arguments,
    ),
    "train-intents": (
        _lazy("ivr.train_intents", "main"),
        "fit the learned second opinion on urgent words and requests for a person (needs scikit-learn)",
        _arguments_from("ivr.train_intents"),
    ),
    "bench": (_lazy("ivr.bench", "main"), "time and size the matcher on synthetic content", _bench_arguments),
    "call": (
        _lazy("ivr.simulator", "main"),
        "a phone in the terminal: call the line",
        _arguments_from("ivr.simulator"),
    ),
    "prompts": (
        _lazy("ivr.render", "main"),
        "render every phrase and content piece to audio",
        _arguments_from("ivr.render"),
    ),
    "audio-guide": (
        _lazy("ivr.audio_guide", "main"),
        "write the accessible audio guide web page for each procedure",
        _arguments_from("ivr.audio_guide"),
    ),
}
