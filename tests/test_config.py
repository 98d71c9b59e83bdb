"""Configuration: one set of pins everywhere, valid workflows, working build helpers."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import config_definitions

import book
import cache_key
import check_book
import pre_execute
from always_read import _outdated

ROOT = Path(__file__).resolve().parents[1]


def test_lock_is_exact():
    lines = [x for x in (ROOT / "requirements.txt").read_text().splitlines()
             if x.strip() and not x.lstrip().startswith(("#", "--"))]
    loose = [x for x in lines if not book.PIN.match(x)]
    assert not loose, f"requirements.txt: lines without an exact == pin: {loose}"


def test_pins_agree_everywhere():
    assert book.pins(ROOT / "requirements.in"), "requirements.in has no pins"
    problems = check_book.pin_problems(ROOT)
    assert not problems, "\n".join(problems)


def test_pin_check_names_the_package(tmp_path):
    for name in ("requirements.txt", "requirements.in"):
        shutil.copy(ROOT / name, tmp_path / name)
    env = (ROOT / "environment.yml").read_text()
    jax = book.pins(ROOT / "requirements.txt")["jax"]
    assert f"jax=={jax}" in env
    (tmp_path / "environment.yml").write_text(env.replace(f"jax=={jax}", "jax==0.0.1"))
    assert check_book.pin_problems(tmp_path) == [
        f"jax: environment.yml pins 0.0.1, requirements.txt pins {jax}"]


def test_workflows_pass_actionlint():
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    run = subprocess.run([str(Path(sys.executable).parent / "actionlint"), *workflows],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr


def test_check_book_names_missing_and_unlisted_files(tmp_path):
    (tmp_path / "lectures").mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: lectures/gone\n")
    (tmp_path / "intro.md").write_text("# Intro\n")
    (tmp_path / "lectures" / "orphan.md").write_text("# Orphan\n")
    found = check_book.toc_problems(tmp_path)
    assert any("'lectures/gone' has no source file" in p for p in found), found
    assert any(p.startswith("lectures/orphan.md: not listed") for p in found), found


def test_status_page_is_read_again_when_any_other_page_is():
    class App:
        class config:
            always_read_docs = ["status"]

    class Env:
        found_docs = {"intro", "status", "lectures/x"}
        all_docs = {"intro": 1.0, "status": 1.0, "lectures/x": 1.0}
    assert _outdated(App, Env, set(), {"lectures/x"}, set()) == ["status"]
    assert _outdated(App, Env, set(), set(), {"lectures/y"}) == ["status"]
    assert _outdated(App, Env, set(), set(), set()) == [], "a rebuild that reads nothing"
    Env.all_docs = {"intro": 1.0, "lectures/x": 1.0}
    assert _outdated(App, Env, set(), set(), set()) == ["status"], "never read yet"


def test_cache_and_doctrees_are_emptied_when_pins_change(tmp_path):
    cache, doctrees, lock = tmp_path / "cache", tmp_path / "doctrees", tmp_path / "requirements.txt"
    lock.write_text("jax==1\n")
    assert cache_key.refresh(lock, cache, (doctrees,)) is False
    (cache / "executed.db").write_text("x")
    doctrees.mkdir()
    assert cache_key.refresh(lock, cache, (doctrees,)) is False
    assert (cache / "executed.db").exists() and doctrees.exists()
    lock.write_text("jax==2\n")
    assert cache_key.refresh(lock, cache, (doctrees,)) is True
    assert not (cache / "executed.db").exists() and not doctrees.exists()


def find_python(minor: str) -> str | None:
    """A working Python `minor`, found by the project's finder (tools/find_python.sh)."""
    found = subprocess.run(["/bin/sh", str(ROOT / "tools" / "find_python.sh"), minor],
                           capture_output=True, text=True)
    return found.stdout.strip() or None


@pytest.mark.parametrize("minor", ["3.12", "3.13"])
def test_lock_resolves_on_newer_pythons(minor, tmp_path):
    """Readers bring their own Python: every pin must have a distribution for 3.12 and 3.13."""
    exe = find_python(minor)
    if exe is None:
        pytest.skip(f"no Python {minor} installed here")
    uv = str(Path(sys.executable).parent / "uv")
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "-q", "--python", exe, str(venv)], check=True)
    run = subprocess.run([uv, "pip", "install", "--dry-run", "-q", "-r", str(ROOT / "requirements.txt")],
                         capture_output=True, text=True, env={**os.environ, "VIRTUAL_ENV": str(venv)})
    assert run.returncode == 0, f"requirements.txt does not install on Python {minor}:\n{run.stderr[-2000:]}"


PAGE_HEAD = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A page

"""


def test_pre_executed_pages_are_cached_under_the_builds_key(tmp_path):
    """Pages executed ahead of the build, two at a time, are found in the cache by the key
    myst-nb looks them up with, with their outputs, run in the page's folder; a failing
    page is left out of the cache (the build runs it again and reports the cell)."""
    from jupyter_cache import get_cache
    cells = {"a": "x = 6 * 7\nprint(x)", "b": "import os\nprint(os.path.basename(os.getcwd()))",
             "c": "1 / 0"}
    folder = tmp_path / "pages"
    folder.mkdir()
    paths = []
    for name, code in cells.items():
        paths.append(folder / f"{name}.md")
        paths[-1].write_text(PAGE_HEAD + f"```{{code-cell}} ipython3\n{code}\n```\n")
    outcome = pre_execute.run(paths, tmp_path / "cache", jobs=2, timeout=60)
    assert outcome[paths[0]] is None and outcome[paths[1]] is None, outcome
    assert outcome[paths[2]].startswith("CellExecutionError"), outcome
    cache = get_cache(str(tmp_path / "cache"))
    printed = []
    for path in paths[:2]:
        record = cache.match_cache_notebook(pre_execute.read_page(path))
        nb = cache.get_cache_bundle(record.pk).nb
        printed.append(nb.cells[0].outputs[0]["text"].strip())
    assert printed == ["42", "pages"], printed
    with pytest.raises(KeyError):
        cache.match_cache_notebook(pre_execute.read_page(paths[2]))
    # Run again: only the failing page is missing, and one page is left to the build.
    assert pre_execute.run(paths, tmp_path / "cache", jobs=2, timeout=60) == {}


LECTURES = [Path(doc).name for doc in book.lectures(ROOT)]


@pytest.mark.parametrize("name", LECTURES)
def test_every_lecture_checks_its_config_at_once(config_check, name):
    """The book's convention (README, "Adding a lecture"): the defaults pass the page's
    check_config, and a seed that is not an integer is refused, naming the field."""
    assert config_check(name) is None
    message = config_check(name, seed=1.5)
    assert message and message.startswith("Config.seed"), message


def test_a_check_that_comes_late_is_refused(tmp_path):
    page = tmp_path / "late.md"
    cell = "```{code-cell} ipython3\n%s\n```\n\n"
    body = ("from typing import NamedTuple\n\nclass Config(NamedTuple):\n    seed: int = 0\n\n"
            "def check_config(config: Config) -> None:\n    if config.seed < 0:\n"
            "        raise ValueError('Config.seed < 0')\n\nconfig = Config()")
    page.write_text(PAGE_HEAD + cell % body + cell % "x = 1\ncheck_config(config)")
    with pytest.raises(pytest.fail.Exception, match="must be `check_config\\(config\\)`"):
        config_definitions(page)
    page.write_text(PAGE_HEAD + cell % body + cell % "check_config(config)\nx = 1")
    namespace = config_definitions(page)
    with pytest.raises(ValueError, match="Config.seed"):
        namespace["check_config"](namespace["Config"](seed=-1))


def test_the_environment_is_compiled_to_bytecode():
    """`make env` compiles every installed module (uv --compile-bytecode): where
    PYTHONDONTWRITEBYTECODE is set, nothing else writes .pyc files, and every kernel, test
    process and build step would compile JAX, Keras and Sphinx from source again."""
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip(f"not the book's environment ({sys.prefix})")
    import importlib.util
    import jax
    import sphinx
    for module in (jax, sphinx):
        cached = Path(importlib.util.cache_from_source(module.__file__))
        assert cached.is_file(), f"{cached} is missing: rebuild the environment (rm -rf .venv; make env)"
