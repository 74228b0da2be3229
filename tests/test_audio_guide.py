"""Tests for the accessible audio guide (ivr.audio_guide), built for the fixture content and opened in Chromium."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import FIXTURES
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright

from ivr.audio_guide import GENERATOR
from ivr.audio_guide import GuideResult
from ivr.audio_guide import build_guide
from ivr.audio_guide import procedure_page
from ivr.audio_guide import remove_stale_pages
from ivr.audio_guide import sections_of
from ivr.content import Library
from ivr.content import load_library
from ivr.tts import WEB
from ivr.tts import RenderOptions

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PRACTICE = "Anchor Healthcare"
OPTIONS = RenderOptions(voice="gmw/en-us", rate=160, format=WEB)
ALL_LOADED = "[...document.querySelectorAll('audio')].every(a => a.readyState >= 1 && a.duration > 0)"


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(FIXTURES / "two-procedures")


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory, library: Library) -> GuideResult:
    """The guide for the fixture content, rendered for real into a fresh folder."""
    result = build_guide(library, tmp_path_factory.mktemp("guide"), OPTIONS, practice=PRACTICE, progress=False)
    assert result.audio.failures == []
    return result


class _Handler(http.server.SimpleHTTPRequestHandler):
    """A static file server that types .wav as audio/wav, as the practice's web server should."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wav": "audio/wav"}

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def site(guide: GuideResult) -> Iterator[str]:
    """The guide's folder served on a free localhost port; yields the base URL."""
    root = guide.pages[-1].parent
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


MISSING_CHROMIUM = (
    f"Chromium is not installed at {CHROMIUM}: install Debian's chromium package (apt-get install chromium). "
    "These tests drive the system browser and never download one."
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium through Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(MISSING_CHROMIUM)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab."""
    tab = browser.new_page()
    yield tab
    tab.close()


def page_url(site: str, procedure_id: str | None = None) -> str:
    return f"{site}/{procedure_id}/index.html" if procedure_id else f"{site}/index.html"


def test_chromium_is_installed() -> None:
    """The browser tests need Debian's Chromium; without it they fail (never skip)."""
    assert CHROMIUM.exists(), MISSING_CHROMIUM


@pytest.mark.slow
def test_pages_load_with_their_title_and_one_h1(page: Page, site: str, library: Library) -> None:
    """Each procedure page and the index load, in English, with a real title and a single h1."""
    page.goto(page_url(site))
    assert page.title() == f"Audio guides | {PRACTICE}"
    assert page.locator("h1").count() == 1
    links = page.locator("main li a")
    assert links.all_inner_texts() == [procedure.title for procedure in library.procedures]
    for procedure in library.procedures:
        page.goto(page_url(site, procedure.id))
        assert page.title() == f"{procedure.title}: audio guide | {PRACTICE}"
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("h1").all_inner_texts() == [procedure.title]
        source = page.locator("dl.source").inner_text()
        assert procedure.physician in source
        assert "Last reviewed" in source


@pytest.mark.slow
def test_every_player_is_served_as_wav_and_loads(page: Page, site: str, library: Library) -> None:
    """Every <audio> source answers 200 audio/wav, and every player gets metadata and a duration."""
    for procedure in library.procedures:
        page.goto(page_url(site, procedure.id))
        sources: list[str] = page.eval_on_selector_all("audio source", "els => els.map(e => e.src)")
        assert len(sources) == len(procedure.sections) + len(procedure.faqs)
        for url in sources:
            response = page.request.get(url)
            assert response.status == 200, url
            assert response.headers["content-type"] == "audio/wav"
        page.wait_for_function(ALL_LOADED, timeout=15000)


@pytest.mark.slow
def test_every_player_is_named_after_its_heading_and_followed_by_the_exact_text(
    page: Page, site: str, library: Library, guide: GuideResult
) -> None:
    """Each player's accessible name is "Listen:" plus its heading, and its section shows the content's text."""
    for procedure in library.procedures:
        page.goto(page_url(site, procedure.id))
        sections, questions = sections_of(procedure, guide.audio.files)
        for part in [*sections, *questions]:
            region = page.locator(f"section[aria-labelledby='{part.anchor}']")
            expect(region.locator("audio")).to_have_accessible_name(f"Listen: {part.heading}")
            shown = "\n\n".join(region.locator(":scope > p").all_text_contents())
            assert shown == part.text


@pytest.mark.slow
def test_keyboard_alone_reaches_the_skip_link_and_the_first_player(page: Page, site: str, library: Library) -> None:
    """Tab finds the skip link first; Enter moves to the main content; Tab reaches the first player, outlined."""
    page.goto(page_url(site, library.procedures[0].id))
    keyboard = page.keyboard
    keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for _ in range(30):
        keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "AUDIO":
            break
    assert page.evaluate("document.activeElement === document.querySelector('audio')")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "the focused player must show a visible focus style"


@pytest.mark.slow
def test_axe_finds_no_accessibility_violations(page: Page, site: str, library: Library) -> None:
    """axe-core reports no violations on the index or any procedure page."""
    axe = Axe()
    for url in [page_url(site), *(page_url(site, procedure.id) for procedure in library.procedures)]:
        page.goto(url)
        results = axe.run(page)
        assert results.violations_count == 0, f"{url}\n{results.generate_report()}"


@pytest.mark.slow
def test_a_second_build_renders_nothing(guide: GuideResult, library: Library) -> None:
    """Building again over the same folder finds every recording up to date."""
    again = build_guide(library, guide.pages[-1].parent, OPTIONS, practice=PRACTICE, progress=False)
    assert (again.audio.rendered, again.audio.up_to_date, again.audio.removed) == (0, again.audio.texts, 0)


def test_page_text_is_html_escaped(library: Library) -> None:
    """Markup in the content appears as text, never as HTML."""
    procedure = library.procedures[0]
    section = dataclasses.replace(procedure.sections[0], title="Risks <b>&</b>", text='Say "<script>alert(1)</script>"')
    hostile = dataclasses.replace(procedure, title="Pump <i>", sections=(section,), faqs=())
    html = procedure_page(hostile, {}, "A & B")
    assert "<script>" not in html
    assert "<b>" not in html
    assert "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Risks &lt;b&gt;&amp;&lt;/b&gt;" in html
    assert "No recording of this part yet" in html


def test_stale_pages_are_removed_only_when_this_command_wrote_them(tmp_path: Path) -> None:
    """A page for a procedure that is gone is removed; a folder the command did not write is left alone."""
    ours = tmp_path / "old-procedure" / "index.html"
    theirs = tmp_path / "blog" / "index.html"
    for path, generator in ((ours, GENERATOR), (theirs, "someone else")):
        path.parent.mkdir()
        path.write_text(f'<!doctype html><meta name="generator" content="{generator}">', encoding="utf-8")
    assert remove_stale_pages(tmp_path, keep={"knee-injection"}) == 1
    assert not ours.parent.exists()
    assert theirs.exists()
