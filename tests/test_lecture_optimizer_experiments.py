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


def test_verdicts_are_glued_not_written(soup):
    """The seed-dependent sign tests reach the text as verdicts computed from the p-value."""
    text = soup.get_text()
    assert "significant at the 1 per cent level" in text
    for fixed in ("that is not a significant difference", "no detectable difference.",
                  "within half a percentage point"):
        assert fixed not in text, fixed


def test_page_runs_with_config_changed(execute_lecture):
    """Another seed, level and smaller problems: every hidden check still holds.

    Sizes are cut so that the run is mostly compilation (about 30 s on two quiet cores)."""
    execute_lecture("optimizer_experiments", seed=3, seeds=10, mb_seeds=10, level=0.05, quad_d=20,
                    mlp_T=150, n_train=300, n_eval=5000, hidden=16, mb_T=400, rosen_T=1500)


@pytest.mark.parametrize("field, value", [("κ", 5.0), ("seeds", 4), ("level", 0.5), ("quad_T", 10),
                                          ("tol", 2.0), ("df", 2.0), ("mb_c", 0.0), ("seed", 1.5)])
def test_a_bad_value_is_named(config_check, field, value):
    message = config_check("optimizer_experiments", **{field: value})
    assert message and message.startswith(f"Config.{field} must be"), message
