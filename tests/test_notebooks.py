"""The Colab/download notebooks (lib/notebooks.py) and their links on the pages.

Against the built site (`make html`, or BOOK_HTML): both flavours of every lecture
exist and validate, exercises-only notebooks keep every exercise and no solution
(checked against the MyST sources with a parser of this file's own), every Colab and
download link resolves. Against tests/fixtures: the conversion of each construct
(glued figures, check and self-check cells as Colab forms, the GPU front matter),
the exercises-only notebook running without its solutions, and the `file:line:`
errors on bad input.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import jupytext
import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from nbclient import NotebookClient

import book
import notebooks
from pages import site_pages

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
NAMES = [Path(doc).name for doc in book.lectures()]
MYST_LEFT = re.compile(r"^\s*(`{3,}|:{3,})\{|(?<!`)\{[\w:.-]+\}`", re.M)


# ------------------------------------------------ reading MyST without the generator

def myst_blocks(text: str) -> list[dict]:
    """The exercises and solutions of a MyST text, gated or not: their kind and
    their prose and code lines (fences and directive options left out)."""
    lines, found, i = text.splitlines(), [], 0
    start = re.compile(r"^(`{3,}|:{3,})\{(exercise|solution)(-start)?\}")
    while i < len(lines):
        if not (m := start.match(lines[i])):
            i += 1
            continue
        fence, kind, gated = m.groups()
        close = re.compile(rf"^{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        j = i + 1
        while not close.match(lines[j]):
            j += 1
        k = j
        if gated:
            end = re.compile(rf"^(`{{3,}}|:{{3,}})\{{{kind}-end\}}")
            while not end.match(lines[k]):
                k += 1
        body = lines[i + 1:j] if not gated else lines[j + 1:k]
        block, in_code = {"kind": kind, "prose": [], "code": [], "span": (i, k + 1)}, False
        options, after_fence = False, False   # a code cell's `---` YAML option block
        for line in body:
            if options or (in_code and after_fence and line.strip() == "---"):
                options = not (options and line.strip() == "---")
                after_fence = False
                continue
            after_fence = False
            if re.match(r"^(`{3,}|:{3,})", line):
                in_code = line.lstrip("`:").startswith("{code-cell}")
                after_fence = in_code
            elif not re.match(r"^:[\w-]+:", line) and line.strip() not in {"", "+++"}:
                block["code" if in_code else "prose"].append(line)
        found.append(block)
        i = k + 1
    return found


def words(text: str) -> str:
    """Lower-case words, space-separated and padded, for containment tests."""
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


def fragments(line: str) -> list[str]:
    """The runs of words of a prose line between MyST roles (whose rendering differs)."""
    parts = re.split(r"\{([\w:.-]+)\}`([^`]*)`", line)
    roles, contents = parts[1::3], parts[2::3]
    # a role's shown text, where it has one: not {glue:...} (the notebook shows the value)
    shown = parts[0::3] + [re.sub(r"\s*<[^>]*>$", "", c)
                           for r, c in zip(roles, contents) if not r.startswith("glue")]
    return [w for p in shown if (w := words(p)).strip()]


def notebook_text(nb) -> tuple[str, str]:
    """(words of all cells, text of the code cells) of a notebook."""
    # without the note that follows a measured figure (the site has none)
    return (words(re.sub(r"\(on the book's[^)]*\)", "", "\n".join(c.source for c in nb.cells))),
            "\n".join(c.source for c in nb.cells if c.cell_type == "code"))


def check_flavours(source: Path, full, exercises) -> None:
    """Every exercise in both notebooks; every solution in the full one and nowhere
    in the exercises-only one, unless the lecture says the same outside solutions."""
    text = source.read_text(encoding="utf-8")
    blocks = myst_blocks(text)
    lines = text.splitlines()
    outside = [x for n, x in enumerate(lines)
               if not any(b["kind"] == "solution" and b["span"][0] <= n < b["span"][1]
                          for b in blocks)]
    outside_words, outside_lines = words("\n".join(outside)), {x.strip() for x in outside}
    full_words, full_code = notebook_text(full)
    ex_words, ex_code = notebook_text(exercises)
    ex_lines = {x.strip() for x in ex_code.splitlines()}
    for b in blocks:
        for line in b["prose"] + b["code"]:
            for frag in fragments(line):
                assert frag in full_words, f"{source.name}: full notebook lacks {frag!r}"
                if b["kind"] == "exercise":
                    assert frag in ex_words, f"{source.name}: exercise text {frag!r} missing"
                elif len(frag.split()) >= 4 and frag not in outside_words:
                    assert frag not in ex_words, f"{source.name}: solution text {frag!r} leaked"
        for line in b["code"]:
            assert line.strip() in full_code, f"{source.name}: full notebook lacks {line!r}"
            if b["kind"] == "solution" and len(line.strip()) >= 8 \
                    and line.strip() not in outside_lines:
                assert line.strip() not in ex_lines, f"{source.name}: solution code {line!r} leaked"
    n_ex = sum(b["kind"] == "exercise" for b in blocks)
    n_sol = sum(b["kind"] == "solution" for b in blocks)
    assert n_ex == n_sol, f"{source.name}: {n_ex} exercises but {n_sol} solutions"
    notes = sum(c.source.count("is not part of this notebook") for c in exercises.cells)
    assert notes == n_sol, f"{source.name}: {n_sol} solutions removed but {notes} notes"


def check_notebook(nb, source: Path) -> None:
    """Valid nbformat 4, a kernelspec, no outputs, the install cell first, no MyST left."""
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        else:
            assert not MYST_LEFT.search(cell.source), f"MyST left in {source.name}:\n{cell.source}"
    assert 'if "google.colab" in sys.modules:' in nb.cells[0].source
    gpu = (jupytext.read(source).metadata.get("colab") or {}).get("gpu", False)
    assert (nb.metadata.get("accelerator") == "GPU") == gpu
    for cell in nb.cells:
        if "remove-cell" in cell.metadata.get("tags", []):
            assert cell.metadata.get("cellView") == "form", cell.source[:200]
            assert cell.source.startswith("#@title "), cell.source[:200]


# ------------------------------------------------ the built site

def read_nb(html_dir: Path, rel: str):
    path = html_dir / "_notebooks" / rel
    if not path.is_file():
        pytest.fail(f"_notebooks/{rel} is missing from the built site: run `make notebooks`")
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("name", NAMES)
def test_both_notebooks_exist_and_validate(html_dir, name):
    source = ROOT / notebooks.LECTURES / f"{name}.md"
    for rel in (f"{name}.ipynb", f"{notebooks.EXERCISES}/{name}.ipynb"):
        check_notebook(read_nb(html_dir, rel), source)


@pytest.mark.parametrize("name", NAMES)
def test_exercises_only_notebook_has_no_solution(html_dir, name):
    check_flavours(ROOT / notebooks.LECTURES / f"{name}.md", read_nb(html_dir, f"{name}.ipynb"),
                   read_nb(html_dir, f"{notebooks.EXERCISES}/{name}.ipynb"))


@pytest.mark.parametrize("name", NAMES)
def test_exercise_numbers_match_the_site(html_dir, built_html, name):
    numbering = re.compile(r"\bExercise (\d+(?:\.\d+)*)")
    page = BeautifulSoup(built_html(f"lectures/{name}.html"), "html.parser")
    on_site = {n for el in page.select(".exercise .admonition-title") for n in numbering.findall(el.get_text())}
    nb = read_nb(html_dir, f"{name}.ipynb")
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert on_site, f"lectures/{name}.html: no numbered exercise found"
    assert on_site == set(numbering.findall(prose)), (on_site, set(numbering.findall(prose)))


@pytest.mark.parametrize("name", NAMES)
def test_install_cell_uses_the_pins(html_dir, name):
    cell = read_nb(html_dir, f"{name}.ipynb").cells[0].source
    lock = book.pins(ROOT / "requirements.txt")
    for package, version in re.findall(r"([A-Za-z0-9_.\-]+)(?:\[\w+\])?==([\w.]+)", cell):
        assert lock.get(book.norm(package)) == version, f"{name}: {package}=={version} is not the pin"
    code = "\n".join(c.source for c in read_nb(html_dir, f"{name}.ipynb").cells[1:])
    if re.search(r"^\s*(import|from)\s+jax\b", code, re.M):
        assert '"jax==' in cell and '"jaxlib==' in cell, f"{name}: JAX is not pinned"


def parsed_pages(html_dir: Path):
    for page in site_pages(html_dir):
        yield page, BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


def test_colab_links_map_to_generated_notebooks(html_dir):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    launch = config["launch_buttons"]
    repo = urlparse(config["repository"]["url"]).path.strip("/")
    prefix = (f"{launch['colab_url'].rstrip('/')}/github/{repo}/blob/"
              f"{launch['notebooks_branch']}/")
    folder = launch.get("notebooks_path", "").strip("/")
    seen = set()
    for page, soup in parsed_pages(html_dir):
        for a in soup.find_all("a", href=re.compile(r"colab\.research\.google\.com")):
            href = a["href"]
            assert href.startswith(prefix), f"{page.name}: Colab link {href} not under {prefix}"
            rel = href[len(prefix):]
            if folder:
                assert rel.startswith(folder + "/"), f"{page.name}: {href} not in {folder}/"
                rel = rel[len(folder) + 1:]
            assert (html_dir / "_notebooks" / rel).is_file(), f"{page.name}: {href} -> no _notebooks/{rel}"
            seen.add(rel)
    for name in NAMES:
        for rel in (f"{name}.ipynb", f"{notebooks.EXERCISES}/{name}.ipynb"):
            assert rel in seen, f"no page has a Colab link to {rel}"


def test_download_links_resolve(html_dir):
    linked = set()
    for page, soup in parsed_pages(html_dir):
        base = page.relative_to(html_dir).as_posix()
        for a in soup.find_all("a", href=re.compile(r"\.ipynb$")):
            if urlparse(a["href"]).scheme:
                continue
            target = unquote(urljoin(base, a["href"]))
            assert (html_dir / target).is_file(), f"{base}: download link {a['href']} is broken"
            linked.add((base, target))
    for name in NAMES:
        page = f"{notebooks.LECTURES}/{name}.html"
        for rel in (f"_notebooks/{name}.ipynb", f"_notebooks/{notebooks.EXERCISES}/{name}.ipynb"):
            assert (page, rel) in linked, f"{page} has no download link to {rel}"


# ------------------------------------------------ the generator, on fixtures

GLUE = {"t_sum": "0.25", "ratio_sum": "2.5"}


@pytest.fixture
def sample(tmp_path) -> Path:
    """tests/fixtures/sample_lecture.md where a lecture lives (it includes ../_admonition)."""
    (tmp_path / "lectures").mkdir()
    (tmp_path / "_admonition").symlink_to(ROOT / "_admonition")
    return Path(shutil.copy(FIXTURES / "sample_lecture.md", tmp_path / "lectures"))


def executed(folder: Path, doc: str, glue: dict[str, str]) -> Path:
    """An executed-pages folder as myst-nb writes it, with `glue` for page `doc`."""
    (folder / doc).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(), folder / f"{doc}.ipynb")
    entries = {k: {"output_type": "display_data", "data": {"text/plain": v}, "metadata": {}}
               for k, v in glue.items()}
    (folder / f"{doc}.glue.json").write_text(json.dumps(entries))
    return folder


def test_generation_is_deterministic(sample, tmp_path):
    """Two runs in two processes with different hash seeds write the same bytes."""
    glued = executed(tmp_path / "executed", "lectures/sample_lecture", GLUE)
    out = []
    for seed in ("1", "2"):
        subprocess.run([sys.executable, "-m", "notebooks", "--out",
                        str(tmp_path / seed), "--executed", str(glued), str(sample)],
                       check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        out.append(sorted((p.relative_to(tmp_path / seed), p.read_bytes())
                          for p in (tmp_path / seed).rglob("*.ipynb")))
    assert len(out[0]) == 2 and out[0] == out[1]


def test_sample_lecture_converts_every_construct(sample):
    full, exercises = notebooks.convert(sample, chapter=3, glue=GLUE, platform="cpu")
    for nb in (full, exercises):
        check_notebook(nb, sample)
    check_flavours(sample, full, exercises)
    md = "\n".join(c.source for c in full.cells if c.cell_type == "markdown")
    # formatted as on the site; a measured time says it is the book build's
    assert "summing took\n0.250 seconds (on the book's CPU build), about 2.5 times" in md, md
    assert "> **Note**" in md and "> **GPU**" in md and "a reference to A sample lecture" in md
    assert "**Exercise 3.1**" in md and "**Solution to Exercise 3.1**" in md
    assert full.metadata.colab == {"gpuType": "T4"} and full.metadata.accelerator == "GPU"
    titles = [c.source.splitlines()[0] for c in full.cells if c.metadata.get("cellView") == "form"]
    assert titles == ['#@title Set-up hidden on the site { display-mode: "form" }',
                      '#@title Check the claims above { display-mode: "form" }',
                      '#@title Check your answer to Exercise 3.1 { display-mode: "form" }',
                      '#@title Check the claims above { display-mode: "form" }']
    ex_code = "\n".join(c.source for c in exercises.cells if c.cell_type == "code")
    assert "def check_sample_ex" in ex_code, "the self-check stays in the exercises-only notebook"
    assert "assert not check_sample_ex()" not in ex_code, "its proof against the solution does not"


def test_exercises_only_notebook_runs_without_its_solutions(sample, tmp_path):
    _, exercises = notebooks.convert(sample, glue=GLUE)
    NotebookClient(exercises, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(o.get("text", "") for c in exercises.cells if c.cell_type == "code"
                      for o in c.outputs)
    assert "define `sum_of_squares` first" in printed, printed


@pytest.mark.parametrize("fixture, line, message", [
    ("bad_no_solution.md", 3, "exercise 'lonely' has no solution"),
    ("bad_orphan_solution.md", 5, "no exercise with that label"),
    ("bad_unknown_directive.md", 5, "unknown directive '{mystery}'"),
    ("bad_unknown_role.md", 3, "unknown role '{mystery}'"),
    ("bad_glue.md", 3, "{glue:text} 't_nowhere': the executed page glued no such name"),
])
def test_bad_input_names_file_and_line(fixture, line, message, tmp_path):
    glued = executed(tmp_path / "executed", f"lectures/{Path(fixture).stem}", GLUE)
    result = subprocess.run([sys.executable, "-m", "notebooks", "--out",
                             str(tmp_path / "out"), "--executed", str(glued), str(FIXTURES / fixture)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    assert f"tests/fixtures/{fixture}:{line}: " in result.stderr and message in result.stderr, result.stderr
    assert not (tmp_path / "out").exists(), "nothing is written on bad input"


def test_glue_without_a_build_says_to_build(tmp_path):
    with pytest.raises(notebooks.NotebookError, match=r"bad_glue.md:3: .*build the book first"):
        notebooks.convert(FIXTURES / "bad_glue.md", glue=None)


