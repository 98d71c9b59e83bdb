"""Sphinx extension for the decks: figures and numbers from the lectures' own execution.

A deck states nothing its lecture does not, so it does not compute them again: the
lecture glues a figure or a number (`glue("fig_paths", fig, display=False)`), the
book build executes the lecture, and the deck shows what that execution glued:

    ```{lecture-figure} optimizers fig_paths
    :alt: Paths of gradient descent and momentum on the contours of a quadratic.
    ```

    Adam took {lecture-glue}`optimizers:steps_adam` steps.

`{lecture-glue}` takes `PAGE:NAME` or `PAGE:NAME:FORMAT` (formatted as myst-nb's
`{glue:text}` formats it). The glued outputs are read from what myst-nb keeps of the executed
lecture, `_build/jupyter_execute/lectures/PAGE.glue.json`, so the book is built
before the decks (`make slides` builds it first). A page or a name that the executed
lecture lacks, or a figure without alt text, stops the deck's build with a message
that names the deck, the line and what is missing.
"""

import base64
import hashlib
import json
import os
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective, SphinxRole

BUILD = Path(__file__).resolve().parents[1] / "_build"
EXECUTED = BUILD / "jupyter_execute" / "lectures"
FIGURES = BUILD / "deck_figures"     # the glued figures as files, for the deck builder to copy
IMAGES = {"image/svg+xml": ".svg", "image/png": ".png"}
_cache: dict[str, dict] = {}


def glued_outputs(page: str) -> dict[str, dict]:
    """name -> {mime type: data} of everything the executed lecture `page` glued (myst-nb
    writes them beside the executed notebook, in PAGE.glue.json)."""
    if page not in _cache:
        path = EXECUTED / f"{page}.glue.json"
        if not path.is_file():
            raise KeyError(f"no glued figures of lecture '{page}' ({path} is missing): "
                           "build the book first (make html)")
        _cache[page] = {name: out.get("data", {}) for name, out in
                        json.loads(path.read_text(encoding="utf-8")).items()}
    return _cache[page]


def lookup(page: str, name: str) -> dict:
    found = glued_outputs(page)
    if name not in found:
        raise KeyError(f"lecture '{page}' glued no '{name}' (it glued: {', '.join(found) or 'nothing'})")
    return found[name]


class LectureGlue(SphinxRole):
    """{lecture-glue}`PAGE:NAME[:FORMAT]`: a number the lecture glued, formatted."""

    def run(self):
        from myst_nb.core.variables import format_plain_text
        page, _, rest = self.text.partition(":")
        name, _, spec = rest.partition(":")
        try:
            text = format_plain_text(lookup(page, name)["text/plain"], spec)
        except KeyError as error:
            raise ExtensionError(f"{self.get_location()}: {error.args[0]}") from None
        return [nodes.inline(text=text, classes=["lecture-glue"])], []


class LectureFigure(SphinxDirective):
    """{lecture-figure} PAGE NAME, with :alt:: a figure the lecture glued."""

    required_arguments = 2
    option_spec = {"alt": directives.unchanged_required, "width": directives.unchanged}

    def run(self):
        page, name = self.arguments
        where = f"{self.env.doc2path(self.env.docname)}:{self.lineno}"
        if not self.options.get("alt", "").strip():
            raise ExtensionError(f"{where}: lecture-figure {page} {name} needs :alt: text")
        try:
            data = lookup(page, name)
        except KeyError as error:
            raise ExtensionError(f"{where}: {error.args[0]}") from None
        mime = next((m for m in IMAGES if m in data), None)
        if mime is None:
            raise ExtensionError(f"{where}: '{name}' of lecture '{page}' is not a figure "
                                 f"(glued as {', '.join(data)})")
        content = data[mime]
        raw = content.encode() if mime == "image/svg+xml" else base64.b64decode(content)
        if isinstance(content, list):   # nbformat may split text outputs into lines
            raw = "".join(content).encode()
        digest = hashlib.sha1(raw).hexdigest()[:12]
        FIGURES.mkdir(parents=True, exist_ok=True)
        target = FIGURES / f"{page}-{name}-{digest}{IMAGES[mime]}"
        if not target.exists():
            target.write_bytes(raw)
        self.env.note_dependency(str(EXECUTED / f"{page}.glue.json"))
        uri = Path("/") / Path(os.path.relpath(target, self.env.srcdir))   # from the deck folder
        image = nodes.image(uri=uri.as_posix(), alt=self.options["alt"])
        if "width" in self.options:
            image["width"] = self.options["width"]
        return [image]


def setup(app):
    app.add_role("lecture-glue", LectureGlue())
    app.add_directive("lecture-figure", LectureFigure)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
