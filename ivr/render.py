"""`make prompts` (`python -m ivr prompts`): every sentence the line can speak, as telephone audio.

The texts are every distinct sentence a crawl of the call flow meets, plus every
content chunk straight from the library, so no chunk can be missed. Each becomes an
8 kHz mono 16-bit WAV file named by a hash of its text, voice, rate and format, and
`manifest.json` maps text -> file for the web app (ivr.audio). Rendering happens here,
offline, in a child process with a timeout per file (see ivr.tts); a text that fails
simply has no file, and callers hear it through <Say>.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ivr.config import ConfigError
from ivr.content import ContentError
from ivr.content import Library
from ivr.flow import Line
from ivr.prompts import PromptsError
from ivr.tts import TELEPHONE
from ivr.tts import FolderResult
from ivr.tts import RenderOptions
from ivr.tts import add_voice_arguments
from ivr.tts import render_folder

MAX_FAILURES_SHOWN = 10


def collect_texts(line: Line) -> list[str]:
    """Every text the line can speak, in crawl order, then any content chunk the crawl did not meet."""
    from ivr import crawl

    texts = [utterance.text for utterance in crawl.all_utterances(line)]
    texts += content_chunks(line.library)
    return list(dict.fromkeys(text for text in texts if text.strip()))


def content_chunks(library: Library) -> list[str]:
    """Every section and FAQ chunk of every procedure."""
    chunks: list[str] = []
    for procedure in library.procedures:
        for section in procedure.sections:
            chunks += section.chunks
        for faq in procedure.faqs:
            chunks += faq.chunks
    return chunks


def render_prompts(texts: list[str], out: Path, options: RenderOptions, *, progress: bool = True) -> FolderResult:
    """Render `texts` into the telephone audio folder `out` (see ivr.tts.render_folder)."""
    return render_folder(texts, out, options, progress=progress, label="Rendering prompts")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `prompts` command's options."""
    parser.add_argument("--out", default=None, help="audio folder (default: the AUDIO_DIR setting, prompts/audio)")
    add_voice_arguments(parser)
    parser.add_argument(
        "--restart-every",
        type=int,
        default=0,
        metavar="N",
        help="start a fresh TTS process after N files (default: 0, keep one for the whole run)",
    )


def main(args: argparse.Namespace) -> int:
    """Render the line's audio; 0 when every text has audio, 1 when some failed, 2 when the line cannot load."""
    from ivr.cli import tool_config
    from ivr.line import load_line

    try:
        config = tool_config()
        line = load_line(config)
    except (ConfigError, ContentError, PromptsError) as exc:
        print(exc, file=sys.stderr)
        return 2
    options = RenderOptions(
        voice=args.voice or config.tts_voice,
        rate=args.rate or config.tts_rate,
        format=TELEPHONE,
        timeout=args.timeout,
        restart_every=max(0, args.restart_every),
    )
    out = Path(args.out).resolve() if args.out else config.audio_dir
    print("Collecting every sentence the line can speak...", file=sys.stderr)
    started = time.monotonic()
    texts = collect_texts(line)
    print(f"{len(texts)} texts in {time.monotonic() - started:.1f} s.", file=sys.stderr)
    result = render_prompts(texts, out, options)
    report_failures(result)
    print(result.summary())
    return 1 if result.failures else 0


def report_failures(result: FolderResult) -> None:
    """List the texts that failed, and why, on stderr."""
    for failure in result.failures[:MAX_FAILURES_SHOWN]:
        text = failure.text if len(failure.text) <= 60 else failure.text[:57] + "..."
        print(f"failed: {text!r}: {failure.reason}", file=sys.stderr)
    if len(result.failures) > MAX_FAILURES_SHOWN:
        print(
            f"... and {len(result.failures) - MAX_FAILURES_SHOWN} more (see 'failed' in the manifest)", file=sys.stderr
        )
