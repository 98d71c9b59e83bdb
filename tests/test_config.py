"""Configuration: one set of pins everywhere, valid workflows, working build helpers."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import cache_key  # noqa: E402
import check_book  # noqa: E402

PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;#]+)")


def pins(lines) -> dict[str, str]:
    """name -> version for every `name==version` line."""
    out = {}
    for line in lines:
        m = PIN.match(line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


LOCK = pins((ROOT / "requirements.txt").read_text().splitlines())
TOP = pins((ROOT / "requirements.in").read_text().splitlines())


def disagreements(source: dict[str, str], where: str) -> list[str]:
    return [f"{name}: {where} pins {version}, requirements.txt pins {LOCK.get(name, 'nothing')}"
            for name, version in source.items() if LOCK.get(name) != version]


def test_lock_is_exact():
    lines = [l for l in (ROOT / "requirements.txt").read_text().splitlines()
             if l.strip() and not l.lstrip().startswith("#")]
    loose = [l for l in lines if not PIN.match(l)]
    assert not loose, f"requirements.txt: lines without an exact == pin: {loose}"


def test_top_level_pins_agree_with_lock():
    assert TOP, "requirements.in has no pins"
    problems = disagreements(TOP, "requirements.in")
    assert not problems, "\n".join(problems)


def test_conda_environment_agrees_with_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.12" in deps, "environment.yml: python must be 3.12, like the lock"
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert "-c requirements.txt" in pip_section, "environment.yml: the pip section must be constrained by the lock"
    conda_pins = pins(pip_section)
    problems = disagreements(conda_pins, "environment.yml")
    missing = sorted(set(TOP) - set(conda_pins))
    problems += [f"{name}: in requirements.in, missing from environment.yml" for name in missing]
    assert not problems, "\n".join(problems)


def test_gpu_workflow_installs_the_pinned_jax():
    text = (ROOT / ".github" / "workflows" / "publish.yml").read_text()
    assert 'jax[cuda12]==${jax_version}' in text and "grep '^jax==' requirements.txt" in text


def test_pin_check_names_the_package():
    assert disagreements({"jax": "0.0.1"}, "environment.yml") == [
        f"jax: environment.yml pins 0.0.1, requirements.txt pins {LOCK['jax']}"]


def test_workflows_pass_actionlint():
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    run = subprocess.run([str(Path(sys.executable).parent / "actionlint"), *workflows],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr


def test_actionlint_catches_an_error(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n")
    run = subprocess.run([str(Path(sys.executable).parent / "actionlint"), str(bad)], capture_output=True, text=True)
    assert run.returncode != 0


def test_check_book_passes_on_the_book():
    assert check_book.problems(ROOT) == []


def test_check_book_names_missing_and_unlisted_files(tmp_path):
    (tmp_path / "lectures").mkdir()
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: lectures/gone\n")
    (tmp_path / "intro.md").write_text("# Intro\n")
    (tmp_path / "lectures" / "orphan.md").write_text("# Orphan\n")
    found = check_book.problems(tmp_path)
    assert any("'lectures/gone' has no source file" in p for p in found), found
    assert any(p.startswith("lectures/orphan.md: not listed") for p in found), found


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


def test_execution_is_cached_strict_and_offline():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "cache"
    assert config["execute"]["allow_errors"] is False
    assert config["execute"]["timeout"] > 0
    sphinx = config["sphinx"]["config"]
    assert sphinx["nb_execution_raise_on_error"] is True
    assert not re.match(r"^(https?:)?//", sphinx["mathjax_path"])
    makefile = (ROOT / "Makefile").read_text()
    assert "jupyter-book build . -W -n --keep-going" in makefile


def find_python(minor: str) -> str | None:
    """An interpreter of this minor version: on PATH, or installed by pyenv."""
    candidates = [shutil.which(f"python{minor}")]
    if pyenv := shutil.which("pyenv"):
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        candidates += sorted(str(p) for p in Path(root, "versions").glob(f"{minor}.*/bin/python{minor}"))
    for exe in filter(None, candidates):
        if subprocess.run([exe, "--version"], capture_output=True).returncode == 0:
            return exe
    return None


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
