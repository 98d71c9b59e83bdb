"""Print a reveal.js deck to PDF with headless Chromium, one page per slide.

The deck is served from its own folder on a local port and opened in reveal.js's
print view (`?print-pdf`), which lays every slide out as one page of the slide's
size; Playwright's `page.pdf()` then prints it. Requests to any other host are
refused, so the PDF shows exactly what the offline deck shows.

Usage: python tools/slides_pdf.py DECK.html OUT.pdf
"""

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from browser import CHROMIUM, FLAGS, serve

# Ready when reveal.js is initialised (in the print view: when it has laid the
# slides out as pages), MathJax has typeset the maths and the images have
# loaded. Returns the number of slides.
READY = """async () => {
    const wait = () => new Promise(r => setTimeout(r, 50));
    while (!(window.Reveal && Reveal.isReady())) await wait();
    if (Reveal.getConfig().view === 'print' || /print-pdf/.test(location.search)) {
        const viewport = document.querySelector('.reveal-viewport');
        while (!document.querySelector('.pdf-page')
               || viewport.classList.contains('loading-scroll-mode')) await wait();
    }
    if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
    await document.fonts.ready;
    while ([...document.images].some(i => !i.complete)) await wait();
    // A slide: a <section> with content but no nested <section> (in the print
    // view the emptied vertical-stack wrappers are left behind; skip them).
    return [...document.querySelectorAll('.reveal .slides section')]
        .filter(s => !s.querySelector('section') && s.children.length > 0).length;
}"""


def count_pdf_pages(pdf: bytes) -> int:
    """Number of page objects in a PDF (not the /Pages tree nodes)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def print_deck(deck: Path, out: Path) -> tuple[int, int]:
    """Write `deck` to `out` as a PDF; return (slides, pages)."""
    errors = []
    with serve(deck.parent) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
                   else (errors.append(f"outside request: {r.request.url}"), r.abort()))
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(f"{base}/{deck.name}?print-pdf", wait_until="load")
        slides = page.evaluate(READY)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(out), print_background=True, prefer_css_page_size=True)
        browser.close()
    if errors:
        sys.exit("slides_pdf: " + "; ".join(errors))
    return slides, count_pdf_pages(out.read_bytes())


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    deck, out = Path(sys.argv[1]), Path(sys.argv[2])
    if not deck.is_file():
        sys.exit(f"slides_pdf: {deck} is missing; build it with `make slides`")
    slides, pages = print_deck(deck, out)
    print(f"{out}: {pages} pages for {slides} slides")
    if pages != slides:
        sys.exit(f"slides_pdf: {pages} pages but {slides} slides (a slide overflows its page?)")
