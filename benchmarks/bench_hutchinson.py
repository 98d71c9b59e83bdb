"""Hutchinson lecture: cost of a Hessian-vector product and of the N = 1e6 trace estimate.

Measures, in one run, the time of a Hessian-vector product (forward over reverse and reverse over
reverse) as a ratio to one gradient of a logit log-likelihood, and the time and XLA scratch memory
of a 100-probe Hutchinson estimate for a function of 10^6 variables. Writes a markdown table to
<out>/hutchinson.md and prints it.
"""

import jax
import jax.numpy as jnp
import numpy as np

from common import arguments, best_time, report


def hvp_fwd_rev(f, x, v):
    return jax.jvp(jax.grad(f), (x,), (v,))[1]


def hvp_rev_rev(f, x, v):
    return jax.grad(lambda z: jnp.vdot(jax.grad(f)(z), v))(x)


def logit_nll(β, X, y):
    z = X @ β
    return jnp.sum(jax.nn.softplus(z) - y * z)


def poisson_rw(x, y, τ=0.5):
    return jnp.sum(jnp.exp(x) - y * x) + 0.5 / τ**2 * jnp.sum(jnp.diff(x) ** 2)


def hutchinson(f, x, y, key, M, batch):
    """M Rademacher probes, `batch` at a time in a scan; returns the trace estimate."""
    def block(k):
        V = jax.random.rademacher(k, (batch, x.size), dtype=x.dtype)
        HV = jax.vmap(lambda v: hvp_fwd_rev(lambda z: f(z, y), x, v))(V)
        return jnp.sum(V * HV)
    return jax.lax.map(block, jax.random.split(key, M // batch)).sum() / M


def main():
    out = arguments(__doc__).out
    device = jax.devices()[0]
    rows = []

    # 1. cost of one HVP in gradients, logit model with n = 4000, d = 400
    k_x, k_y, k_v = jax.random.split(jax.random.key(0), 3)
    X = jax.random.normal(k_x, (4000, 400)) / 20.0
    y = jax.random.bernoulli(k_y, 0.5, (4000,)).astype(jnp.float32)
    β = jnp.zeros(400)
    v = jax.random.normal(k_v, (400,))
    t_grad = best_time(jax.jit(jax.grad(logit_nll)), β, X, y, number=10)
    for name, hvp in (("forward over reverse", hvp_fwd_rev), ("reverse over reverse", hvp_rev_rev)):
        fn = jax.jit(lambda b, v, X, y, hvp=hvp: hvp(lambda z: logit_nll(z, X, y), b, v))
        rows.append((f"HVP / gradient, {name} (d = 400)", f"{best_time(fn, β, v, X, y, number=10) / t_grad:.2f}"))

    # 2. N = 1e6, M = 100 estimate, one probe per scan step
    N, M = 1_000_000, 100
    x = 1.0 + jnp.cumsum(0.002 * jax.random.normal(jax.random.key(1), (N,)))
    counts = jnp.round(jnp.exp(x))
    exact = float(np.sum(np.exp(np.asarray(x, np.float64))) + 2 * (N - 1) / 0.25)
    key = jax.random.key(2)
    for batch in (1, M):
        compiled = jax.jit(hutchinson, static_argnums=(0, 4, 5)).lower(
            poisson_rw, x, counts, key, M, batch).compile()
        analysis = compiled.memory_analysis()
        temp = float("nan") if analysis is None else analysis.temp_size_in_bytes / 1e6
        rows.append((f"N = 1e6, M = 100: XLA scratch memory, {batch} probe(s) per step",
                     f"{temp:.0f} MB"))
        if batch == 1:
            est = float(compiled(x, counts, key))
            t_est = best_time(compiled, x, counts, key, repeats=3, number=1)
            t_grad_big = best_time(jax.jit(jax.grad(poisson_rw)), x, counts, number=10)
    rows += [("N = 1e6, M = 100: probes if stored at once", f"{M * N * 4 / 1e6:.0f} MB"),
             ("N = 1e6, M = 100: time of the estimate", f"{t_est:.2f} s"),
             ("N = 1e6, M = 100: time / one gradient", f"{t_est / t_grad_big:.0f}"),
             ("N = 1e6, M = 100: relative error", f"{abs(est - exact) / exact:.1e}")]

    table = "\n".join(
        [f"## Hutchinson trace estimation ({device.platform.upper()}: {device.device_kind})", "",
         "| measurement | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]) + "\n"
    report(out, "hutchinson", table)


if __name__ == "__main__":
    main()
