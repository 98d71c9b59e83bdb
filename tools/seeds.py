"""Execute every lecture on other master seeds and list each check that fails (`make seeds`).

A lecture's conclusions must hold for any master seed, not only for the one its
`Config` names. This runs each lecture of `_toc.yml` (or those named) in a fresh
kernel with `config = Config()` replaced by `config = Config(seed=S)`, for `--seeds`
other seeds, and keeps going past a failing cell, so that every failing check of a
run is listed, by page, seed, line and error. It exits with status 1 when any fails.

Not part of `make test` (it takes several minutes): run it before calling a
lecture change done. `--seed-list 3,17` runs chosen seeds instead of the default
ones; `--field NAME=VALUE` changes another Config field in every run as well.

Usage: python tools/seeds.py [--seeds N] [--jobs J] [--field NAME=VALUE ...] [PAGE ...]
"""

import argparse
import json
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path


import book

# other master seeds, in the order they are used (the page's own seed is skipped)
SEEDS = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89)
REPORT = book.ROOT / "_build" / "seeds" / "report.json"
GLUE_ROLE = re.compile(r"\{glue(?::text)?\}`([^`:]+):?([^`]*)`")
# XLA's CPU compiler without its expensive optimisations: compiling is much of a run's time
FAST_COMPILE = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"


def page_notebook(path: Path, fields: dict) -> tuple[object, list[int]]:
    """The page as myst-nb reads it, with `config = Config()` given `fields`, and the
    source line of each cell."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig
    nb = read_myst_markdown_notebook(path.read_text(encoding="utf-8"), config=MdParserConfig(),
                                     add_source_map=True, path=str(path))
    lines = list(nb.metadata.get("source_map", [0] * len(nb.cells)))
    hits = [c for c in nb.cells if c.cell_type == "code" and "config = Config()" in c.source]
    if len(hits) != 1:
        raise SystemExit(f"{path}: expected one cell with `config = Config()`, found {len(hits)}")
    args = ", ".join(f"{k}={v}" for k, v in fields.items())
    hits[0].source = hits[0].source.replace("config = Config()", f"config = Config({args})")
    return nb, lines


def default_seed(path: Path) -> int | None:
    """The seed the page's Config names (None when it has no `seed` field)."""
    match = re.search(r"^\s+seed:\s*int\s*=\s*(\d+)", path.read_text(encoding="utf-8"), re.M)
    return int(match[1]) if match else None


def run_one(path: str, fields: dict, timeout: int, fast: bool) -> dict:
    """Execute one page with `fields` (in a worker process): its failures and time."""
    from nbclient import NotebookClient
    if fast:
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {FAST_COMPILE}".strip()
    nb, lines = page_notebook(Path(path), fields)
    start = time.time()
    crash = None
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    except Exception as error:  # a timeout or a dead kernel: the rest of the page did not run
        crash = f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"
    failures = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                first = cell.source.strip().splitlines()[0][:80] if cell.source.strip() else ""
                failures.append({"line": lines[i] + 1 if i < len(lines) else None,
                                 "cell": first,
                                 "error": f"{out['ename']}: {out['evalue']}"[:400]})
    if crash:
        failures.append({"line": None, "cell": "", "error": crash})
    else:   # every figure the prose pastes in must be glued (the book build stops otherwise)
        from myst_nb.core.variables import format_plain_text
        glued = {out["metadata"]["scrapbook"]["name"]:
                 out["data"].get("application/papermill.record/text/plain", "")
                 for cell in nb.cells for out in cell.get("outputs", [])
                 if "scrapbook" in out.get("metadata", {})}
        text = Path(path).read_text(encoding="utf-8")
        for match in GLUE_ROLE.finditer(text):
            line = text[:match.start()].count("\n") + 1
            if match[1] not in glued:
                failures.append({"line": line, "cell": "prose",
                                 "error": f"{{glue:text}} '{match[1]}' is not glued by the page"})
                continue
            try:   # as the book formats it: a number glued as np.float64(...) does not format
                format_plain_text(glued[match[1]], match[2] or "")
            except Exception as error:
                failures.append({"line": line, "cell": "prose", "error": f"{{glue:text}} "
                                 f"'{match[1]}:{match[2]}' cannot format {glued[match[1]]!r}: {error}"})
    return {"page": path, "fields": fields, "seconds": round(time.time() - start, 1),
            "failures": failures}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="lecture names (default: every lecture)")
    parser.add_argument("--seeds", type=int, default=5, help="other master seeds per page (default 5)")
    parser.add_argument("--seed-list", help="comma-separated seeds to run instead")
    parser.add_argument("--field", action="append", default=[], metavar="NAME=VALUE",
                        help="another Config field for every run (a Python literal)")
    parser.add_argument("--jobs", type=int, default=book.cores(), help="runs at a time")
    parser.add_argument("--timeout", type=int, default=600, help="seconds a cell may run")
    parser.add_argument("--full-compile", action="store_true",
                        help="compile with XLA's full optimisations, as the build does")
    args = parser.parse_args(argv)

    names = args.pages or [Path(doc).name for doc in book.lectures()]
    extra = dict(f.split("=", 1) for f in args.field)
    chosen = [int(s) for s in args.seed_list.split(",")] if args.seed_list else None
    runs = []
    for name in names:
        path = book.ROOT / "lectures" / f"{Path(name).stem}.md"
        if not path.is_file():
            raise SystemExit(f"seeds: no lecture {path}")
        own = default_seed(path)
        seeds = chosen or [s for s in SEEDS if s != own][:args.seeds]
        runs += [(path, {**extra, "seed": s}) for s in seeds]

    print(f"seeds: {len(runs)} runs, {args.jobs} at a time", flush=True)
    results, start = [], time.time()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_one, str(p), f, args.timeout, not args.full_compile)
                   for p, f in runs]
        for future in as_completed(futures):
            r = future.result()
            results.append(r)
            page = Path(r["page"]).relative_to(book.ROOT)
            setting = ", ".join(f"{k}={v}" for k, v in r["fields"].items())
            verdict = "ok" if not r["failures"] else f"{len(r['failures'])} failing"
            print(f"{page} ({setting}): {verdict} in {r['seconds']:.0f} s", flush=True)
            for f in r["failures"]:
                print(f"  FAIL {page}:{f['line']} ({f['cell']}): {f['error']}", flush=True)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    failed = sum(len(r["failures"]) for r in results)
    print(f"seeds: {failed} failing checks in {len(results)} runs, {time.time() - start:.0f} s "
          f"(report: {REPORT.relative_to(book.ROOT)})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
