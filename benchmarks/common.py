"""What every benchmark script shares: the command line, the timer and the report."""

import argparse
import time
from pathlib import Path

import jax


def arguments(doc: str, extra=None) -> argparse.Namespace:
    """Parse `--out FOLDER` (where the table goes) and any options `extra(parser)` adds."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("_build/bench"), help="folder for the table")
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def best_time(fn, *args, repeats: int = 7, number: int = 1) -> float:
    """Fastest over `repeats` of the mean time of `number` calls, after a warm-up call."""
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            out = fn(*args)
        jax.block_until_ready(out)
        times.append((time.perf_counter() - start) / number)
    return min(times)


def report(out: Path, name: str, table: str) -> None:
    """Write the markdown table to OUT/NAME.md and print it."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.md").write_text(table, encoding="utf-8")
    print(table)
