"""Print the slide deck and the lectures to PDF with headless Chromium.

    python tools/pdf.py deck DECK.html OUT.pdf
        the reveal.js deck in its print view (`?print-pdf`), one page per slide;
    python tools/pdf.py lectures SITE [NAME ...]
        every lecture SITE/lectures/NAME.html (or the ones named) to
        SITE/_pdf/NAME.pdf, on A4 with the book's print stylesheet
        (_static/print.css: no sidebars, code wrapped, figures whole, every
        collapsed block and exercise solution open). A lecture is printed again
        only when its HTML, a stylesheet it links or this printer changed: the
        key of what was printed is kept in SITE/../.pdf_keys/NAME.sha256.

The folder is served on a local port and every request to another host is
refused, so the PDF shows exactly what the offline site shows. A page error, a
console error or an outside request stops the printer with a message.
"""

import hashlib
import io
import re
import sys
import time
from pathlib import Path

from pypdf import PdfReader

from browser import CHROMIUM, FLAGS, SETTLED, UNTIL, serve, watch

HERE = Path(__file__).resolve()

# Reveal.js deck: ready when reveal.js is initialised (in the print view: when it
# has laid the slides out as pages), MathJax has typeset the maths and the images
# have loaded. Returns the number of slides.
READY = """async () => {
    const until = %s;
    await until(() => window.Reveal && Reveal.isReady(), 'reveal.js never became ready');
    if (Reveal.getConfig().view === 'print' || /print-pdf/.test(location.search)) {
        const viewport = document.querySelector('.reveal-viewport');
        await until(() => document.querySelector('.pdf-page')
                          && !viewport.classList.contains('loading-scroll-mode'),
                    'the print view never finished laying out');
    }
    await (%s)();
    // A slide: a <section> with content but no nested <section> (in the print
    // view the emptied vertical-stack wrappers are left behind; skip them).
    return [...document.querySelectorAll('.reveal .slides section')]
        .filter(s => !s.querySelector('section') && s.children.length > 0).length;
}""" % (UNTIL, SETTLED)

# A book page: ready when MathJax has typeset it, fonts and images are loaded;
# then every <details> is opened (hidden cells) for printing.
PAGE_READY = """async () => {
    await (%s)();
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    return document.title;
}""" % SETTLED

# In print media: code blocks wider than their box (code that would be cut off).
WIDE_CODE = """() => [...document.querySelectorAll('article pre')]
    .filter(p => p.offsetParent !== null && p.scrollWidth > p.clientWidth + 1)
    .map(p => p.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b))"""

# A4 at 96 px per inch with print.css's margins (16 + 18 mm, 14 + 14 mm).
A4_CONTENT_PX = {"width": round((210 - 28) / 25.4 * 96), "height": round((297 - 34) / 25.4 * 96)}


def count_pdf_pages(pdf: bytes) -> int:
    """Number of pages of a PDF."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


def pdf_title(pdf: bytes) -> str | None:
    """The title in a PDF's document information, or None."""
    info = PdfReader(io.BytesIO(pdf)).metadata
    return info.title if info else None


def _launch(p, base: str):
    """Chromium with one page kept offline (browser.watch); (browser, page, problems),
    where problems() lists every outside request and every error the page has met."""
    browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    page = browser.new_page()
    outside, errors = watch(page, base)
    return browser, page, lambda: [f"outside request: {u}" for u in outside] + errors


def print_deck(deck: Path, out: Path) -> tuple[int, int]:
    """Write `deck` to `out` as a PDF; return (slides, pages)."""
    from playwright.sync_api import sync_playwright
    with serve(deck.parent) as base, sync_playwright() as p:
        browser, page, problems = _launch(p, base)
        page.goto(f"{base}/{deck.name}?print-pdf", wait_until="load")
        slides = page.evaluate(READY)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(out), print_background=True, prefer_css_page_size=True)
        errors = problems()
        browser.close()
    if errors:
        sys.exit("pdf: " + "; ".join(errors))
    return slides, count_pdf_pages(out.read_bytes())


def page_key(site: Path, page: Path) -> str:
    """Hash of what a printed page depends on: its HTML, its stylesheets, this printer."""
    digest = hashlib.sha256(HERE.read_bytes())
    html = page.read_bytes()
    digest.update(html)
    for href in sorted(set(re.findall(rb'<link[^>]+href="([^"?#]+\.css)', html))):
        css = (page.parent / href.decode()).resolve()
        if css.is_file() and css.is_relative_to(site.resolve()):
            digest.update(href + css.read_bytes())
    return digest.hexdigest()


def print_page(page, url: str, out: Path) -> dict:
    """Print one book page (already served at `url`) to `out`; return what was measured."""
    page.goto(url, wait_until="load")
    title = page.evaluate(PAGE_READY)
    page.emulate_media(media="print")
    page.set_viewport_size(A4_CONTENT_PX)
    wide = page.evaluate(WIDE_CODE)
    out.parent.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(out), print_background=True, prefer_css_page_size=True,
             display_header_footer=True, header_template="<span></span>",
             footer_template='<div style="font-size:8px;width:100%;text-align:center">'
                             '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
    page.emulate_media(media="screen")
    return {"title": title, "wide_code": wide, "pages": count_pdf_pages(out.read_bytes())}


def print_lectures(site: Path, names: list[str]) -> list[tuple[str, dict | None]]:
    """Print the lectures of the built site `site` whose key changed; return what was done."""
    from playwright.sync_api import sync_playwright
    pages = ([site / "lectures" / f"{n}.html" for n in names] if names
             else sorted((site / "lectures").glob("*.html")))
    missing = [str(p) for p in pages if not p.is_file()]
    if missing:
        sys.exit(f"pdf: not built: {', '.join(missing)}; build the site with `make html`")
    keys = site.parent / ".pdf_keys"
    todo, done = [], []
    for html in pages:
        out, key_file = site / "_pdf" / f"{html.stem}.pdf", keys / f"{html.stem}.sha256"
        key = page_key(site, html)
        if out.is_file() and key_file.is_file() and key_file.read_text().strip() == key:
            done.append((html.stem, None))
        else:
            todo.append((html, out, key_file, key))
    if not todo:
        return done
    with serve(site) as base, sync_playwright() as p:
        browser, page, problems = _launch(p, base)
        for html, out, key_file, key in todo:
            start = time.perf_counter()
            info = print_page(page, f"{base}/{html.relative_to(site).as_posix()}", out)
            info["seconds"] = time.perf_counter() - start
            if found := problems():
                sys.exit(f"pdf: {html.name}: " + "; ".join(found))
            if info["wide_code"]:
                sys.exit(f"pdf: {html.name}: code lines run off the page: {info['wide_code']}")
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(key + "\n")
            done.append((html.stem, info))
        browser.close()
    return done


def main(argv: list[str]) -> None:
    if len(argv) >= 2 and argv[0] == "deck" and len(argv) == 3:
        deck, out = Path(argv[1]), Path(argv[2])
        if not deck.is_file():
            sys.exit(f"pdf: {deck} is missing; build it with `make slides`")
        slides, pages = print_deck(deck, out)
        print(f"{out}: {pages} pages for {slides} slides")
        if pages != slides:
            sys.exit(f"pdf: {pages} pages but {slides} slides (a slide overflows its page?)")
    elif len(argv) >= 2 and argv[0] == "lectures":
        site = Path(argv[1])
        for name, info in print_lectures(site, argv[2:]):
            out = site / "_pdf" / f"{name}.pdf"
            if info is None:
                print(f"{out}: up to date")
            else:
                print(f"{out}: {info['pages']} pages, {out.stat().st_size / 1e6:.2f} MB, "
                      f"{info['seconds']:.1f} s")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
