"""Sphinx configuration of the reveal.js slide decks (built with `make slides`).

The deck is a MyST notebook: myst-nb executes its code cells and sphinx-revealjs
writes the slides. It is built with a plain `sphinx-build -b revealjs` rather
than through jupyter-book, which would add its own theme and scripts to the
page. Everything the deck loads (reveal.js, its plugins, MathJax, fonts) is
copied into the build output, so the slides work without a network.
"""

project = "Deep Learning"
author = "The workshop's instructors"
copyright = "2026"

root_doc = "deep_learning"
language = "en"                       # <html lang="en">: screen readers pick the voice
# Every deck is one page, slides/NAME.md; the decks other than the root one say
# `orphan: true` in their front matter (no deck includes another).
# deck_glue (_ext/deck_glue.py, on PYTHONPATH from the Makefile) shows in a deck what its
# lecture glued.
extensions = ["myst_nb", "sphinx_revealjs", "deck_glue"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# --- MyST and execution -------------------------------------------------------
myst_enable_extensions = ["amsmath", "colon_fence", "dollarmath"]
# A deck links pages of the built book (`[the lecture](../lectures/NAME.html)`), which
# are not documents of this project: every link is written out as it stands.
myst_all_links_external = True
nb_execution_mode = "cache"           # re-run only when a code cell changes
nb_execution_timeout = 120
nb_execution_raise_on_error = True    # a failing cell (or assert) fails the build
nb_execution_show_tb = True
# myst-nb has no output priorities for the revealjs builder: without these,
# every cell output (figures included) would be dropped.
nb_mime_priority_overrides = [
    ("revealjs", "text/html", 10),
    ("revealjs", "image/svg+xml", 20),
    ("revealjs", "image/png", 30),
    ("revealjs", "text/latex", 40),
    ("revealjs", "text/plain", 50),
]

# --- Maths: MathJax 3 from the build output (installed by `make vendor`) ------
html_extra_path = ["../_build/vendor"]
mathjax_path = "mathjax/tex-chtml.js"  # resolved under _static/

# --- Reveal.js ------------------------------------------------------------------
revealjs_style_theme = "white"        # its fonts ship with reveal.js (no web fonts)
# The "simple" page template: its viewport tag lets readers zoom (the default
# "basic" one sets user-scalable=no and maximum-scale=1, which WCAG forbids).
revealjs_html_theme = "revealjs-simple"
revealjs_static_path = ["_static"]
revealjs_css_files = [
    "revealjs/plugin/highlight/monokai.css",
    "deck.css",
]
revealjs_script_plugins = [
    {"name": "RevealHighlight", "src": "revealjs/plugin/highlight/highlight.js"},
    {"name": "RevealNotes", "src": "revealjs/plugin/notes/notes.js"},
]
# A JavaScript object literal (a string, so that it may hold a function):
# 16:9 slides, numbers on every slide and in print, the arrow keys walk through
# every slide in order, one PDF page per slide, and code cells highlighted as
# Python (myst-nb labels them "ipython3", a name highlight.js does not know).
revealjs_script_conf = """{
    width: 1280,
    height: 720,
    margin: 0.04,
    hash: true,
    center: false,
    transition: 'none',
    slideNumber: 'c/t',
    showSlideNumber: 'all',
    navigationMode: 'linear',
    pdfMaxPagesPerSlide: 1,
    pdfSeparateFragments: false,
    highlight: {
        beforeHighlight: (hljs) => {
            hljs.registerAliases(['ipython3', 'ipython'], {languageName: 'python'});
            hljs.registerAliases(['myst-ansi', 'none', 'default'], {languageName: 'plaintext'});
        }
    }
}"""

# A deck is one page: no index, search page or copied sources.
html_use_index = False
html_copy_source = False
html_show_sourcelink = False
html_title = "Deep Learning"


def _one_viewport_tag(app, pagename, templatename, context, doctree):
    """Drop docutils' viewport tag from the page's meta tags: the template has its own."""
    context["metatags"] = "\n".join(line for line in context.get("metatags", "").splitlines()
                                    if 'name="viewport"' not in line)


def setup(app):
    app.connect("html-page-context", _one_viewport_tag)
