"""Generate the Colab/download notebooks of the lectures, full and exercises-only.

For every lecture (a MyST notebook, `lectures/NAME.md`) this writes

    OUT/NAME.ipynb             the whole lecture
    OUT/exercises/NAME.ipynb   every exercise, every solution replaced by a short note

jupytext reads the MyST file into cells; this script turns the MyST directives and
roles of the markdown cells into plain markdown that Colab and Jupyter render, puts
an install cell first (it installs the book's pinned versions of the packages the
lecture imports and Colab lacks, and does nothing outside Colab), marks lectures
that include the GPU admonition with `accelerator: GPU`, and writes nbformat 4
notebooks with no outputs. Output is deterministic.

Bad input (an exercise without a solution, a solution without its exercise, a
directive or role this script does not know) stops it with `file:line: message`.

Usage: python tools/notebooks.py [--out DIR] [LECTURE.md ...]
       (default: every lectures/*.md into _build/html/_notebooks)
       python tools/notebooks.py --print-branch | --print-folder
       (where the Colab links point: `launch_buttons` in _config.yml)
"""

import argparse
import base64
import functools
import importlib.metadata
import mimetypes
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupytext.myst import get_parser, myst_to_notebook
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from packaging.requirements import Requirement
from pybtex.plugin import find_plugin
import pybtex.database
import yaml

ROOT = Path(__file__).resolve().parents[1]
LECTURES = "lectures"            # every page in this folder gets notebooks
OUT = ROOT / "_build" / "html" / "_notebooks"
EXERCISES = "exercises"          # sub-folder of OUT for the exercises-only flavour
GPU_ADMONITION = "gpu.md"        # a lecture that includes it benefits from a GPU
# Preinstalled in Colab and loaded by its runtime: replacing them would need a restart.
COLAB_HAS = {"numpy", "scipy", "matplotlib", "pandas", "ipykernel"}
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

ADMONITIONS = {"note", "warning", "tip", "important", "hint", "caution", "attention",
               "danger", "error", "seealso", "admonition", "dropdown", "margin", "sidebar",
               "epigraph", "topic"}
CODE_BLOCKS = {"code-block", "code", "sourcecode"}
DROPPED = {"tableofcontents"}    # site navigation, nothing to show in a notebook
PARSER = get_parser().use(colon_fence_plugin).use(dollarmath_plugin)
ROLE = re.compile(r"(?<!`)\{([\w:.-]+)\}`([^`]*)`")
OPTION = re.compile(r"^:([\w-]+):\s*(.*)$")


class NotebookError(Exception):
    """Bad input, reported as `file:line: message`."""

    def __init__(self, path: Path, line: int, message: str):
        super().__init__(f"{_rel(path)}:{line}: {message}")


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


@dataclass
class Piece:
    """A run of the output: markdown text, a code cell, or a solution boundary."""
    kind: str                    # "md", "code", "break" (of cells), "sol-start", "sol-end"
    text: str = ""
    cell: dict | None = None


@dataclass
class Lecture:
    """What one pass over a lecture learns and produces."""
    path: Path
    pieces: list = field(default_factory=list)
    exercises: dict = field(default_factory=dict)   # label -> (number, line)
    solutions: dict = field(default_factory=dict)   # label -> line
    labels: dict = field(default_factory=dict)      # label -> text for {ref}
    equations: dict = field(default_factory=dict)   # label -> number
    cited: list = field(default_factory=list)       # citation keys, in order
    gpu: bool = False
    open_exercise: tuple | None = None              # (label, line) of an exercise-start
    open_solution: tuple | None = None              # (label, line) of a solution-start


# ---------------------------------------------------------------- directives

def _split_options(body: str) -> tuple[dict, list[str], int]:
    """Directive options (`:key: value` lines or a `---` YAML block), the body lines,
    and how many lines the options took."""
    lines = body.splitlines()
    options, n = {}, 0
    if lines and lines[0].strip() == "---":
        end = lines.index("---", 1)
        options = yaml.safe_load("\n".join(lines[1:end])) or {}
        n = end + 1
    else:
        while n < len(lines) and (m := OPTION.match(lines[n])):
            options[m[1]] = m[2].strip()
            n += 1
    return options, lines[n:], n


def _quote(title: str, body: str) -> str:
    """An admonition as a markdown block quote with a bold title."""
    lines = [f"**{title}**", ""] + body.splitlines() if title else body.splitlines()
    return "\n".join(f"> {x}".rstrip() for x in lines)


def _image(lec: Lecture, src: str, alt: str, path: Path, line: int) -> str:
    """A markdown image; local files are embedded, since a notebook travels alone."""
    if not re.match(r"^[a-z]+:", src):
        file = (ROOT / src.lstrip("/")) if src.startswith("/") else path.parent / src
        if not file.is_file():
            raise NotebookError(path, line, f"image '{src}' not found")
        mime = mimetypes.guess_type(file.name)[0] or "image/png"
        src = f"data:{mime};base64,{base64.b64encode(file.read_bytes()).decode()}"
    return f"![{alt}]({src})"


def _directive(lec: Lecture, name: str, arg: str, body: str, path: Path, line: int,
               fence: str) -> str:
    """Markdown for one directive; `line` is its fence line in `path`."""
    options, lines, skip = _split_options(body)

    def text():
        parts = _markdown(lec, "\n".join(lines), path, line + 1 + skip)
        if any(isinstance(x, _Boundary) for x in parts):
            raise NotebookError(path, line, f"a solution inside '{{{name}}}' is not supported")
        return "\n\n".join(x for x in parts if x).strip("\n")

    if name in ADMONITIONS:
        title = arg if name in {"admonition", "dropdown", "sidebar", "topic"} else (
            "See also" if name == "seealso" else "" if name in {"margin", "epigraph"}
            else name.capitalize())
        return _quote(title, text())
    if name in {"exercise", "exercise-start"}:
        label = options.get("label")
        if not label:
            raise NotebookError(path, line, f"{name} has no :label:, so no solution can refer to it")
        if lec.open_exercise:
            raise NotebookError(path, line, f"{name} '{label}' starts inside exercise "
                                f"'{lec.open_exercise[0]}' (line {lec.open_exercise[1]})")
        number = lec.exercises[label][0]
        head = f"<a id=\"{label}\"></a>\n**Exercise {number}**" + (f" ({arg})" if arg else "")
        if name == "exercise-start":
            lec.open_exercise = (label, line)
            return head
        return head + "\n\n" + text()
    if name == "exercise-end":
        if not lec.open_exercise:
            raise NotebookError(path, line, "exercise-end without an exercise-start")
        lec.open_exercise = None
        return ""
    if name in {"solution", "solution-start"}:
        if arg not in lec.exercises:
            raise NotebookError(path, line, f"{name} for '{arg}', but the lecture has no "
                                "exercise with that label")
        if lec.open_solution:
            raise NotebookError(path, line, f"{name} '{arg}' starts inside the solution "
                                f"of '{lec.open_solution[0]}' (line {lec.open_solution[1]})")
        lec.solutions[arg] = line
        head = f"**Solution to Exercise {lec.exercises[arg][0]}**"
        if name == "solution-start":
            lec.open_solution = (arg, line)
            return _Boundary("sol-start", arg, head)
        return _Boundary("sol-start", arg, head + "\n\n" + text(), closes=True)
    if name == "solution-end":
        if not lec.open_solution:
            raise NotebookError(path, line, "solution-end without a solution-start")
        label, lec.open_solution = lec.open_solution[0], None
        return _Boundary("sol-end", label, "")
    if name == "include":
        file = (path.parent / arg).resolve()
        if not file.is_file():
            raise NotebookError(path, line, f"include '{arg}' not found")
        lec.gpu |= file.name == GPU_ADMONITION
        return "\n\n".join(_markdown(lec, file.read_text(encoding="utf-8"), file, 1))
    if name in {"figure", "image"}:
        image = _image(lec, arg, options.get("alt", ""), path, line)
        caption = text().strip() if name == "figure" else ""
        if options.get("name"):
            image = f"<a id=\"{options['name']}\"></a>\n{image}"
        return image + (f"\n\n*{caption}*" if caption else "")
    if name == "math":
        tex = "\n".join(lines).strip()
        label = options.get("label") or options.get("name")
        return _math(lec, tex, label)
    if name in CODE_BLOCKS:
        ticks = "`" * max(3, len(fence))
        return f"{ticks}{arg}\n" + "\n".join(lines) + f"\n{ticks}"
    if name == "raw":
        return "\n".join(lines) if arg.strip() == "html" else ""
    if name == "bibliography":
        refs = _references()
        return "\n".join(f"- [{key}] {refs.get(key, '')}".rstrip() for key in lec.cited)
    if name in DROPPED:
        return ""
    if name == "code-cell":
        raise NotebookError(path, line, "code-cell inside another directive or a list")
    raise NotebookError(path, line, f"unknown directive '{{{name}}}': the notebook "
                        "generator (tools/notebooks.py) does not know how to convert it")


@functools.cache
def _references() -> dict[str, str]:
    """Citation key -> formatted reference (markdown), from the book's `bibtex_bibfiles`."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    files = config.get("bibtex_bibfiles") or config.get("sphinx", {}).get(
        "config", {}).get("bibtex_bibfiles") or []
    if not files:
        return {}
    bib = pybtex.database.BibliographyData()
    for f in files:
        bib.add_entries(pybtex.database.parse_file(ROOT / f).entries.items())
    style = find_plugin("pybtex.style.formatting", "plain")()
    return {e.key: e.text.render_as("markdown").replace("\n", " ")
            for e in style.format_entries(bib.entries.values())}


def _math(lec: Lecture, tex: str, label: str | None) -> str:
    if "\\\\" in tex and "\\begin" not in tex:
        tex = f"\\begin{{aligned}}\n{tex}\n\\end{{aligned}}"
    if label:
        tex += f" \\tag{{{lec.equations.setdefault(label, len(lec.equations) + 1)}}}"
    return f"$$\n{tex}\n$$"


class _Boundary(str):
    """Markdown that also opens or closes a solution (kept apart in the output)."""

    def __new__(cls, kind, label, text, closes=False):
        self = super().__new__(cls, text)
        self.kind, self.label, self.closes = kind, label, closes
        return self


# ---------------------------------------------------------------- roles

def _roles(lec: Lecture, text: str, path: Path, line: int) -> str:
    """Replace MyST roles in a piece of prose by plain markdown."""
    def one(m):
        name, content = m[1], m[2]
        shown, target = (content, content)
        if (t := re.match(r"^(.*?)\s*<([^>]+)>$", content, re.S)):
            shown, target = t[1], t[2]
        if name == "math":
            return f"${content}$"
        if name == "eq":
            return f"({lec.equations.get(content, content)})"
        if name in {"ref", "numref", "prf:ref"}:
            return shown if shown != target else lec.labels.get(target, target)
        if name == "doc":
            if shown != target:
                return shown
            doc = (ROOT / target.lstrip("/") if target.startswith("/")
                   else path.parent / target).with_suffix(".md")
            heading = re.search(r"^# (.+)$", doc.read_text(encoding="utf-8"), re.M) \
                if doc.is_file() else None
            return heading[1].strip() if heading else target
        if name == "cite" or name.startswith("cite:"):
            keys = [k.strip() for k in content.split(",")]
            lec.cited += [k for k in keys if k not in lec.cited]
            return f"[{', '.join(keys)}]"
        if name in {"code", "literal"}:
            return f"`{content}`"
        if name in {"kbd", "sub", "sup"}:
            return f"<{name}>{content}</{name}>"
        if name in {"abbr", "term", "download", "index"}:
            return re.sub(r"\s*\(.*\)$", "", shown)
        raise NotebookError(path, line + text[:m.start()].count("\n"),
                            f"unknown role '{{{name}}}': the notebook generator "
                            "(tools/notebooks.py) does not know how to convert it")
    return ROLE.sub(one, text)


# ---------------------------------------------------------------- markdown

def _markdown(lec: Lecture, text: str, path: Path, line: int) -> list[str]:
    """Convert MyST markdown (starting at `line` of `path`) to markdown pieces; a piece
    that opens or closes a solution is a `_Boundary`."""
    src = text.splitlines()
    out, pos = [], 0

    def prose(upto):
        chunk = "\n".join(src[pos:upto]).strip("\n")
        if chunk.strip():
            out.append(_roles(lec, chunk, path, line + pos))

    for tok in PARSER.parse(text + "\n"):
        if not tok.map:
            continue
        start, end = tok.map
        is_directive = tok.type in {"fence", "colon_fence"} and tok.info.startswith("{")
        if tok.level > 0:
            if is_directive:
                raise NotebookError(path, line + start, f"directive '{tok.info.split()[0]}' "
                                    "inside a list or a quote is not supported; move it out")
            continue
        if is_directive:
            prose(start)
            name, _, arg = tok.info.partition("}")
            out.append(_directive(lec, name[1:], arg.strip(), tok.content, path,
                                  line + start, tok.markup))
        elif tok.type == "myst_target":
            prose(start)
            out.append(f"<a id=\"{tok.content}\"></a>")
        elif tok.type == "myst_line_comment":
            prose(start)
        elif tok.type == "math_block_label":
            prose(start)
            out.append(_math(lec, tok.content.strip(), tok.info))
        elif tok.type in {"fence", "code_block", "math_block"}:
            prose(start)
            out.append("\n".join(src[start:end]))
        else:
            continue
        pos = end
    prose(len(src))
    return out


def _scan_labels(lec: Lecture, text: str, chapter: int | None = None) -> None:
    """Number the exercises (as the site does: chapter.k) and find the targets of {ref}."""
    prefix = f"{chapter}." if chapter else ""
    for m in re.finditer(r"^(`{3,}|:{3,})\{exercise(?:-start)?\}.*\n((?::.*\n)*)", text, re.M):
        if (label := re.search(r"^:label:\s*(\S+)", m[2], re.M)):
            number = f"{prefix}{len(lec.exercises) + 1}"
            lec.exercises.setdefault(label[1], (number, text[:m.start()].count("\n") + 1))
            lec.labels[label[1]] = f"Exercise {lec.exercises[label[1]][0]}"
    for m in re.finditer(r"^\(([^)\s]+)\)=\s*\n+#+\s+(.+)$", text, re.M):
        lec.labels[m[1]] = m[2].strip()
    math = r"^(?:`{3,}|:{3,})\{math\}.*\n(?::.*\n)*?:(?:label|name):\s*(\S+)|^\$\$\s*\((\S+)\)\s*$"
    for m in re.finditer(math, text, re.M):
        lec.equations.setdefault(m[1] or m[2], len(lec.equations) + 1)


# ---------------------------------------------------------------- notebooks

def _pins() -> dict[str, str]:
    """Exact versions from the lock (requirements.txt), by normalized name."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if (m := re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)):
            pins[_norm(m[1])] = m[2]
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_packages(code: str) -> list[str]:
    """`name==version` for the pinned top-level packages the code imports (and their
    pinned top-level dependencies), less those Colab has and must keep."""
    top = {_norm(Requirement(x).name) for x in (ROOT / "requirements.in").read_text().splitlines()
           if x.strip() and not x.lstrip().startswith("#")}
    modules = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", code, re.M))
    modules |= {m for line in re.findall(r"^\s*import\s+(.+)$", code, re.M)
                for m in re.findall(r"(?:^|,)\s*([A-Za-z_]\w*)", line)}
    dists = importlib.metadata.packages_distributions()
    todo = [_norm(d) for m in sorted(modules) for d in dists.get(m, [])]
    wanted = set()
    while todo:
        name = todo.pop()
        if name in top and name not in wanted:
            wanted.add(name)
            for r in importlib.metadata.requires(name) or []:
                req = Requirement(r)
                if req.marker is None or req.marker.evaluate({"extra": ""}):
                    todo.append(_norm(req.name))
    pins = _pins()
    return [f"{n}=={pins[n]}" for n in sorted(wanted - COLAB_HAS) if n in pins]


def install_cell(packages: list[str]) -> str:
    """The first cell: pip-installs the pins in Colab, does nothing elsewhere."""
    listed = ", ".join(f'"{p}"' for p in packages if not p.startswith("jax=="))
    jax = next((p.split("==")[1] for p in packages if p.startswith("jax==")), None)
    lines = [
        "# In Colab, install the versions this book was built and checked with.",
        "# Anywhere else this cell does nothing: set up the book's environment instead.",
        "import shutil, subprocess, sys",
        "",
        'if "google.colab" in sys.modules:',
    ]
    if jax:
        lines += [f'    jax = "jax[cuda12]=={jax}" if shutil.which("nvidia-smi") else "jax=={jax}"',
                  f'    packages = [jax, {listed}]']
    else:
        lines += [f"    packages = [{listed}]"]
    lines += ['    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *packages],',
              "                   check=True)"]
    return "\n".join(lines)


def chapters(root: Path = ROOT) -> dict[str, int]:
    """Chapter number of each page in the numbered parts of _toc.yml ("lectures/x" -> 1, ...)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    numbered = [c["file"] for part in toc.get("parts", []) if part.get("numbered")
                for c in part.get("chapters", [])]
    return {str(Path(f).with_suffix("")): n for n, f in enumerate(numbered, start=1)}


def convert(path: Path, chapter: int | None = None) -> tuple[dict, dict]:
    """The full and the exercises-only notebook of the MyST lecture at `path`.

    `chapter` is the lecture's number in the book; its exercises are numbered chapter.k,
    as on the site (sphinx-exercise numbers them so in a numbered table of contents).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    lec = Lecture(path)
    _scan_labels(lec, text, chapter)
    nb = myst_to_notebook(text, add_source_map=True)
    lines = text.splitlines()
    for cell, start in zip(nb.cells, nb.metadata["source_map"]):
        if cell.cell_type == "markdown":
            while start < len(lines) and not lines[start].strip():
                start += 1          # jupytext strips leading blank lines
            for part in _markdown(lec, cell.source, path, start + 1):
                kind = getattr(part, "kind", "md")
                if kind != "md":
                    lec.pieces.append(Piece(kind, part.label))
                if part:
                    lec.pieces.append(Piece("md", str(part)))
                if getattr(part, "closes", False):
                    lec.pieces.append(Piece("sol-end", part.label))
            lec.pieces.append(Piece("break"))
        elif cell.cell_type == "code":
            lec.pieces.append(Piece("code", cell=cell))
    for label, line in filter(None, [lec.open_exercise, lec.open_solution]):
        raise NotebookError(path, line, f"'{label}' is never closed (no matching -end)")
    for label, (_, line) in lec.exercises.items():
        if label not in lec.solutions:
            raise NotebookError(path, line, f"exercise '{label}' has no solution")

    code = "\n".join(p.cell.source for p in lec.pieces if p.kind == "code")
    head = nbformat.v4.new_code_cell(install_cell(colab_packages(code)))
    head.metadata["tags"] = ["colab-install"]
    return (_notebook(lec, head, solutions=True), _notebook(lec, head, solutions=False))


def _notebook(lec: Lecture, head, solutions: bool) -> dict:
    cells, md, skipping = [head], [], False

    def flush():
        if md:
            cells.append(nbformat.v4.new_markdown_cell("\n\n".join(md)))
            md.clear()

    for p in lec.pieces:
        if p.kind == "sol-start" and not solutions:
            number = lec.exercises[p.text][0]
            md.append(f"> **Solution to Exercise {number}** is not part of this notebook: "
                      "work it out yourself, then compare with the full notebook or the "
                      "lecture's web page.")
            skipping = True
        elif p.kind == "sol-end":
            skipping = False
        elif skipping or p.kind == "sol-start":
            continue
        elif p.kind == "md":
            md.append(p.text)
        elif p.kind == "break":
            flush()
        else:
            flush()
            cell = nbformat.v4.new_code_cell(p.cell.source)
            if p.cell.metadata.get("tags"):
                cell.metadata["tags"] = list(p.cell.metadata["tags"])
            cells.append(cell)
    flush()
    name = lec.path.stem
    for i, cell in enumerate(cells):
        cell.id = f"{name[:50]}-{i:03d}"
    metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    if lec.gpu:
        metadata |= {"accelerator": "GPU", "colab": {"gpuType": "T4"}}
    nb = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    nbformat.validate(nb)
    return nb


def build(out: Path = OUT, lectures: list[Path] | None = None) -> list[Path]:
    """Write both flavours of every lecture under `out` (emptied first)."""
    lectures = lectures or sorted((ROOT / LECTURES).glob("*.md"))
    numbers = chapters()
    done = [(p, *convert(p, numbers.get(f"{LECTURES}/{Path(p).stem}")))
            for p in lectures]                      # fail before writing anything
    shutil.rmtree(out, ignore_errors=True)
    (out / EXERCISES).mkdir(parents=True)
    written = []
    for path, full, exercises in done:
        for folder, nb in ((out, full), (out / EXERCISES, exercises)):
            target = folder / f"{path.stem}.ipynb"
            nbformat.write(nb, target)
            written.append(target)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("lectures", nargs="*", type=Path)
    parser.add_argument("--print-branch", action="store_true",
                        help="print the branch the Colab links point to, and exit")
    parser.add_argument("--print-folder", action="store_true",
                        help="print the folder of that branch they point to, and exit")
    args = parser.parse_args(argv)
    if args.print_branch or args.print_folder:
        launch = yaml.safe_load((ROOT / "_config.yml").read_text())["launch_buttons"]
        key, default = ("notebooks_branch", "notebooks") if args.print_branch else ("notebooks_path", "")
        print(str(launch.get(key, default)).strip("/"))
        return 0
    try:
        written = build(args.out, args.lectures)
    except NotebookError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"notebooks: wrote {len(written)} notebooks to {_rel(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
