"""Checks over the optimizer experiments lecture: it runs with a reader's changed Config, and a bad
Config value stops it with a message naming the field."""

import pytest


def test_page_runs_with_config_changed(execute_lecture):
    """Another master seed, fewer seeds, fewer unknowns, one batch size and shorter runs: every
    hidden check (tuned rates inside the grids, the paired verdicts, the truth's own checks) holds."""
    execute_lecture("optimizer_experiments", seed=3, seeds=12, d=10, T_mb=500, batches=(8,))


@pytest.mark.parametrize("field, value", [
    ("seed", 1.5), ("seed", -1), ("seeds", 8), ("seeds", 100), ("seeds_mb", 16), ("seeds_mb", 500),
    ("d", 5), ("κ", 50.0), ("κ", 1000.0),
    ("tol", 0.01), ("tol", 1e-8), ("T", 10), ("T", 100_000), ("T_mb", 300), ("batches", (1,)),
    ("batches", (4, 8, 16, 32)), ("batches", 4), ("σ", 0.1), ("level", 0.5),
])
def test_a_bad_value_is_named(config_check, field, value):
    message = config_check("optimizer_experiments", **{field: value})
    assert message and message.startswith(f"Config.{field} must be"), message


def test_the_default_config_passes(config_check):
    assert config_check("optimizer_experiments") is None
