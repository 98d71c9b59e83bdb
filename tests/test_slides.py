"""The Deep Learning slide deck: built, offline, navigable, typeset, and printable.

The deck is built by `make slides` into _build/html/slides/deep_learning.html
(and printed by `make slides-pdf`). The browser tests open it in headless
Chromium with every request to another host refused.
"""

import re
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from pdf import READY, count_pdf_pages  # noqa: E402

DECK = "slides/deep_learning.html"
PDF = "slides/deep_learning.pdf"
MIN_FIGURES = 5
MIN_SLIDES = 15

# Reveal.js's slide size and whether a slide's content fits inside it.
FITS = """() => {
    const {width, height} = Reveal.getConfig();
    const s = Reveal.getCurrentSlide();
    const wide = [...s.querySelectorAll('pre')].filter(p => p.scrollWidth > p.clientWidth + 1);
    return {height: s.scrollHeight, limit: height, width: s.scrollWidth, wlimit: width,
            wide_code: wide.length};
}"""


@pytest.fixture(scope="module")
def deck_soup(built_html):
    return BeautifulSoup(built_html(DECK), "html.parser")


def slide_sections(soup):
    """The innermost <section> elements: one per slide."""
    return [s for s in soup.select("div.slides section") if not s.find("section")]


# --- the built HTML -------------------------------------------------------------------

def test_deck_has_title_notes_figures(deck_soup):
    slides = slide_sections(deck_soup)
    assert len(slides) >= MIN_SLIDES, f"only {len(slides)} slides"
    assert slides[0].find("h1") and "Deep Learning" in slides[0].find("h1").get_text()
    without_notes = [s.find(["h1", "h2"]).get_text() for s in slides if not s.find("aside", "notes")]
    assert not without_notes, f"slides without speaker notes: {without_notes}"
    figures = deck_soup.select("div.slides .cell_output img")
    assert len(figures) >= MIN_FIGURES, f"{len(figures)} figures from executed cells"
    text = deck_soup.get_text()
    for error in ("Traceback", "Error", "Warning"):
        assert error not in text, f"{error!r} appears in the deck"


def test_deck_loads_nothing_from_other_hosts(deck_soup):
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
        for el in deck_soup.find_all(tag):
            url = el.get(attr) or ""
            assert not re.match(r"(https?:)?//", url), f"<{tag}> loads {url}"


def test_deck_files_are_published(html_dir, deck_soup):
    deck_dir = (html_dir / DECK).parent
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
        for el in deck_soup.find_all(tag):
            url = (el.get(attr) or "").split("?")[0]
            if url and not url.startswith(("#", "data:")):
                assert (deck_dir / url).is_file(), f"{url} is referenced but not published"
    assert (deck_dir / "_static/mathjax/tex-chtml.js").is_file()


def test_deck_links_the_lectures(html_dir, deck_soup):
    """The deck names later lectures with links that reach them on the built site."""
    deck_dir = (html_dir / DECK).parent
    links = {a["href"] for a in deck_soup.select("div.slides a[href]")
             if a["href"].startswith("../lectures/")}
    assert {"../lectures/jax_nn.html", "../lectures/optimizers.html"} <= links, links
    for href in links:
        assert (deck_dir / href).resolve().is_file(), f"{href}: not in the built site"


# --- in the browser ---------------------------------------------------------------------

def open_deck(page, site_url, query=""):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{site_url}/{DECK}{query}", wait_until="load")
    return page.evaluate(READY)


def assert_clean(page):
    assert not page.outside_requests, f"requests to other hosts: {page.outside_requests}"
    assert not page.errors, f"errors in the browser: {page.errors}"


@pytest.mark.browser
def test_math_is_typeset(offline_page, site_url):
    page = offline_page
    open_deck(page, site_url)
    math = page.locator("div.slides .math").count()
    typeset = page.locator("div.slides .math mjx-container").count()
    assert math > 10 and typeset == math, f"{typeset} of {math} formulas typeset"
    raw = page.evaluate("""() => [...document.querySelectorAll('div.slides section')]
        .filter(s => !s.querySelector('section'))
        .map(s => s.cloneNode(true))
        .map(s => { s.querySelectorAll('pre, aside, mjx-container, script')
                      .forEach(e => e.remove()); return s.textContent; })
        .filter(t => /\\$|\\\\\\(|\\\\\\[/.test(t))""")
    assert not raw, f"raw TeX left on slides: {raw}"
    assert_clean(page)


@pytest.mark.browser
def test_arrow_keys_walk_every_slide(offline_page, site_url, screenshot_dir):
    page = offline_page
    total = open_deck(page, site_url)
    assert total >= MIN_SLIDES and total == page.evaluate("Reveal.getTotalSlides()")
    seen, overflowing = [], []
    for i in range(total):
        if i:
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"Reveal.getSlidePastCount() === {i}")
        seen.append(page.evaluate("Reveal.getSlidePastCount()"))
        size = page.evaluate(FITS)
        title = page.evaluate("Reveal.getCurrentSlide().querySelector('h1, h2').textContent")
        if size["height"] > size["limit"] or size["width"] > size["wlimit"] or size["wide_code"]:
            overflowing.append((i + 1, title, size))
        page.screenshot(path=screenshot_dir / f"slides-{i + 1:02d}.png")
    assert seen == list(range(total)), "ArrowRight did not advance one slide at a time"
    assert page.evaluate("Reveal.isLastSlide()")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("Reveal.getSlidePastCount()") == total - 1, "moved past the last slide"
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"Reveal.getSlidePastCount() === {total - 2}")
    page.keyboard.press("Home")
    page.wait_for_function("Reveal.isFirstSlide()")
    page.keyboard.press("End")
    page.wait_for_function("Reveal.isLastSlide()")
    assert page.locator(".slide-number").inner_text().replace(" ", "") == f"{total}/{total}"
    assert not overflowing, f"slides larger than the slide area: {overflowing}"
    broken = page.evaluate("""() => [...document.querySelectorAll('div.slides img')]
        .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)""")
    assert not broken, f"images that did not load: {broken}"
    assert_clean(page)


@pytest.mark.browser
def test_pdf_has_one_page_per_slide(offline_page, site_url, tmp_path):
    page = offline_page
    slides = open_deck(page, site_url, "?print-pdf")
    assert slides >= MIN_SLIDES
    assert page.locator(".pdf-page").count() == slides, "print view: not one page per slide"
    pdf = page.pdf(path=tmp_path / "deck.pdf", print_background=True, prefer_css_page_size=True)
    assert count_pdf_pages(pdf) == slides
    assert_clean(page)


def test_published_pdf_matches_deck(html_dir, deck_soup):
    """The PDF that `make slides-pdf` publishes beside the deck."""
    pdf = html_dir / PDF
    if not pdf.is_file():
        pytest.skip(f"{PDF} not built: run `make slides-pdf`")
    assert count_pdf_pages(pdf.read_bytes()) == len(slide_sections(deck_soup))


def test_count_pdf_pages_counts_pages_not_page_trees():
    fake = b"<< /Type /Pages /Kids [3 0 R 4 0 R] >> << /Type /Page >> << /Type/Page /Parent 2 0 R >>"
    assert count_pdf_pages(fake) == 2


@pytest.mark.browser
def test_speaker_view_shows_notes(offline_page, site_url, screenshot_dir):
    page = offline_page
    open_deck(page, site_url)
    page.keyboard.press("ArrowRight")
    with page.expect_popup() as popup_info:
        page.keyboard.press("s")
    speaker = popup_info.value
    notes = speaker.locator(".speaker-controls-notes .value")
    notes.wait_for()
    speaker.wait_for_function(
        "document.querySelector('.speaker-controls-notes .value').textContent.length > 0")
    expected = page.evaluate("Reveal.getSlideNotes()")
    assert "first three parts" in expected
    assert expected.split()[:5] == notes.inner_text().split()[:5]
    speaker.set_viewport_size({"width": 1280, "height": 720})
    speaker.screenshot(path=screenshot_dir / "slides-speaker-view.png")
    # The speaker view follows the deck: the next slide's notes appear there.
    page.keyboard.press("ArrowRight")
    following = page.evaluate("Reveal.getSlideNotes()")
    assert following and following != expected
    speaker.wait_for_function(
        "words => document.querySelector('.speaker-controls-notes .value').textContent"
        ".split(/\\s+/).filter(Boolean).slice(0, 4).join(' ') === words",
        arg=" ".join(following.split()[:4]))
    assert_clean(page)
