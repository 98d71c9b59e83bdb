"""Sphinx extension: a failing cell ends the build with a short message, no crash banner.

With `nb_execution_raise_on_error`, myst-nb logs the cell's traceback as a warning,
then raises an exception that Sphinx reports as a crash of its own ("Please also
report this if it was a user error...") and jupyter-book wraps in a second
traceback. This wraps myst-nb's execution client: when a page fails, it prints

    error: lectures/NAME.md:LINE: code cell K failed: FIRST LINE OF THE CELL
    ZeroDivisionError: division by zero
    (the cell's traceback is above)

below myst-nb's traceback and stops the build with exit status 1.
"""

import atexit
import sys
from contextlib import contextmanager
from pathlib import Path

import myst_nb.sphinx_
from myst_nb.core.execute import ExecutionError


def failure_message(notebook, path: str, err: BaseException, root: Path | None = None) -> str:
    """The page, the failing cell's number, line and first line, and the exception."""
    code = [(i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    failed = next(((i, c) for i, c in code
                   if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    if failed is None:  # a timeout: the last cell that started
        failed = next(((i, c) for i, c in reversed(code) if c.get("execution_count")), None)
    if root is not None:
        try:
            path = str(Path(path).resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    name = getattr(err, "ename", None) or type(err).__name__
    value = getattr(err, "evalue", None)
    if value is None:
        value = str(err).strip().splitlines()[-1] if str(err).strip() else ""
    if failed is None:
        return f"error: {path}: execution failed\n{name}: {value}"
    index, cell = failed
    lines = notebook.metadata.get("source_map") or []
    where = f"{path}:{lines[index]}" if index < len(lines) else path
    first = next((x for x in cell.source.splitlines() if x.strip()), "")
    number = [i for i, _ in code].index(index) + 1
    return (f"error: {where}: code cell {number} failed: {first}\n{name}: {value}\n"
            "(the cell's traceback is above)")


def stop_build(message: str):
    """End the build with exit status 1 and `message` as its last lines: printed at exit,
    after Sphinx has printed the warnings it holds (a cell's traceback), and with no crash
    banner (SystemExit is not an Exception, so neither Sphinx nor jupyter-book wraps it)."""
    atexit.register(lambda: print("\n" + message, file=sys.stderr, flush=True))
    raise SystemExit(1) from None


def _wrap(create_client, root: Path):
    @contextmanager
    def create(notebook, path, *args, **kwargs):
        try:
            with create_client(notebook, path, *args, **kwargs) as client:
                yield client
        except ExecutionError as error:
            stop_build(failure_message(notebook, str(path), error.__cause__ or error, root))
    create.wrapped = create_client
    return create


def setup(app):
    current = myst_nb.sphinx_.create_client
    myst_nb.sphinx_.create_client = _wrap(getattr(current, "wrapped", current), Path(app.srcdir))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
