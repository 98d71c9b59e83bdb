"""Checks of lectures/jax_nn: the built page (exercises, figures, glued figures) and the page
run with a reader's changed Config."""

import pytest
from bs4 import BeautifulSoup
from conftest import notebook_glue, notebook_text

PAGE = "lectures/jax_nn.html"
EXERCISES = ("jax_nn-ex-adam-rate", "jax_nn-ex-momentum", "jax_nn-ex-minibatch")


@pytest.fixture(scope="module")
def soup(built_html):
    return BeautifulSoup(built_html(PAGE), "html.parser")


def test_page_has_title_and_outputs(soup):
    assert "Keras, Pure JAX and Optax" in soup.find("h1").get_text()
    assert soup.select("div.cell_output"), "no cell outputs: was the page executed?"


def test_exercises_and_their_solutions(soup):
    for label in EXERCISES:
        assert soup.select_one(f"div.exercise#{label}") is not None, f"exercise {label} missing"
    solutions = soup.select("div.solution.dropdown")
    assert len(solutions) == len(EXERCISES), len(solutions)
    for solution in solutions:
        assert solution.select("div.cell_output"), "a solution's code did not run"


def test_figures_teach(soup):
    images = soup.select("div.cell_output img")
    assert len(images) >= 4, f"expected at least 4 figures, found {len(images)}"
    for img in images:
        alt = img.get("alt", "")
        assert len(alt.split()) >= 8 and not alt.endswith(".png"), (img.get("src"), alt)


def test_measured_figures_are_glued(soup):
    """The prose states this build's numbers: no glue role is left unresolved."""
    text = soup.get_text()
    assert "{glue" not in text and "glue:text" not in text
    assert " on CPU" in text or " on GPU" in text, "the device of the timings is not printed"


@pytest.mark.browser
def test_solution_dropdown_opens(offline_page, site_url, screenshot_dir):
    page = offline_page
    page.goto(f"{site_url}/{PAGE}")
    page.wait_for_load_state("networkidle")
    content = page.locator("div.solution section#solution-content").first
    assert not content.is_visible(), "solution should start closed"
    page.locator("div.solution p.admonition-title").first.click()
    content.wait_for(state="visible", timeout=5000)
    assert content.is_visible()
    content.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "jax_nn-solution-open.png"))
    assert page.outside_requests == [], page.outside_requests
    assert page.errors == [], page.errors


def test_runs_with_config_changed(execute_lecture):
    """A reader's smaller Config, with another seed and less noise, runs the page with every
    hidden check holding (equalities to rounding, the quadrature against Monte Carlo, the
    exercises' self-checks), and the comparison is glued for its own number of starts."""
    nb = execute_lecture("jax_nn", n=200, σ=0.1, m=8, epochs=300, num_inits=8, seed=7)
    text = notebook_text(nb)
    assert "of 8 initialisations" in text, text[-2000:]
    glued = notebook_glue(nb)
    assert glued["num_inits"] == "8", glued["num_inits"]
    assert "chance explains" in glued["verdict_adam"], glued["verdict_adam"]


@pytest.mark.parametrize("field, value", [("n", 50), ("x_max", 8.0), ("σ", 0.0), ("m", 32),
                                          ("η", 0.5), ("η_adam", 0.05), ("epochs", 10),
                                          ("num_inits", 3), ("seed", 1.5)])
def test_a_bad_value_is_named(config_check, field, value):
    message = config_check("jax_nn", **{field: value})
    assert message and message.startswith(f"Config.{field} = {value!r}: it must be"), message
