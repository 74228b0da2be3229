"""Procedure pages: parse and validate the files in the content folder.

A content folder holds one Markdown file per procedure (see content/README.md for the
format), plus two optional data files: `synonyms.txt` (words callers use for the words
in the content) and `holidays.txt` (dates the office is closed).

Every problem is reported with the file, the line and what is wrong, and all of them
are reported at once, so whoever edits the content can fix a file in one pass.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

MAX_WORDS_PER_CHUNK = 120

QUESTIONS_HEADINGS = {"questions", "faq", "faqs", "frequently asked questions", "common questions"}
HEADER_FIELDS = {
    "spoken name": "spoken_name",
    "also called": "also_called",
    "practice": "practice",
    "physician": "physician",
    "source": "source",
    "page date": "page_date",
    "reviewed": "reviewed",
}
SECTION_FIELDS = {"menu name": "menu_name", "also asked": "also_asked", "key words": "keywords", "id": "id"}
FAQ_FIELDS = {"also asked": "also_asked", "key words": "keywords", "id": "id"}
# Marks that mean formatting rather than words: they would be read out, or dropped
# silently by text-to-speech, so the file must say what it means in plain words.
FORMATTING_MARKS = re.compile(r"[*_`<>\[\]{}|\\#]")
FIELD_LINE = re.compile(r"^([A-Za-z][A-Za-z ]{0,24}):(?:\s+(.*))?$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


@dataclass(frozen=True)
class ContentProblem:
    """One problem in one content file, located by line (0 when the whole file)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class ContentError(Exception):
    """The content folder has problems; the line must not start with it."""

    def __init__(self, errors: list[ContentProblem]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    menu_name: str
    text: str
    keywords: tuple[str, ...]
    chunks: tuple[str, ...]
    line: int
    also_asked: tuple[str, ...] = ()


@dataclass(frozen=True)
class Faq:
    id: str
    question: str
    answer: str
    also_asked: tuple[str, ...]
    keywords: tuple[str, ...]
    chunks: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Procedure:
    id: str
    title: str
    spoken_name: str
    also_called: tuple[str, ...]
    practice: str
    physician: str
    source: str
    page_date: dt.date | None
    reviewed: dt.date | None
    sections: tuple[Section, ...]
    faqs: tuple[Faq, ...]
    path: str


@dataclass(frozen=True)
class Holiday:
    date: dt.date
    name: str


@dataclass(frozen=True)
class Library:
    """Everything the line knows: procedures, and the data files beside them."""

    procedures: tuple[Procedure, ...]
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    holidays: tuple[Holiday, ...] = ()

    def procedure(self, index: int) -> Procedure | None:
        return self.procedures[index] if 0 <= index < len(self.procedures) else None


def chunk_text(text: str, max_words: int = MAX_WORDS_PER_CHUNK) -> tuple[str, ...]:
    """Split text into pieces of whole sentences, each at most `max_words` words.

    A sentence longer than the limit is split between words; nothing is dropped and
    every word keeps its spelling, so the chunks joined with spaces give the text.
    """
    chunks: list[str] = []
    current: list[str] = []
    for sentence in SENTENCE_END.split(" ".join(text.split())):
        words = sentence.split()
        while len(words) > max_words:
            if current:
                chunks.append(" ".join(current))
                current = []
            chunks.append(" ".join(words[:max_words]))
            words = words[max_words:]
        if current and len(current) + len(words) > max_words:
            chunks.append(" ".join(current))
            current = []
        current.extend(words)
    if current:
        chunks.append(" ".join(current))
    return tuple(chunks)


def slugify(text: str, max_length: int = 48) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length and slug:
            break
        slug = candidate
    return slug or "item"


def split_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass
class _Block:
    """A heading and what follows it, while the file is being read."""

    kind: str  # "section", "questions" or "faq"
    title: str
    line: int
    fields: dict[str, list[str]] = field(default_factory=dict)
    paragraphs: list[list[str]] = field(default_factory=list)
    body_started: bool = False

    def add_text(self, text: str) -> None:
        self.body_started = True
        if not self.paragraphs or not self.paragraphs[-1]:
            self.paragraphs.append([])
        self.paragraphs[-1].append(text)

    def end_paragraph(self) -> None:
        if self.paragraphs and self.paragraphs[-1]:
            self.paragraphs.append([])

    @property
    def text(self) -> str:
        return "\n\n".join(" ".join(lines) for lines in self.paragraphs if lines)


class _ProcedureReader:
    """Reads one procedure file line by line, collecting errors as it goes."""

    def __init__(self, path: Path, display_path: str) -> None:
        self.path = path
        self.display = display_path
        self.errors: list[ContentProblem] = []
        self.title = ""
        self.title_line = 0
        self.header: dict[str, str] = {}
        self.blocks: list[_Block] = []
        self.in_questions = False
        self.before_title_line = 0  # the first line of anything above the title

    def error(self, line: int, message: str) -> None:
        self.errors.append(ContentProblem(self.display, line, message))

    def read(self) -> Procedure | None:
        try:
            raw = self.path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            self.error(line, "the file is not UTF-8 text; save it as UTF-8")
            return None
        if not raw.strip():
            self.error(0, "the file is empty")
            return None
        self._read_lines(raw.splitlines())
        procedure = self._build()
        self.errors.sort(key=lambda error: error.line)
        return procedure

    def _read_lines(self, lines: list[str]) -> None:
        in_header = False
        for number, raw_line in enumerate(lines, start=1):
            line = unicodedata.normalize("NFC", raw_line).strip()
            if not line:
                if self.blocks:
                    self.blocks[-1].end_paragraph()
                continue
            heading = re.match(r"^(#+)\s*(.*)$", line)
            if heading:
                in_header = self._heading(number, len(heading.group(1)), heading.group(2).strip())
                continue
            if not self.title:
                self.before_title_line = self.before_title_line or number
                continue
            if in_header and not self.blocks:
                self._header_field(number, line)
                continue
            if not self.blocks:
                self.error(number, "text outside a section; put it under a '## <section>' heading")
                continue
            self._block_line(number, line)

    def _heading(self, number: int, level: int, title: str) -> bool:
        """Handle a heading line; returns True when a header block may follow."""
        if not title:
            self.error(number, "a heading with no words")
            return False
        if level == 1:
            if self.title:
                self.error(number, f"a second title '{title}'; a file holds one procedure")
                return False
            self.title, self.title_line = title, number
            return True
        if not self.title:
            # Reported once, when the whole file has been read: one missing title is one problem.
            self.before_title_line = self.before_title_line or number
            return False
        if level == 2:
            is_questions = title.lower().rstrip(":") in QUESTIONS_HEADINGS
            self.in_questions = is_questions
            self.blocks.append(_Block("questions" if is_questions else "section", title, number))
            return False
        if level == 3:
            if not self.in_questions:
                self.error(number, f"question '{title}' is outside the '## Questions' section")
            self.blocks.append(_Block("faq", title, number))
            return False
        self.error(number, f"heading level {level} is not used; use ## for sections and ### for questions")
        return False

    def _header_field(self, number: int, line: str) -> None:
        match = FIELD_LINE.match(line)
        key = match.group(1).strip().lower() if match else ""
        if key not in HEADER_FIELDS:
            known = ", ".join(name.capitalize() for name in HEADER_FIELDS)
            self.error(number, f"unknown field in the header: {line!r} (known fields: {known})")
            return
        value = (match.group(2) or "").strip() if match else ""
        name = HEADER_FIELDS[key]
        if name in self.header:
            self.error(number, f"field '{match.group(1)}' is given twice" if match else "duplicate field")
        self.header[name] = value
        if name in {"page_date", "reviewed"} and value and _parse_date(value) is None:
            self.error(number, f"'{value}' is not a date; write it as YYYY-MM-DD")

    def _block_line(self, number: int, line: str) -> None:
        block = self.blocks[-1]
        known = FAQ_FIELDS if block.kind == "faq" else SECTION_FIELDS
        match = FIELD_LINE.match(line)
        key = match.group(1).strip().lower() if match else ""
        if match and key in known:
            if block.body_started:
                self.error(number, f"field '{match.group(1)}' must come right after the heading, before the text")
                return
            block.fields.setdefault(known[key], []).append((match.group(2) or "").strip())
            return
        if match and not block.body_started and _looks_like_field(key, known):
            names = ", ".join(name.capitalize() for name in known)
            self.error(number, f"unknown field {match.group(1)!r} (fields here: {names})")
            return
        if block.kind == "questions":
            self.error(number, "text directly under '## Questions'; each question needs a '### <question>' heading")
            return
        mark = FORMATTING_MARKS.search(line)
        if mark:
            self.error(number, f"formatting mark {mark.group()!r} in spoken text; write plain words instead")
        block.add_text(line[2:].strip() if line.startswith("- ") else line)

    def _also_asked(self, block: _Block) -> tuple[str, ...]:
        """The block's extra phrasings; one given twice, or the same as the heading, is a mistake."""
        seen = {question_key(block.title): block.line}
        phrasings = []
        for value in block.fields.get("also_asked", []):
            if not value:
                continue
            key = question_key(value)
            if key in seen:
                self.error(block.line, f"'{block.title}' lists 'Also asked: {value}' twice (or as its own heading)")
                continue
            seen[key] = block.line
            phrasings.append(value)
        return tuple(phrasings)

    def _build(self) -> Procedure | None:
        if not self.title:
            self.error(self.before_title_line or 1, "missing title; the file must start with '# <procedure name>'")
            return None
        if self.before_title_line:
            self.error(self.before_title_line, "text before the title; the file must start with '# <procedure name>'")
        procedure_id = self.path.stem
        if not SLUG.match(procedure_id):
            self.error(0, "the file name must be lower-case words joined by hyphens, like 'knee-injection.md'")
        sections = self._sections()
        faqs = self._faqs()
        if not sections and not faqs:
            self.error(self.title_line, "the procedure has no sections and no questions")
        return Procedure(
            id=procedure_id,
            title=self.title,
            spoken_name=self.header.get("spoken_name") or self.title,
            also_called=split_list(self.header.get("also_called", "")),
            practice=self.header.get("practice", ""),
            physician=self.header.get("physician", ""),
            source=self.header.get("source", ""),
            page_date=_parse_date(self.header.get("page_date", "")),
            reviewed=_parse_date(self.header.get("reviewed", "")),
            sections=tuple(sections),
            faqs=tuple(faqs),
            path=self.display,
        )

    def _sections(self) -> list[Section]:
        sections: list[Section] = []
        seen_titles: dict[str, int] = {}
        seen_ids: dict[str, int] = {}
        for block in self.blocks:
            if block.kind == "questions":
                if not any(other.kind == "faq" for other in self.blocks):
                    self.error(block.line, "the Questions section has no questions")
                continue
            if block.kind != "section":
                continue
            if not block.text:
                self.error(block.line, f"empty section '{block.title}'")
                continue
            key = block.title.lower()
            section_id = _single(self, block, "id") or slugify(block.title)
            if key in seen_titles:
                self.error(block.line, f"section '{block.title}' is already on line {seen_titles[key]}")
            elif section_id in seen_ids:  # a repeated title already explains a repeated id
                self.error(block.line, f"section id '{section_id}' is already used on line {seen_ids[section_id]}")
            if not SLUG.match(section_id):
                self.error(block.line, f"id '{section_id}' must be lower-case words joined by hyphens")
            seen_titles[key] = block.line
            seen_ids[section_id] = block.line
            sections.append(
                Section(
                    id=section_id,
                    title=block.title,
                    menu_name=_single(self, block, "menu_name") or block.title[0].lower() + block.title[1:],
                    text=block.text,
                    keywords=_list_field(block, "keywords"),
                    chunks=chunk_text(block.text),
                    line=block.line,
                    also_asked=self._also_asked(block),
                )
            )
        return sections

    def _faqs(self) -> list[Faq]:
        faqs: list[Faq] = []
        seen_questions: dict[str, int] = {}
        seen_ids: dict[str, int] = {}
        for block in self.blocks:
            if block.kind != "faq":
                continue
            if not block.text:
                self.error(block.line, f"question '{block.title}' has no answer")
                continue
            key = question_key(block.title)
            faq_id = _single(self, block, "id") or slugify(block.title)
            if key in seen_questions:
                self.error(block.line, f"duplicate question '{block.title}' (also on line {seen_questions[key]})")
            elif faq_id in seen_ids:  # a repeated question already explains a repeated id
                self.error(block.line, f"question id '{faq_id}' is already used on line {seen_ids[faq_id]}")
            if not SLUG.match(faq_id):
                self.error(block.line, f"id '{faq_id}' must be lower-case words joined by hyphens")
            seen_questions[key] = block.line
            seen_ids[faq_id] = block.line
            faqs.append(
                Faq(
                    id=faq_id,
                    question=block.title,
                    answer=block.text,
                    also_asked=self._also_asked(block),
                    keywords=_list_field(block, "keywords"),
                    chunks=chunk_text(block.text),
                    line=block.line,
                )
            )
        return faqs


def _looks_like_field(key: str, known: dict[str, str]) -> bool:
    """A line like 'Keywords: ...' right under a heading is a misspelt field, not text."""
    compact = key.replace(" ", "")
    candidates = [name.replace(" ", "") for name in known]
    return bool(difflib.get_close_matches(compact, candidates, n=1, cutoff=0.75))


def _single(reader: _ProcedureReader, block: _Block, name: str) -> str:
    values = block.fields.get(name, [])
    if len(values) > 1:
        reader.error(block.line, f"'{block.title}' gives the field '{name.replace('_', ' ')}' more than once")
    return values[0] if values else ""


def _list_field(block: _Block, name: str) -> tuple[str, ...]:
    return tuple(item for value in block.fields.get(name, []) for item in split_list(value))


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def question_key(question: str) -> str:
    """The form of a question used to spot duplicates: case, spacing and punctuation aside."""
    return " ".join(re.findall(r"[a-z0-9']+", question.lower()))


def read_procedure(path: Path, display_path: str | None = None) -> tuple[Procedure | None, list[ContentProblem]]:
    reader = _ProcedureReader(path, display_path or str(path))
    procedure = reader.read()
    return procedure, reader.errors


def _data_lines(path: Path, display_path: str, errors: list[ContentProblem]) -> list[str]:
    """The lines of a data file, or none (and a problem) when it is not UTF-8 text."""
    try:
        return path.read_bytes().decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        errors.append(ContentProblem(display_path, line, "the file is not UTF-8 text; save it as UTF-8"))
        return []


def read_synonyms(
    path: Path, display_path: str
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], list[ContentProblem]]:
    """Read lines of the form `canonical: variant, variant` (# starts a comment)."""
    errors: list[ContentProblem] = []
    groups: list[tuple[str, tuple[str, ...]]] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(_data_lines(path, display_path, errors), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        canonical, colon, rest = line.partition(":")
        variants = split_list(rest)
        if not colon or not canonical.strip() or not variants:
            errors.append(ContentProblem(display_path, number, "expected 'word: other word, other word'"))
            continue
        canonical = canonical.strip().lower()
        for variant in variants:
            key = variant.lower()
            if key in seen:
                errors.append(
                    ContentProblem(display_path, number, f"'{variant}' is already listed on line {seen[key]}")
                )
            seen[key] = number
        groups.append((canonical, tuple(variant.lower() for variant in variants)))
    return tuple(groups), errors


def read_holidays(path: Path, display_path: str) -> tuple[tuple[Holiday, ...], list[ContentProblem]]:
    """Read lines of the form `YYYY-MM-DD name of the day` (# starts a comment)."""
    errors: list[ContentProblem] = []
    holidays: list[Holiday] = []
    seen: dict[dt.date, int] = {}
    for number, raw in enumerate(_data_lines(path, display_path, errors), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        date_text, _, name = line.partition(" ")
        date = _parse_date(date_text)
        if date is None:
            errors.append(ContentProblem(display_path, number, f"'{date_text}' is not a date; write YYYY-MM-DD"))
            continue
        if date in seen:
            errors.append(ContentProblem(display_path, number, f"{date} is already listed on line {seen[date]}"))
        seen[date] = number
        holidays.append(Holiday(date, name.strip()))
    return tuple(sorted(holidays, key=lambda holiday: holiday.date)), errors


def load_library(content_dir: Path) -> Library:
    """Read and validate a content folder; raise ContentError listing every problem."""
    errors: list[ContentProblem] = []
    if not content_dir.is_dir():
        raise ContentError([ContentProblem(str(content_dir), 0, "the content folder does not exist")])
    procedures: list[Procedure] = []
    question_lines: dict[str, tuple[str, int]] = {}
    for path in sorted(content_dir.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        display = _display_path(path)
        procedure, file_errors = read_procedure(path, display)
        errors.extend(file_errors)
        if procedure is None:
            continue
        for faq in procedure.faqs:
            key = question_key(faq.question)
            other_path, other_line = question_lines.setdefault(key, (display, faq.line))
            if other_path != display:  # a repeat within one file is reported by read_procedure
                errors.append(
                    ContentProblem(display, faq.line, f"question '{faq.question}' is also in {other_path}:{other_line}")
                )
        procedures.append(procedure)
    if not procedures and not errors:
        errors.append(ContentProblem(str(content_dir), 0, "no procedure files (*.md) in the content folder"))
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    holidays: tuple[Holiday, ...] = ()
    synonyms_path = content_dir / "synonyms.txt"
    if synonyms_path.is_file():
        synonyms, more = read_synonyms(synonyms_path, _display_path(synonyms_path))
        errors.extend(more)
    holidays_path = content_dir / "holidays.txt"
    if holidays_path.is_file():
        holidays, more = read_holidays(holidays_path, _display_path(holidays_path))
        errors.extend(more)
    if errors:
        raise ContentError(errors)
    return Library(tuple(procedures), synonyms, holidays)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
