"""The built site: every page exists, executed cleanly, links resolve, loads nothing
from outside; the status page gathers the glued figures; `make bench` reads them; a
failing cell stops the build with a short message."""

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from bs4 import BeautifulSoup

import book
from conftest import FIXTURES, build_scratch_book, run_bench
from pages import site_pages

ROOT = Path(__file__).resolve().parents[1]
TOC_PAGES = book.toc_entries()

# What a browser fetches by itself when it shows a page.
LOADING_ATTRS = {
    "script": ["src"], "img": ["src", "srcset"], "iframe": ["src"], "frame": ["src"],
    "source": ["src", "srcset"], "video": ["src", "poster"], "audio": ["src"],
    "embed": ["src"], "object": ["data"], "track": ["src"], "input": ["src"],
}
LOADING_RELS = {"stylesheet", "icon", "shortcut", "preload", "modulepreload", "prefetch",
                "manifest", "apple-touch-icon", "mask-icon", "preconnect", "dns-prefetch"}
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])\s*((?:https?:)?//[^'")\s]+)""", re.I)
OUTSIDE = re.compile(r"^(?:https?:)?//", re.I)


def outside_loads(html: str) -> list[str]:
    """URLs on other hosts that a browser would fetch to render this HTML."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for tag, attrs in LOADING_ATTRS.items():
        for el in soup.find_all(tag):
            for attr in attrs:
                for url in re.split(r",\s*", el.get(attr) or ""):
                    url = url.strip().split(" ")[0]
                    if OUTSIDE.match(url):
                        found.append(f"<{tag} {attr}> {url}")
    for el in soup.find_all("link"):
        rels = {r.lower() for r in el.get("rel") or []}
        if rels & LOADING_RELS and OUTSIDE.match(el.get("href") or ""):
            found.append(f"<link rel={'/'.join(sorted(rels))}> {el['href']}")
    styles = [el.get_text() for el in soup.find_all("style")]
    styles += [el["style"] for el in soup.find_all(style=True)]
    for css in styles:
        found += [f"css {u}" for u in CSS_URL.findall(css)]
    return found


@pytest.mark.parametrize("page", TOC_PAGES)
def test_every_toc_entry_has_its_page(html_dir, page):
    assert (html_dir / f"{page}.html").is_file(), f"_toc.yml lists {page}, but {page}.html was not built"


@pytest.mark.parametrize("page", TOC_PAGES)
def test_no_cell_error_or_warning_in_outputs(built_html, page):
    """The one check of the outputs of every page (lectures included)."""
    soup = BeautifulSoup(built_html(f"{page}.html"), "html.parser")
    outputs = soup.select("div.cell_output, div.output")
    assert not soup.select("div.output.error, div.output.traceback"), f"{page}: a cell raised an error"
    stderr = [o.get_text()[:800] for o in soup.select("div.output.stderr")]
    assert not stderr, f"{page}: a cell wrote to stderr (a warning?):\n{stderr[0]}"
    for out in outputs:
        text = out.get_text()
        assert "Traceback (most recent call last)" not in text, f"{page}: traceback in an output:\n{text[:800]}"
        warning = re.search(r"\w*Warning\b", text)
        assert not warning, f"{page}: {warning[0]} in an output:\n{text[:800]}"


@pytest.mark.parametrize("doc", book.lectures())
def test_every_lecture_shows_what_it_executed(built_html, doc):
    """Each lecture was executed by this build: its code cells have outputs, figures among them."""
    soup = BeautifulSoup(built_html(f"{doc}.html"), "html.parser")
    assert soup.select("div.cell_output img"), f"{doc}: no figure output: was the page executed?"


@pytest.mark.parametrize("doc", book.lectures())
def test_every_solution_is_hidden_until_asked(built_html, doc):
    """A student sees an exercise before its solution: every solution is a closed dropdown."""
    soup = BeautifulSoup(built_html(f"{doc}.html"), "html.parser")
    solutions = soup.select("div.solution")
    assert solutions, f"{doc}: no solution on the page"
    shown = [s.select_one("p.admonition-title").get_text(" ", strip=True) for s in solutions
             if "dropdown" not in s.get("class", [])]
    assert not shown, f"{doc}.md: shown open (give it `:class: dropdown`): {shown}"


# A word written before a reference that already says it: "exercise {ref}`x`" shows "exercise Exercise 2.1".
DOUBLED = re.compile(r"\b(\w+)\s+<a [^>]*>\s*<span [^>]*\bstd-(?:numref|ref)\b[^>]*>\s*(\w+)")


def test_no_word_is_doubled_by_a_reference(html_dir):
    doubled = [f"{page.relative_to(html_dir)}: {m[1]} {m[2]}" for page in site_pages(html_dir)
               for m in DOUBLED.finditer(page.read_text(encoding="utf-8")) if m[1].lower() == m[2].lower()]
    assert not doubled, f"a {{ref}} role prints its own name; drop the word before it: {doubled}"


LOCAL_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?(?!(?:https?:)?//)([^'")\s;]+)""", re.I)


def stylesheets(page: Path) -> set[Path]:
    """The local CSS files a page loads, following @import chains."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    todo = [page.parent / unquote(urlsplit(el["href"]).path) for el in soup.find_all("link", href=True)
            if "stylesheet" in (el.get("rel") or []) and not OUTSIDE.match(el["href"])]
    found = set()
    while todo:
        css = todo.pop().resolve()
        if css in found or not css.is_file():
            continue
        found.add(css)
        todo += [css.parent / unquote(u) for u in LOCAL_CSS_IMPORT.findall(css.read_text(errors="replace"))]
    return found


def test_offline_every_page_loads_nothing_from_other_hosts(html_dir):
    problems = []
    for page in site_pages(html_dir):
        name = page.relative_to(html_dir)
        problems += [f"{name}: {url}" for url in outside_loads(page.read_text(encoding="utf-8"))]
        for css in stylesheets(page):
            problems += [f"{name}: {css.relative_to(html_dir.resolve())} loads {u}"
                         for u in CSS_URL.findall(css.read_text(errors="replace"))]
    assert not problems, "resources loaded from other hosts:\n" + "\n".join(problems)


def internal_link_problems(html_dir: Path) -> list[str]:
    problems = []
    for page in site_pages(html_dir):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for el in soup.find_all(["a", "link", "script", "img"]):
            url = el.get("href") or el.get("src")
            if not url or url.startswith("#") or re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I) or url.startswith("//"):
                continue
            path = unquote(urlsplit(url).path)
            if not path:
                continue
            target = (page.parent / path).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{page.relative_to(html_dir)}: broken link to {url}")
    return problems


MD_LINK = re.compile(r"\]\(([^)\s]+)\)")


def notebook_link_problems(html_dir: Path, site: str) -> list[str]:
    """Links of the generated notebooks' markdown that do not work in Colab: a relative
    link (Colab opens the notebook alone), or a link into the published site (`site`)
    to a page this build did not write."""
    problems = []
    for nb_path in sorted((html_dir / "_notebooks").rglob("*.ipynb")):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for url in MD_LINK.findall(cell.source):
                where = f"{nb_path.relative_to(html_dir)}: link to {url}"
                if url.startswith(site):
                    target = unquote(urlsplit(url[len(site):]).path)
                    if not (html_dir / target).is_file():
                        problems.append(f"{where}: this build has no {target}")
                elif not (url.startswith("#") or re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I)):
                    problems.append(f"{where}: a relative link breaks in Colab")
    return problems


def test_internal_links_resolve(html_dir):
    """Every link between the site's pages, and every link of the notebooks into the
    published site, reaches a page of this build."""
    problems = internal_link_problems(html_dir) + notebook_link_problems(html_dir, book.site_url())
    assert not problems, "\n".join(problems)


def test_mathjax_is_served_locally(html_dir, built_html):
    assert (html_dir / "_static" / "mathjax" / "tex-chtml.js").is_file()
    scripts = [s.get("src", "") for s in BeautifulSoup(built_html("intro.html"), "html.parser").find_all("script")]
    assert any(s.startswith("_static/mathjax/tex-chtml.js") for s in scripts), scripts


def test_status_page_reports_versions_device_and_execution_table(built_html):
    soup = BeautifulSoup(built_html("status.html"), "html.parser")
    text = soup.get_text()
    assert "JAX backend:" in text and "device:" in text
    for package in ("jax", "optax", "optimistix", "keras", "jupyter-book"):
        assert package in text
    table_heads = [th.get_text(strip=True) for th in soup.select("table th")]
    assert "Run Time (s)" in table_heads, table_heads
    executed = {a.get_text(strip=True) for a in soup.select("table a")}
    for page in TOC_PAGES:
        if page.startswith("lectures/"):
            assert any(e.endswith(Path(page).name) for e in executed), \
                f"{page} missing from the execution table: {executed}"


def test_status_page_gathers_every_glued_figure(html_dir, built_html):
    soup = BeautifulSoup(built_html("status.html"), "html.parser")
    table = next(t for t in soup.select("table")
                 if [th.get_text(strip=True) for th in t.select("th")] == ["page", "name", "value"])
    shown = {tuple(td.get_text(strip=True) for td in tr.select("td"))[:2] for tr in table.select("tbody tr")}
    executed = html_dir.parent / "jupyter_execute"
    for page, name, _ in book.measurements(executed):
        assert (page, name) in shown, f"{page}: {name} is glued but not in the status table"


# ------------------------------------------------ a one-lecture book, built here

def test_scratch_book_status_bench_and_notebooks(scratch_book):
    """The status page is read last and tables the lecture's glued figures, the
    notebooks carry the build's values, and the bench reads them."""
    folder, built = scratch_book
    assert built.returncode == 0, built.stdout[-3000:]
    plain = re.sub(r"\x1b\[[0-9;]*m", "", built.stdout)
    read = re.findall(r"reading sources\.\.\. \[\s*\d+%\] (\S+)", plain)
    assert read[-1] == "status", read
    status = BeautifulSoup((folder / "_build/html/status.html").read_text(), "html.parser").get_text(" ")
    assert re.search(r"sample_lecture\s+t_sum\s+0\.25", status), status[:2000]
    nb = nbformat.read(folder / "_build/html/_notebooks/sample_lecture.ipynb", as_version=4)
    assert "summing took\n0.250 seconds" in "".join(c.source for c in nb.cells)
    toml = folder / "expectations.toml"
    toml.write_text("[cpu]\nsample_lecture.t_sum = {max = 0.2}\nsample_lecture.ratio_sum = {min = 2}\n"
                    "[gpu]\nsample_lecture.t_sum = {max = 0.2}\nsample_lecture.ratio_sum = {min = 2}\n")
    bench = run_bench("--executed", str(folder / "_build/jupyter_execute"), "--expectations", str(toml))
    assert bench.returncode == 1, bench.stdout + bench.stderr
    assert bench.stderr.strip() == "FAIL sample_lecture: t_sum = 0.25, above its maximum 0.2"
    assert re.search(r"ratio_sum\s+2\.5\s+min 2\s+ok", bench.stdout), bench.stdout


def fake_build(folder: Path, platform: str, glue: dict[str, str]) -> Path:
    """Executed pages as myst-nb writes them: the status page and one lecture."""
    for doc, values in (("status", {"platform": repr(platform)}), ("lectures/demo", glue)):
        (folder / doc).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbformat.v4.new_notebook(), folder / f"{doc}.ipynb")
        (folder / f"{doc}.glue.json").write_text(json.dumps(
            {k: {"output_type": "display_data", "data": {"text/plain": v}} for k, v in values.items()}))
    return folder


@pytest.mark.parametrize("platform, rc, failure", [
    ("cpu", 1, "FAIL demo: speedup_x = 3, below its minimum 10"),
    ("gpu", 1, "FAIL demo: t_gone is not glued by the page"),
    ("tpu", 0, ""),
])
def test_bench_picks_the_platform_and_names_each_failure(tmp_path, platform, rc, failure):
    executed = fake_build(tmp_path / "executed", platform, {"speedup_x": "3", "t_y": "0.5"})
    toml = tmp_path / "expectations.toml"
    toml.write_text("[cpu]\ndemo.speedup_x = {min = 10}\ndemo.t_y = {max = 1}\n"
                    "[gpu]\ndemo.speedup_x = {min = 2}\ndemo.t_gone = {max = 1}\n")
    run = run_bench("--executed", str(executed), "--expectations", str(toml))
    assert run.returncode == rc, run.stdout + run.stderr
    assert run.stderr.startswith(failure) and len(run.stderr.splitlines()) == rc, run.stderr


def test_failing_cell_stops_the_build_with_a_short_message(tmp_path):
    page = (FIXTURES / "sample_lecture.md").read_text().replace(
        "x = jnp.arange(3.0)\n", "x = jnp.arange(3.0)\nx / undefined_name\n")
    built = build_scratch_book(tmp_path, page)
    assert built.returncode != 0
    tail = built.stdout.rstrip().splitlines()[-3:]
    lines = page.splitlines()
    fence = max(i for i, x in enumerate(lines[:lines.index("import jax.numpy as jnp")])
                if x.startswith("```{code-cell}")) + 1
    assert tail == [f"error: lectures/sample_lecture.md:{fence}: code cell 2 failed: import jax.numpy as jnp",
                    "NameError: name 'undefined_name' is not defined",
                    "(the cell's traceback is above)"], built.stdout[-3000:]
    assert "Please also report" not in built.stdout and "Traceback (most recent call last)" not in \
        built.stdout.split("[mystnb.exec]")[-1]
    assert "undefined_name" in built.stdout.split("error: lectures/")[0], "the traceback comes first"


# ------------------------------------------------ the instructors' page

def test_instructors_schedule_has_every_lecture_and_every_exercise_time(built_html):
    """The schedule is read from the lectures: every lecture of the toc has its session,
    in book order, and every exercise its time."""
    tables = BeautifulSoup(built_html("workshop/instructors.html"), "html.parser").select("main table")
    sessions = [a["href"] for a in tables[0].select("tr td:nth-of-type(3) a")]
    assert sessions == [f"../{doc}.html" for doc in book.lectures()], sessions
    exercises = [[td.get_text(strip=True) for td in tr.select("td")] for tr in tables[1].select("tbody tr")]
    assert exercises and all(re.fullmatch(r"\d+ min", row[3]) for row in exercises), exercises


def test_instructors_page_stops_on_a_lecture_off_the_conventions(tmp_path):
    """A lecture without its learning goals, or an exercise without its time, stops the
    page with an error naming the lecture and what it lacks."""
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    for folder in ("workshop", "lectures", "slides"):
        (tmp_path / folder).mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nparts:\n  - caption: L\n"
                                       "    numbered: true\n    chapters:\n"
                                       "      - file: lectures/good\n      - file: lectures/bad\n")
    exercise = "```{{exercise-start}} {}\n:label: {}\n```\nText.\n```{{exercise-end}}\n```\n"
    (tmp_path / "lectures" / "good.md").write_text(
        "# Good\n\n## Learning goals\n\nBy the end of this lecture you will be able to\n\n- one;\n"
        "- two.\n\n## Exercises\n\n" + exercise.format("First (10 min)", "good-1"))
    (tmp_path / "lectures" / "bad.md").write_text(
        "# Bad\n\n## Overview\n\n## Exercises\n\n" + exercise.format("Untimed", "bad-1"))
    nb = jupytext.read(ROOT / "workshop" / "instructors.md")
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path / "workshop")}})
    with pytest.raises(CellExecutionError) as failed:
        client.execute()
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(failed.value))
    assert "lectures/bad.md: no '## Learning goals' section" in message, message[-2000:]
    assert "lectures/bad.md:7: exercise title 'Untimed' does not end with its time" in message
    assert "lectures/good.md" not in message.split("ValueError")[-1]
