"""Check the table of contents and the pins before a build.

Fails, naming the file and the cause, when
- an entry of _toc.yml has no source file, or
- a page source (a .md file in the book's folder, in lectures/ or in workshop/) is not in _toc.yml
  (jupyter-book would skip it silently, since only_build_toc_files is on), or
- a pin of requirements.in or environment.yml differs from the lock (requirements.txt),
  or environment.yml lacks a top-level pin.

Usage: python tools/check_book.py [BOOK_ROOT]
"""

import sys
from pathlib import Path

import yaml

import book

NOT_PAGES = {"README.md"}


def toc_problems(root: Path) -> list[str]:
    """Toc entries without a source file, and pages the toc lacks."""
    entries = book.toc_entries(root)
    out = [f"_toc.yml: entry '{e}' has no source file ({e}.md or {e}.ipynb)"
           for e in entries if not any((root / f"{e}{s}").is_file() for s in (".md", ".ipynb"))]
    pages = [p for p in root.glob("*.md") if p.name not in NOT_PAGES]
    for folder in (book.LECTURES, "workshop"):
        pages += sorted((root / folder).glob("*.md")) + sorted((root / folder).glob("*.ipynb"))
    out += [f"{p.relative_to(root)}: not listed in _toc.yml, so it would not be built"
            for p in pages if str(p.relative_to(root).with_suffix("")) not in entries]
    return out


def pin_problems(root: Path) -> list[str]:
    """Pins of requirements.in and environment.yml that disagree with the lock."""
    lock = book.pins(root / "requirements.txt")
    top = book.pins(root / "requirements.in")
    env = yaml.safe_load((root / "environment.yml").read_text(encoding="utf-8"))
    pip = next((d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d), [])
    out = [f"{name}: {where} pins {version}, requirements.txt pins {lock.get(name, 'nothing')}"
           for where, pins in (("requirements.in", top), ("environment.yml", book.pins(pip)))
           for name, version in pins.items() if lock.get(name) != version]
    out += [f"{name}: in requirements.in, missing from environment.yml"
            for name in sorted(set(top) - set(book.pins(pip)))]
    return out


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    found = toc_problems(root) + pin_problems(root)
    for line in found:
        print(f"error: {line}", file=sys.stderr)
    sys.exit(1 if found else 0)
