"""The line's command line: `python -m ivr <command>`. Run with --help for the list."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from ivr import cli

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m ivr", description="The patient information phone line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = next((word for word in argv if not word.startswith("-")), None)
    for name, (_, help_text, add_arguments) in cli.COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if name == chosen:  # only the chosen command's module is imported for its options
            add_arguments(sub)
    args = parser.parse_args(argv)
    return cli.COMMANDS[args.command][0](args)


if __name__ == "__main__":
    sys.exit(main())
