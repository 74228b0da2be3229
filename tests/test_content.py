"""Tests for ivr.content: the bundled procedure page, chunking, and every validation message."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import FIXTURES

from ivr.content import MAX_WORDS_PER_CHUNK
from ivr.content import ContentError
from ivr.content import ContentProblem
from ivr.content import Library
from ivr.content import Procedure
from ivr.content import chunk_text
from ivr.content import load_library

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = PROJECT_ROOT / "content"
# A copy of the practice's source page (../shared/seed), so the wording checks always run.
SEED = Path(__file__).parent / "fixtures" / "seed" / "intrathecal-pump.txt"
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

SECTION_IDS = [
    "what-it-is-and-how-it-helps",
    "the-trial-phase",
    "the-surgery",
    "risks",
    "preparation",
    "recovery-and-aftercare",
    "who-it-is-for",
]
FAQ_IDS = ["candidate", "risks", "recovery", "what-is-it", "preparation"]

# A small valid page; the line numbers in the error cases below refer to it.
GOOD = """\
# Knee joint injection

Spoken name: knee joint injection
Also called: knee shot, knee injection
Practice: Anchor Healthcare
Physician: Test Fixture MD
Page date: 2026-01-15
Reviewed: 2026-02-01

## What it is
Menu name: what the injection is
Key words: shot, knee joint

A knee joint injection is a test fixture. It is not medical advice.

## Questions

### How long does the visit take?
Id: visit-length
Also asked: How long is the appointment?
Also asked: How much time should I plan for?
Key words: how long, visit length

The fixture visit takes thirty minutes.
"""


def sentences(text: str) -> list[str]:
    """The sentences of a text, split after . ! or ? and whitespace."""
    return [sentence for sentence in SENTENCE_END.split(" ".join(text.split())) if sentence]


def spoken_texts(procedure: Procedure) -> list[str]:
    """Every section text and every answer of a procedure."""
    return [section.text for section in procedure.sections] + [faq.answer for faq in procedure.faqs]


def write(folder: Path, text: str, name: str = "knee-injection.md") -> Path:
    """Write a content file exactly as given (no newline translation)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def problems_in(folder: Path) -> list[ContentProblem]:
    """The problems load_library reports for a folder (failing the test if it loads)."""
    with pytest.raises(ContentError) as caught:
        load_library(folder)
    assert str(caught.value) == "\n".join(str(problem) for problem in caught.value.errors)
    return caught.value.errors


@pytest.fixture(scope="module")
def bundled() -> Library:
    """The bundled content folder, loaded once."""
    return load_library(CONTENT_DIR)


@pytest.fixture(scope="module")
def pump(bundled: Library) -> Procedure:
    return bundled.procedures[0]


class SeedPage(NamedTuple):
    """The practice's approved page, as crawled: the source of all medical wording."""

    physician: str
    practice: str
    title: str
    timestamp: int
    body: list[str]
    faqs: list[tuple[str, str]]

    @property
    def sentences(self) -> list[str]:
        """Every sentence of the body and of the answers, in page order."""
        return [s for text in [*self.body, *(answer for _, answer in self.faqs)] for s in sentences(text)]


@pytest.fixture(scope="module")
def seed() -> SeedPage:
    """The seed page: a blank line, physician, practice, title, timestamp, body, "FAQs", then Q/A lines."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    faqs_at = lines.index("FAQs")
    faq_lines = lines[faqs_at + 1 :]
    assert len(faq_lines) % 2 == 0, "the seed's FAQ part alternates question and answer lines"
    return SeedPage(
        physician=lines[1],
        practice=lines[2],
        title=lines[3],
        timestamp=int(lines[4]),
        body=[line for line in lines[5:faqs_at] if line.strip()],
        faqs=list(zip(faq_lines[::2], faq_lines[1::2], strict=True)),
    )


# The bundled page.


def test_bundled_folder_has_one_procedure(bundled: Library) -> None:
    """The bundled folder holds the intrathecal pump page (README.md is not read as a procedure) and holidays."""
    assert [procedure.id for procedure in bundled.procedures] == ["intrathecal-pump"]
    assert dt.date(2026, 12, 25) in {holiday.date for holiday in bundled.holidays}


def test_bundled_sections_in_order(pump: Procedure) -> None:
    """The seven sections keep the file's order and get ids from their titles."""
    assert [section.id for section in pump.sections] == SECTION_IDS
    assert pump.sections[0].title == "What it is and how it helps"
    assert pump.sections[0].menu_name == "what the pump is and how it helps"
    assert "spasticity" in pump.sections[0].keywords


def test_bundled_faqs_with_ids(pump: Procedure) -> None:
    """The five questions keep their order and their Id: lines, with every Also asked line."""
    assert [faq.id for faq in pump.faqs] == FAQ_IDS
    candidate = pump.faqs[0]
    assert candidate.question == "How do I know if I am a candidate for an intrathecal pump?"
    assert len(candidate.also_asked) >= 5
    assert candidate.also_asked[0] == "Am I a good candidate for the pump?"
    assert "trial results" in candidate.keywords


def test_bundled_source_data(pump: Procedure) -> None:
    """The header keeps where the wording came from: practice, physician, page date."""
    assert pump.title == "Intrathecal pump implantation"
    assert pump.spoken_name == "intrathecal pump implantation"
    assert "pain pump" in pump.also_called
    assert pump.practice == "Anchor Healthcare"
    assert pump.physician == "Robert Moghim MD"
    assert pump.page_date == dt.date(2025, 5, 10)
    assert pump.reviewed is not None
    assert pump.reviewed >= pump.page_date


def test_bundled_synonyms(bundled: Library) -> None:
    """synonyms.txt is read into lower-case groups, comments skipped."""
    groups = dict(bundled.synonyms)
    assert "warfarin" in groups["blood thinner"]
    assert groups["abdomen"] == ("belly", "stomach", "tummy")


# The medical wording is the approved page's, word for word.


def test_source_matches_seed(pump: Procedure, seed: SeedPage) -> None:
    """Practice, physician and page date agree with the seed page's header."""
    assert pump.practice == seed.practice
    assert pump.physician == seed.physician
    assert pump.title.lower() == seed.title.lower()
    assert pump.page_date == dt.datetime.fromtimestamp(seed.timestamp, dt.UTC).date()


def test_every_seed_sentence_is_in_the_content(pump: Procedure, seed: SeedPage) -> None:
    """Every sentence of the seed's body and answers is in some section or answer, exactly."""
    content_sentences = {s for text in spoken_texts(pump) for s in sentences(text)}
    missing = [sentence for sentence in seed.sentences if sentence not in content_sentences]
    assert not missing, "seed sentences missing or reworded in the content file"


def test_every_content_sentence_comes_from_the_seed(pump: Procedure, seed: SeedPage) -> None:
    """No section or answer says anything the seed page does not say, word for word."""
    added = [s for text in spoken_texts(pump) for s in sentences(text) if s not in seed.sentences]
    assert not added, "sentences not on the approved page"


def test_seed_sentences_are_in_the_file_byte_for_byte(seed: SeedPage) -> None:
    """The file's bytes hold each seed sentence's UTF-8 bytes (curly apostrophes included)."""
    raw = (CONTENT_DIR / "intrathecal-pump.md").read_bytes()
    missing = [sentence for sentence in seed.sentences if sentence.encode("utf-8") not in raw]
    assert not missing


def test_questions_and_answers_match_the_seed(pump: Procedure, seed: SeedPage) -> None:
    """Each question is the seed's, in order, with the seed's own answer under it."""
    assert [(faq.question, faq.answer) for faq in pump.faqs] == seed.faqs


# Chunking: how much is read at a time.


def test_bundled_chunks_fit_and_rejoin(pump: Procedure) -> None:
    """No bundled chunk is over the word limit, and the chunks joined give the text."""
    for item_text, chunks in [(s.text, s.chunks) for s in pump.sections] + [(f.answer, f.chunks) for f in pump.faqs]:
        assert all(len(chunk.split()) <= MAX_WORDS_PER_CHUNK for chunk in chunks)
        assert " ".join(chunks) == " ".join(item_text.split())


def words(count: int, start: int = 0) -> str:
    """`count` distinct words, w<start> onwards."""
    return " ".join(f"w{index}" for index in range(start, start + count))


@pytest.mark.parametrize(
    ("text", "max_words", "sizes"),
    [
        pytest.param("", 120, [], id="empty"),
        pytest.param("One short sentence.", 120, [3], id="one-sentence"),
        pytest.param(". ".join([words(50)] * 5) + ".", 120, [100, 100, 50], id="sentences-grouped"),
        pytest.param(words(250) + ".", 120, [120, 120, 10], id="long-sentence-split-between-words"),
        pytest.param(f"{words(3)}. {words(300, 3)}. {words(4, 303)}.", 120, [3, 120, 120, 64], id="long-in-middle"),
        pytest.param("Tiny one. Tiny two! Tiny three? Tiny four.", 4, [4, 4], id="small-limit"),
        pytest.param("First line\nsame sentence.\n\nNext paragraph.", 120, [6], id="line-breaks"),
    ],
)
def test_chunk_text(text: str, max_words: int, sizes: list[int]) -> None:
    """Chunks are whole sentences up to the limit; an over-long sentence is split between words."""
    chunks = chunk_text(text, max_words)
    assert [len(chunk.split()) for chunk in chunks] == sizes
    assert " ".join(chunks) == " ".join(text.split())


def test_chunks_end_at_sentence_ends() -> None:
    """When sentences fit, every chunk ends where a sentence ends."""
    text = " ".join(f"Sentence {n} has a few more words in it." for n in range(40))
    chunks = chunk_text(text)
    assert len(chunks) > 1
    assert all(chunk.endswith(".") for chunk in chunks)


# Parsing details.


def test_good_page_parses(tmp_path: Path) -> None:
    """The small page used below is valid, with its fields, lists and defaults."""
    write(tmp_path, GOOD)
    (procedure,) = load_library(tmp_path).procedures
    assert procedure.id == "knee-injection"
    assert procedure.also_called == ("knee shot", "knee injection")
    assert procedure.source == ""
    (section,) = procedure.sections
    assert (section.id, section.menu_name, section.keywords) == (
        "what-it-is",
        "what the injection is",
        ("shot", "knee joint"),
    )
    (faq,) = procedure.faqs
    assert faq.also_asked == ("How long is the appointment?", "How much time should I plan for?")
    assert faq.line == 18


@pytest.mark.parametrize(
    ("text", "section_text"),
    [
        pytest.param(
            GOOD.replace("\n", "\r\n"), "A knee joint injection is a test fixture. It is not medical advice.", id="crlf"
        ),
        pytest.param("\ufeff" + GOOD, "A knee joint injection is a test fixture. It is not medical advice.", id="bom"),
        pytest.param(
            GOOD.replace("A knee", "- A knee"),
            "A knee joint injection is a test fixture. It is not medical advice.",
            id="bullet",
        ),
        pytest.param(
            GOOD.replace("fixture. It", "fixture.\n\nIt"),
            "A knee joint injection is a test fixture.\n\nIt is not medical advice.",
            id="paragraphs",
        ),
    ],
)
def test_text_forms_accepted(tmp_path: Path, text: str, section_text: str) -> None:
    """Windows line ends, a byte-order mark, '- ' bullets and paragraphs read as plain text."""
    write(tmp_path, text)
    assert load_library(tmp_path).procedures[0].sections[0].text == section_text


def test_section_defaults_and_id(tmp_path: Path) -> None:
    """Without Menu name the title is used; an Id: line sets the section's id."""
    write(tmp_path, GOOD.replace("Menu name: what the injection is\n", "Id: about\n"))
    section = load_library(tmp_path).procedures[0].sections[0]
    assert (section.id, section.menu_name) == ("about", "what it is")


# Validation: each problem names the file, the line and what is wrong.

ERROR_CASES = [
    pytest.param(GOOD.replace("# Knee joint injection\n\n", ""), 1, "missing title", id="missing-title"),
    pytest.param(
        GOOD.replace("A knee joint injection is a test fixture. It is not medical advice.\n", ""),
        10,
        "empty section 'What it is'",
        id="empty-section",
    ),
    pytest.param(
        GOOD + "\n### How long does the visit take?\nId: again\n\nSame.\n",
        26,
        "duplicate question 'How long does the visit take?' (also on line 18)",
        id="duplicate-question",
    ),
    pytest.param(
        GOOD + "\n### HOW LONG does the visit take\nId: again\n\nSame.\n",
        26,
        "duplicate question",
        id="duplicate-question-case-and-punctuation",
    ),
    pytest.param(
        GOOD + "\n### How long does the visit take?\n\nSame.\n",
        26,
        "duplicate question",
        id="duplicate-question-same-id",
    ),
    pytest.param(
        GOOD + "\n### Is it quick?\nId: visit-length\n\nYes.\n",
        26,
        "question id 'visit-length' is already used on line 18",
        id="duplicate-question-id",
    ),
    pytest.param(GOOD + "\n### Does it hurt?\n", 26, "question 'Does it hurt?' has no answer", id="question-no-answer"),
    pytest.param(
        GOOD.replace("## Questions\n", "### Does it hurt?\n\nA little.\n\n## Questions\n"),
        16,
        "outside the '## Questions' section",
        id="question-outside-questions",
    ),
    pytest.param(
        GOOD.replace("Physician:", "Doctor:"),
        6,
        "unknown field in the header: 'Doctor: Test Fixture MD'",
        id="unknown-header-field",
    ),
    pytest.param(
        GOOD.replace("Key words: shot", "Keywords: shot"), 12, "unknown field 'Keywords'", id="misspelt-section-field"
    ),
    pytest.param(
        GOOD.replace("Key words: how long", "Keywords: how long"),
        22,
        "unknown field 'Keywords'",
        id="misspelt-question-field",
    ),
    pytest.param(
        GOOD.replace("Also asked: How long", "Also ask: How long"),
        20,
        "unknown field 'Also ask'",
        id="misspelt-also-asked",
    ),
    pytest.param(GOOD.replace("is a test", "is a **test**"), 14, "formatting mark '*'", id="bold"),
    pytest.param(GOOD.replace("is a test", "is a _test_"), 14, "formatting mark '_'", id="italic"),
    pytest.param(GOOD.replace("is a test", "is a [test](https://example.org)"), 14, "formatting mark '['", id="link"),
    pytest.param(GOOD.replace("is a test", "is a <b>test</b>"), 14, "formatting mark '<'", id="html"),
    pytest.param(GOOD.replace("thirty minutes", "`thirty` minutes"), 24, "formatting mark '`'", id="mark-in-answer"),
    pytest.param(
        GOOD.replace("2026-01-15", "15 January 2026"),
        7,
        "'15 January 2026' is not a date; write it as YYYY-MM-DD",
        id="bad-page-date",
    ),
    pytest.param(
        GOOD.replace("2026-02-01", "2026-02-30"), 8, "'2026-02-30' is not a date", id="impossible-reviewed-date"
    ),
    pytest.param("", 0, "the file is empty", id="empty-file"),
    pytest.param(" \n\n\t\n", 0, "the file is empty", id="blank-file"),
    pytest.param("Draft, do not use.\nAsk Jane first.\n\n" + GOOD, 1, "text before the title", id="text-before-title"),
    pytest.param(GOOD + "\n#### A detail\n", 26, "heading level 4 is not used", id="heading-level-4"),
    pytest.param(GOOD + "\n# Hip injection\n", 26, "a second title 'Hip injection'", id="second-title"),
    pytest.param(GOOD + "\n##\n", 26, "a heading with no words", id="empty-heading"),
    pytest.param(
        GOOD.replace("## Questions\n", "## Questions\nAsk us anything.\n"),
        17,
        "text directly under '## Questions'",
        id="text-under-questions",
    ),
    pytest.param(
        GOOD.split("### How")[0], 16, "the Questions section has no questions", id="questions-without-questions"
    ),
    pytest.param(
        GOOD.replace("advice.\n", "advice.\nKey words: late\n"),
        15,
        "must come right after the heading",
        id="field-after-text",
    ),
    pytest.param(
        GOOD.replace("Id: visit-length", "Id: Visit Length"),
        18,
        "id 'Visit Length' must be lower-case words",
        id="bad-question-id",
    ),
    pytest.param(
        GOOD.replace("Menu name:", "Id: What It Is\nMenu name:"),
        10,
        "id 'What It Is' must be lower-case words",
        id="bad-section-id",
    ),
    pytest.param(
        GOOD.replace("Practice: Anchor Healthcare\n", "Practice: Anchor Healthcare\nPractice: Other\n"),
        6,
        "field 'Practice' is given twice",
        id="header-field-twice",
    ),
    pytest.param(
        GOOD.replace("Menu name: what the injection is\n", "Menu name: one\nMenu name: two\n"),
        10,
        "more than once",
        id="section-field-twice",
    ),
    pytest.param(
        GOOD + "\n## What it is\n\nAgain.\n", 26, "section 'What it is' is already on line 10", id="duplicate-section"
    ),
    pytest.param(
        GOOD + "\n## What it is not\nId: what-it-is\n\nAgain.\n",
        26,
        "section id 'what-it-is' is already used on line 10",
        id="duplicate-section-id",
    ),
    pytest.param(
        "# Knee joint injection\n\nPractice: Anchor Healthcare\n", 1, "no sections and no questions", id="title-only"
    ),
]


@pytest.mark.parametrize(("text", "line", "fragment"), ERROR_CASES)
def test_content_error(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    """A broken page gives exactly one problem, naming the file, the line and what is wrong."""
    path = write(tmp_path, text)
    (problem,) = problems_in(tmp_path)
    assert (problem.path, problem.line) == (str(path), line)
    assert fragment in problem.message
    where = f"{path}:{line}: " if line else f"{path}: "
    assert str(problem).startswith(where)


@pytest.mark.parametrize("name", ["Knee-Injection.md", "knee_injection.md", "knee injection.md", "-knee.md"])
def test_bad_file_name(tmp_path: Path, name: str) -> None:
    """A file name that is not lower-case words joined by hyphens is refused."""
    path = write(tmp_path, GOOD, name)
    (problem,) = problems_in(tmp_path)
    assert (problem.path, problem.line) == (str(path), 0)
    assert "lower-case words joined by hyphens" in problem.message


def test_non_utf8_file(tmp_path: Path) -> None:
    """A file saved in another encoding is refused at the line of the first bad byte."""
    path = tmp_path / "knee-injection.md"
    path.write_bytes(GOOD.replace("thirty minutes", "thirty minutes, caf\u00e9").encode("latin-1"))
    (problem,) = problems_in(tmp_path)
    assert (problem.path, problem.line) == (str(path), 24)
    assert "not UTF-8" in problem.message


def test_duplicate_question_across_files(tmp_path: Path) -> None:
    """The same question in two files is reported in the second, pointing at the first."""
    first = write(tmp_path, GOOD, "a-knee.md")
    second = write(tmp_path, GOOD.replace("Id: visit-length", "Id: visit-time"), "b-knee.md")
    (problem,) = problems_in(tmp_path)
    assert (problem.path, problem.line) == (str(second), 18)
    assert problem.message == f"question 'How long does the visit take?' is also in {first}:18"


def test_empty_folder(tmp_path: Path) -> None:
    """A folder with no procedure files, or no folder at all, is refused."""
    (problem,) = problems_in(tmp_path)
    assert "no procedure files" in problem.message
    (problem,) = problems_in(tmp_path / "missing")
    assert "does not exist" in problem.message


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    """Every problem in every file is reported in one go, in line order within a file."""
    broken = (
        GOOD.replace("2026-01-15", "soon")
        .replace("Key words: shot", "Keywords: shot")
        .replace("is a test", "is a *test*")
        .replace("## Questions\n", "## Questions\n\n### Does it hurt?\n")
    )
    knee = write(tmp_path, broken)
    hip = write(tmp_path, "# Hip injection\n\n## About\n\nText.\n\n## Empty\n\n#### Deep\n", "hip-injection.md")
    (tmp_path / "holidays.txt").write_text("2026-12-25 Christmas Day\nsoon Party\n", encoding="utf-8")
    found = [(problem.path, problem.line) for problem in problems_in(tmp_path)]
    assert found == [
        (str(hip), 7),
        (str(hip), 9),
        (str(knee), 7),
        (str(knee), 12),
        (str(knee), 14),
        (str(knee), 18),
        (str(tmp_path / "holidays.txt"), 2),
    ]


# The data files beside the pages, and a folder with two procedures.


def test_two_procedure_fixture() -> None:
    """The two-procedure folder loads both pages, in file-name order, and its holidays."""
    library = load_library(FIXTURES / "two-procedures")
    assert [procedure.id for procedure in library.procedures] == ["intrathecal-pump", "knee-injection"]
    assert library.procedure(1).faqs[0].id == "visit-length"
    assert library.procedure(2) is None
    assert [(holiday.date, holiday.name) for holiday in library.holidays] == [
        (dt.date(2026, 12, 25), "Christmas Day"),
        (dt.date(2027, 1, 1), "New Year's Day"),
    ]
    assert library.synonyms


def test_data_files_read(tmp_path: Path) -> None:
    """Comments, blank lines and a byte-order mark are skipped; holidays are sorted by date."""
    write(tmp_path, GOOD)
    (tmp_path / "synonyms.txt").write_text("\ufeff# notes\n\nShot: Jab, poke  # a comment\n", encoding="utf-8")
    (tmp_path / "holidays.txt").write_text("\ufeff2027-01-01 New Year's Day\n# notes\n2026-12-25\n", encoding="utf-8")
    library = load_library(tmp_path)
    assert library.synonyms == (("shot", ("jab", "poke")),)
    assert [(holiday.date.isoformat(), holiday.name) for holiday in library.holidays] == [
        ("2026-12-25", ""),
        ("2027-01-01", "New Year's Day"),
    ]


@pytest.mark.parametrize(
    ("file_name", "text", "line", "fragment"),
    [
        pytest.param(
            "synonyms.txt", "shot jab\n", 1, "expected 'word: other word, other word'", id="synonyms-no-colon"
        ),
        pytest.param("synonyms.txt", "# notes\nshot:\n", 2, "expected 'word:", id="synonyms-no-variants"),
        pytest.param("synonyms.txt", ": jab\n", 1, "expected 'word:", id="synonyms-no-word"),
        pytest.param(
            "synonyms.txt", "shot: jab\nneedle: Jab\n", 2, "'Jab' is already listed on line 1", id="synonyms-twice"
        ),
        pytest.param(
            "holidays.txt",
            "25/12/2026 Christmas\n",
            1,
            "'25/12/2026' is not a date; write YYYY-MM-DD",
            id="holiday-bad-date",
        ),
        pytest.param(
            "holidays.txt",
            "# notes\n2026-02-30 Nothing\n",
            2,
            "'2026-02-30' is not a date",
            id="holiday-impossible-date",
        ),
        pytest.param(
            "holidays.txt",
            "2026-12-25 Christmas\n2026-12-25 Again\n",
            2,
            "2026-12-25 is already listed on line 1",
            id="holiday-twice",
        ),
    ],
)
def test_data_file_error(tmp_path: Path, file_name: str, text: str, line: int, fragment: str) -> None:
    """A bad line in synonyms.txt or holidays.txt is reported with the file and the line."""
    write(tmp_path, GOOD)
    path = tmp_path / file_name
    path.write_text(text, encoding="utf-8")
    (problem,) = problems_in(tmp_path)
    assert (problem.path, problem.line) == (str(path), line)
    assert fragment in problem.message


@pytest.mark.parametrize("file_name", ["synonyms.txt", "holidays.txt"])
def test_data_file_not_utf8(tmp_path: Path, file_name: str) -> None:
    """A data file in another encoding is a content problem, not a crash."""
    write(tmp_path, GOOD)
    path = tmp_path / file_name
    path.write_bytes("# notes\ncaf\u00e9: coffee\n".encode("latin-1"))
    (problem,) = problems_in(tmp_path)
    assert (problem.path, problem.line) == (str(path), 2)
    assert "not UTF-8" in problem.message
