"""tools/gpu_run.py, the one command for a GPU machine, run here on CPU: its plumbing
(no wheels to install, the kernel, the checks, the glue, the report, the budget) is
tested where the book is developed. `make gpu-pack`'s list is checked without a network.

The lecture run is the one whose execution in the last book build (`make html`, which
`make test` runs first) was the shortest; GPU_RUN_PAGE=NAME picks another.
"""

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest

import book
import gpu_pack
import gpu_run
from conftest import run_bench

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "sample_lecture.md"
CACHE = ROOT / "_build" / ".jupyter_cache"
# XLA's CPU compiler without its expensive optimisations, as for the other lecture runs
FAST_COMPILE = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"


def shortest_lecture() -> str:
    """The lecture whose last build execution took the least time."""
    if os.environ.get("GPU_RUN_PAGE"):
        return os.environ["GPU_RUN_PAGE"]
    from jupyter_cache import get_cache
    if not (CACHE / "global.db").is_file():
        pytest.fail(f"{CACHE} is missing: build the book first with `make html` "
                    "(or name a lecture with GPU_RUN_PAGE=NAME)")
    lectures = {str(ROOT / f"{doc}.md"): doc for doc in book.lectures()}
    seconds = {}
    for record in sorted(get_cache(str(CACHE)).list_cache_records(), key=lambda r: r.created):
        uri = str(Path(record.uri).resolve())
        if uri in lectures and record.data.get("execution_seconds"):
            seconds[lectures[uri]] = record.data["execution_seconds"]   # the latest wins
    if not seconds:
        pytest.fail(f"no lecture execution recorded in {CACHE}: build the book with `make html`")
    return Path(min(seconds, key=seconds.get)).name


def run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict, str]:
    """tools/gpu_run.py with an empty wheels folder (this Python's packages), its report
    in a temporary folder: (process, report.json, report.md)."""
    wheels, out = tmp_path / "wheels", tmp_path / "report"
    wheels.mkdir()
    env = {**os.environ, "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} {FAST_COMPILE}".strip()}
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "gpu_run.py"), "--wheels", str(wheels),
                           "--out", str(out), *args], cwd=tmp_path, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
    assert (out / "report.json").is_file(), done.stdout[-3000:]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return done, report, (out / "report.md").read_text(encoding="utf-8")


def test_lecture_and_a_failing_check(tmp_path):
    """The shortest lecture runs with its checks holding and its figures glued; a page
    with a failing hidden check is reported with the check's line and error."""
    lecture = shortest_lecture()
    bad = tmp_path / "bad_page.md"
    text = FIXTURE.read_text(encoding="utf-8")
    assert "assert float(x.sum()) == 3.0" in text
    bad.write_text(text.replace("assert float(x.sum()) == 3.0",
                                'assert float(x.sum()) == 4.0, "planted failure"'), encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), start=1) if "glue(\"t_sum\"" in s)
    fence = max(i for i in gpu_run.cell_lines(bad) if i < line)

    done, report, md = run(tmp_path, lecture, str(bad))
    assert done.returncode == 1, done.stdout[-3000:]
    assert report["device"]["platform"] == "cpu"
    assert report["device"]["versions"]["jax"] == book.pins(ROOT / "requirements.txt")["jax"]
    first, second = report["pages"]
    assert first["page"] == f"lectures/{lecture}"
    assert first["status"] == "ok" and not first["failures"], first["failures"]
    assert first["seconds"] > 0
    assert first["glued"], f"{lecture}: no glued figure read from the executed notebook"
    assert f"| lectures/{lecture} | ok |" in md
    assert second["status"] == "failed"
    assert [(f["line"], f["error"]) for f in second["failures"]] == \
        [(fence, "AssertionError: planted failure")]
    assert second["glued"] == {"t_sum": "0.25", "ratio_sum": "2.5"}
    assert f"line {fence}: AssertionError: planted failure" in md
    assert "| " + str(bad.with_suffix("")) + " | ratio_sum | 2.5 |" in md


def test_budget(tmp_path):
    """A page still running when the budget is spent is stopped at its cell, and the pages
    after it are reported as not reached."""
    slow = tmp_path / "slow_page.md"
    slow.write_text(FIXTURE.read_text(encoding="utf-8").replace(
        "x = jnp.arange(3.0)", "x = jnp.arange(3.0)\nimport time\ntime.sleep(600)"), encoding="utf-8")
    done, report, md = run(tmp_path, "--budget", str(gpu_run.RESERVE + 20), str(slow), str(FIXTURE))
    assert done.returncode == 1
    stopped, missed = report["pages"]
    assert stopped["status"] == "stopped" and stopped["stopped_at"] in gpu_run.cell_lines(slow)
    assert missed["status"] == "not reached"
    assert "not reached within the budget" in done.stdout
    assert "stopped by the budget at line" in md


def test_pack_list():
    """The wheels for the GPU machine: what the pages need that the machine lacks, at the
    lock's versions, and nothing it has."""
    wanted = gpu_pack.plan()
    pins = book.pins(ROOT / "requirements.txt")
    for name in gpu_pack.CARRY + gpu_pack.CARRY_ALONE + ("ipython", "pyzmq", "jupyter-client"):
        assert wanted.get(name) == pins[name], name
    for name in gpu_pack.MACHINE_HAS + ("ml-dtypes", "typing-extensions", "absl-py"):
        assert name not in wanted, name
    assert not {"sphinx", "jupyter-book", "pytest"} & wanted.keys()   # the site's, not the pages'


def test_bench_reads_a_report(tmp_path):
    """`bench.py --report` checks the figures of the lectures that ran, under the report's
    platform, and skips the bounds of the lectures that did not."""
    entry = {"failures": [], "stopped_at": None, "cells": 1, "seconds": 1.0}
    report = {"device": {"platform": "gpu", "device_kind": "Some GPU", "devices": ["cuda:0"],
                         "versions": {}},
              "pages": [{**entry, "page": "lectures/demo", "status": "ok",
                         "glued": {"t_sum": "0.25", "ratio_sum": "2.5", "word": "'fine'"}},
                        {**entry, "page": "lectures/later", "status": "not reached", "glued": {}}]}
    (tmp_path / "report.json").write_text(json.dumps(report))
    toml = tmp_path / "expectations.toml"
    toml.write_text("[cpu]\ndemo.t_sum = {max = 1}\n[gpu]\ndemo.t_sum = {max = 0.2}\n"
                    "demo.ratio_sum = {min = 2}\nlater.t_x = {max = 1}\n")
    bench = run_bench("--report", str(tmp_path / "report.json"), "--expectations", str(toml))
    assert bench.returncode == 1, bench.stdout + bench.stderr
    assert bench.stderr.strip() == "FAIL demo: t_sum = 0.25, above its maximum 0.2"
    assert "on gpu (Some GPU)" in bench.stdout
    assert re.search(r"ratio_sum\s+2\.5\s+min 2\s+ok", bench.stdout), bench.stdout
    assert re.search(r"later\s+t_x\s+not run\s+max 1\s+skip", bench.stdout), bench.stdout
