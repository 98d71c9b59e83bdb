"""Checks of the built Hutchinson lecture: its figures, tables and exercises are on the page."""

import pytest
from bs4 import BeautifulSoup

PAGE = "lectures/hutchinson.html"


@pytest.fixture(scope="module")
def soup(built_html):
    return BeautifulSoup(built_html(PAGE), "html.parser")


def figure(soup, name):
    """The <figure> element myst-nb renders for a code cell with `mystnb.figure.name`."""
    fig = soup.find(id=name)
    assert fig is not None, f"figure {name!r} is missing"
    return fig


def test_title_and_gpu_admonition(soup):
    h1 = soup.find("h1")
    assert h1 is not None and "Hessian" in h1.get_text()
    assert any("GPU" in a.get_text() for a in soup.select("div.admonition")), "GPU note missing"


def test_variance_plot(soup):
    fig = figure(soup, "hutchinson-variance-plot")
    img = fig.find("img")
    assert img is not None and img.get("src", "").endswith(".png"), "variance plot has no image"
    caption = fig.find("figcaption")
    assert caption is not None and "replications" in caption.get_text()


def test_variance_table_has_every_M_for_both_probes(soup):
    text = soup.get_text(" ")
    assert "exact var" in text and "sample var" in text
    tables = [t for t in soup.find_all("table") if "exact var" in t.get_text()]
    assert tables, "variance table missing"
    rows = tables[0].find("tbody").find_all("tr")
    assert len(rows) == 16, f"expected 8 values of M for 2 probe kinds, found {len(rows)} rows"


def test_hutchpp_comparison(soup):
    fig = figure(soup, "hutchinson-hutchpp-plot")
    assert fig.find("img") is not None, "Hutch++ plot has no image"
    tables = [t for t in soup.find_all("table") if "Hutch++" in t.get_text()
              and "Hutchinson / Hutch++" in t.get_text()]
    assert tables, "Hutch++ comparison table missing"


def test_nn_trace_figure(soup):
    assert figure(soup, "hutchinson-nn-trace").find("img") is not None


def test_exercises_have_solutions(soup):
    exercises = soup.select("div.exercise")
    solutions = soup.select("div.solution")
    assert len(exercises) >= 2, f"found {len(exercises)} exercises"
    ex_ids = {e.get("id") for e in exercises}
    assert "hutchinson-ex-1" in ex_ids, ex_ids
    # every solution is a dropdown that refers to an exercise on this page
    for sol in solutions:
        assert "dropdown" in sol.get("class", []), sol.get("class")
        links = [a.get("href", "") for a in sol.select("a")]
        assert any(h.split("#")[-1] in ex_ids for h in links), links
    assert len(solutions) == len(exercises)


def test_solution_code_was_executed(soup):
    """Code cells inside solutions run at build time, so their outputs are on the page."""
    outputs = [s for s in soup.select("div.solution") if s.select("div.cell_output")]
    assert outputs, "no solution shows an executed code cell output"
    assert any("Hutch++" in s.get_text() for s in outputs)
