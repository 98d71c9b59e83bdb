"""The optimizers lecture: it runs with a reader's changed Config, and bad Config values stop it
with a message that names the field.

The page's own checks (equality with Optax, the rates on the quadratic, the RMSprop plateau) run
as hidden cells, so executing the page with another Config re-checks every claim under it.
"""

import pytest


def test_page_runs_with_config_changed(execute_lecture):
    """Another master seed, another conditioning, rate and decay, a smaller network and fewer
    steps: every hidden check of the page must still hold."""
    execute_lecture("optimizers", seed=3, κ=10.0, steps=300, η=0.3, λ=0.5, n=16, m=4, repeat=1)


@pytest.mark.parametrize("field, value", [
    ("seed", -1), ("seed", 1.5), ("κ", 1.0), ("κ", 5000.0), ("η", 0.0), ("η", 200.0),
    ("steps", 100), ("steps", 2000), ("λ", 0.0), ("λ", 2.0), ("n", 0), ("n", 5000), ("m", 0), ("m", 128), ("repeat", 0),
])
def test_a_bad_value_is_named(config_check, field, value):
    message = config_check("optimizers", **{field: value})
    assert message and message.startswith(f"Config.{field} must be"), message


def test_too_few_steps_for_the_distance_is_named(config_check):
    """RMSprop and Adam move about η per step; the start is √κ away along the flat direction."""
    message = config_check("optimizers", κ=1000.0, η=0.05, steps=500)
    assert message and message.startswith("Config.η must be at least"), message


def test_the_default_config_passes(config_check):
    assert config_check("optimizers") is None


@pytest.mark.parametrize("field, value", [("κ", 1000.0), ("η", 0.05)])
def test_the_changed_field_is_named(config_check, field, value):
    """Too far to travel for the defaults otherwise: the message names the field the reader moved."""
    message = config_check("optimizers", **{field: value})
    assert message and message.startswith(f"Config.{field} must be"), message


def test_halving_η_or_doubling_κ_runs(config_check):
    assert config_check("optimizers", η=0.1) is None and config_check("optimizers", κ=100.0) is None
