"""Sphinx extension: what readers get beyond the theme (issue 15).

1. A printed PDF of every lecture, linked from its download menu.

On every lecture page (a page under lectures/) the theme's ".pdf" entry of the
download menu (which only calls the browser's print dialog) becomes a link to
`_pdf/NAME.pdf`, the page printed by `tools/pdf.py` with the print stylesheet
`_static/print.css` once the site is built (`make html` does both). The link is
added only where Chromium is installed, the printer's browser, so that a site
built without it has no link to a missing file and keeps the theme's entry.

2. Every page gets a small script that opens every collapsed block (<details>,
such as hidden code cells) before the browser prints, so that a reader who prints
from the browser sees them too; the sphinx-togglebutton dropdowns (the exercise
solutions) are shown by the print stylesheet.

3. The slides of a lecture, linked under its title: a lecture whose front matter says
`deck: NAME` gets a line "Slides for this lecture: TITLE (also as a PDF)" that links
`slides/NAME.html` (and `slides/NAME.pdf` where Chromium prints it). A deck that does
not exist stops the build, naming the page.

4. Keyboard access to code revealed by a dropdown. pydata-sphinx-theme makes every
scrollable <pre> a tab stop (so that it can be scrolled with the arrow keys), but
it looks again only on a window resize or a change of the page's elements, not
when a dropdown opens: wide code in an opened solution stayed out of reach of the
keyboard (axe-core: scrollable-region-focusable). The script asks it to look again
whenever a dropdown opens.
"""

from pathlib import Path

from browser import CHROMIUM
import book
from docutils import nodes
from sphinx.errors import ExtensionError

FOLDER = "_pdf"  # of the site
LECTURES = book.LECTURES

# Open the <details> blocks for printing (closing them again afterwards), and
# refresh the theme's keyboard tab stops when a dropdown opens.
SCRIPT = """(() => {
window.addEventListener('beforeprint', () => {
  document.querySelectorAll('details:not([open])').forEach(d => {
    d.open = true; d.dataset.printOpened = '1';
  });
});
window.addEventListener('afterprint', () => {
  document.querySelectorAll('details[data-print-opened]').forEach(d => {
    d.open = false; delete d.dataset.printOpened;
  });
});

// The theme updates its tab stops on scrollable code on a resize: one when a dropdown opens.
const retab = () => setTimeout(() => window.dispatchEvent(new Event('resize')), 50);
document.addEventListener('click', e => {
  if (e.target.closest('button.toggle-button, .admonition.toggle .admonition-title')) retab();
});
document.addEventListener('toggle', retab, true);  // <details> opened or closed
})();
"""


def pdf_path(name: str) -> str:
    """Path of lecture NAME's PDF relative to the site root."""
    return f"{FOLDER}/{name}.pdf"


def add_pdf_link(app, pagename, templatename, context, doctree):
    """Point a lecture's ".pdf" download entry at its printed PDF."""
    folder, _, name = pagename.rpartition("/")
    if folder != LECTURES or not app.config.lecture_pdf_link:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        entry = {"type": "link", "text": ".pdf", "tooltip": "Download this lecture as a PDF",
                 "url": context["pathto"](pdf_path(name), 1), "icon": "fas fa-file-pdf",
                 "label": "download-lecture-pdf"}
        buttons = [b for b in group["buttons"] if b.get("label") != "download-pdf-button"]
        group["buttons"] = buttons + [entry]


def add_deck_link(app, doctree):
    """Under a lecture's title, a line that links its slide deck (front matter `deck:`)."""
    docname = app.env.docname
    if not docname.startswith(LECTURES + "/"):
        return
    try:
        slides = book.deck(Path(app.srcdir) / f"{docname}.md", Path(app.srcdir))
    except ValueError as error:
        raise ExtensionError(str(error)) from None
    section = next(iter(doctree.findall(nodes.section)), None)
    if not slides or section is None:
        return
    up = "../" * docname.count("/")
    line = nodes.paragraph(classes=["deck-link"])
    line += nodes.Text("Slides for this lecture: ")
    line += nodes.reference("", slides[1], refuri=f"{up}slides/{slides[0]}.html")
    if app.config.lecture_pdf_link:
        line += nodes.Text(" (also as a ")
        line += nodes.reference("", "PDF", refuri=f"{up}slides/{slides[0]}.pdf")
        line += nodes.Text(")")
    title = next(iter(section.findall(nodes.title)))
    section.insert(section.index(title) + 1, line)


def setup(app):
    # Link the PDFs when the printer can make them (override in conf to force either way).
    app.add_config_value("lecture_pdf_link", Path(CHROMIUM).exists(), "html")
    app.add_js_file(None, body=SCRIPT)
    app.connect("doctree-read", add_deck_link)
    app.connect("html-page-context", add_pdf_link, priority=700)  # after notebook_links (600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
