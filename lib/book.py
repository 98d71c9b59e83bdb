"""What the build helpers, the bench and the tests read about the book: its pages
(`_toc.yml`), its pins (`requirements*.txt`) and the figures its pages glue; and the
cores the helpers that run notebooks side by side may use.

Glued figures are read from what myst-nb writes beside each executed page:
`_build/jupyter_execute/DOCNAME.glue.json`, one entry per `glue(name, value)`, the
value as its `text/plain` form (the same text the `{glue:text}` role formats).
"""

import json
import os
import re
from pathlib import Path

import yaml

# The book: the folder a command runs in when it holds a book (`_toc.yml`), so that a tool
# run in another checkout that shares this environment reads that checkout; else this
# library's own book.
ROOT = Path.cwd() if (Path.cwd() / "_toc.yml").is_file() else Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "jupyter_execute"   # myst-nb's executed notebooks
LECTURES = "lectures"                            # the pages that are lectures
EXERCISES = "exercises"                          # notebooks folder of the exercises-only flavour
# Preinstalled in Colab and loaded by its runtime at start-up: replacing them would need a
# restart, so the notebooks' install cells leave them as Colab has them.
COLAB_HAS = {"numpy", "scipy", "matplotlib", "pandas", "ipykernel"}
# Unit prefixes of the glue names of measured speeds and sizes (README, "Adding a
# lecture"): seconds, ratios, speed-ups, megabytes, counts of steps. Other glued
# figures (counts of wins, p-values, sentences) are results, not measurements.
MEASUREMENTS = ("t_", "ratio_", "speedup_", "mb_", "steps_")
PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;#\\]+)")


# ------------------------------------------------------------ table of contents

def toc_entries(root: Path = ROOT) -> list[str]:
    """Every `file:` of `_toc.yml`, the root first, in order, without suffix."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for key, value in node.items():
                if key != "file":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [str(Path(f).with_suffix("")) if Path(f).suffix in {".md", ".ipynb"} else f
            for f in found]


def chapters(root: Path = ROOT) -> dict[str, int]:
    """Chapter number of each page in the numbered parts ("lectures/x" -> 1, ...)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    numbered = [c["file"] for part in toc.get("parts", []) if part.get("numbered")
                for c in part.get("chapters", [])]
    return {str(Path(f).with_suffix("")): n for n, f in enumerate(numbered, start=1)}


def lectures(root: Path = ROOT) -> list[str]:
    """The lecture pages of the toc, in book order ("lectures/x", ...)."""
    return [e for e in toc_entries(root) if e.startswith(LECTURES + "/")]


def front_matter(path: Path) -> dict:
    """The YAML front matter of a MyST page ({} when it has none)."""
    text = Path(path).read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    return yaml.safe_load(text[4:text.index("\n---", 3)]) or {}


def deck(path: Path, root: Path = ROOT) -> tuple[str, str] | None:
    """(name, title) of a lecture's slide deck, `slides/NAME.md`: the one its front matter
    names (`deck: NAME`), else the deck with the lecture's own name, else None. ValueError
    naming the page when its front matter names a deck that does not exist."""
    name = front_matter(path).get("deck")
    if not name:
        own = root / "slides" / f"{Path(path).stem}.md"
        name = own.stem if own.is_file() else None
    if not name:
        return None
    source = root / "slides" / f"{name}.md"
    if not source.is_file():
        raise ValueError(f"{path}: its front matter names the deck '{name}', but {source} does not exist")
    title = re.search(r"^# (.+)$", source.read_text(encoding="utf-8"), re.M)
    return name, title[1].strip() if title else name


def decks(root: Path = ROOT) -> dict[str, str | None]:
    """Every deck of `slides/` (name -> the lecture whose front matter names it, or None),
    in the lectures' order, then by name."""
    named = {}
    for doc in lectures(root):
        if (root / f"{doc}.md").is_file() and (found := deck(root / f"{doc}.md", root)):
            named[found[0]] = doc
    order = {name: i for i, name in enumerate(named)}
    found = sorted((p.stem for p in (root / "slides").glob("*.md")),
                   key=lambda name: (order.get(name, len(order)), name))
    return {name: named.get(name) for name in found}


def site_url(root: Path = ROOT) -> str:
    """Where the book is published (`html.baseurl` of _config.yml), ending in a slash."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    url = (config.get("html") or {}).get("baseurl")
    if not url:
        raise ValueError(f"{root / '_config.yml'}: html.baseurl (where the book is published) is not set")
    return url.rstrip("/") + "/"


# ------------------------------------------------------------ pins

def norm(name: str) -> str:
    """A distribution name in its normalized form (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines) -> dict[str, str]:
    """Normalized name -> version of every `name==version` (extras dropped) in `lines`:
    a path (read as text) or an iterable of lines."""
    if isinstance(lines, (str, Path)):
        lines = Path(lines).read_text(encoding="utf-8").splitlines()
    return {norm(m[1]): m[2] for line in lines if (m := PIN.match(line))}


# ------------------------------------------------------------ glued figures

def glued(docname: str, executed: Path = EXECUTED) -> dict[str, str] | None:
    """name -> text/plain of every figure the executed page `docname` glued,
    in the page's order; None when the page has no executed notebook."""
    page = executed / f"{docname}.ipynb"
    if not page.is_file():
        return None
    data = executed / f"{docname}.glue.json"
    # myst-nb writes it right after the notebook, and leaves an old one when a page stops gluing
    if not data.is_file() or data.stat().st_mtime < page.stat().st_mtime:
        return {}
    entries = json.loads(data.read_text(encoding="utf-8"))
    return {name: out.get("data", {}).get("text/plain", "") for name, out in entries.items()}


def measurements(executed: Path = EXECUTED, root: Path = ROOT) -> list[tuple[str, str, str]]:
    """(page, name, text) of every figure every executed lecture glued, lectures in
    book order (those the toc of `root` lacks after them, by name)."""
    order = {Path(doc).name: i for i, doc in enumerate(lectures(root))}
    pages = sorted((p.name.removesuffix(".ipynb") for p in (executed / LECTURES).glob("*.ipynb")),
                   key=lambda page: (order.get(page, len(order)), page))
    return [(page, name, text) for page in pages
            for name, text in (glued(f"{LECTURES}/{page}", executed) or {}).items()]


def number(text: str) -> float | str:
    """A glued text/plain read as the {glue:text} role reads it: a float where it is a
    number, a string literal unquoted, anything else as it is."""
    from ast import literal_eval
    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        return text
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value if isinstance(value, str) else text


def shown(text: str) -> str:
    """A glued value as the status page and `make bench` list it: a number to four
    significant digits, anything else as glued."""
    value = number(text)
    return f"{value:.4g}" if isinstance(value, float) else text


# ------------------------------------------------------------ this machine

def cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1
