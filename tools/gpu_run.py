"""Execute every page of the book on this machine's device and report, in one command.

Made for a GPU machine lent for a few minutes, without a network, that has JAX's CUDA
build and the numerical stack but not Keras or the Jupyter packages: `make gpu-pack`
downloads those as wheels elsewhere, they travel with the working tree, and this

1. installs the wheels of `--wheels` into a private folder (`--target`) with pip,
   offline, without dependencies or bytecode (Python writes that for the modules
   the pages import, at first use), and puts that folder first on the path of this
   process and of the kernels (a wheels folder that is empty or absent installs
   nothing: the packages of this Python are used, as on a development machine);
2. prints the devices JAX sees;
3. executes every lecture of `_toc.yml` in book order, then every deck
   (`slides/*.md`), each in a fresh kernel of this Python, hidden checks included,
   going on past a failing cell so that every failing check of a page is listed;
4. writes `report.json` and `report.md` (a Markdown table) into `--out`, again after
   every page: per page its execution time, the outcome of its checks (the page's
   line and the error of each failing cell) and the figures it glued, with the
   platform (`cpu` or `gpu`), the device and the versions.

It stops within `--budget` seconds (default 8 minutes, counted from its start):
the page running then is reported as stopped at its cell, and the pages after it
as not reached. It exits with status 1 unless every page ran with its checks holding.
`python benchmarks/bench.py --report DIR/report.json` checks the measurements
against `benchmarks/expectations.toml`. The same command runs on a CPU.

Usage: python tools/gpu_run.py --out DIR [--wheels DIR] [--budget SECONDS] [PAGE ...]
(PAGE: `optimizers`, `lectures/optimizers`, `slides/deep_learning` or a path to a
MyST page; default: every lecture, then every deck)
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHEELS = ROOT / "_build" / "gpu-pack" / "wheels"     # where `make gpu-pack` writes them
TARGET = ROOT / "_build" / "gpu-run" / "site"        # where they are installed
BUDGET = 480                                         # seconds, install included
RESERVE = 15          # seconds kept from the budget to stop a kernel and write the report
KERNEL = "gpu-run"    # the kernelspec: this Python, with the private folder on its path
FENCE = re.compile(r"^(`{3,}|~{3,})\{code-cell\}")
# what the report names the versions of (absent ones are left out)
VERSIONS = ("jax", "jaxlib", "jax-cuda13-plugin", "jax-cuda13-pjrt", "jax-cuda12-plugin",
            "jax-cuda12-pjrt", "optax", "optimistix", "equinox", "lineax", "keras", "numpy",
            "scipy", "pandas", "matplotlib", "ipykernel", "nbclient", "jupytext")
DEVICE_PROBE = f"""
import json, platform, importlib.metadata as md
import jax
devices = jax.devices()
versions = {{"python": platform.python_version()}}
for name in {VERSIONS!r}:
    try:
        versions[name] = md.version(name)
    except md.PackageNotFoundError:
        pass
try:
    versions["platform_version"] = devices[0].client.platform_version   # CUDA's, on a GPU
except Exception:
    pass
print(json.dumps({{"platform": jax.default_backend(), "device_kind": devices[0].device_kind,
                  "devices": [str(d) for d in devices], "versions": versions}}))
"""


# ------------------------------------------------------------ install

def install(wheels: Path | None, target: Path) -> Path | None:
    """Install the wheels into `target` (again only when the set of wheels changed);
    the folder to put on the path, or None when there are no wheels."""
    found = sorted(wheels.glob("*.whl")) if wheels and wheels.is_dir() else []
    if not found:
        print(f"install: no wheels in {wheels}: using the packages of {sys.executable}", flush=True)
        return None
    stamp = target / ".wheels"
    listing = "\n".join(p.name for p in found)
    if stamp.is_file() and stamp.read_text() == listing:
        print(f"install: {len(found)} wheels already in {target}", flush=True)
        return target
    start = time.monotonic()
    if target.exists():
        import shutil
        shutil.rmtree(target)
    target.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
                    "--no-compile", "--disable-pip-version-check", "--target", str(target), *map(str, found)],
                   check=True)
    stamp.write_text(listing)
    print(f"install: {len(found)} wheels into {target} in {time.monotonic() - start:.0f} s", flush=True)
    return target


def environment(site: Path | None, kernels: Path) -> dict[str, str]:
    """This process's environment for the kernels and the device probe: the private
    folder first on the path, the kernelspec found, JAX not grabbing the GPU's memory."""
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["JUPYTER_PATH"] = os.pathsep.join([str(kernels)] + [p for p in [env.get("JUPYTER_PATH")] if p])
    env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")   # debugpy's warning on frozen modules
    return env


def kernelspec(folder: Path) -> None:
    """A kernelspec of this Python (the machine's, not one found on PATH) under `folder`."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (gpu_run)", "language": "python"}))


def device(env: dict[str, str]) -> dict:
    """Platform, device kind, devices and versions, read by a separate Python (so that
    this process holds no device while the kernels run)."""
    done = subprocess.run([sys.executable, "-c", DEVICE_PROBE], env=env, capture_output=True,
                          text=True, timeout=300)
    if done.returncode:
        raise SystemExit(f"error: JAX could not list the devices:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------ pages

def pages(root: Path = ROOT) -> list[str]:
    """Every lecture in book order, then every deck: "lectures/x", ..., "slides/y"."""
    import book
    return book.lectures(root) + [f"slides/{p.stem}" for p in sorted((root / "slides").glob("*.md"))]


def resolve(name: str, known: list[str]) -> str:
    """A page named on the command line: a page of the book ("optimizers",
    "lectures/optimizers", "slides/deep_learning"), or the path of any MyST page (x.md)."""
    if name.endswith(".md") and Path(name).is_file():
        path = Path(name).resolve()
        return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).removesuffix(".md")
    name = name.removesuffix(".md")
    hits = [p for p in known if p == name or Path(p).name == name]
    if len(hits) > 1:   # a lecture and its deck share a name: the bare name is the lecture
        hits = [p for p in hits if p == name or p == f"lectures/{name}"]
    if len(hits) != 1:
        raise SystemExit(f"error: no page {name!r} (pages: {', '.join(known)})")
    return hits[0]


def path_of(page: str) -> Path:
    """The MyST file of a page of the report."""
    return ROOT / f"{page}.md"          # an absolute page stays absolute


def cell_lines(path: Path) -> list[int]:
    """The line (1-based) of each code cell's fence in the page, in order."""
    return [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
            if FENCE.match(line)]


def code_lines(path: Path) -> int:
    """Non-blank lines of code in the page's code cells."""
    import jupytext
    return sum(1 for c in jupytext.read(path).cells if c.cell_type == "code"
               for line in c.source.splitlines() if line.strip())


def glued(nb) -> dict[str, str]:
    """name -> text/plain of every figure the executed notebook glued (myst-nb's glue
    writes a display output with `scrapbook` metadata)."""
    return {out["metadata"]["scrapbook"]["name"]:
            out.get("data", {}).get("application/papermill.record/text/plain", "")
            for cell in nb.cells for out in cell.get("outputs", [])
            if "scrapbook" in out.get("metadata", {})}


def first_line(source: str) -> str:
    lines = [s for s in source.strip().splitlines() if s.strip() and not s.startswith("#")]
    return lines[0][:80] if lines else ""


def execute(page: str, deadline: float, cell_timeout: int) -> tuple[dict, object]:
    """Execute one page in a fresh kernel (of KERNEL, with this process's environment)
    until `deadline` (time.monotonic()); its entry of the report, and the executed notebook."""
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    path = path_of(page)
    nb = jupytext.read(path)
    lines = cell_lines(path)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    line_of = {i: lines[k] if k < len(lines) else None for k, i in enumerate(code)}
    entry = {"page": page, "status": "ok", "seconds": None, "cells": len(code),
             "failures": [], "stopped_at": None, "glued": {}}
    client = NotebookClient(nb, kernel_name=KERNEL, allow_errors=True, timeout=cell_timeout,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.monotonic()
    try:
        with client.setup_kernel():
            for count, i in enumerate(code, start=1):
                left = int(deadline - time.monotonic())
                if left < 1:
                    entry["status"], entry["stopped_at"] = "stopped", line_of[i]
                    break
                client.timeout = min(cell_timeout, left)
                try:
                    client.execute_cell(nb.cells[i], i, execution_count=count)
                except CellTimeoutError:
                    if client.timeout < cell_timeout:     # the budget ran out, not the cell's time
                        entry["status"], entry["stopped_at"] = "stopped", line_of[i]
                    else:
                        entry["failures"].append({"line": line_of[i], "cell": first_line(nb.cells[i].source),
                                                  "error": f"cell timed out after {cell_timeout} s"})
                    break
    except DeadKernelError as error:
        entry["failures"].append({"line": None, "cell": "", "error": f"kernel died: {error}"[:400]})
    except Exception as error:        # the kernel did not start, or nbclient broke: next page
        entry["failures"].append({"line": None, "cell": "",
                                  "error": f"{type(error).__name__}: {error}"[:400]})
    entry["seconds"] = round(time.monotonic() - start, 2)
    for i in code:
        for out in nb.cells[i].get("outputs", []):
            if out.get("output_type") == "error":
                entry["failures"].append({"line": line_of[i], "cell": first_line(nb.cells[i].source),
                                          "error": f"{out['ename']}: {out['evalue']}"[:400]})
    if entry["failures"] and entry["status"] == "ok":
        entry["status"] = "failed"
    entry["glued"] = glued(nb)
    return entry, nb


# ------------------------------------------------------------ report

def outcome(entry: dict) -> str:
    """The checks column of the Markdown table."""
    if entry["status"] == "not reached":
        return "not reached"
    parts = [f"line {f['line']}: {f['error'].splitlines()[0][:160]}" for f in entry["failures"]]
    if entry["status"] == "stopped":
        parts.append(f"stopped by the budget at line {entry['stopped_at']}")
    return "; ".join(parts).replace("|", "\\|") or "ok"


def markdown(report: dict) -> str:
    """The report as Markdown: the device, one row per page, then the measurements."""
    import book
    d = report["device"]
    versions = ", ".join(f"{k} {v}" for k, v in d["versions"].items())
    out = [f"# Book run on {d['platform']} ({d['device_kind']})", "",
           f"- devices: {', '.join(d['devices'])}", f"- versions: {versions}",
           f"- commit: {report['commit'] or 'unknown'}; started {report['started']}",
           f"- budget {report['budget_s']} s; elapsed {report['elapsed_s']:.0f} s; "
           f"pages ok: {sum(e['status'] == 'ok' for e in report['pages'])} of {len(report['pages'])}",
           "", "| page | status | seconds | checks |", "| --- | --- | ---: | --- |"]
    for e in report["pages"]:
        seconds = "" if e["seconds"] is None else f"{e['seconds']:.1f}"
        out.append(f"| {e['page']} | {e['status']} | {seconds} | {outcome(e)} |")
    rows = [(e["page"], name, book.shown(text)) for e in report["pages"]
            for name, text in e["glued"].items() if name.startswith(book.MEASUREMENTS)]
    out += ["", "## Measurements", "",
            "The figures glued with a unit prefix (" + ", ".join(book.MEASUREMENTS) +
            "); report.json holds every glued figure.", ""]
    out += ["| page | figure | value |", "| --- | --- | ---: |"]
    out += [f"| {p} | {n} | {v} |" for p, n, v in rows] or ["| (none) | | |"]
    return "\n".join(out) + "\n"


def write(report: dict, out: Path) -> None:
    (out / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")


def commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10)
        return done.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="pages to run (default: every lecture, then every deck)")
    parser.add_argument("--out", type=Path, required=True, help="folder for report.json and report.md")
    parser.add_argument("--wheels", type=Path, default=WHEELS,
                        help="the wheels of `make gpu-pack` (empty or absent: install nothing)")
    parser.add_argument("--target", type=Path, default=TARGET, help="where the wheels are installed")
    parser.add_argument("--budget", type=float, default=BUDGET,
                        help="seconds for the whole run, the install included (default 480)")
    parser.add_argument("--notebooks", action="store_true",
                        help="also write the executed notebooks into OUT/executed/")
    args = parser.parse_args(argv)
    start = time.monotonic()
    deadline = start + args.budget - RESERVE
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())

    site = install(args.wheels, args.target.resolve())
    if site is not None:
        sys.path.insert(0, str(site))
    # the book's library: on a bare machine there is no venv whose .pth would list it
    sys.path.insert(1, str(ROOT / "lib"))
    import yaml

    known = pages()
    chosen = [resolve(p, known) for p in args.pages] if args.pages else known
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    cell_timeout = int(config.get("execute", {}).get("timeout", 300))
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="gpu-run-") as scratch:
        kernelspec(Path(scratch))
        os.environ.update(environment(site, Path(scratch)))   # the kernels inherit it
        info = device(dict(os.environ))
        print(f"device: {info['platform']} ({info['device_kind']}): {', '.join(info['devices'])}; "
              f"jax {info['versions'].get('jax')}", flush=True)
        report = {"device": info, "commit": commit(), "started": started, "budget_s": args.budget,
                  "elapsed_s": 0.0, "pages": [{"page": p, "status": "not reached", "seconds": None,
                                               "cells": None, "failures": [], "stopped_at": None,
                                               "glued": {}} for p in chosen]}
        write(report, args.out)
        for k, page in enumerate(chosen):
            if deadline - time.monotonic() < 1:
                break
            print(f"run: {page} ...", flush=True)
            entry, nb = execute(page, deadline, cell_timeout)
            report["pages"][k] = entry
            report["elapsed_s"] = round(time.monotonic() - start, 1)
            write(report, args.out)
            if args.notebooks:
                import nbformat
                (args.out / "executed").mkdir(exist_ok=True)
                nbformat.write(nb, args.out / "executed" / f"{Path(page).name}.ipynb")
            print(f"run: {page}: {entry['status']} in {entry['seconds']:.1f} s, "
                  f"{len(entry['glued'])} figures glued; {outcome(entry)}", flush=True)
            if entry["status"] == "stopped":
                break
    report["elapsed_s"] = round(time.monotonic() - start, 1)
    write(report, args.out)
    missed = [e["page"] for e in report["pages"] if e["status"] == "not reached"]
    if missed:
        print(f"run: not reached within the budget of {args.budget:g} s: {', '.join(missed)}")
    print(f"run: report in {args.out / 'report.md'}; {report['elapsed_s']:.0f} s in all")
    return 0 if all(e["status"] == "ok" for e in report["pages"]) else 1


if __name__ == "__main__":
    sys.exit(main())
