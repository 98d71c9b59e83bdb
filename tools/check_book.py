"""Check the table of contents against the pages before a build.

Fails, naming the file and the cause, when
- an entry of _toc.yml has no source file, or
- a page source (a .md file in the book's folder or in lectures/) is not in _toc.yml
  (jupyter-book would skip it silently, since only_build_toc_files is on).

Usage: python tools/check_book.py [BOOK_ROOT]
"""

import sys
from pathlib import Path

import yaml

SOURCE_SUFFIXES = (".md", ".ipynb")
NOT_PAGES = {"README.md"}


def toc_entries(toc: dict) -> list[str]:
    """All `file:` entries of a jupyter-book toc, the root included, in order."""
    found = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return found


def problems(root: Path) -> list[str]:
    """Human-readable problems with the toc of the book at `root`."""
    toc_path = root / "_toc.yml"
    toc = yaml.safe_load(toc_path.read_text())
    entries = toc_entries(toc)
    out = []
    for entry in entries:
        if not any((root / (entry + s)).is_file() or (root / entry).is_file()
                   for s in SOURCE_SUFFIXES):
            out.append(f"{toc_path.name}: entry '{entry}' has no source file "
                       f"({entry}.md or {entry}.ipynb)")
    listed = {str(Path(e).with_suffix("")) for e in entries}
    pages = [p for p in root.glob("*.md") if p.name not in NOT_PAGES]
    pages += sorted((root / "lectures").glob("*.md")) + sorted((root / "lectures").glob("*.ipynb"))
    for page in pages:
        rel = page.relative_to(root)
        if str(rel.with_suffix("")) not in listed:
            out.append(f"{rel}: not listed in {toc_path.name}, so it would not be built")
    return out


if __name__ == "__main__":
    found = problems(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
    for line in found:
        print(f"error: {line}", file=sys.stderr)
    sys.exit(1 if found else 0)
