"""Execute the lectures that the execution cache lacks, several at a time, before the build.

myst-nb executes the pages one after another while Sphinx reads them. This runs
first (`make book`): every lecture of `_toc.yml` is read as myst-nb reads it, looked
up in the execution cache (`_build/.jupyter_cache`) by the same key (its code and
kernel), and the ones missing are executed as myst-nb would (in the page's folder,
with the per-cell timeout of `_config.yml`), `--jobs` at a time, and stored in the
cache. The build then finds them there. A page that fails here is left out of the
cache: the build executes it again and reports the failing cell as usual.

Pages executed at the same time share the cores, so a time a lecture measures is
measured on a busy machine; the publish workflow runs with `--jobs 1`
(`make html JOBS=1`) so that the published figures are not.

Usage: python tools/pre_execute.py [--jobs N] [--cache DIR]
"""

import argparse
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
import yaml

import book

CACHE = book.ROOT / "_build" / ".jupyter_cache"


def read_page(path: Path):
    """The page as the notebook myst-nb builds from it (the cache key is its code)."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig
    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"), config=MdParserConfig(),
                                       add_source_map=True, path=str(path))


def execute(path: str, text: str, timeout: int) -> tuple[str, str | None, float]:
    """Execute one notebook (in a worker process): (notebook as JSON, error or None, seconds).
    A kernel that fails to start (its port taken by a kernel starting beside it, or too slow
    on a busy machine) is started once more; if it fails again, that is the page's error."""
    from jupyter_cache.executors.utils import single_nb_execution
    for attempt in (1, 2):
        nb = nbformat.reads(text, as_version=4)
        try:
            result = single_nb_execution(nb, cwd=str(Path(path).parent), allow_errors=False,
                                         timeout=timeout, meta_override=True)
        except Exception as error:    # raised outside the cells: the kernel, not the page
            if attempt == 2:
                return text, f"{type(error).__name__}: {error}", 0.0
            continue
        error = None if result.err is None else f"{type(result.err).__name__}: {result.err}"
        return nbformat.writes(nb), error, result.time


def missing(pages: list[Path], cache) -> list[tuple[Path, object]]:
    """(path, notebook) of the pages the cache holds no execution of (pages whose
    front matter sets another myst-nb execution mode are left to the build)."""
    todo = []
    for path in pages:
        nb = read_page(path)
        if nb.metadata.get("mystnb", {}).get("execution_mode", "cache") != "cache":
            continue
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            todo.append((path, nb))
    return todo


def run(pages: list[Path], cache_dir: Path, jobs: int, timeout: int) -> dict[Path, str | None]:
    """Execute the pages missing from the cache, `jobs` at a time, and cache those that
    succeed; path -> None (executed and cached) or the error. Nothing is done (an empty
    dict) when fewer than two pages are missing or `jobs` < 2: the build runs them."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cache_dir))
    todo = missing(pages, cache)
    jobs = max(1, min(jobs, len(todo)))
    if len(todo) < 2 or jobs < 2:
        return {}
    print(f"pre-execute: {len(todo)} pages, {jobs} at a time", flush=True)
    start, outcome = time.time(), {}
    # spawn, not fork: the caller may have threads (a test process does)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        running = {pool.submit(execute, str(path), nbformat.writes(nb), timeout): path
                   for path, nb in todo}
        for future in as_completed(running):
            path = running[future]
            text, error, seconds = future.result()
            outcome[path] = error
            if error:
                print(f"pre-execute: {path.name} failed ({error.splitlines()[0][:200]}); "
                      "the build runs it again and reports the cell", flush=True)
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nbformat.reads(text, as_version=4), str(path),
                              data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True)
            print(f"pre-execute: {path.name} in {seconds:.1f} s", flush=True)
    print(f"pre-execute: done in {time.time() - start:.0f} s", flush=True)
    return outcome


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=book.cores(),
                        help="pages executed at a time (default: one per core)")
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    config = yaml.safe_load((book.ROOT / "_config.yml").read_text(encoding="utf-8"))
    timeout = int(config.get("execute", {}).get("timeout", 30))
    run([book.ROOT / f"{doc}.md" for doc in book.lectures()], args.cache, args.jobs, timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
