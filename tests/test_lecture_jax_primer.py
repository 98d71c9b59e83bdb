"""The JAX primer runs with a reader's changed Config, and a bad Config value stops it, named."""

import pytest
from conftest import notebook_glue, notebook_text


def test_runs_with_config_changed(execute_lecture):
    """Another seed, fewer observations, smaller timings and a shorter, less persistent AR(1):
    every hidden check of the page and of its exercises still holds."""
    nb = execute_lecture("jax_primer", seed=3, n=600, intercept=0.8, slope=-1.2,
                         sizes=(100, 1_000), repeat=1, η=1.0, ρ=0.5, σ=0.5, periods=40)
    glued = notebook_glue(nb)
    assert glued["size_max"] == "1000" and glued["n_steps_gd"] == "500", glued
    text = notebook_text(nb)
    assert "TracerBoolConversionError" in text and "✓ `θ_newton`" in text, text[-2000:]
    assert "✓ `many_paths`" in text, text[-2000:]


@pytest.mark.parametrize("field, value", [
    ("seed", 1.5), ("n", 100), ("n", 20_000), ("slope", 3.0), ("sizes", (1_000, 100)),
    ("η", 0.1), ("η", 3), ("η", 8.0), ("steps", 50), ("ρ", 1.0), ("σ", 0.0), ("periods", 5)])
def test_a_bad_value_is_named(config_check, field, value):
    message = config_check("jax_primer", **{field: value})
    assert message and message.startswith(f"Config.{field} = {value!r}: it must be"), message


def test_the_default_config_passes(config_check):
    assert config_check("jax_primer") is None
