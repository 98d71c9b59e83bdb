"""Sphinx extension: Colab and download links to the generated notebooks.

On every lecture page (a page under lectures/) it
- points sphinx-book-theme's Colab launch button at the generated notebook
  (the theme's own button would open the .md source, which Colab cannot read),
  and adds a second one for the exercises-only notebook;
- replaces the theme's ".ipynb" download (the executed notebook, MyST directives
  and all) by the two generated notebooks, full and exercises-only;
and after a successful HTML build it writes those notebooks to OUTDIR/_notebooks
with the generator lib/notebooks.py, so the links resolve in any build of the site (bad
input stops the build with the generator's `file:line: message`).

Colab links are COLAB_URL/github/ORG/REPO/blob/BRANCH/[FOLDER/][exercises/]NAME.ipynb,
from `_config.yml`: `repository.url` (ORG/REPO) and, under `launch_buttons`,
`colab_url`, `notebooks_branch` and `notebooks_path` (FOLDER). The publish workflow
pushes the contents of _build/html/_notebooks to that branch and folder.
"""

from pathlib import Path

import notebooks  # the generator (lib/notebooks.py)
from cell_errors import stop_build

FOLDER = "_notebooks"  # of the site


def colab_url(theme_options: dict, name: str, exercises: bool = False) -> str:
    """The Colab URL of the generated notebook NAME (full or exercises-only)."""
    launch = theme_options.get("launch_buttons", {})
    repo = theme_options["repository_url"].rstrip("/").split("github.com/")[1]
    path = "/".join(filter(None, [launch.get("notebooks_path", "").strip("/"),
                                  notebooks.EXERCISES if exercises else "", f"{name}.ipynb"]))
    colab = launch.get("colab_url", "https://colab.research.google.com").rstrip("/")
    return f"{colab}/github/{repo}/blob/{launch.get('notebooks_branch', 'notebooks')}/{path}"


def _button(text, tooltip, url, icon, label):
    return {"type": "link", "text": text, "tooltip": tooltip, "url": url,
            "icon": icon, "label": label}


def add_links(app, pagename, templatename, context, doctree):
    """Rewrite the launch and download buttons of a page (after the theme's): the
    theme's Colab button opens the .md source, so it goes from every page."""
    folder, _, name = pagename.rpartition("/")
    buttons = context.get("header_buttons", [])
    for group in [b for b in buttons if b.get("label") == "launch-buttons"]:
        group["buttons"] = [b for b in group["buttons"] if b.get("text") != "Colab"]
        if not group["buttons"]:
            buttons.remove(group)
    if folder != notebooks.LECTURES or "header_buttons" not in context:
        return
    opts, pathto = app.config.html_theme_options, context["pathto"]
    colab = [_button("Colab", "Launch on Colab", colab_url(opts, name),
                     "_static/images/logo_colab.png", "colab-notebook"),
             _button("Colab: exercises", "Launch the exercises-only notebook on Colab",
                     colab_url(opts, name, exercises=True),
                     "_static/images/logo_colab.png", "colab-exercises")]
    downloads = [_button(".ipynb", "Download the notebook",
                         pathto(f"{FOLDER}/{name}.ipynb", 1), "fas fa-code",
                         "download-notebook"),
                 _button(".ipynb (exercises)", "Download the exercises-only notebook",
                         pathto(f"{FOLDER}/{notebooks.EXERCISES}/{name}.ipynb", 1),
                         "fas fa-pencil", "download-exercises")]
    groups = {b.get("label"): b for b in context["header_buttons"]}
    if "launch-buttons" not in groups:
        groups["launch-buttons"] = {"type": "group", "tooltip": "Launch interactive content",
                                    "icon": "fas fa-rocket", "buttons": [],
                                    "label": "launch-buttons"}
        context["header_buttons"].append(groups["launch-buttons"])
    groups["launch-buttons"]["buttons"][:0] = colab
    if "download-buttons" in groups:
        group = groups["download-buttons"]
        group["buttons"] = downloads + [b for b in group["buttons"]
                                        if b.get("label") != "download-notebook-button"]


def write_notebooks(app, exception):
    """Generate the notebooks into the site once the HTML build has succeeded, with
    the figures the pages glued (myst-nb keeps the executed pages beside the output)."""
    if exception is None and app.builder.format == "html":
        try:
            notebooks.build(Path(app.outdir) / FOLDER, executed=Path(app.outdir).parent / "jupyter_execute",
                            root=Path(app.srcdir))
        except notebooks.NotebookError as error:
            stop_build(f"error: {error}")


def setup(app):
    app.connect("html-page-context", add_links, priority=600)  # after the theme (501)
    app.connect("build-finished", write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
