"""Checks of lectures/implicit_mle as a reader uses it: the page runs, every hidden check holding,
with a Config of their own, and a value outside the accepted ones stops it with the field's name."""

import pytest
from conftest import notebook_text


def test_runs_with_another_config(execute_lecture):
    """Another seed, a smaller noise level and the corner γ = 1, δ = 0.05, where BFGS needs the most
    steps from θ_start: every hidden check must hold (identification, the derivatives, the fits
    passing their tests, coverage within Monte Carlo error)."""
    nb = execute_lecture("implicit_mle", seed=4, σ=0.02, γ=1.0, δ=0.05)
    assert "coverage of log γ, log δ" in notebook_text(nb)


@pytest.mark.parametrize("field, value", [("γ", 0.5), ("δ", 0.5), ("σ", 0.1), ("σ", 0.005),
                                          ("n_markets", 50), ("n_markets", 100.0),
                                          ("n_datasets", 500), ("seed", -1), ("seed", True)])
def test_a_bad_value_is_named(config_check, field, value):
    message = config_check("implicit_mle", **{field: value})
    assert message and message.startswith(f"Config.{field} = {value!r}: accepted values are"), message
