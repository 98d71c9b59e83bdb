"""Accessibility of the built site and the deck.

- Every <img> has alt text that describes it: not empty, not its file name, not a path, and
  for a computed figure (a cell's output, a deck's picture) a sentence of at least 8 words.
- axe-core (npm, pinned in package-lock.json, installed by `make vendor`) finds no
  WCAG 2 A or AA violation on any page of the site, nor on any slide of the deck.
- The deck lets readers zoom (its viewport tag does not forbid it).

Each axe run writes what it found to _build/accessibility/NAME.json, so a build's
violations can be compared page by page with another build's.
"""

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
from book import decks, toc_entries
from browser import SETTLED
from pdf import READY

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = ROOT / "_build" / "accessibility"
DECKS = [f"slides/{name}.html" for name in decks()]
PRESENT = ".reveal .slides section.present"    # the slide on screen (and its stack)
TOC_PAGES = toc_entries(ROOT)
# The pages Sphinx adds to those of the table of contents.
SPHINX_PAGES = ["search", "genindex"]
PAGES = TOC_PAGES + SPHINX_PAGES
# jupyter-book's index.html only redirects to the root page: no content to check.
REDIRECTS = ["index.html"]

# --- alt text --------------------------------------------------------------------------

IMAGE_FILE = re.compile(r"\.(png|jpe?g|gif|svg|webp|bmp|tiff?|pdf)$", re.I)
HASH = re.compile(r"^[0-9a-f]{16,}$", re.I)
FIGURE_WORDS = 8       # a computed figure (a cell's output, a deck's picture) is described in a sentence


def alt_problem(img) -> str | None:
    """Why an <img>'s alt text does not describe it (None when it does)."""
    alt = (img.get("alt") or "").strip()
    src = img.get("src") or ""
    if not alt:
        return "no alt text" if img.get("alt") is None else "empty alt text"
    name = Path(alt.split("?")[0]).name
    if alt in (src, Path(src).name) or IMAGE_FILE.search(alt) or HASH.match(Path(name).stem):
        return f"alt is a file name: {alt!r}"
    if " " not in alt and "/" in alt:
        return f"alt is a path: {alt!r}"
    figure = img.find_parent("div", class_="cell_output") or img.find_parent("div", class_="reveal")
    if figure and len(alt.split()) < FIGURE_WORDS:
        return f"a figure's alt text of {len(alt.split())} words cannot say what it shows: {alt!r}"
    return None


def bad_images(html: str) -> list[str]:
    """'src: problem' for every <img> of a page whose alt text does not describe it."""
    soup = BeautifulSoup(html, "html.parser")
    return [f"{img.get('src')}: {why}" for img in soup.find_all("img")
            if (why := alt_problem(img))]


@pytest.mark.parametrize("page", [p + ".html" for p in PAGES] + DECKS)
def test_every_image_has_alt_text(built_html, page):
    bad = bad_images(built_html(page))
    assert not bad, f"{page}: {len(bad)} images without a description: {bad}"


# --- axe-core ----------------------------------------------------------------------------

AXE_RUN = """async (context) => {
    const result = await axe.run(context || document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},
        resultTypes: ['violations'],
    });
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary,
                                  html: n.html.slice(0, 200)})),
    }));
}"""


def axe(page, context: str | None = None) -> list[dict]:
    """axe-core's WCAG 2 A and AA violations on the page as it is now (only in the elements
    that the CSS selector `context` matches, and what they hold, when one is given)."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: install the npm packages with `make vendor` (npm ci)")
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN, context)


def record(name: str, violations: list[dict]) -> None:
    """Keep what axe found (for comparing builds)."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{name.replace('/', '-')}.json").write_text(json.dumps(violations, indent=1))


def describe(violations: list[dict]) -> str:
    return "; ".join(f"{v['id']} ({v['impact']}, {len(v['nodes'])}x: "
                     f"{', '.join(n['target'] for n in v['nodes'][:4])}): {v['help']}"
                     for v in violations)


def open_book_page(page, url: str):
    """Load a book page and wait for MathJax and the images."""
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.evaluate(SETTLED)


# Open what readers can open, as they do (a click): hidden cells (<details>) and the
# exercise solutions (sphinx-togglebutton), which axe skips while they are collapsed. Each
# element opened is marked OPENED, so that axe can check what they show, and only that.
OPENED = "[data-axe-opened]"
EXPAND = """async () => {
    const opened = [];
    document.querySelectorAll('details:not([open]) > summary').forEach(s => {
        opened.push(s.parentElement); s.click(); });
    document.querySelectorAll('button.toggle-button.toggle-button-hidden').forEach(b => {
        opened.push(b.closest('.toggle') || b.parentElement); b.click(); });
    opened.forEach(e => { e.dataset.axeOpened = '1'; });
    await new Promise(r => setTimeout(r, 800));  // the theme's tab stops follow within 300 ms
    return [opened.length, document.querySelectorAll('.toggle-hidden, details:not([open])').length];
}"""


@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_wcag_violation_on_the_page(offline_page, site_url, name):
    page = offline_page
    open_book_page(page, f"{site_url}/{name}.html")
    violations = axe(page)
    opened, still_closed = page.evaluate(EXPAND)
    assert not still_closed, f"{name}.html: {still_closed} dropdowns did not open on a click"
    seen = {(v["id"], n["target"]) for v in violations for n in v["nodes"]}
    # the whole page was checked above: now only what the clicks opened (page-wide rules,
    # such as landmarks and headings' order, do not change when a dropdown opens)
    for v in axe(page, OPENED) if opened else []:
        v["nodes"] = [n for n in v["nodes"] if (v["id"], n["target"]) not in seen]
        if v["nodes"]:
            violations.append({**v, "expanded": True})
    record(name, violations)
    assert not violations, f"{name}.html: {describe(violations)}"


@pytest.mark.browser
@pytest.mark.parametrize("deck", DECKS)
def test_axe_finds_no_wcag_violation_on_any_slide(offline_page, site_url, deck):
    page = offline_page
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{site_url}/{deck}", wait_until="load")
    total = page.evaluate(READY)
    found, by_slide = {}, []
    for i in range(total):
        if i:
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"Reveal.getSlidePastCount() === {i}")
        # the whole deck on the first slide (page-wide rules: landmarks, language, what the
        # hidden slides hold...), then what each slide shows when it is the present one
        violations = axe(page, PRESENT if i else None)
        by_slide.append({"slide": i + 1, "violations": violations})
        if violations:
            found[i + 1] = describe(violations)
    record(f"slides-{Path(deck).stem}", by_slide)
    assert not found, f"slides with WCAG violations: {found}"
    assert not page.outside_requests and not page.errors, (page.outside_requests, page.errors)


# --- the deck can be zoomed ----------------------------------------------------------------

@pytest.mark.parametrize("deck", DECKS)
def test_deck_viewport_allows_zoom(built_html, deck):
    soup = BeautifulSoup(built_html(deck), "html.parser")
    tags = soup.find_all("meta", attrs={"name": "viewport"})
    assert len(tags) == 1, f"{len(tags)} viewport tags"
    content = dict(part.strip().split("=", 1) for part in tags[0]["content"].split(",") if "=" in part)
    assert content.get("user-scalable", "yes").strip() not in ("no", "0"), tags[0]
    assert float(content.get("maximum-scale", "5")) >= 2, tags[0]
    assert soup.html.get("lang"), "the deck's <html> has no lang"


@pytest.mark.browser
def test_deck_zooms_on_a_phone(browser, site_url):
    """On a touch screen (where the viewport tag applies) the reader can zoom to 2x."""
    context = browser.new_context(viewport={"width": 800, "height": 450},
                                  is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(site_url)
                   else r.abort())
        page.goto(f"{site_url}/{DECKS[0]}", wait_until="load")   # every deck has the same template
        page.evaluate(READY)
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setPageScaleFactor", {"pageScaleFactor": 2})
        page.wait_for_timeout(300)
        scale = page.evaluate("window.visualViewport.scale")
        assert scale == pytest.approx(2), f"zoom refused: the page scale stayed at {scale}"
        page.keyboard.press("ArrowRight")
        page.wait_for_function("Reveal.getSlidePastCount() === 1")
    finally:
        context.close()
