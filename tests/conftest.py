"""Shared fixtures: the built site, a local web server for it, Chromium, a lecture
run with its Config changed, and a one-page book built in a scratch folder.

The tests read the output of `make html`. Set BOOK_HTML to test a site built
elsewhere (for example a one-page build in a scratch folder).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
from browser import CHROMIUM, FLAGS, serve, watch

HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
SCREENSHOTS = ROOT / "_build" / "screenshots"


NO_CHROMIUM = (f"Chromium not found at {CHROMIUM}: the browser tests (marker `browser`: pages and "
               "decks in a browser, the printed PDFs) are not run; install it with "
               "`sudo apt-get install chromium` (or set CHROMIUM=/path/to/chromium)")


def chromium_missing() -> bool:
    """No Chromium here, and not in CI (where its absence fails the browser tests)."""
    return not Path(CHROMIUM).exists() and not os.environ.get("CI")


def pytest_report_header(config):
    return NO_CHROMIUM if chromium_missing() else None


def pytest_terminal_summary(terminalreporter):
    if chromium_missing():
        terminalreporter.write_line(NO_CHROMIUM, yellow=True)


@pytest.fixture(scope="session")
def html_dir() -> Path:
    """The built site; fails (not skips) when it has not been built."""
    if not (HTML / "intro.html").is_file():
        pytest.fail(f"{HTML}/intro.html is missing: build the site first with `make html`")
    return HTML


@pytest.fixture(scope="session")
def built_html(html_dir):
    """Return the text of a built page, given its path relative to the site root."""
    def read(relpath: str) -> str:
        path = html_dir / relpath
        if not path.is_file():
            pytest.fail(f"{relpath}: not in the built site ({path} is missing)")
        return path.read_text(encoding="utf-8")
    return read


@pytest.fixture(scope="session")
def site_url(html_dir):
    """Serve the built site on a free port of 127.0.0.1 for the browser tests."""
    with serve(html_dir) as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Drive Debian's Chromium: Playwright cannot download its own browsers here."""
    if not Path(CHROMIUM).exists():      # in CI: outside it, these tests are not collected
        pytest.fail(NO_CHROMIUM)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": FLAGS}


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def offline_page(page, site_url):
    """A Playwright page that records console errors and any request that leaves 127.0.0.1.

    Requests to other hosts are aborted (the tests run without a network anyway),
    and collected in `page.outside_requests`; console errors, page errors and
    failed requests in `page.errors`.
    """
    page.outside_requests, page.errors = watch(page, site_url)
    return page


LECTURES = ROOT / "lectures"


def config_cell(sources: list[str], path: Path) -> int:
    """The index of the one code cell (of these sources) that holds `config = Config()`;
    fails the test when there is none or more than one."""
    hits = [i for i, source in enumerate(sources) if "config = Config()" in source]
    if len(hits) != 1:
        pytest.fail(f"{path}: expected one cell with `config = Config()`, found {len(hits)}")
    return hits[0]

# XLA's CPU compiler without its expensive optimisations, for the lectures the tests run
# with a changed Config: compiling is most of a small Config's run time, and halves.
FAST_COMPILE = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"


def pytest_collection_modifyitems(config, items):
    """Without Chromium, the browser tests are left out (one message says so: NO_CHROMIUM).
    Then longest first, so that the test processes (pytest-xdist, see pytest.ini) finish
    together: the Colab-runtime check, then the lectures run with a changed Config,
    then the rest, each in collection order."""
    if chromium_missing():
        config.hook.pytest_deselected(items=[item for item in items if "browser" in item.keywords])
        items[:] = [item for item in items if "browser" not in item.keywords]

    def rank(item):
        if item.get_closest_marker("colab"):
            return 0
        return 1 if "execute_lecture" in getattr(item, "fixturenames", ()) else 2
    items.sort(key=rank)


@pytest.fixture(scope="session")
def execute_lecture():
    """Execute lectures/NAME.md in a fresh kernel with some Config fields changed.

    `execute_lecture("hutchinson", σ=0.1)` runs the page with
    `config = Config()` replaced by `config = Config(σ=0.1)`, as a
    reader who edits the Config would, and returns the executed notebook. A
    failing cell fails the test with the cell's error; hidden checks count.
    The kernel compiles with FAST_COMPILE.
    """
    import jupytext
    from nbclient import NotebookClient

    def run(name: str, timeout: int = 600, **overrides):
        path = LECTURES / f"{name}.md"
        nb = jupytext.read(path)
        args = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
        code = [c for c in nb.cells if c.cell_type == "code"]
        cell = code[config_cell([c.source for c in code], path)]
        cell.source = cell.source.replace("config = Config()", f"config = Config({args})")
        flags = os.environ.get("XLA_FLAGS")
        os.environ["XLA_FLAGS"] = f"{flags or ''} {FAST_COMPILE}".strip()   # the kernel inherits it
        try:
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(LECTURES)}}).execute()
        finally:
            if flags is None:
                del os.environ["XLA_FLAGS"]
            else:
                os.environ["XLA_FLAGS"] = flags
        return nb

    return run


def config_definitions(path: Path) -> dict:
    """A lecture's `Config` and `check_config`, defined here from the page's own code
    (with the imports, functions and constants they use) without running the rest of the page.

    Fails the test unless the page follows the book's convention: one `config = Config()`,
    then `check_config(config)` as the next statement that is not a definition (in the same
    cell, or in the next code cell), so that a bad value stops the page before anything runs."""
    import ast
    import jupytext

    sources = [c.source for c in jupytext.read(path).cells if c.cell_type == "code"]
    k = config_cell(sources, path)
    cells = [ast.parse(source).body for source in sources[:k + 2]]
    j = next(j for j, n in enumerate(cells[k]) if ast.unparse(n) == "config = Config()")
    following = cells[k][j + 1:] + (cells[k + 1] if k + 1 < len(cells) else [])
    first = next((n for n in following if not isinstance(n, (ast.FunctionDef, ast.ClassDef))), None)
    if first is None or ast.unparse(first) != "check_config(config)":
        pytest.fail(f"{path}: the first statement after `config = Config()` (in its cell or the "
                    "next) must be `check_config(config)`, so that a bad value stops the page at once")
    # the page's top-level imports, classes, functions and constants up to the check...
    defs: dict[str, ast.stmt] = {}
    order: list[ast.stmt] = []
    for node in [n for body in cells for n in body]:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.asname or a.name.split(".")[0] for a in node.names]
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names = [node.name]
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            names = [t.id for t in node.targets]
        else:
            continue
        order.append(node)
        defs.update(dict.fromkeys(names, node))
    # ...of which those that Config and check_config use, directly or through each other
    need, todo = set(), ["Config", "check_config"]
    while todo:
        node = defs.get(todo.pop())
        if node is not None and id(node) not in need:
            need.add(id(node))
            todo += [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]
    module = ast.Module(body=[n for n in order if id(n) in need], type_ignores=[])
    namespace: dict = {"__name__": f"lecture_{path.stem}"}
    exec(compile(module, str(path), "exec"), namespace)
    return namespace


@pytest.fixture(scope="session")
def config_check():
    """config_check("hutchinson", M_nn=1): the message of the ValueError that the page's
    `check_config` raises for these Config fields, or None when they pass. It runs the page's
    own Config and check (config_definitions) in this process, without a kernel."""
    pages: dict[str, dict] = {}

    def run(name: str, **fields) -> str | None:
        if name not in pages:
            pages[name] = config_definitions(LECTURES / f"{name}.md")
        try:
            pages[name]["check_config"](pages[name]["Config"](**fields))
        except ValueError as error:
            return str(error)
        return None

    return run


def run_bench(*args: str) -> subprocess.CompletedProcess:
    """`benchmarks/bench.py` with these arguments, its output captured as text."""
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench.py"), *args],
                          capture_output=True, text=True)


def notebook_text(nb) -> str:
    """Every text an executed notebook printed or displayed, glue records included."""
    return "\n".join(text for cell in nb.cells for out in cell.get("outputs", [])
                     for text in [out.get("text", "")] + list(out.get("data", {}).values())
                     if isinstance(text, str) and text)


def notebook_glue(nb) -> dict[str, str]:
    """name -> text/plain of every value an executed notebook glued."""
    return {out["metadata"]["scrapbook"]["name"]: out["data"]["application/papermill.record/text/plain"]
            for cell in nb.cells for out in cell.get("outputs", [])
            if "scrapbook" in out.get("metadata", {})}


def build_scratch_book(folder: Path, page: str) -> subprocess.CompletedProcess:
    """Build, as `make book` does, a book of one lecture (`lectures/sample_lecture.md`
    with the text `page`) and the status page, in `folder`, with this book's
    configuration and tools. Returns the finished jupyter-book process (output in stdout)."""
    (folder / "lectures").mkdir(parents=True)
    for name in ("_config.yml", "status.md", "requirements.in", "requirements.txt"):
        shutil.copy(ROOT / name, folder / name)
    for name in ("tools", "_ext", "lib", "_static", "_admonition"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "_build" / "vendor").mkdir(parents=True)
    (folder / "intro.md").write_text("# Scratch book\n\nOne lecture.\n")
    (folder / "workshop").mkdir()  # the GPU box in _admonition links the set-up page
    (folder / "workshop" / "setup.md").write_text("# Set-up\n\nA stand-in for the book's page.\n")
    (folder / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: Lectures\n    numbered: true\n"
        "    chapters:\n      - file: lectures/sample_lecture\n  - caption: About\n"
        "    chapters:\n      - file: workshop/setup\n      - file: status\n")
    (folder / "lectures" / "sample_lecture.md").write_text(page, encoding="utf-8")
    return subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", ".",
                           "-W", "-n", "--keep-going"], cwd=folder, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)


@pytest.fixture(scope="session")
def scratch_book(tmp_path_factory):
    """A built one-lecture book (tests/fixtures/sample_lecture.md): (folder, process)."""
    folder = tmp_path_factory.mktemp("book")
    return folder, build_scratch_book(folder, (FIXTURES / "sample_lecture.md").read_text())
