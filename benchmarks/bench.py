"""Check the speed and size figures of the last book build against their expectations.

Reads the figures every lecture glued (myst-nb's executed pages in
_build/jupyter_execute, written by `make html`) and the platform the status page
glued, takes that platform's section of benchmarks/expectations.toml, prints one
table, and exits with status 1 when a figure is outside its bounds or missing,
naming the page, the figure, its value and the bound.

Usage: python benchmarks/bench.py [--executed DIR] [--expectations FILE]
"""

import argparse
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import book  # noqa: E402

EXPECTATIONS = Path(__file__).resolve().with_name("expectations.toml")
UNITS = book.MEASUREMENTS    # glue-name prefixes of measured speeds and sizes


def expectations(path: Path, platform: str) -> dict[tuple[str, str], dict]:
    """(page, name) -> {"min": ..., "max": ...} of one platform's section."""
    section = tomllib.loads(path.read_text(encoding="utf-8")).get(platform, {})
    return {(page, name): bound for page, names in section.items()
            for name, bound in names.items()}


def check(figures: dict[tuple[str, str], str], bounds: dict[tuple[str, str], dict]):
    """Table rows (page, name, value, bound, verdict) and the failures, one line each:
    every bounded figure, then every other measurement (a name with a unit prefix)."""
    rows, failures = [], []
    unbounded = [k for k in figures if k not in bounds and k[1].startswith(UNITS)]
    for key in list(bounds) + unbounded:
        page, name = key
        bound = bounds.get(key, {})
        limits = ", ".join(f"{k} {bound[k]:g}" for k in ("min", "max") if k in bound) or "-"
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executed", type=Path, default=book.EXECUTED,
                        help="myst-nb's executed pages (default: _build/jupyter_execute)")
    parser.add_argument("--expectations", type=Path, default=EXPECTATIONS)
    args = parser.parse_args(argv)
    status = book.glued("status", args.executed)
    if not status or "platform" not in status:
        print(f"error: no executed status page with its platform in {args.executed}: "
              "build the book first (make html)", file=sys.stderr)
        return 1
    platform = str(book.number(status["platform"]))
    device = book.number(status.get("device_kind", "unknown device"))
    figures = {(page, name): text for page, name, text in book.measurements(args.executed)}
    bounds = expectations(args.expectations, platform)
    if not bounds:
        print(f"note: {args.expectations.name} has no [{platform}] section: nothing to check")
    rows, failures = check(figures, bounds)
    header = ("page", "figure", "value", "bound", "")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print(f"bench: the figures of the last build, on {platform} ({device})")
    for row in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    for line in failures:
        print(f"FAIL {line}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
