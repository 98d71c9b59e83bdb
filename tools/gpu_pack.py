"""Download the wheels a bare GPU machine lacks to execute the book (`make gpu-pack`).

A GPU machine lent for a short while comes with JAX (CUDA build) and the numerical
stack but without Keras or the Jupyter packages, and without a network: what it
lacks travels as wheels, with the working tree, within a size limit. This writes
those wheels into one folder (default `_build/gpu-pack/wheels`), for CPython 3.12 on
manylinux x86-64, at the versions of `requirements.txt`, one version of each, and
checks that they and the working tree fit in the limit. `tools/gpu_run.py` installs
them on the GPU machine and executes every page.

What is carried: the packages of CARRY with their dependencies as the lock resolves
them (its `# via` lines), less what the GPU machine already has (MACHINE_HAS and,
through the lock, their own dependencies: it installed those with them), plus the
packages of CARRY_ALONE without their dependencies. The list is checked against the
`Requires-Dist` of each downloaded wheel: a needed package that is neither carried
nor on the machine stops it.

Usage: python tools/gpu_pack.py [--out DIR] [--limit-mib N] [--list]
"""

import argparse
import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import book

# What the GPU machine has installed (CUDA build of JAX on Python 3.12): the one place
# this list lives. Their dependencies, as the lock resolves them, count as installed too.
MACHINE_HAS = ("jax", "jaxlib", "jax-cuda13-plugin", "jax-cuda13-pjrt", "optax", "optimistix",
               "equinox", "lineax", "numpy", "scipy", "pandas", "matplotlib")
# What the pages import beyond it, and what executes them, with their dependencies.
CARRY = ("keras", "jupytext", "nbclient", "nbformat", "ipykernel")
# The lectures' `from myst_nb import glue`: only myst_nb.ext.glue is used, which needs
# IPython, nbformat and docutils; the rest of myst-nb's dependencies (Sphinx...) build sites.
CARRY_ALONE = ("myst-nb", "docutils")

OUT = book.ROOT / "_build" / "gpu-pack" / "wheels"
LIMIT_MIB = 64                       # wheels and working tree together
PYTHON = "3.12"
# manylinux tags pip may take (it matches each exactly): glibc 2.28 or older, so that the
# wheels install on any current Linux (pip refuses a wheel whose tag the machine lacks)
PLATFORMS = ["manylinux2014_x86_64", "manylinux1_x86_64", "manylinux2010_x86_64"] + \
    [f"manylinux_2_{n}_x86_64" for n in range(5, 29)]
# the marker environment of the GPU machine's Python
MARKERS = {"implementation_name": "cpython", "platform_python_implementation": "CPython",
           "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
           "os_name": "posix", "python_version": PYTHON, "python_full_version": f"{PYTHON}.3",
           "extra": ""}

ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)==([^\s;]+)\s*(?:;\s*(.+))?$")


def lock(path: Path = book.ROOT / "requirements.txt") -> tuple[dict[str, str], dict[str, set[str]]]:
    """The lock's packages that install on the GPU machine's Python (name -> version), and
    each one's dependencies (name -> names), read from uv's `# via` lines."""
    from packaging.markers import Marker
    versions: dict[str, str] = {}
    needed_by: dict[str, set[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := ENTRY.match(line):
            current = None
            if m[3] and not Marker(m[3]).evaluate(MARKERS):
                continue
            current = book.norm(m[1])
            versions[current] = m[2]
            needed_by[current] = set()
        elif current and (m := re.match(r"^\s*#\s+(?:via\s+)?([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*$", line)):
            needed_by[current].add(book.norm(m[1]))
    requires: dict[str, set[str]] = {name: set() for name in versions}
    for name, parents in needed_by.items():
        for parent in parents & versions.keys():
            requires[parent].add(name)
    return versions, requires


def closure(roots, requires: dict[str, set[str]]) -> set[str]:
    """The roots and everything they need, directly or not."""
    seen, todo = set(), [book.norm(r) for r in roots]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += requires.get(name, ())
    return seen


def plan(path: Path = book.ROOT / "requirements.txt") -> dict[str, str]:
    """name -> version of every wheel to carry, sorted by name."""
    versions, requires = lock(path)
    for name in CARRY + CARRY_ALONE:
        if book.norm(name) not in versions:
            raise SystemExit(f"error: {name} is not in {path.name}: pin it in requirements.in")
    on_machine = closure(MACHINE_HAS, requires)
    carried = (closure(CARRY, requires) - on_machine) | {book.norm(n) for n in CARRY_ALONE}
    return {name: versions[name] for name in sorted(carried)}


def wheel_name(filename: str) -> str:
    """The normalized distribution name of a wheel file."""
    return book.norm(filename.split("-")[0])


def wheel_fits(filename: str) -> bool:
    """Whether a wheel file's platform tags include one of PLATFORMS (or `any`)."""
    return bool(set(filename.removesuffix(".whl").split("-")[-1].split(".")) & {*PLATFORMS, "any"})


def requires_dist(wheel: Path) -> set[str]:
    """The names a wheel's metadata requires on the GPU machine (extras left out)."""
    from packaging.requirements import Requirement
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        headers = Parser().parsestr(z.read(meta).decode("utf-8"), headersonly=True)
    names = set()
    for text in headers.get_all("Requires-Dist") or []:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate(MARKERS):
            names.add(book.norm(req.name))
    return names


def tree_bytes(root: Path = book.ROOT) -> int:
    """Bytes of the working tree that travels: tracked files and untracked ones git does not ignore."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=root, capture_output=True, check=True).stdout
    total = 0
    for name in filter(None, out.decode().split("\0")):
        path = root / name
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


def download(wanted: dict[str, str], out: Path) -> None:
    """Fetch the wheels into `out` (those already there are kept), and remove any other file."""
    out.mkdir(parents=True, exist_ok=True)
    have = {wheel_name(p.name): p for p in out.glob("*.whl")}
    for name, path in have.items():
        if (name not in wanted or f"-{wanted[name]}-" not in path.name.replace("_", "-")
                or not wheel_fits(path.name)):
            path.unlink()
    missing = [f"{n}=={v}" for n, v in wanted.items()
               if not any(wheel_name(p.name) == n for p in out.glob("*.whl"))]
    if missing:
        platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary=:all:", "--python-version", PYTHON, "--implementation", "cp",
                        *platforms, "--dest", str(out), *missing], check=True)
    for path in out.iterdir():
        if path.suffix != ".whl" or wheel_name(path.name) not in wanted:
            path.unlink()


def check(wanted: dict[str, str], out: Path) -> list[str]:
    """Problems with the wheels in `out`: a missing or doubled one, or a need left uncovered."""
    problems = []
    wheels = sorted(out.glob("*.whl"))
    names = [wheel_name(p.name) for p in wheels]
    for name in wanted:
        if names.count(name) != 1:
            problems.append(f"{name}: {names.count(name)} wheels, expected one")
    _, requires = lock()
    covered = set(wanted) | closure(MACHINE_HAS, requires)
    for wheel in wheels:
        if not wheel_fits(wheel.name):
            problems.append(f"{wheel.name}: a platform tag outside those allowed (glibc <= 2.28)")
        if wheel_name(wheel.name) in CARRY_ALONE:
            continue
        for need in sorted(requires_dist(wheel) - covered):
            problems.append(f"{wheel.name} requires {need}, neither carried nor on the GPU machine")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="the wheels folder")
    parser.add_argument("--limit-mib", type=float, default=LIMIT_MIB,
                        help="what may travel: wheels and working tree together")
    parser.add_argument("--list", action="store_true", help="print the list and download nothing")
    args = parser.parse_args(argv)
    wanted = plan()
    if args.list:
        print("\n".join(f"{n}=={v}" for n, v in wanted.items()))
        return 0
    download(wanted, args.out)
    problems = check(wanted, args.out)
    wheels = sum(p.stat().st_size for p in args.out.glob("*.whl"))
    tree = tree_bytes()
    mib = 2 ** 20
    print(f"gpu-pack: {len(wanted)} wheels in {args.out.relative_to(book.ROOT) if args.out.is_relative_to(book.ROOT) else args.out}: "
          f"{wheels / mib:.1f} MiB; working tree {tree / mib:.1f} MiB; "
          f"total {(wheels + tree) / mib:.1f} MiB of {args.limit_mib:g} MiB")
    if wheels + tree > args.limit_mib * mib:
        problems.append(f"wheels and working tree take {(wheels + tree) / mib:.1f} MiB, "
                        f"over the {args.limit_mib:g} MiB that may travel")
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
