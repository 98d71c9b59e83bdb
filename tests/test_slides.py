"""The slide decks: built, offline, linked to their lectures, navigable, typeset, printable.

`make slides` builds every deck `slides/NAME.md` into _build/html/slides/NAME.html
(and `make slides-pdf` prints each). The browser tests open each in headless
Chromium with every request to another host refused.
"""

import re

import pytest
from bs4 import BeautifulSoup

import book
from browser import CHROMIUM
from pdf import READY, count_pdf_pages

DECKS = book.decks()
MIN_SLIDES, MAX_SLIDES = 12, 24   # a 20-30 minute talk that opens a session
MIN_FIGURES = 2

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
    cache = {}

    def soup(name: str) -> BeautifulSoup:
        if name not in cache:
            cache[name] = BeautifulSoup(built_html(f"slides/{name}.html"), "html.parser")
        return cache[name]
    return soup


def slide_sections(soup):
    """The innermost <section> elements: one per slide."""
    return [s for s in soup.select("div.slides section") if not s.find("section")]


# --- the built HTML -------------------------------------------------------------------

@pytest.mark.parametrize("name", DECKS)
def test_deck_has_title_notes_figures(deck_soup, name):
    soup = deck_soup(name)
    slides = slide_sections(soup)
    assert MIN_SLIDES <= len(slides) <= MAX_SLIDES, f"{name}: {len(slides)} slides"
    title = re.search(r"^# (.+)$", (book.ROOT / "slides" / f"{name}.md").read_text(), re.M)[1]
    assert slides[0].find("h1") and title.strip() in slides[0].find("h1").get_text(), name
    without_notes = [s.find(["h1", "h2"]).get_text() for s in slides if not s.find("aside", "notes")]
    assert not without_notes, f"{name}: slides without speaker notes: {without_notes}"
    figures = soup.select("div.slides img")
    assert len(figures) >= MIN_FIGURES, f"{name}: {len(figures)} figures"
    # what the deck's own cells printed (its code, static or not, may name errors)
    outputs = " ".join(o.get_text() for o in soup.select("div.slides .cell_output"))
    for error in ("Traceback", "Error", "Warning"):
        assert error not in outputs, f"{name}: {error!r} in a cell's output"


@pytest.mark.parametrize("name", DECKS)
def test_deck_and_lecture_link_each_other(built_html, deck_soup, name):
    lecture = DECKS[name]
    assert lecture, f"slides/{name}.md: no lecture names it in its front matter (deck: {name})"
    hrefs = [a.get("href", "") for a in deck_soup(name).find_all("a")]
    assert f"../{lecture}.html" in hrefs, f"slides/{name}.html does not link {lecture}.html"
    page = BeautifulSoup(built_html(f"{lecture}.html"), "html.parser")
    line = page.select_one("p.deck-link")
    assert line and line.find("a", href=f"../slides/{name}.html"), f"{lecture}.html: no link to its deck"


@pytest.mark.parametrize("name", DECKS)
def test_deck_loads_nothing_from_other_hosts_and_publishes_its_files(html_dir, deck_soup, name):
    deck_dir = html_dir / "slides"
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
        for el in deck_soup(name).find_all(tag):
            url = (el.get(attr) or "").split("?")[0]
            assert not re.match(r"(https?:)?//", url), f"{name}: <{tag}> loads {url}"
            if url and not url.startswith(("#", "data:")):
                assert (deck_dir / url).is_file(), f"{name}: {url} is referenced but not published"
    assert (deck_dir / "_static/mathjax/tex-chtml.js").is_file()


# --- in the browser ---------------------------------------------------------------------

def open_deck(page, site_url, name, query=""):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{site_url}/slides/{name}.html{query}", wait_until="load")
    return page.evaluate(READY)


def assert_clean(page):
    assert not page.outside_requests, f"requests to other hosts: {page.outside_requests}"
    assert not page.errors, f"errors in the browser: {page.errors}"


@pytest.mark.browser
@pytest.mark.parametrize("name", DECKS)
def test_arrow_keys_walk_every_slide_with_its_math_typeset(offline_page, site_url, screenshot_dir, name):
    page = offline_page
    total = open_deck(page, site_url, name)
    assert total == page.evaluate("Reveal.getTotalSlides()")
    math = page.locator("div.slides .math").count()
    typeset = page.locator("div.slides .math mjx-container").count()
    assert typeset == math, f"{name}: {typeset} of {math} formulas typeset"
    raw = page.evaluate("""() => [...document.querySelectorAll('div.slides section')]
        .filter(s => !s.querySelector('section'))
        .map(s => s.cloneNode(true))
        .map(s => { s.querySelectorAll('pre, aside, mjx-container, script')
                      .forEach(e => e.remove()); return s.textContent; })
        .filter(t => /\\$|\\\\\\(|\\\\\\[/.test(t))""")
    assert not raw, f"{name}: raw TeX left on slides: {raw}"
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
        page.screenshot(path=screenshot_dir / f"slides-{name}-{i + 1:02d}.png")
    assert seen == list(range(total)), f"{name}: ArrowRight did not advance one slide at a time"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("Reveal.getSlidePastCount()") == total - 1, "moved past the last slide"
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"Reveal.getSlidePastCount() === {total - 2}")
    page.keyboard.press("Home")
    page.wait_for_function("Reveal.isFirstSlide()")
    page.keyboard.press("End")
    page.wait_for_function("Reveal.isLastSlide()")
    assert page.locator(".slide-number").inner_text().replace(" ", "") == f"{total}/{total}"
    assert not overflowing, f"{name}: slides larger than the slide area: {overflowing}"
    broken = page.evaluate("""() => [...document.querySelectorAll('div.slides img')]
        .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)""")
    assert not broken, f"{name}: images that did not load: {broken}"
    assert_clean(page)


@pytest.mark.browser
@pytest.mark.parametrize("name", DECKS)
def test_published_pdf_has_one_page_per_slide(html_dir, deck_soup, name):
    """The PDF that `make slides-pdf` publishes beside each deck (Chromium prints it)."""
    pdf = html_dir / "slides" / f"{name}.pdf"
    if not pdf.is_file():
        pytest.fail(f"slides/{name}.pdf is missing although Chromium is at {CHROMIUM}: run `make slides-pdf`")
    assert count_pdf_pages(pdf.read_bytes()) == len(slide_sections(deck_soup(name))), name


@pytest.mark.browser
@pytest.mark.parametrize("name", DECKS)
def test_speaker_view_shows_notes(offline_page, site_url, screenshot_dir, name):
    page = offline_page
    open_deck(page, site_url, name)
    page.keyboard.press("ArrowRight")
    with page.expect_popup() as popup_info:
        page.keyboard.press("s")
    speaker = popup_info.value
    notes = speaker.locator(".speaker-controls-notes .value")
    notes.wait_for()
    speaker.wait_for_function(
        "document.querySelector('.speaker-controls-notes .value').textContent.length > 0")
    expected = page.evaluate("Reveal.getSlideNotes()")
    assert expected and expected.split()[:5] == notes.inner_text().split()[:5], name
    speaker.set_viewport_size({"width": 1280, "height": 720})
    speaker.screenshot(path=screenshot_dir / f"slides-{name}-speaker-view.png")
    # The speaker view follows the deck: the next slide's notes appear there.
    page.keyboard.press("ArrowRight")
    following = page.evaluate("Reveal.getSlideNotes()")
    assert following and following != expected
    speaker.wait_for_function(
        "words => document.querySelector('.speaker-controls-notes .value').textContent"
        ".split(/\\s+/).filter(Boolean).slice(0, 4).join(' ') === words",
        arg=" ".join(following.split()[:4]))
    assert_clean(page)
