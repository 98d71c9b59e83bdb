"""Checks of the built page lectures/jax_nn.html: exercise, summary table, plots, dropdown."""

import pytest
from bs4 import BeautifulSoup
from conftest import notebook_glue, notebook_text

PAGE = "lectures/jax_nn.html"
SUMMARY_COLUMNS = ["method", "η", "runtime (s)", "speed-up vs Keras", "training MSE",
                   "validation MSE", "exact excess"]


@pytest.fixture(scope="module")
def soup(built_html):
    return BeautifulSoup(built_html(PAGE), "html.parser")


def caption_table(soup, text):
    """The table whose caption contains `text`, or None."""
    for table in soup.find_all("table"):
        caption = table.find("caption")
        if caption and text in caption.get_text():
            return table
    return None


def test_page_has_title_and_outputs(soup):
    assert "Keras, Pure JAX and Optax" in soup.find("h1").get_text()
    assert soup.select("div.cell_output"), "no cell outputs: was the page executed?"


def test_exercise_and_its_solution(soup):
    exercise = soup.select_one("div.exercise#jax_nn-ex-strategies")
    assert exercise is not None, "exercise jax_nn-ex-strategies missing"
    solution = soup.select_one("div.solution.dropdown")
    assert solution is not None, "dropdown solution missing"
    link = solution.select_one("p.admonition-title a")
    assert link is not None and link["href"] == "#jax_nn-ex-strategies"
    # The solution's code ran: its cells have outputs, the strategies table and a plot.
    assert len(solution.select("div.cell")) >= 4
    table = caption_table(solution, "Strategies under the same budget")
    assert table is not None, "strategies table missing from the solution"
    rows = [tr.get_text(" ", strip=True) for tr in table.find_all("tr")]
    assert any("Armijo" in r for r in rows) and any("cosine" in r for r in rows), rows
    assert solution.select("div.cell_output img")


def test_summary_table(soup):
    table = caption_table(soup, "Summary of the methods")
    assert table is not None, "summary table missing"
    header = [th.get_text(strip=True) for th in table.select("thead th")]
    assert header == SUMMARY_COLUMNS, header
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in table.select("tbody tr")]
    methods = [r[0] for r in rows]
    assert len(rows) == 6, methods
    assert methods[0].startswith("Keras") and any("Adam" in m for m in methods)
    assert sum("vmap" in m for m in methods) == 2, methods
    for row in rows:
        η, runtime, speedup, *errors = map(float, row[1:])
        assert η > 0 and runtime > 0 and speedup > 0 and all(e > 0 for e in errors), row
    assert float(rows[0][3]) == 1.0, "Keras's speed-up over itself must be 1"


def test_plots_and_seed_table(soup):
    images = soup.select("div.cell_output img")
    assert len(images) >= 6, f"expected at least 6 figures, found {len(images)}"
    assert all(img.get("src", "").endswith(".png") for img in images)
    headers = [th.get_text(strip=True) for th in soup.select("table th")]
    assert "median" in headers and "90%" in headers


def test_figures_have_alt_text(soup):
    for img in soup.select("div.cell_output img"):
        alt = img.get("alt", "")
        assert len(alt.split()) >= 8 and not alt.endswith(".png"), (img.get("src"), alt)


def test_measured_figures_are_glued(soup):
    """The prose states this build's numbers: no glue role is left unresolved."""
    text = soup.get_text()
    assert "{glue" not in text and "glue:text" not in text
    assert "more than ten times" not in text


def test_links_slides_and_device(soup):
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    assert "../slides/deep_learning.html" in hrefs, [h for h in hrefs if "slides" in h]
    text = soup.get_text()
    assert " on CPU" in text or " on GPU" in text, "the device of the timings is not printed"


@pytest.mark.browser
def test_solution_dropdown_opens(offline_page, site_url, screenshot_dir):
    page = offline_page
    page.goto(f"{site_url}/{PAGE}")
    page.wait_for_load_state("networkidle")
    content = page.locator("div.solution section#solution-content")
    assert content.count() == 1
    assert not content.is_visible(), "solution should start closed"
    page.locator("div.solution p.admonition-title").click()
    content.wait_for(state="visible", timeout=5000)
    assert content.is_visible()
    content.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "jax_nn-solution-open.png"))
    assert page.outside_requests == [], page.outside_requests
    assert page.errors == [], page.errors


def test_runs_with_config_changed(execute_lecture):
    """A reader's smaller Config, with another seed and problem, runs the page with every
    hidden check holding, and the verdicts it glues are the ones its tests reach."""
    nb = execute_lecture("jax_nn", n=300, σ=0.3, k=8, seed=7, epochs=200, num_seeds=10,
                         num_tune_seeds=1, η_grid=(0.03, 0.1, 0.3), quad_points=201)
    text = notebook_text(nb)
    assert "of 10 seeds" in text, text[-2000:]
    glued = notebook_glue(nb)
    verdicts = ("'beats'", "'loses to'", "'is not distinguishable, at the 1% level, from'")
    assert glued["verdict_adam_gd"] in verdicts, glued["verdict_adam_gd"]
    assert glued["num_seeds"] == "10", glued["num_seeds"]


@pytest.mark.parametrize("field, value", [("num_seeds", 3), ("epochs", 100), ("k", 0),
                                          ("η_grid", (0.1, 0.03)), ("quad_points", 202), ("seed", 1.5)])
def test_a_bad_value_is_named(config_check, field, value):
    message = config_check("jax_nn", **{field: value})
    assert message and message.startswith(f"Config.{field} = {value!r}: it must be"), message
