"""Cost of maximum likelihood through an equilibrium solver: jitted Adam loop against Optimistix BFGS.

Measures, in one run, the ratios the lecture `implicit_mle` reports: steps, time per step and
time to convergence of Adam relative to BFGS, on the same data and from the same start.
Writes a markdown table to <out>/implicit_mle.md and prints it.
"""

from typing import NamedTuple

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import optax
import optimistix as optx

from common import arguments, best_time, report


class Params(NamedTuple):
    log_η: jax.Array
    log_δ: jax.Array
    log_σ: jax.Array


def excess_demand(u, args):
    θ, c = args
    return c - jnp.exp(θ.log_η) * u - jnp.exp(θ.log_δ) * jnp.exp(u)


def log_price(θ, c):
    η, δ = jnp.exp(θ.log_η), jnp.exp(θ.log_δ)
    u0 = jnp.minimum(c / η, jnp.log(jnp.maximum(c, δ) / δ))
    sol = optx.root_find(excess_demand, optx.Newton(rtol=1e-10, atol=1e-10), u0, args=(θ, c),
                         max_steps=50, throw=False)
    return jnp.where(sol.result == optx.RESULTS.successful, sol.value, jnp.nan)


def neg_log_lik(θ, data):
    c, u_hat = data
    u = jax.vmap(log_price, in_axes=(None, 0))(θ, c)
    return 0.5 * jnp.log(2 * jnp.pi) + θ.log_σ + 0.5 * jnp.mean(((u_hat - u) / jnp.exp(θ.log_σ)) ** 2)


adam = optax.adam(optax.exponential_decay(0.05, transition_steps=100, decay_rate=0.8))


@jax.jit
def fit_adam(θ0, data, tol=1e-7, max_steps=5000):
    def cond(carry):
        return (carry[3] > tol) & (carry[2] < max_steps)

    def body(carry):
        θ, state, step, _ = carry
        updates, state = adam.update(jax.grad(neg_log_lik)(θ, data), state, θ)
        change = jnp.max(jnp.abs(jnp.stack(updates)))
        return optax.apply_updates(θ, updates), state, step + 1, change

    θ, _, steps, change = jax.lax.while_loop(cond, body, (θ0, adam.init(θ0), 0, jnp.inf))
    return θ, steps, change


@jax.jit
def fit_bfgs(θ0, data):
    return optx.minimise(neg_log_lik, optx.BFGS(rtol=1e-9, atol=1e-9), θ0, args=data,
                         max_steps=500, throw=False)


def main():
    args = arguments(__doc__, lambda p: p.add_argument("--markets", type=int, default=100))

    key_a, key_s, key_e = jax.random.split(jax.random.key(0), 3)
    c = (5.5 + jax.random.normal(key_a, (args.markets,))) - (0.5 + jax.random.normal(key_s, (args.markets,)))
    θ_true = Params(*jnp.log(jnp.array([1.5, 0.1, 0.05])))
    u = jax.jit(jax.vmap(log_price, in_axes=(None, 0)))(θ_true, c)
    data = (c, u + 0.05 * jax.random.normal(key_e, c.shape))
    θ_start = Params(*jnp.log(jnp.array([1.0, 0.2, 0.1])))

    θ_adam, steps_adam, change = fit_adam(θ_start, data)
    sol = fit_bfgs(θ_start, data)
    assert bool(sol.result == optx.RESULTS.successful), "BFGS did not converge"
    assert float(change) <= 1e-7, "Adam did not converge"
    steps_adam, steps_bfgs = int(steps_adam), int(sol.stats["num_steps"])
    gap = float(jnp.max(jnp.abs(jnp.stack(θ_adam) - jnp.stack(sol.value))))

    t_adam = best_time(fit_adam, θ_start, data, repeats=15)
    t_bfgs = best_time(fit_bfgs, θ_start, data, repeats=15)
    rows = [
        ("steps to convergence", steps_adam, steps_bfgs, steps_adam / steps_bfgs),
        ("time per step (ms)", 1e3 * t_adam / steps_adam, 1e3 * t_bfgs / steps_bfgs,
         (t_adam / steps_adam) / (t_bfgs / steps_bfgs)),
        ("time to convergence (ms)", 1e3 * t_adam, 1e3 * t_bfgs, t_adam / t_bfgs),
    ]
    device = jax.devices()[0]
    lines = [
        f"## implicit_mle: Adam against BFGS ({args.markets} markets, {device.platform}: {device.device_kind})",
        "",
        "| measure | Adam | BFGS | Adam / BFGS |",
        "|---|---|---|---|",
        *[f"| {name} | {a:.3g} | {b:.3g} | {r:.2f} |" for name, a, b, r in rows],
        "",
        f"Largest difference between the two estimates (log-parameters): {gap:.1e}.",
    ]
    table = "\n".join(lines) + "\n"
    report(args.out, "implicit_mle", table)


if __name__ == "__main__":
    main()
