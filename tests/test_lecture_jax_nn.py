"""lectures/jax_nn run with a reader's changed Config, and a bad Config value named."""

import pytest
from conftest import notebook_glue, notebook_text


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
