"""Checks of lectures/implicit_mle: the built page (estimates, Monte Carlo table, exercises, figures)
and the page executed with Config fields changed, as a reader would."""

import math
import re

import pytest
from bs4 import BeautifulSoup
from conftest import notebook_text
from scipy.stats import chi2, norm, t

PAGE = "lectures/implicit_mle.html"
PARAMETERS = ["log γ", "log δ", "log σ"]


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
    assert n_datasets >= 100
    assert list(rows) == PARAMETERS
    n_markets = int(re.search(r"of (\d+) markets", caption).group(1))
    # as on the page: 95% for log γ and log δ; for log σ what the χ² law of σ̂ gives; each within
    # the page's family-wise bound (18 checks at 99% together) of its binomial standard error
    df, z = n_markets - 2, norm.isf(0.01 / (2 * 18))
    half = t.ppf(0.975, df) * math.sqrt(n_markets / df) / math.sqrt(2 * n_markets)
    expected = {"log γ": 0.95, "log δ": 0.95,
                "log σ": chi2.cdf(n_markets * math.exp(2 * half), df)
                - chi2.cdf(n_markets * math.exp(-2 * half), df)}
    for name, row in rows.items():
        corrected = float(row["coverage, corrected"])
        se = math.sqrt(expected[name] * (1 - expected[name]) / n_datasets)
        assert abs(corrected - expected[name]) < z * se, f"{name}: corrected coverage {corrected}"
        assert float(row["coverage, ±1.96 se"]) <= corrected, f"{name}: the correction widens intervals"
        assert abs(float(row["bias"])) < float(row["sd of estimates"]), f"{name}: bias"


def test_cost_table(soup):
    _, rows = table_with_caption(soup, "Cost of Adam relative to BFGS")
    assert set(rows) == {"steps to convergence", "time per step", "time to convergence"}
    # step counts do not depend on the machine; times are checked by `make bench`, not here
    assert float(rows["steps to convergence"]["Adam / BFGS"]) > 1


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


def test_figures_present_with_alt_text(soup):
    images = [img for img in soup.select("div.cell_output img") if img.get("src", "").endswith(".png")]
    assert len(images) >= 2
    for img in images:
        alt = img.get("alt", "")
        assert len(alt) > 30 and not alt.endswith(".png"), f"figure without a description: {alt!r}"


def test_runs_with_another_config(execute_lecture):
    """A reader's Config: 60 markets (the old page indexed market 90), a noisier measurement,
    200 data sets and another seed; every hidden check of the page must hold."""
    nb = execute_lecture("implicit_mle", n_markets=60, n_datasets=200, seed=3, σ=0.08)
    text = notebook_text(nb)
    assert "Monte Carlo study, 200 data sets of 60 markets" in text


@pytest.mark.parametrize("field, value", [("n_markets", 10), ("n_datasets", 100), ("σ", 0.5),
                                          ("start", (1.0, 0.2)), ("η_decay", 1.5), ("seed", -1)])
def test_a_bad_value_is_named(config_check, field, value):
    message = config_check("implicit_mle", **{field: value})
    assert message and message.startswith(f"Config.{field} = {value!r}: accepted values are"), message
