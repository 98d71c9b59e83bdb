"""The Hutchinson lecture runs, with every hidden check holding, when a reader changes its Config,
and a value it cannot use stops it with a message that names the field."""

import pytest

# Another master seed, a smaller noise level and smaller sizes, so that the run stays short; the
# checks of the page (unbiasedness, the variance formula, the HVP against the full Hessian, power
# iteration against the exact spectrum, α_max climbing past 2/η from below and then hovering around
# it) all have to hold.
SMALL = dict(seed=7, σ=0.1, d=20, n_reps=1_000, n=200, steps=1_000, n_checkpoints=40, M_nn=10,
             iters=200, repeat=1)


def test_runs_with_another_seed_and_less_noise(execute_lecture):
    nb = execute_lecture("hutchinson", **SMALL)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(out.get("output_type") != "error" for c in code for out in c.outputs)


@pytest.mark.parametrize("field, value", [
    ("seed", 1.5), ("d", 2), ("n_reps", 100), ("x_max", 0.0), ("n", 10), ("σ", 0.0), ("σ", -0.1),
    ("m", 0), ("η", 0.5), ("η", 0.05), ("x_max", 1.0), ("steps", 10), ("n_checkpoints", 7),
    ("n_checkpoints", 4), ("M_nn", 1), ("iters", 10), ("repeat", 0)])
def test_a_bad_value_is_named(config_check, field, value):
    message = config_check("hutchinson", **{field: value})
    assert message and message.startswith(f"Config.{field} = "), message


@pytest.mark.parametrize("fields", [dict(), SMALL, dict(η=0.08, x_max=4.0),
                                    dict(σ=0.05, x_max=4.0, m=12, n=1_000)])
def test_good_values_pass_validation(config_check, fields):
    assert config_check("hutchinson", **fields) is None
