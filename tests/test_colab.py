"""The generated notebooks run in a runtime that mirrors Colab's (tools/colab_check.py).

Every full notebook runs from its install cell (which takes its Colab branch) and every
exercises-only notebook top to bottom, in a Python 3.13 venv made from
colab/runtime.txt with `google.colab` importable. Where no Python 3.13 exists these
tests are skipped with a message. `make colab-check` runs the same check alone.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
import colab_check
from book import lectures

NAMES = [Path(doc).name for doc in lectures(ROOT)]
NOTEBOOKS = [f"{n}.ipynb" for n in NAMES] + [f"{colab_check.EXERCISES}/{n}.ipynb" for n in NAMES]
SCRIPT = ROOT / "tools" / "colab_check.py"

# One test process (pytest-xdist) runs them all: the check runs once and owns its venv.
pytestmark = pytest.mark.xdist_group("colab")


@pytest.fixture(scope="session")
def colab_python():
    python = colab_check.find_python()
    if not python:
        pytest.skip(f"no Python {colab_check.PYTHON} (Colab's) on PATH or among pyenv's versions: "
                    "the Colab-runtime check is skipped; install one to run it")
    return python


@pytest.fixture(scope="session")
def colab_report(html_dir, colab_python):
    """Run the check once over the built site's notebooks (in parallel); name -> result."""
    folder = html_dir / "_notebooks"
    paths = [folder / rel for rel in NOTEBOOKS]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        pytest.fail(f"notebooks missing, run `make notebooks`: {missing}")
    report = colab_check.WORK / "report.json"
    run = subprocess.run([sys.executable, str(SCRIPT), "--report", str(report), *map(str, paths)],
                         capture_output=True, text=True, cwd=ROOT)
    print(run.stdout)
    if "colab-check: " not in run.stdout or not report.is_file():
        pytest.fail(f"the Colab-runtime check did not run:\n{run.stdout}\n{run.stderr}")
    return {r["name"]: r for r in json.loads(report.read_text())["results"]}


@pytest.mark.colab
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_the_colab_runtime(colab_report, name):
    result = colab_report.get(name)
    assert result, f"{name} was not executed"
    assert result["ok"], f"{name} in the Colab-like runtime: " + "; ".join(result["errors"])


@pytest.mark.colab
def test_a_failing_cell_is_named(colab_python, tmp_path):
    """The report names the notebook, the cell and the error; google.colab is loaded
    from the start, as in Colab, so JAX's debugger takes its Colab path."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('import sys\nassert "google.colab" in sys.modules\n'
                                  "from google.colab import output\n"
                                  "from jax._src.debugger import colab_lib\n"
                                  "assert colab_lib.IS_COLAB_ENABLED"),
        nbformat.v4.new_markdown_cell("text"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("# a comment first\ny = x / 0"),
        nbformat.v4.new_code_cell("never = 'reached'"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})
    path = tmp_path / "broken_demo.ipynb"
    nbformat.write(nb, path)
    report = tmp_path / "report.json"
    run = subprocess.run([sys.executable, str(SCRIPT), "--report", str(report), str(path)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "broken_demo.ipynb: cell 3 ('y = x / 0'): ZeroDivisionError: division by zero" \
        in run.stderr, run.stdout + run.stderr
    (result,) = json.loads(report.read_text())["results"]
    assert len(result["errors"]) == 1, result


def test_python_finder_skips_a_broken_shim(tmp_path, monkeypatch):
    """A pyenv shim of an inactive version is on PATH but fails: it is not taken, and
    without any working 3.13 the check is skipped with a message, not failed."""
    shim = tmp_path / "bin" / f"python{colab_check.PYTHON}"
    shim.parent.mkdir()
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", str(shim.parent))
    monkeypatch.setenv("HOME", str(tmp_path))           # no ~/.pyenv there
    assert colab_check.find_python() is None
    real = tmp_path / ".pyenv" / "versions" / f"{colab_check.PYTHON}.0" / "bin"
    real.mkdir(parents=True)
    (real / f"python{colab_check.PYTHON}").write_text(
        f"#!/bin/sh\necho {colab_check.PYTHON}\n")     # answers the version probe
    (real / f"python{colab_check.PYTHON}").chmod(0o755)
    assert colab_check.find_python() == str(real / f"python{colab_check.PYTHON}")


def test_skipped_with_a_message_without_python_313(monkeypatch, capsys):
    monkeypatch.setattr(colab_check, "find_python", lambda: None)
    assert colab_check.main([]) == 0
    assert "colab-check: skipped: no Python 3.13" in capsys.readouterr().out


def test_runtime_list_names_its_source_and_matches_its_lock():
    source = (colab_check.COLAB / "runtime.in").read_text()
    lock = colab_check.RUNTIME.read_text()
    for text in (source, lock):
        header = "".join(x for x in text.splitlines(keepends=True) if x.startswith("#"))
        assert "googlecolab/backend-info" in header and "pip-freeze.txt" in header
        assert re.search(r"\b20\d\d-\d\d\b", header) and "Python 3.13" in header, "the list's date"
    pins = dict(x.split("==") for x in source.splitlines() if "==" in x and not x.startswith("#"))
    locked = dict(x.split("==") for x in lock.splitlines() if "==" in x and not x.startswith("#"))
    for name, version in pins.items():
        assert locked.get(name) == version, \
            f"{name}: runtime.in pins {version}, runtime.txt has {locked.get(name)}: run `make colab-lock`"
    for name in ("nbclient", "nbformat", "jupytext", "myst-nb"):
        assert name not in locked, f"{name} is the runner's or the book's, not Colab's"


