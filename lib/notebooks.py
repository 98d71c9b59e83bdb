"""Generate the Colab/download notebooks of the lectures, full and exercises-only.

For every lecture (a MyST notebook, `lectures/NAME.md`) this writes

    OUT/NAME.ipynb             the whole lecture
    OUT/exercises/NAME.ipynb   every exercise, every solution replaced by a short note

jupytext reads the MyST file into cells. The markdown keeps what Colab renders
(headings, prose, `$` and `$$` maths) and converts exactly the MyST the lectures use:

- directives: `{include}`, `{admonition}` and `{note}`/`{warning}`/`{tip}`/`{important}`,
  `{dropdown}` (a collapsed `<details>` block),
  `{exercise-start}`/`{exercise-end}` (numbered N.k as on the site) and
  `{solution-start}`/`{solution-end}`;
- roles: `{ref}`, `{doc}` (a link to the other page on the published site, `html.baseurl`)
  and `{glue:text}` (the value this build glued, read from the executed page in
  _build/jupyter_execute, formatted as the site formats it; a measured figure, a glued
  name with a prefix of book.MEASUREMENTS such as `t_`, is followed by "(on the book's CPU
  build)", naming the build's platform, so that a reader tells it from their own outputs,
  unless its paragraph already says that its figures come from "the book's build");
- a lecture whose front matter names a deck (`deck: NAME`) links it under its title;
- `(label)=` targets and `%` comments.

Anything else stops it with `file:line: message`, as does an exercise without its
solution or a glued name the executed page lacks.

Code cells: an install cell comes first (the book's pins of the packages the lecture
imports and Colab lacks; it does nothing outside Colab). Cells tagged `remove-cell`
(hidden on the site) collapse in Colab into a form titled "Check the claims above"
(or "Set-up hidden on the site" when they assert nothing). Cells tagged `self-check`
collapse into "Check your answer to Exercise N.k" and stay in both notebooks (in the
exercises-only one after an empty cell for the student's answer); the
hidden cell that asserts a self-check accepts the solution is left out of the
exercises-only notebook. A lecture whose front matter has `colab: {gpu: true}` asks
Colab for a GPU. Output is deterministic.

Usage: python -m notebooks [--out DIR] [--executed DIR] [LECTURE.md ...]
       (default: every lecture of _toc.yml into _build/html/_notebooks)
       python -m notebooks --print-branch | --print-folder
       (where the Colab links point: `launch_buttons` in _config.yml)
"""

import argparse
import importlib.metadata
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml
from jupytext.myst import get_parser, myst_to_notebook
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from myst_nb.core.variables import format_plain_text
from packaging.requirements import Requirement

import book

ROOT = book.ROOT
LECTURES = book.LECTURES
OUT = ROOT / "_build" / "html" / "_notebooks"
EXERCISES = book.EXERCISES      # sub-folder of OUT for the exercises-only flavour
# Preinstalled in Colab and loaded by its runtime: replacing them would need a restart.
# A paragraph that says where its measurements come from; its figures get no mark of their own.
ATTRIBUTED = "the book's build"
# myst-nb is the book build's: in Colab the lectures' glue falls back to a print.
COLAB_HAS = book.COLAB_HAS
NOT_FOR_COLAB = {"myst-nb"}
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
ADMONITIONS = {"note", "warning", "tip", "important"}
CHECK_TITLE = "Check the claims above"
HIDDEN_TITLE = "Set-up hidden on the site"
PARSER = get_parser().use(colon_fence_plugin).use(dollarmath_plugin)
ROLE = re.compile(r"(?<!`)\{([\w:.-]+)\}`([^`]*)`"
                  r"(?P<unit>[ \u00a0]?(?:ms|µs|s|seconds|MB|MiB|GB|GiB|kB|%|×|times)(?!\w))?")

OPTION = re.compile(r"^:([\w-]+):\s*(.*)$")
CHECK_DEF = re.compile(r"^def (check_\w+)\(", re.M)


class NotebookError(Exception):
    """Bad input, reported as `file:line: message`."""

    def __init__(self, path: Path, line: int, message: str):
        super().__init__(f"{_rel(path)}:{line}: {message}")


def site_url() -> str:
    """The published site, where the notebooks' links point (html.baseurl)."""
    try:
        return book.site_url(ROOT)
    except ValueError as error:
        raise NotebookError(ROOT / "_config.yml", 1, str(error)) from None


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


@dataclass
class Lecture:
    """What one pass over a lecture learns and produces."""
    path: Path
    glue: dict | None = None                        # name -> text/plain; None: not executed
    platform: str = ""                              # the build's JAX platform ("cpu", "gpu")
    pieces: list = field(default_factory=list)      # (kind, payload): md, break, code, sol-start, sol-end
    exercises: dict = field(default_factory=dict)   # label -> (number, line)
    solutions: set = field(default_factory=set)
    labels: dict = field(default_factory=dict)      # label -> text for {ref}
    open_exercise: tuple | None = None              # (label, line) of an exercise-start
    open_solution: tuple | None = None              # (label, line) of a solution-start


class _Boundary(str):
    """An opening or closing of a solution, carrying its label."""

    def __new__(cls, kind: str, label: str):
        self = super().__new__(cls, "")
        self.kind, self.label = kind, label
        return self


# ---------------------------------------------------------------- markdown

def _options(body: str) -> tuple[dict, list[str], int]:
    """A directive's `:key: value` options, its body lines, and how many lines the options took."""
    lines, options, n = body.splitlines(), {}, 0
    while n < len(lines) and (m := OPTION.match(lines[n])):
        options[m[1]] = m[2].strip()
        n += 1
    return options, lines[n:], n


def _directive(lec: Lecture, name: str, arg: str, body: str, path: Path, line: int):
    """Markdown (or a solution boundary) for one directive at `line` of `path`."""
    options, lines, skip = _options(body)
    if name in ADMONITIONS or name == "admonition":
        parts = _markdown(lec, "\n".join(lines), path, line + 1 + skip)
        if any(isinstance(p, _Boundary) for p in parts):
            raise NotebookError(path, line, f"a solution inside '{{{name}}}' is not supported")
        title = arg if name == "admonition" else name.capitalize()
        text = [f"**{title}**", ""] + "\n\n".join(parts).splitlines()
        return "\n".join(f"> {x}".rstrip() for x in text)
    if name == "dropdown":   # a collapsed block (a hint): collapsed in the notebook too
        parts = _markdown(lec, "\n".join(lines), path, line + 1 + skip)
        if any(isinstance(p, _Boundary) for p in parts):
            raise NotebookError(path, line, "a solution inside '{dropdown}' is not supported")
        return f"<details>\n<summary>{arg or 'More'}</summary>\n\n" + "\n\n".join(parts) + "\n\n</details>"
    if name == "exercise-start":
        label = options.get("label")
        if not label:
            raise NotebookError(path, line, "exercise-start has no :label:, so no solution can refer to it")
        if lec.open_exercise:
            raise NotebookError(path, line, f"exercise '{label}' starts inside exercise "
                                f"'{lec.open_exercise[0]}' (line {lec.open_exercise[1]})")
        lec.open_exercise = (label, line)
        return (f"<a id=\"{label}\"></a>\n**Exercise {lec.exercises[label][0]}**"
                + (f" ({arg})" if arg else ""))
    if name == "exercise-end":
        if not lec.open_exercise:
            raise NotebookError(path, line, "exercise-end without an exercise-start")
        lec.open_exercise = None
        return ""
    if name == "solution-start":
        if arg not in lec.exercises:
            raise NotebookError(path, line, f"solution-start for '{arg}', but the lecture has "
                                "no exercise with that label")
        if lec.open_solution:
            raise NotebookError(path, line, f"solution-start '{arg}' inside the solution of "
                                f"'{lec.open_solution[0]}' (line {lec.open_solution[1]})")
        lec.solutions.add(arg)
        lec.open_solution = (arg, line)
        return _Boundary("sol-start", arg)
    if name == "solution-end":
        if not lec.open_solution:
            raise NotebookError(path, line, "solution-end without a solution-start")
        label, lec.open_solution = lec.open_solution[0], None
        return _Boundary("sol-end", label)
    if name == "include":
        file = (path.parent / arg).resolve()
        if not file.is_file():
            raise NotebookError(path, line, f"include '{arg}' not found")
        return "\n\n".join(_markdown(lec, file.read_text(encoding="utf-8"), file, 1))
    raise NotebookError(path, line, f"unknown directive '{{{name}}}': the notebook generator "
                        "(lib/notebooks.py) does not convert it; convert it there, or do without")


def _roles(lec: Lecture, text: str, path: Path, line: int) -> str:
    """Prose with its MyST roles replaced by plain markdown."""
    def one(m):
        name, content = m[1], m[2]
        where = line + text[:m.start()].count("\n")
        if name == "ref":
            shown = re.match(r"^(.*?)\s*<([^>]+)>$", content, re.S)
            return (shown[1] if shown else lec.labels.get(content, content)) + (m["unit"] or "")
        if name == "doc":  # another page: a link to it on the published site
            shown = re.match(r"^(.*?)\s*<([^>]+)>$", content, re.S)
            doc = shown[2] if shown else content
            target = path.parent / f"{doc}.md"
            if not target.is_file():
                raise NotebookError(path, line, f"{{doc}}`{content}`: no page {target.name}")
            if shown:
                label = shown[1]
            else:
                title = re.search(r"^# (.+)$", target.read_text(encoding="utf-8"), re.M)
                label = f"*{title[1].strip()}*" if title else doc
            page = target.resolve().relative_to(ROOT.resolve()).with_suffix(".html")
            return f"[{label}]({site_url()}{page.as_posix()}){m['unit'] or ''}"
        if name == "glue:text":
            key, _, spec = content.partition(":")
            if lec.glue is None:
                raise NotebookError(path, where, f"{{glue:text}} '{key}': the page has no executed "
                                    "notebook in _build/jupyter_execute; build the book first (make html)")
            if key not in lec.glue:
                raise NotebookError(path, where, f"{{glue:text}} '{key}': the executed page glued no "
                                    f"such name (it glued: {', '.join(lec.glue) or 'nothing'})")
            value = format_plain_text(lec.glue[key], spec) + (m["unit"] or "")
            start = text.rfind("\n\n", 0, m.start()) + 1
            paragraph = text[start:text.find("\n\n", m.end()) % (len(text) + 1)]
            if key.startswith(book.MEASUREMENTS) and ATTRIBUTED not in paragraph:
                where = f"the book's {lec.platform.upper()} build" if lec.platform else "the book's build"
                value += f" (on {where})"
            return value
        raise NotebookError(path, where, f"unknown role '{{{name}}}': the notebook generator "
                            "(lib/notebooks.py) does not convert it; convert it there, or do without")
    return ROLE.sub(one, text)


def _markdown(lec: Lecture, text: str, path: Path, line: int) -> list[str]:
    """MyST markdown starting at `line` of `path` as markdown pieces; a piece that opens
    or closes a solution is a `_Boundary`."""
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
        directive = tok.type in {"fence", "colon_fence"} and tok.info.startswith("{")
        if tok.level > 0:
            if directive:
                raise NotebookError(path, line + start, f"directive '{tok.info.split()[0]}' "
                                    "inside a list or a quote is not supported; move it out")
            continue
        if directive:
            prose(start)
            name, _, arg = tok.info.partition("}")
            out.append(_directive(lec, name[1:], arg.strip(), tok.content, path, line + start))
        elif tok.type == "myst_target":
            prose(start)
            out.append(f"<a id=\"{tok.content}\"></a>")
        elif tok.type == "myst_line_comment":
            prose(start)
        elif tok.type in {"fence", "code_block", "math_block"}:
            prose(start)
            out.append("\n".join(src[start:end]))   # verbatim: no roles inside
        else:
            continue
        pos = end
    prose(len(src))
    return out


def _scan_labels(lec: Lecture, text: str, chapter: int | None) -> None:
    """Number the exercises (as the site does: chapter.k) and find the targets of {ref}."""
    prefix = f"{chapter}." if chapter else ""
    for m in re.finditer(r"^(`{3,}|:{3,})\{exercise-start\}.*\n((?::.*\n)*)", text, re.M):
        if (label := re.search(r"^:label:\s*(\S+)", m[2], re.M)):
            number = f"{prefix}{len(lec.exercises) + 1}"
            lec.exercises.setdefault(label[1], (number, text[:m.start()].count("\n") + 1))
            lec.labels[label[1]] = f"Exercise {lec.exercises[label[1]][0]}"
    for m in re.finditer(r"^\(([^)\s]+)\)=\s*\n+#+\s+(.+)$", text, re.M):
        lec.labels[m[1]] = m[2].strip()


# ---------------------------------------------------------------- code cells

def colab_packages(code: str) -> list[str]:
    """`name==version` for the pinned top-level packages the code imports (and their
    pinned top-level dependencies), less those Colab has and must keep."""
    top = {book.norm(Requirement(x).name) for x in (ROOT / "requirements.in").read_text().splitlines()
           if x.strip() and not x.lstrip().startswith("#")}
    modules = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", code, re.M))
    modules |= {m for line in re.findall(r"^\s*import\s+(.+)$", code, re.M)
                for m in re.findall(r"(?:^|,)\s*([A-Za-z_]\w*)", line)}
    dists = importlib.metadata.packages_distributions()
    todo = [book.norm(d) for m in sorted(modules) for d in dists.get(m, [])
            if book.norm(d) not in NOT_FOR_COLAB]
    wanted = set()
    while todo:
        name = todo.pop()
        if name in top and name not in wanted:
            wanted.add(name)
            for r in importlib.metadata.requires(name) or []:
                req = Requirement(r)
                if req.marker is None or req.marker.evaluate({"extra": ""}):
                    todo.append(book.norm(req.name))
    pins = book.pins(ROOT / "requirements.txt")
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


def _form(source: str, title: str) -> tuple[str, dict]:
    """A code cell collapsed into a titled Colab form (and hidden in Jupyter)."""
    if not source.lstrip().startswith("#@title"):
        source = f'#@title {title} {{ display-mode: "form" }}\n' + source
    return source, {"cellView": "form", "jupyter": {"source_hidden": True}}


def _code_cell(lec: Lecture, cell, line: int) -> dict:
    """The notebook cell for one code cell of the lecture, with its role for the flavours."""
    tags = list(cell.metadata.get("tags", []))
    source, metadata = cell.source, {}
    if "self-check" in tags:
        names = CHECK_DEF.findall(source)
        labels = {f"check_{label.replace('-', '_')}": label for label in lec.exercises}
        label = next((labels[n] for n in names if n in labels), None)
        if label is None:
            raise NotebookError(lec.path, line, "a self-check cell must define check_<label> for "
                                f"an exercise of the page ({', '.join(sorted(labels)) or 'none'}); "
                                f"it defines {', '.join(names) or 'none'}")
        source, metadata = _form(source, f"Check your answer to Exercise {lec.exercises[label][0]}")
    elif "remove-cell" in tags:
        asserts = re.search(r"^\s*(assert|raise)\b", source, re.M)
        source, metadata = _form(source, CHECK_TITLE if asserts else HIDDEN_TITLE)
    out = nbformat.v4.new_code_cell(source, metadata=metadata)
    if tags:
        out.metadata["tags"] = tags
    return out


# ---------------------------------------------------------------- notebooks

def convert(path: Path, chapter: int | None = None, glue: dict | None = None,
            platform: str = "") -> tuple[dict, dict]:
    """The full and the exercises-only notebook of the MyST lecture at `path`.

    `chapter` is the lecture's number in the book (exercises are numbered chapter.k, as
    on the site); `glue` maps each name the executed page glued to its text/plain;
    `platform` is the build's JAX platform, named beside each measured figure.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    lec = Lecture(path, glue, platform)
    _scan_labels(lec, text, chapter)
    nb = myst_to_notebook(text, add_source_map=True)
    lines = text.splitlines()
    for cell, start in zip(nb.cells, nb.metadata["source_map"]):
        if cell.cell_type == "markdown":
            while start < len(lines) and not lines[start].strip():
                start += 1          # jupytext strips leading blank lines
            for part in _markdown(lec, cell.source, path, start + 1):
                lec.pieces.append((part.kind, part.label) if isinstance(part, _Boundary)
                                  else ("md", part))
            lec.pieces.append(("break", None))
        elif cell.cell_type == "code":
            lec.pieces.append(("code", _code_cell(lec, cell, start + 1)))
    for label, line in filter(None, [lec.open_exercise, lec.open_solution]):
        raise NotebookError(path, line, f"'{label}' is never closed (no matching -end)")
    for label, (_, line) in lec.exercises.items():
        if label not in lec.solutions:
            raise NotebookError(path, line, f"exercise '{label}' has no solution")

    try:
        slides = book.deck(path, ROOT)
    except ValueError as error:
        raise NotebookError(path, 1, str(error)) from None
    if slides:   # the deck's link right under the title, as on the site
        title = next((i for i, (kind, part) in enumerate(lec.pieces)
                      if kind == "md" and part.startswith("# ")), -1)
        lec.pieces.insert(title + 1, ("md", f"Slides for this lecture: [{slides[1]}]"
                                            f"({site_url()}slides/{slides[0]}.html)"))

    code = "\n".join(c.source for kind, c in lec.pieces if kind == "code")
    head = nbformat.v4.new_code_cell(install_cell(colab_packages(code)))
    head.metadata["tags"] = ["colab-install"]
    gpu = bool((nb.metadata.get("colab") or {}).get("gpu"))
    return _notebook(lec, head, gpu, solutions=True), _notebook(lec, head, gpu, solutions=False)


def _notebook(lec: Lecture, head, gpu: bool, solutions: bool) -> dict:
    cells, md, skipping = [head], [], False
    checks = set(CHECK_DEF.findall("\n".join(c.source for kind, c in lec.pieces if kind == "code"
                                             and "self-check" in c.metadata.get("tags", []))))

    def flush():
        if md:
            cells.append(nbformat.v4.new_markdown_cell("\n\n".join(md)))
            md.clear()

    for kind, payload in lec.pieces:
        if kind == "sol-start" and not solutions:
            md.append(f"> **Solution to Exercise {lec.exercises[payload][0]}** is not part of this "
                      "notebook: work it out yourself, then compare with the full notebook or the "
                      "lecture's web page.")
            skipping = True
        elif kind == "sol-start":
            md.append(f"**Solution to Exercise {lec.exercises[payload][0]}**")
        elif kind == "sol-end":
            skipping = False
        elif skipping:
            continue
        elif kind == "md":
            if payload:
                md.append(payload)
        elif kind == "break":
            flush()
        else:
            tags = payload.metadata.get("tags", [])
            if (not solutions and "remove-cell" in tags and "self-check" not in tags
                    and any(re.search(rf"\b{c}\(", payload.source) for c in checks)):
                continue    # asserts that the check accepts the solution, which is not here
            flush()
            check = re.match(r"#@title (Check your answer to (Exercise [\d.]+))", payload.source)
            if check and not solutions:   # where the student writes what the check reads
                cells.append(nbformat.v4.new_code_cell(
                    f"# Your answer to {check[2]}: write it here, run it, then run the check below.\n"))
            cells.append(nbformat.from_dict(payload))
    flush()
    name = lec.path.stem
    cells = [nbformat.from_dict(c) for c in cells]
    for i, cell in enumerate(cells):
        cell.id = f"{name[:50]}-{i:03d}"
    metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    if gpu:
        metadata |= {"accelerator": "GPU", "colab": {"gpuType": "T4"}}
    nb = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    nbformat.validate(nb)
    return nb


def build(out: Path = OUT, lectures: list[Path] | None = None,
          executed: Path = book.EXECUTED, root: Path = ROOT) -> list[Path]:
    """Write both flavours of every lecture of the book at `root` (or of `lectures`)
    under `out` (emptied first), with the figures glued by the pages executed under `executed`."""
    lectures = lectures or [root / f"{doc}.md" for doc in book.lectures(root)]
    numbers = book.chapters(root)
    platform = book.number((book.glued("status", executed) or {}).get("platform", "''"))
    done = []
    for p in map(Path, lectures):
        doc = f"{LECTURES}/{p.stem}"
        done.append((p, *convert(p, numbers.get(doc), book.glued(doc, executed), platform)))
    shutil.rmtree(out, ignore_errors=True)      # only once every lecture converted
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
    parser.add_argument("--executed", type=Path, default=book.EXECUTED,
                        help="myst-nb's executed pages (for the glued figures)")
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
        written = build(args.out, args.lectures, args.executed)
    except NotebookError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"notebooks: wrote {len(written)} notebooks to {_rel(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
