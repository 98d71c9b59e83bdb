"""Checks of the built Hutchinson lecture: its figures, tables and exercises are on the page."""

import pytest
from bs4 import BeautifulSoup
from conftest import notebook_text

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



# Execute the page with Config fields changed, as a reader would (tests/conftest.py). The sizes are
# small so the run stays short; every hidden check of the page still has to hold. One run covers a
# grid of M that is not 1, 2, 4, ..., budgets not divisible by three, and another seed.
SMALL = dict(seed=7, repeat=1, n_obs=500, n_par=40, M_demo=20, n_reps=300, N_big=20_000, M_big=10,
             M_time=4, layer_sizes=(1, 8, 8, 1), n_checkpoints=3, steps_per_checkpoint=100,
             M_nn=20, N_pp=60, n_reps_pp=60)


def cell_text(nb, marker: str) -> str:
    """The displayed text of the one code cell whose source contains `marker`."""
    cells = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, f"expected one cell with {marker!r}, found {len(cells)}"
    return "".join(o.get("data", {}).get("text/plain", "") for o in cells[0].outputs)


def test_runs_with_other_config_values(execute_lecture):
    """Any increasing grid of M works (each M gets its own block of probes), and Hutch++ spends
    every product of a budget of 7 or 10 (k = m // 3, p = m - 2k); all hidden checks hold."""
    nb = execute_lecture("hutchinson", **SMALL, M_grid=(1, 3, 10), budgets=(4, 7, 10, 20))
    assert "R = 300 replications per row" in notebook_text(nb)
    rows = cell_text(nb, "variance_table = pd.DataFrame(rows)")
    lines = [line.split() for line in rows.splitlines() if "rademacher" in line or "gaussian" in line]
    assert sorted((w[1], w[2]) for w in lines) == sorted(
        (kind, str(M)) for kind in ("rademacher", "gaussian") for M in (1, 3, 10)), rows
    table = cell_text(nb, 'pp["decaying"][columns]')
    # rows m = 7 and m = 10: k = 2, p = 3 and k = 3, p = 4
    assert any(line.split()[:3] == ["7", "2", "3"] for line in table.splitlines()), table
    assert any(line.split()[:3] == ["10", "3", "4"] for line in table.splitlines()), table


@pytest.mark.parametrize("field, value", [
    ("M_grid", (4, 2)), ("M_grid", (1,)), ("budgets", (2, 6)), ("budgets", (6, 500)),
    ("M_demo", 1), ("n_reps", 10), ("flat", (2.0, 1.0)), ("layer_sizes", (2, 10, 1)),
    ("decay", 3.0), ("τ", 0.0), ("seed", 1.5)])
def test_a_bad_value_is_named(config_check, field, value):
    message = config_check("hutchinson", **{field: value})
    assert message and message.startswith(f"Config.{field} = "), message


@pytest.mark.parametrize("fields", [dict(), dict(seed=1), dict(M_grid=(1, 3, 10)),
                                    dict(budgets=(3, 4, 5)), dict(decay=0.5)])
def test_good_values_pass_validation(config_check, fields):
    assert config_check("hutchinson", **fields) is None
