"""The book in a real browser: maths typeset, no console error, nothing fetched from
outside; and the lectures printed to PDF (tools/pdf.py, run by `make html`)."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
from browser import CHROMIUM, SETTLED
from book import lectures
from pdf import A4_CONTENT_PX, PAGE_READY, WIDE_CODE, count_pdf_pages, pdf_title

PAGES = ["intro.html", "status.html"]


def open_page(page, url: str):
    """Load a page and wait until MathJax has finished typesetting it."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.evaluate(SETTLED)


@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline(offline_page, site_url, screenshot_dir, name):
    open_page(offline_page, f"{site_url}/{name}")
    offline_page.screenshot(path=str(screenshot_dir / name.replace(".html", ".png")), full_page=True)
    body = offline_page.inner_text("article")
    assert "$$" not in body, f"{name}: raw $$ left in the page text"
    assert not offline_page.outside_requests, f"{name}: requests to other hosts: {offline_page.outside_requests}"
    assert not offline_page.errors, f"{name}: {offline_page.errors}"


@pytest.mark.browser
def test_intro_math_is_typeset(offline_page, site_url):
    open_page(offline_page, f"{site_url}/intro.html")
    assert offline_page.locator("mjx-container").count() >= 2
    assert "\\operatorname" not in offline_page.inner_text("article")


@pytest.mark.browser
def test_a_solution_starts_closed_and_opens(offline_page, site_url, screenshot_dir):
    """Solutions are hidden until the reader asks (sphinx-exercise's dropdown, the same on
    every lecture): closed on load, open after a click on its title."""
    page = offline_page
    page.goto(f"{site_url}/lectures/jax_nn.html")
    page.wait_for_load_state("networkidle")
    content = page.locator("div.solution section#solution-content").first
    assert not content.is_visible(), "the first solution of jax_nn is open on load"
    page.locator("div.solution p.admonition-title").first.click()
    content.wait_for(state="visible", timeout=5000)
    content.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "jax_nn-solution-open.png"))
    assert page.outside_requests == [], page.outside_requests
    assert page.errors == [], page.errors


# --- the lectures printed to PDF (tools/pdf.py, `make pdf`, part of `make html`) -------

LECTURES = [Path(e).name for e in lectures(ROOT)]


@pytest.fixture(scope="module")
def lecture_pdf(html_dir):
    """The bytes of a lecture's published PDF (for the browser tests: Chromium prints it)."""
    def read(name: str) -> bytes:
        path = html_dir / "_pdf" / f"{name}.pdf"
        if not path.is_file():
            pytest.fail(f"{path} not built, although Chromium is at {CHROMIUM}: run `make pdf`")
        return path.read_bytes()
    return read


@pytest.mark.parametrize("name", LECTURES)
def test_download_menu_links_the_pdf_only_when_printed(html_dir, built_html, name):
    """With Chromium the build prints each lecture and its download menu links the PDF;
    without it, no PDF and no link to one (a new user's first build links nothing broken)."""
    soup = BeautifulSoup(built_html(f"lectures/{name}.html"), "html.parser")
    links = [a.get("href") for a in soup.select("div.dropdown-download-buttons a")]
    if (html_dir / "_pdf" / f"{name}.pdf").is_file():
        assert f"../_pdf/{name}.pdf" in links, f"download menu of {name}: {links}"
        assert not soup.select("div.dropdown-download-buttons button[onclick*='print']"), \
            "the theme's print-dialog entry is still in the menu beside the PDF"
    else:   # the theme's entry, the browser's print dialog, stays
        assert not [link for link in links if link.endswith(".pdf")], f"{name} links an unprinted PDF"


@pytest.mark.browser
@pytest.mark.parametrize("name", LECTURES)
def test_lecture_pdf_title_and_pages(built_html, lecture_pdf, name):
    pdf = lecture_pdf(name)
    title = BeautifulSoup(built_html(f"lectures/{name}.html"), "html.parser").title.get_text()
    assert pdf_title(pdf) == title.strip(), f"{name}.pdf: title {pdf_title(pdf)!r}, page {title!r}"
    pages = count_pdf_pages(pdf)
    assert 1 < pages < 80, f"{name}.pdf: {pages} pages"


@pytest.mark.browser
@pytest.mark.parametrize("name", LECTURES)
def test_lecture_prints_whole(offline_page, site_url, lecture_pdf, name):
    """In print media at the PDF's width: no sidebar, no code cut off, solutions shown,
    figures within the page, and the PDF's page count matches the printed length."""
    page = offline_page
    page.goto(f"{site_url}/lectures/{name}.html", wait_until="load")
    page.evaluate(PAGE_READY)
    page.emulate_media(media="print")
    page.set_viewport_size(A4_CONTENT_PX)
    state = page.evaluate("""() => {
        const shown = e => e && e.offsetParent !== null && e.getBoundingClientRect().height > 0;
        const sol = [...document.querySelectorAll('.solution')];
        return {
            navigation: ['.bd-sidebar-primary', '.bd-sidebar-secondary', '.bd-header',
                         '.bd-header-article', '.prev-next-area']
                        .filter(s => shown(document.querySelector(s))),
            solutions: sol.length,
            hidden_solutions: sol.filter(s => ![...s.children].slice(1).every(shown))
                                 .map(s => s.querySelector('.admonition-title').textContent),
            wide_images: [...document.querySelectorAll('article img')]
                         .filter(i => i.getBoundingClientRect().right > window.innerWidth + 1)
                         .map(i => i.alt),
            height: document.documentElement.scrollHeight,
        };
    }""")
    wide = page.evaluate(WIDE_CODE)
    assert not wide, f"{name}: code lines run off the printed page: {wide}"
    assert not state["navigation"], f"{name}: printed with navigation: {state['navigation']}"
    assert state["solutions"] >= 1, f"{name}: no exercise solution on the page"
    assert not state["hidden_solutions"], f"{name}: solutions hidden in print: {state['hidden_solutions']}"
    assert not state["wide_images"], f"{name}: figures wider than the page: {state['wide_images']}"
    # Figures are kept whole, so pages end early: between 1x and 2x the continuous length.
    estimate = state["height"] / A4_CONTENT_PX["height"]
    pages = count_pdf_pages(lecture_pdf(name))
    assert estimate * 0.9 <= pages <= estimate * 2 + 1, f"{name}: {pages} pages for ~{estimate:.1f}"
    assert not page.errors and not page.outside_requests, (page.errors, page.outside_requests)
