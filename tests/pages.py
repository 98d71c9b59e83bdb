"""The pages of a built site, for the tests that walk all of them."""

from pathlib import Path

NOT_PAGES = {"_notebooks", "_static", "_sources"}  # theme template fragments live under _static


def site_pages(html_dir: Path) -> list[Path]:
    """Every HTML page of the site built in `html_dir`, slides included."""
    return sorted(p for p in html_dir.rglob("*.html") if not NOT_PAGES & set(p.relative_to(html_dir).parts))
