"""Checks over the optimizer experiments lecture (built page, and a reader's bad Config value)."""

import pytest
from bs4 import BeautifulSoup

PAGE = "lectures/optimizer_experiments.html"


@pytest.fixture(scope="module")
def soup(built_html):
    return BeautifulSoup(built_html(PAGE), "html.parser")


def test_page_has_sign_tests_and_no_errors(soup):
    text = soup.get_text()
    for bad in ("Traceback", "DeprecationWarning", "Error:"):
        assert bad not in text, bad
    assert "p = " in text


def test_figures_have_alt_text(soup):
    images = soup.select("div.cell_output img")
    assert len(images) >= 2, len(images)
    for img in images:
        alt = img.get("alt", "")
        assert len(alt) > 30 and not alt.endswith(".png"), alt


def test_links_to_the_optimizers_lecture(soup):
    assert soup.select_one('a[href*="optimizers.html"]') is not None


def test_bad_config_value_names_the_field(execute_lecture):
    from nbclient.exceptions import CellExecutionError
    with pytest.raises(CellExecutionError, match="Config.seeds"):
        execute_lecture("optimizer_experiments", seeds=3)
