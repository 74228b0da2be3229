"""`make audio-guide` (`python -m ivr audio-guide`): an accessible listening page per procedure.

For each procedure, every section and every FAQ answer is rendered to audio (web
quality: the engine's 22.05 kHz, no telephone conversion; content-addressed like the
prompts, so a re-run only renders what changed), and a static page shows, per part,
a heading, a player named after that heading and the same words as text. The pages
need no JavaScript, work with the keyboard alone and can go on the practice's website
as they are (serve .wav files as audio/wav).

Layout of the output folder:
  index.html              the list of procedures
  <procedure-id>/index.html
  audio/<hash>.wav        shared by every page, with audio/manifest.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from ivr.config import PROJECT_ROOT
from ivr.config import ConfigError
from ivr.content import ContentError
from ivr.content import Library
from ivr.content import Procedure
from ivr.content import load_library
from ivr.line import practice_name
from ivr.tts import WEB
from ivr.tts import FolderResult
from ivr.tts import RenderOptions
from ivr.tts import add_voice_arguments
from ivr.tts import atomic_write
from ivr.tts import render_folder

DEFAULT_OUT = PROJECT_ROOT / "build" / "audio-guide"
AUDIO_FOLDER = "audio"
PAGE = "index.html"
GENERATOR = "ivr audio-guide"

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body {
  margin: 0; background: #ffffff; color: #1a1a1a;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  font-size: 1.1875rem; line-height: 1.6;
}
header, main, footer { max-width: 44rem; margin: 0 auto; padding: 0.75rem 1.25rem; }
h1 { font-size: 2.1rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.6rem; line-height: 1.3; margin: 2.25rem 0 0.5rem; border-top: 2px solid #1a1a1a; padding-top: 1rem; }
h3 { font-size: 1.3rem; line-height: 1.35; margin: 1.75rem 0 0.5rem; }
p { margin: 0 0 1rem; }
a { color: #0b3d91; text-decoration: underline; text-underline-offset: 0.15em; }
a:visited { color: #4c2c92; }
a:hover { text-decoration-thickness: 3px; }
:focus { outline: 3px solid #1a1a1a; outline-offset: 3px; }
:focus:not(:focus-visible) { outline: none; }
:focus-visible { outline: 3px solid #1a1a1a; outline-offset: 3px; box-shadow: 0 0 0 7px #ffdd00; }
.skip-link {
  position: absolute; left: 1rem; top: -10rem; z-index: 10;
  background: #ffdd00; color: #1a1a1a; padding: 0.75rem 1rem; font-weight: 700;
}
.skip-link:focus { top: 1rem; }
main:focus { outline: none; box-shadow: none; }
audio { display: block; width: 100%; margin: 0.5rem 0 1rem; }
/* Focus sits on a control inside the player, so the player is :focus but never :focus-visible. */
audio:focus, audio:focus-within { outline: 3px solid #1a1a1a; outline-offset: 3px; box-shadow: 0 0 0 7px #ffdd00; }
.source { margin: 0 0 1.5rem; padding: 0.75rem 1rem; border-left: 6px solid #0b3d91; background: #f3f6fb; }
.source div { display: flex; flex-wrap: wrap; gap: 0 0.5rem; }
.source dt { font-weight: 700; }
.source dt::after { content: ":"; }
.source dd { margin: 0; }
.no-audio { font-style: italic; }
footer { border-top: 2px solid #1a1a1a; margin-top: 2.5rem; font-size: 1rem; }
ul.contents li, ul.procedures li { margin: 0.35rem 0; }
@media (prefers-reduced-motion: reduce) { * { scroll-behavior: auto; } }
""".strip()


@dataclass(frozen=True)
class Part:
    """One heading with its audio and its text: a section, or a question and its answer."""

    anchor: str
    heading: str
    text: str
    audio: str | None  # URL relative to the page, or None when rendering failed


@dataclass(frozen=True)
class GuideResult:
    audio: FolderResult
    pages: tuple[Path, ...]
    removed_pages: int

    def summary(self) -> str:
        """The audio summary, then the pages."""
        return (
            self.audio.summary()
            + f"\nPages:               {len(self.pages)} written ({self.removed_pages} stale removed); "
            + f"start at {self.pages[-1] if self.pages else '-'}"
        )


def guide_texts(library: Library) -> list[str]:
    """The texts the guide needs audio for: every section's text and every FAQ answer."""
    texts: list[str] = []
    for procedure in library.procedures:
        texts += [section.text for section in procedure.sections]
        texts += [faq.answer for faq in procedure.faqs]
    return texts


def sections_of(procedure: Procedure, files: Mapping[str, str]) -> tuple[list[Part], list[Part]]:
    """The procedure's sections and questions as parts, with audio URLs relative to its page."""

    def url(text: str) -> str | None:
        name = files.get(text)
        return f"../{AUDIO_FOLDER}/{name}" if name else None

    sections = [Part(f"section-{s.id}", s.title, s.text, url(s.text)) for s in procedure.sections]
    questions = [Part(f"question-{q.id}", q.question, q.answer, url(q.answer)) for q in procedure.faqs]
    return sections, questions


def paragraphs(text: str) -> str:
    """Text as HTML paragraphs (blank lines in the content separate them), escaped."""
    return "\n".join(f"<p>{escape(block)}</p>" for block in text.split("\n\n") if block.strip())


def part_html(part: Part, level: int) -> str:
    """A heading, a player named after it, and the text."""
    anchor = escape(part.anchor)
    if part.audio:
        source = escape(part.audio)
        player = (
            f'<audio controls preload="metadata" aria-labelledby="listen {anchor}">'
            f'<source src="{source}" type="audio/wav">'
            f'Your browser cannot play this recording. <a href="{source}">Download the recording</a>.'
            "</audio>"
        )
    else:
        player = '<p class="no-audio">No recording of this part yet; the text is below.</p>'
    return (
        f'<section aria-labelledby="{anchor}">\n'
        f'<h{level} id="{anchor}">{escape(part.heading)}</h{level}>\n'
        f"{player}\n{paragraphs(part.text)}\n</section>"
    )


def _date(value: dt.date | None) -> str:
    if value is None:
        return "not recorded"
    return f'<time datetime="{value.isoformat()}">{value.strftime("%B")} {value.day}, {value.year}</time>'


def source_html(procedure: Procedure, practice: str) -> str:
    """Where the information comes from: practice, physician, source, page date, last review."""
    rows = [
        ("Practice", escape(procedure.practice or practice or "not recorded")),
        ("Physician", escape(procedure.physician or "not recorded")),
        ("Source", escape(procedure.source or "not recorded")),
        ("Page date", _date(procedure.page_date)),
        ("Last reviewed", _date(procedure.reviewed)),
    ]
    items = "\n".join(f"<div><dt>{name}</dt><dd>{value}</dd></div>" for name, value in rows)
    return f'<dl class="source" aria-label="About this information">\n{items}\n</dl>'


def document(title: str, body: str) -> str:
    """A complete page: language, title, styles, the skip link and `body` (which holds <main id="main">)."""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="{GENERATOR}">\n'
        f"<title>{escape(title)}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n"
        '<a class="skip-link" href="#main">Skip to main content</a>\n'
        f"{body}\n</body>\n</html>\n"
    )


def procedure_page(procedure: Procedure, files: Mapping[str, str], practice: str) -> str:
    """The listening page for one procedure."""
    sections, questions = sections_of(procedure, files)
    owner = procedure.practice or practice
    contents = [f'<li><a href="#{escape(part.anchor)}">{escape(part.heading)}</a></li>' for part in sections]
    if questions:
        contents.append('<li><a href="#questions">Common questions</a></li>')
    body = [
        '<header><nav aria-label="Audio guides"><a href="../index.html">All audio guides</a></nav></header>',
        '<main id="main" tabindex="-1">',
        f"<h1>{escape(procedure.title)}</h1>",
        '<span id="listen" hidden>Listen:</span>',
        "<p>Each part of this page has a player to listen to it, followed by the same words as text.</p>",
        source_html(procedure, practice),
        '<nav aria-labelledby="contents-heading">',
        '<h2 id="contents-heading">On this page</h2>',
        f'<ul class="contents">\n{chr(10).join(contents)}\n</ul>',
        "</nav>",
        *(part_html(part, 2) for part in sections),
    ]
    if questions:
        body += [
            '<section aria-labelledby="questions">',
            '<h2 id="questions">Common questions</h2>',
            *(part_html(part, 3) for part in questions),
            "</section>",
        ]
    body += ["</main>", footer(owner)]
    title = f"{procedure.title}: audio guide" + (f" | {owner}" if owner else "")
    return document(title, "\n".join(body))


def footer(practice: str) -> str:
    who = f" from {escape(practice)}" if practice else ""
    return (
        f"<footer><p>Information{who}. The recordings are read by a computer voice; "
        "the text on this page is the same information.</p></footer>"
    )


def index_page(procedures: Sequence[Procedure], practice: str) -> str:
    """The list of procedure pages."""
    items = "\n".join(
        f'<li><a href="{escape(p.id)}/{PAGE}">{escape(p.title)}</a> '
        f"({len(p.sections)} parts, {len(p.faqs)} common questions)</li>"
        for p in procedures
    )
    body = "\n".join(
        [
            '<main id="main" tabindex="-1">',
            "<h1>Audio guides</h1>",
            f"<p>Listen to, or read, what {escape(practice or 'the practice')} tells patients "
            "about each procedure.</p>",
            f'<ul class="procedures">\n{items}\n</ul>',
            "</main>",
            footer(practice),
        ]
    )
    return document("Audio guides" + (f" | {practice}" if practice else ""), body)


def build_guide(
    library: Library, out: Path, options: RenderOptions, *, practice: str = "", progress: bool = True
) -> GuideResult:
    """Render the audio and write every page into `out`; remove pages of procedures that are gone."""
    out.mkdir(parents=True, exist_ok=True)
    audio = render_folder(guide_texts(library), out / AUDIO_FOLDER, options, progress=progress, label="Audio guide")
    pages: list[Path] = []
    for procedure in library.procedures:
        page = out / procedure.id / PAGE
        page.parent.mkdir(exist_ok=True)
        atomic_write(page, procedure_page(procedure, audio.files, practice).encode("utf-8"))
        pages.append(page)
    index = out / PAGE
    atomic_write(index, index_page(library.procedures, practice).encode("utf-8"))
    pages.append(index)
    removed = remove_stale_pages(out, {procedure.id for procedure in library.procedures})
    return GuideResult(audio, tuple(pages), removed)


def remove_stale_pages(out: Path, keep: set[str]) -> int:
    """Delete pages this command wrote for procedures that no longer exist (and their emptied folders)."""
    removed = 0
    for folder in out.iterdir():
        page = folder / PAGE
        if folder.name in keep or folder.name == AUDIO_FOLDER or folder.is_symlink() or not page.is_file():
            continue
        try:
            head = page.read_text(encoding="utf-8", errors="replace")[:1000]
        except OSError:
            continue
        if f'<meta name="generator" content="{GENERATOR}">' in head:
            page.unlink()
            removed += 1
            if not any(folder.iterdir()):
                folder.rmdir()
    return removed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `audio-guide` command's options."""
    parser.add_argument("--out", default=None, help="output folder (default: build/audio-guide)")
    add_voice_arguments(parser)


def main(args: argparse.Namespace) -> int:
    """Build the guide; 0 when every part has audio, 1 when some failed, 2 when the content cannot load."""
    from ivr.cli import tool_config

    try:
        config = tool_config()
        library = load_library(config.content_dir)
    except (ConfigError, ContentError) as exc:
        print(exc, file=sys.stderr)
        return 2
    options = RenderOptions(
        voice=args.voice or config.tts_voice, rate=args.rate or config.tts_rate, format=WEB, timeout=args.timeout
    )
    out = Path(args.out).resolve() if args.out else DEFAULT_OUT
    result = build_guide(library, out, options, practice=practice_name(library, config.practice_name))
    for failure in result.audio.failures:
        print(f"failed: {failure.text[:60]!r}: {failure.reason}", file=sys.stderr)
    print(result.summary())
    return 1 if result.audio.failures else 0
