"""Execute the generated notebooks in a runtime that mirrors Colab's.

`make colab-check` runs this. It needs a Python 3.13 (Colab's): on PATH, or among
pyenv's installed versions. Where there is none it says so and exits 0 (skipped).

1. A venv, `colab/.venv`, from `colab/runtime.txt` (Colab's preinstalled packages at
   Colab's versions, resolved from `colab/runtime.in`), plus `colab/stub`: a tiny
   `google.colab`; each kernel imports it before the first cell, as Colab's kernel does.
   It is kept between runs and rebuilt when the list or the stub changes.
2. Every full notebook (`_build/html/_notebooks/NAME.ipynb`) runs in a fresh kernel,
   from its install cell on. The install cell sees `google.colab` and takes its Colab
   branch: pip installs the book's pins from the package index, as in Colab. So that
   the Colab venv stays as Colab has it, each distinct install cell gets its own overlay
   venv that sees the Colab venv's packages (a `.pth` file); pip installs into the
   overlay and leaves the Colab venv alone ("outside environment"). The first notebook
   with that install cell installs; the others that have the same cell (the lectures
   that need the same packages) start once it has, and find their packages installed:
   the same cell on the same runtime installs the same thing, so it is checked once.
3. Every exercises-only notebook (`.../exercises/NAME.ipynb`) runs top to bottom in
   a fresh kernel on its lecture's overlay (its install cell is the same cell, so it finds
   its packages installed): no solution is there, so a later cell that needs one fails.

A notebook fails when a cell raises (the report names the notebook, the cell and the
error), when its install cell did not install the pins it lists, or when pip had to
replace a package Colab has loaded at start-up (book.COLAB_HAS: in Colab
that needs a runtime restart, which the notebook does not ask for). The runtime's
packages the install cell replaced and any text a cell wrote to stderr are reported as
notes. Notebooks run in parallel, one per core (at most `--jobs`). The kernels use
JAX's persistent compilation cache that `make html` fills (`_build/jax-cache`): the
notebooks install the book's jaxlib, so they compile the programs the build compiled,
and reuse them (`--no-jax-cache` compiles everything afresh, as a first Colab session
does). It saves compilation only: every cell still runs.

The kernels are driven by nbclient from the book's own environment, so the runner's
packages (nbclient, nbformat, jupyter_client) stay out of the kernel's view.

Inside the runtime image that Google publishes for Colab (the workflow
`.github/workflows/colab.yml`), `--runtime-python python3` replaces step 1: the overlays
stand on that Python and its packages as the image has them, `google.colab` included.

Usage: python tools/colab_check.py [--jobs N] [--report FILE.json] [--runtime-python PY]
                                   [NOTEBOOK.ipynb ...]
       (default: every notebook under _build/html/_notebooks)
"""

import argparse
import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import book

ROOT = book.ROOT
COLAB = ROOT / "colab"
RUNTIME = COLAB / "runtime.txt"           # the lock of Colab's runtime (Python 3.13)
STUB = COLAB / "stub"                     # a stand-in for google.colab
VENV = COLAB / ".venv"                    # the Colab-like venv, cached between runs
WORK = ROOT / "_build" / "colab"          # overlays, working folders, the report
NOTEBOOKS = ROOT / "_build" / "html" / "_notebooks"
JAX_CACHE = ROOT / "_build" / "jax-cache"  # the book build's compilation cache (--no-jax-cache)
JAX_CACHE_ON = True
EXERCISES = book.EXERCISES
PYTHON = "3.13"                           # Colab's Python
CELL_TIMEOUT = 900                        # seconds a cell may run
# a pin as an install cell lists it: "name==version" in quotes (not book.PIN's line format)
INSTALL_PIN = re.compile(r'"([A-Za-z0-9_.\-]+)(?:\[[\w,]+\])?==([\w.+\-]+)"')
# pip's complaint about this machine's own local index folders: not the notebook's doing.
LOCAL_PIP = re.compile(r"^WARNING: Location 'file:.*' is ignored")
# Variables of the runner's environment that must not reach the Colab kernel.
DROP_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR",
            "JUPYTER_DATA_DIR", "IPYTHONDIR", "MPLBACKEND", "PYTEST_CURRENT_TEST")


def find_python() -> str | None:
    """A working Python 3.13 (Colab's), found by the project's finder (tools/find_python.sh)."""
    found = subprocess.run(["/bin/sh", str(ROOT / "tools" / "find_python.sh"), PYTHON],
                           capture_output=True, text=True)
    return found.stdout.strip() or None


def uv() -> str:
    local = ROOT / ".venv" / "bin" / "uv"
    found = str(local) if local.is_file() else shutil.which("uv")
    if not found:
        sys.exit("colab-check: uv not found: run `make env` first")
    return found


def site_packages(venv: Path) -> Path:
    found = sorted((venv / "lib").glob("python3*/site-packages"))
    return found[0] if found else venv / "lib" / f"python{PYTHON}" / "site-packages"


# The runtime the overlays stand on: colab/.venv (the mirror), or, with --runtime-python,
# the Python of Colab's own runtime image and the folders its packages are in.
BASE = {"python": str(VENV / "bin" / "python"), "sites": [str(site_packages(VENV))]}


VENV_RECIPE = "uv sync --compile-bytecode; stub copied"   # change to force a rebuild


def runtime_key() -> str:
    """Changes when the runtime list, the stub or the recipe changes: then the venv is rebuilt."""
    h = hashlib.sha256(VENV_RECIPE.encode() + RUNTIME.read_bytes())
    for f in sorted(STUB.rglob("*.py")):
        h.update(str(f.relative_to(STUB)).encode() + f.read_bytes())
    return h.hexdigest()


def ensure_venv(python: str) -> None:
    """Build colab/.venv from colab/runtime.txt and the stub, unless it is up to date."""
    stamp = VENV / ".runtime-key"
    key = runtime_key()
    if stamp.is_file() and stamp.read_text() == key and (VENV / "bin" / "python").exists():
        return
    print(f"colab-check: building {VENV.relative_to(ROOT)} from {RUNTIME.relative_to(ROOT)} "
          f"with {python}", flush=True)
    t = time.time()
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([uv(), "venv", "--quiet", "--python", python, str(VENV)], check=True)
    subprocess.run([uv(), "pip", "sync", "--quiet", "--compile-bytecode", str(RUNTIME)], check=True,
                   env={**os.environ, "VIRTUAL_ENV": str(VENV)})
    shutil.copytree(STUB, site_packages(VENV), dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    stamp.write_text(key)
    print(f"colab-check: venv ready in {time.time() - t:.0f} s", flush=True)


def make_overlay(path: Path) -> None:
    """An empty venv on Colab's Python that also sees the Colab venv's packages."""
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([uv(), "venv", "--quiet", "--python", BASE["python"], str(path)], check=True)
    (site_packages(path) / "colab_runtime.pth").write_text(
        "".join(f"import site; site.addsitedir({site!r})\n" for site in BASE["sites"]))


def installed(sites: list[Path]) -> dict[str, str]:
    """Normalized name -> version of the distributions installed in these folders alone."""
    out = {}
    for d in [d for site in sites for d in Path(site).glob("*.dist-info")]:
        name, _, version = d.name[:-len(".dist-info")].partition("-")
        out[re.sub(r"[-_.]+", "-", name).lower()] = version
    return out


# ---------------------------------------------------------------- one notebook

PROBE = """\
import importlib.metadata as _m, json as _j, resource as _r, sys as _s
_u, _c = _r.getrusage(_r.RUSAGE_SELF), _r.getrusage(_r.RUSAGE_CHILDREN)
print(_j.dumps({"colab": "google.colab" in _s.modules,
                "cpu_s": _u.ru_utime + _u.ru_stime, "pip_cpu_s": _c.ru_utime + _c.ru_stime,
                "versions": {_p: _m.version(_p) for _p in %r},
                "loaded": {_k: getattr(_s.modules[_k], "__version__", None)
                           for _k in ("jax", "numpy") if _k in _s.modules}}))
"""


def _first_line(source: str) -> str:
    line = next((x for x in source.splitlines() if x.strip() and not x.startswith("#")), "")
    return line.strip()[:70]


def execute(path: Path, overlay: Path, workdir: Path, log: Path, installed_cb=None) -> dict:
    """Run one notebook in a fresh Colab-like kernel; a dict for the report.
    installed_cb() is called once the install cell has run (or failed)."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    workdir.mkdir(parents=True, exist_ok=True)
    spec = workdir / "kernels" / "colab"
    spec.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in DROP_ENV}
    env["PATH"] = f"{overlay / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["IPYTHONDIR"] = str(workdir / "ipython")        # no user profile, as in a fresh Colab
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"          # ipykernel's debugger: no start-up banner
    if JAX_CACHE_ON:
        # XLA's compiled programs, from the book build and shared by the notebooks (a key
        # holds jaxlib's version and XLA's flags); only compilation is saved, no result.
        env["JAX_COMPILATION_CACHE_DIR"] = str(JAX_CACHE)
        env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    (spec / "kernel.json").write_text(json.dumps({
        # as Colab's kernel starts: with google.colab imported (the stub's, in the mirror)
        "argv": [str(overlay / "bin" / "python"), "-c",
                 "import google.colab; from ipykernel import kernelapp; kernelapp.launch_new_instance()",
                 "-f", "{connection_file}"],
        "display_name": "Python 3 (Colab-like)", "language": "python", "env": env}))
    km = KernelManager(kernel_name="colab",
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]))
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, allow_errors=False,
                            resources={"metadata": {"path": str(workdir / "content")}})
    (workdir / "content").mkdir(exist_ok=True)
    result = {"notebook": _rel(path), "name": r_name(path), "ok": True, "errors": [], "notes": [],
              "install_s": None, "seconds": None}
    head = nb.cells[0] if nb.cells and nb.cells[0].cell_type == "code" else None
    is_install = head is not None and 'if "google.colab" in sys.modules:' in head.source
    pins = dict(INSTALL_PIN.findall(head.source)) if is_install else {}
    start = time.perf_counter()
    log.parent.mkdir(parents=True, exist_ok=True)
    log_file = open(log, "w")
    try:
        # cleanup_kc: shut the kernel down afterwards (nbclient keeps a kernel it did not start)
        with client.setup_kernel(cleanup_kc=True, stdout=log_file, stderr=subprocess.STDOUT):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                t = time.perf_counter()
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as e:
                    result["errors"].append(
                        f"cell {index} ({_first_line(cell.source)!r}): "
                        f"{e.ename}: {str(e.evalue).splitlines()[0] if e.evalue else ''}".rstrip())
                    break
                except CellTimeoutError:
                    result["errors"].append(f"cell {index} ({_first_line(cell.source)!r}): "
                                            f"ran past {CELL_TIMEOUT} s")
                    break
                finally:
                    if index == 0 and is_install:
                        result["install_s"] = round(time.perf_counter() - t, 1)
                    if index == 0 and installed_cb:
                        installed_cb()
                for out in cell.outputs:
                    lines = [x for x in out.get("text", "").splitlines()
                             if x.strip() and not LOCAL_PIP.search(x)]
                    if out.get("name") == "stderr" and lines:
                        result["notes"].append(f"cell {index} ({_first_line(cell.source)!r}) "
                                               f"wrote to stderr: {lines[0][:160]}")
                        break
            result["seconds"] = round(time.perf_counter() - start, 1)
            if not result["errors"]:
                probe = nbformat.v4.new_code_cell(PROBE % (sorted(pins),))
                probe.id = "colab-check-probe"
                nb.cells.append(probe)
                client.execute_cell(probe, len(nb.cells) - 1)
                text = "".join(o.get("text", "") for o in probe.outputs if o.get("name") == "stdout")
                state = json.loads(text.strip().splitlines()[-1])
                result["kernel_cpu_s"] = round(state["cpu_s"], 1)
                result["pip_cpu_s"] = round(state["pip_cpu_s"], 1)
                if not state["colab"]:
                    result["errors"].append("google.colab is not loaded: the install cell "
                                            "did not take its Colab branch")
                for name, version in pins.items():
                    got = state["versions"].get(name)
                    if got != version:
                        result["errors"].append(f"cell 0 (install): {name}=={version} is listed, "
                                                f"but {name} {got} is installed")
                for mod, version in state["loaded"].items():
                    result[f"{mod}_loaded"] = version
    except DeadKernelError as e:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        result["errors"].append(f"the kernel died: {e} (its log ends: {' | '.join(tail)})")
    except Exception as e:  # the kernel did not start, or the probe failed
        result["errors"].append(f"{type(e).__name__}: {e}")
    finally:
        log_file.close()
        nb.cells = [c for c in nb.cells if c.get("id") != "colab-check-probe"]
        out = WORK / "executed" / r_name(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)                          # with its outputs, to look into
    result["seconds"] = result["seconds"] or round(time.perf_counter() - start, 1)
    result["ok"] = not result["errors"]
    return result


def r_name(path: Path) -> str:
    """NAME.ipynb or exercises/NAME.ipynb: a notebook's name in the report."""
    path = Path(path)
    return f"{EXERCISES}/{path.name}" if path.parent.name == EXERCISES else path.name


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def check_replaced(result: dict, overlay: Path, colab_has: set[str]) -> None:
    """Note the runtime's packages that pip replaced; fail for those Colab has loaded."""
    base = installed(BASE["sites"])
    for name, version in sorted(installed([site_packages(overlay)]).items()):
        if name in base and base[name] != version:
            line = f"the install cell replaced Colab's {name} {base[name]} by {version}"
            if name in colab_has:
                result["errors"].append(f"cell 0 (install): {line}; Colab has {name} loaded "
                                        "at start-up, so the notebook would need a runtime restart")
            else:
                result["notes"].append(line)
    result["ok"] = not result["errors"]


# ---------------------------------------------------------------- all notebooks

def install_source(path: Path) -> str:
    """The source of a notebook's first cell (its install cell)."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return "".join(cells[0]["source"]) if cells else ""


def plan(paths: list[Path]) -> list[tuple[Path, str, bool]]:
    """(notebook, its install cell, installs) in the order to start them: for each distinct
    install cell, the first full notebook that has it installs; those come first, then the
    others; longest (by the last report, else by size) first within each."""
    last = {}
    if (WORK / "report.json").is_file():
        last = {r["notebook"]: r.get("seconds") or 0
                for r in json.loads((WORK / "report.json").read_text()).get("results", [])}
    cost = lambda p: last.get(_rel(p), p.stat().st_size / 1e3)  # noqa: E731
    ordered = sorted(paths, key=lambda p: (p.parent.name == EXERCISES, -cost(p), p.name))
    source = {p: install_source(p) for p in ordered}
    leaders = {}
    for p in ordered:
        leaders.setdefault(source[p], p)
    return ([(p, source[p], True) for p in leaders.values()]
            + [(p, source[p], False) for p in ordered if leaders[source[p]] != p])


def run_all(paths: list[Path], jobs: int) -> list[dict]:
    """Execute the notebooks, `jobs` at a time, one overlay per distinct install cell; a
    notebook starts once the first notebook with its install cell has run that cell."""
    has = set(book.COLAB_HAS)
    todo: queue.Queue = queue.Queue()
    ready: dict[str, threading.Event] = {}
    for path, source, installs in plan(paths):
        todo.put((path, source, installs))
        ready.setdefault(source, threading.Event())
    overlays = {source: WORK / "overlays" / hashlib.sha256(source.encode()).hexdigest()[:12]
                for source in ready}
    results, lock = [], threading.Lock()

    def worker():
        while True:
            try:
                path, source, installs = todo.get_nowait()
            except queue.Empty:
                return
            event, overlay = ready[source], overlays[source]
            workdir = Path(tempfile.mkdtemp(prefix=f"{path.stem}-", dir=WORK))
            try:
                if installs:
                    make_overlay(overlay)
                else:
                    event.wait()
                r = execute(path, overlay, workdir, WORK / "logs" / f"{r_name(path)}.log",
                            installed_cb=event.set if installs else None)
            finally:
                if installs:
                    event.set()    # never leave the others waiting, whatever happened
                shutil.rmtree(workdir, ignore_errors=True)
            if installs:
                check_replaced(r, overlay, has)
            with lock:
                results.append(r)
                print(_line(r), flush=True)

    threads = [threading.Thread(target=worker) for _ in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results, key=lambda r: r["notebook"])


def _line(r: dict) -> str:
    install = f"install cell {r['install_s']:5.1f} s, " if r.get("install_s") is not None else ""
    return (f"{'ok  ' if r['ok'] else 'FAIL'}  {r['notebook']:<48} {install}"
            f"total {r['seconds']:6.1f} s"
            + (f" (CPU: kernel {r['kernel_cpu_s']:.0f} s, pip {r['pip_cpu_s']:.0f} s)"
               if "kernel_cpu_s" in r else ""))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--jobs", type=int, default=book.cores(),
                        help="notebooks executed at once (default: one per core)")
    parser.add_argument("--report", type=Path, default=WORK / "report.json",
                        help="where to write the results as JSON")
    parser.add_argument("--runtime-python", metavar="PYTHON",
                        help="run on this Python's installed packages, as they are (inside "
                             "Colab's own runtime image), instead of the mirror colab/.venv")
    parser.add_argument("--no-jax-cache", action="store_true",
                        help="compile every function afresh (no JAX compilation cache)")
    args = parser.parse_args(argv)
    global JAX_CACHE_ON
    JAX_CACHE_ON = not args.no_jax_cache

    python = args.runtime_python or find_python()
    if args.runtime_python:   # inside Colab's own runtime image: its Python, as it is
        sites = subprocess.run([python, "-c", "import json, site; print(json.dumps(site.getsitepackages()))"],
                               capture_output=True, text=True, check=True).stdout
        BASE.update(python=python, sites=[s for s in json.loads(sites) if Path(s).is_dir()])
    if not python:
        print(f"colab-check: skipped: no Python {PYTHON} (Colab's) on PATH or among pyenv's "
              f"versions; install one (e.g. `pyenv install {PYTHON}`) to run the Colab-runtime check")
        return 0
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb")) + \
        sorted((NOTEBOOKS / EXERCISES).glob("*.ipynb"))
    if not paths:
        print(f"colab-check: no notebooks in {_rel(NOTEBOOKS)}: run `make notebooks` first",
              file=sys.stderr)
        return 1
    if not args.runtime_python:
        ensure_venv(python)
    WORK.mkdir(parents=True, exist_ok=True)
    jobs = max(1, min(args.jobs, len(paths)))
    runtime = python if args.runtime_python else f"Python {PYTHON} with {RUNTIME.relative_to(ROOT)}"
    print(f"colab-check: {len(paths)} notebooks, {jobs} at a time, {runtime}", flush=True)
    t = time.time()
    results = run_all([p.resolve() for p in paths], jobs)
    wall = round(time.time() - t, 1)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps({"python": python, "jobs": jobs, "wall_s": wall,
                                       "results": results}, indent=1) + "\n")
    failed = [r for r in results if not r["ok"]]
    for r in results:
        for note in r["notes"]:
            print(f"note: {r['notebook']}: {note}")
    for r in failed:
        for error in r["errors"]:
            print(f"error: {r['notebook']}: {error}", file=sys.stderr)
    print(f"colab-check: {len(results) - len(failed)} passed, {len(failed)} failed "
          f"in {wall:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
