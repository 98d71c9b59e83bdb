"""Check the speed and size figures of the last book build against their expectations.

Reads the figures every lecture glued (myst-nb's executed pages in
_build/jupyter_execute, written by `make html`) and the platform the status page
glued, takes that platform's section of benchmarks/expectations.toml, prints one
table, and exits with status 1 when a figure is outside its bounds or missing,
naming the page, the figure, its value and the bound.

`--report DIR/report.json` checks instead the figures of a run of tools/gpu_run.py
(every page executed on one machine, typically a GPU), with the platform it reports.

Usage: python benchmarks/bench.py [--executed DIR | --report FILE] [--expectations FILE]
"""

import argparse
import json
import sys
import tomllib
from pathlib import Path

import book

EXPECTATIONS = Path(__file__).resolve().with_name("expectations.toml")
UNITS = book.MEASUREMENTS    # glue-name prefixes of measured speeds and sizes


def expectations(path: Path, platform: str) -> dict[tuple[str, str], dict]:
    """(page, name) -> {"min": ..., "max": ...} of one platform's section; a line that is
    not a bound on a measurement (a name without a unit prefix, another key) stops it."""
    section = tomllib.loads(path.read_text(encoding="utf-8")).get(platform, {})
    found = {(page, name): bound for page, names in section.items()
             for name, bound in names.items()}
    for (page, name), bound in found.items():
        if not name.startswith(UNITS) or not isinstance(bound, dict) or not bound \
                or set(bound) - {"min", "max"}:
            raise SystemExit(f"{path}: [{platform}] {page}.{name} = {bound!r}: a line is "
                             f"PAGE.NAME = {{min = ..., max = ...}}, NAME starting with one of {UNITS}")
    return found


def check(figures: dict[tuple[str, str], str], bounds: dict[tuple[str, str], dict],
          ran: set[str] | None = None):
    """Table rows (page, name, value, bound, verdict) and the failures, one line each:
    every bounded figure, then every other measurement (a name with a unit prefix).
    `ran`: the pages that ran to the end (None: all); a bound of another page is not checked."""
    rows, failures = [], []
    unbounded = [k for k in figures if k not in bounds and k[1].startswith(UNITS)]
    for key in list(bounds) + unbounded:
        page, name = key
        bound = bounds.get(key, {})
        limits = ", ".join(f"{k} {bound[k]:g}" for k in ("min", "max") if k in bound) or "-"
        if ran is not None and page not in ran:
            rows.append((page, name, "not run", limits, "skip"))
            continue
        if key not in figures:
            rows.append((page, name, "missing", limits, "FAIL"))
            failures.append(f"{page}: {name} is not glued by the page (its glue names are in "
                            "the status page; rename the line in expectations.toml)")
            continue
        value = book.number(figures[key])
        problem = None
        if bound and not isinstance(value, float):
            problem = f"{page}: {name} = {figures[key]} is not a number"
        elif "min" in bound and value < bound["min"]:
            problem = f"{page}: {name} = {value:.4g}, below its minimum {bound['min']:g}"
        elif "max" in bound and value > bound["max"]:
            problem = f"{page}: {name} = {value:.4g}, above its maximum {bound['max']:g}"
        if problem:
            failures.append(problem)
        rows.append((page, name, book.shown(figures[key])[:40], limits,
                     "FAIL" if problem else "ok" if bound else ""))
    return rows, failures


def from_build(executed: Path):
    """(platform, device, figures, None) of the last book build, or an error message."""
    status = book.glued("status", executed)
    if not status or "platform" not in status:
        return (f"no executed status page with its platform in {executed}: "
                "build the book first (make html)")
    figures = {(page, name): text for page, name, text in book.measurements(executed)}
    return (str(book.number(status["platform"])),
            book.number(status.get("device_kind", "unknown device")), figures, None)


def from_report(path: Path):
    """(platform, device, figures, lectures run) of a tools/gpu_run.py report, or an
    error message. Only the lectures count (a page `lectures/NAME` is NAME), and of
    those only the ones that ran to the end with their checks holding."""
    if not path.is_file():
        return f"no report at {path}: run tools/gpu_run.py --out DIR first"
    report = json.loads(path.read_text(encoding="utf-8"))
    device = report["device"]
    ran = {Path(e["page"]).name: e for e in report["pages"]
           if e["page"].startswith(book.LECTURES + "/") and e["status"] == "ok"}
    figures = {(page, name): text for page, e in ran.items() for name, text in e["glued"].items()}
    skipped = [e["page"] for e in report["pages"] if e["status"] != "ok"]
    if skipped:
        print(f"note: not checked, not run to the end with their checks holding: {', '.join(skipped)}")
    return device["platform"], device["device_kind"], figures, set(ran)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executed", type=Path, default=book.EXECUTED,
                        help="myst-nb's executed pages (default: _build/jupyter_execute)")
    parser.add_argument("--report", type=Path,
                        help="a tools/gpu_run.py report.json, checked instead of the build")
    parser.add_argument("--expectations", type=Path, default=EXPECTATIONS)
    args = parser.parse_args(argv)
    found = from_report(args.report) if args.report else from_build(args.executed)
    if isinstance(found, str):
        print(f"error: {found}", file=sys.stderr)
        return 1
    platform, device, figures, ran = found
    source = f"the run in {args.report}" if args.report else "the last build"
    bounds = expectations(args.expectations, platform)
    if not bounds:
        print(f"note: {args.expectations.name} has no [{platform}] section: nothing to check")
    rows, failures = check(figures, bounds, ran)
    header = ("page", "figure", "value", "bound", "")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print(f"bench: the figures of {source}, on {platform} ({device})")
    for row in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    for line in failures:
        print(f"FAIL {line}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
