"""Checks of the built page lectures/implicit_mle.html: estimates, Monte Carlo table, exercises."""

import re

import pytest
from bs4 import BeautifulSoup

PAGE = "lectures/implicit_mle.html"
PARAMETERS = ["log η", "log δ", "log σ"]


@pytest.fixture(scope="module")
def soup(built_html):
    return BeautifulSoup(built_html(PAGE), "html.parser")


def table_with_caption(soup, words: str):
    """The table whose caption contains `words`, as {row label: {column: text}}."""
    for table in soup.find_all("table"):
        caption = table.find("caption")
        if caption and words in caption.get_text():
            header = [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
            rows = {}
            for tr in table.find("tbody").find_all("tr"):
                cells = [c.get_text(strip=True) for c in tr.find_all(["th", "td"])]
                rows[cells[0]] = dict(zip(header[1:], cells[1:]))
            return caption.get_text(strip=True), rows
    pytest.fail(f"{PAGE}: no table with a caption containing {words!r}")


def test_estimates_table_has_standard_errors(soup):
    _, rows = table_with_caption(soup, "Estimates on one simulated data set")
    assert list(rows) == PARAMETERS
    for name, row in rows.items():
        for column in ["true", "Adam", "BFGS", "std. error"]:
            assert column in row, f"{name}: no column {column!r}"
        se = float(row["std. error"])
        assert 0 < se < 1, f"{name}: implausible standard error {se}"
        true, adam, bfgs = float(row["true"]), float(row["Adam"]), float(row["BFGS"])
        assert abs(bfgs - true) < 2 * se, f"{name}: BFGS estimate not within 2 se of the truth"
        assert abs(adam - bfgs) < 0.01 * se + 1e-4, f"{name}: Adam and BFGS disagree"


def test_coverage_table(soup):
    caption, rows = table_with_caption(soup, "Monte Carlo study")
    n_datasets = int(re.search(r"(\d+) data sets", caption).group(1))
    assert n_datasets >= 200
    assert list(rows) == PARAMETERS
    for name, row in rows.items():
        coverage = float(row["coverage of 95% CI"])
        assert 0.90 <= coverage <= 0.99, f"{name}: coverage {coverage}"
        assert abs(float(row["bias"])) < float(row["sd of estimates"]), f"{name}: bias"


def test_cost_table(soup):
    _, rows = table_with_caption(soup, "Cost of Adam relative to BFGS")
    assert set(rows) == {"steps to convergence", "time per step", "time to convergence"}
    assert float(rows["time to convergence"]["Adam / BFGS"]) > 1


def test_exercises_have_solutions_with_outputs(soup):
    exercises = soup.select("div.exercise")
    assert exercises, "no exercise on the page"
    solutions = soup.select("div.solution")
    for exercise in exercises:
        label = exercise.get("id", "")
        assert label.startswith("implicit_mle-"), label
        linked = [s for s in solutions if s.find("a", href=f"#{label}")]
        assert linked, f"exercise {label} has no solution"
        assert "dropdown" in linked[0].get("class", [])
        assert linked[0].select("div.cell_output"), f"solution to {label} shows no executed output"


def test_figures_present(soup):
    images = [img for img in soup.select("div.cell_output img") if img.get("src", "").endswith(".png")]
    assert len(images) >= 2
