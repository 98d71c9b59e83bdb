"""Step time of the lecture's from-scratch optimizers against their Optax counterparts.

A full training step (gradient, update, parameter change) of a small tanh network, run
`--steps` times inside one jitted `lax.scan`; the fastest of `--reps` interleaved
repetitions. Writes a markdown table to `<--out>/optimizers.md` and prints it.
"""

import time
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

from common import arguments, report


class GradientTransformation(NamedTuple):
    init: Callable
    update: Callable


class Count(NamedTuple):
    count: jax.Array


class Trace(NamedTuple):
    trace: dict


class Rms(NamedTuple):
    nu: dict


class AdamState(NamedTuple):
    count: jax.Array
    mu: dict
    nu: dict


def stateless(fn):
    """A transformation without state from update(grads, params)."""
    return GradientTransformation(lambda p: (), lambda g, s, p=None: (fn(g, p), s))


def chain(*ts):
    def update(g, state, p=None):
        out = []
        for t, s in zip(ts, state):
            g, s = t.update(g, s, p)
            out.append(s)
        return g, tuple(out)
    return GradientTransformation(lambda p: tuple(t.init(p) for t in ts), update)


def scale_by_learning_rate(η):
    if not callable(η):
        return stateless(lambda g, p: jax.tree.map(lambda x: -η * x, g))
    return GradientTransformation(
        lambda p: Count(jnp.zeros([], jnp.int32)),
        lambda g, s, p=None: (jax.tree.map(lambda x: -η(s.count) * x, g), Count(s.count + 1)))


def trace(β, nesterov=False):
    def update(g, s, p=None):
        v = jax.tree.map(lambda a, t: a + β * t, g, s.trace)
        out = jax.tree.map(lambda a, t: a + β * t, g, v) if nesterov else v
        return out, Trace(v)
    return GradientTransformation(lambda p: Trace(jax.tree.map(jnp.zeros_like, p)), update)


def scale_by_rms(ρ=0.9, ε=1e-8):
    def update(g, s, p=None):
        nu = jax.tree.map(lambda a, n: (1 - ρ) * a**2 + ρ * n, g, s.nu)
        return jax.tree.map(lambda a, n: a * lax.rsqrt(n + ε), g, nu), Rms(nu)
    return GradientTransformation(lambda p: Rms(jax.tree.map(jnp.zeros_like, p)), update)


def scale_by_adam(β1=0.9, β2=0.999, ε=1e-8):
    def init(p):
        z = jax.tree.map(jnp.zeros_like, p)
        return AdamState(jnp.zeros([], jnp.int32), z, z)

    def update(g, s, p=None):
        mu = jax.tree.map(lambda a, m: (1 - β1) * a + β1 * m, g, s.mu)
        nu = jax.tree.map(lambda a, n: (1 - β2) * a**2 + β2 * n, g, s.nu)
        t = s.count + 1
        c1, c2 = 1 - β1**t, 1 - β2**t
        return jax.tree.map(lambda m, n: (m / c1) / (jnp.sqrt(n / c2) + ε), mu, nu), AdamState(t, mu, nu)
    return GradientTransformation(init, update)


def add_decayed_weights(λ):
    return stateless(lambda g, p: jax.tree.map(lambda a, w: a + λ * w, g, p))


def clip_by_global_norm(c):
    def clip(g, p):
        norm = jnp.sqrt(sum(jnp.sum(x**2) for x in jax.tree.leaves(g)))
        return jax.tree.map(lambda x: jnp.where(norm < c, x, (x / norm) * c), g)
    return stateless(clip)


def warmup_cosine(η_init, η_peak, W, T, η_end):
    def schedule(t):
        warm = (η_init - η_peak) * (1 - jnp.clip(t, 0, W) / W) + η_peak
        decay = 0.5 * (1 + jnp.cos(jnp.pi * jnp.minimum(t - W, T - W) / (T - W)))
        α = η_end / η_peak
        return jnp.where(t < W, warm, η_peak * ((1 - α) * decay + α))
    return schedule


def pairs(steps):
    """Each from-scratch optimizer with its Optax counterpart."""
    lr = scale_by_learning_rate
    ours_sched = warmup_cosine(0.0, 0.05, 20, steps, 0.001)
    optax_sched = optax.warmup_cosine_decay_schedule(0.0, 0.05, 20, steps, 0.001)
    return {
        "SGD": (chain(lr(0.1)), optax.sgd(0.1)),
        "momentum": (chain(trace(0.9), lr(0.05)), optax.sgd(0.05, momentum=0.9)),
        "Nesterov": (chain(trace(0.9, True), lr(0.05)), optax.sgd(0.05, momentum=0.9, nesterov=True)),
        "RMSprop": (chain(scale_by_rms(), lr(0.01)), optax.rmsprop(0.01)),
        "Adam": (chain(scale_by_adam(), lr(0.01)), optax.adam(0.01)),
        "AdamW": (chain(scale_by_adam(), add_decayed_weights(0.1), lr(0.01)),
                  optax.adamw(0.01, weight_decay=0.1)),
        "clip, AdamW, warm-up + cosine": (
            chain(clip_by_global_norm(0.1), scale_by_adam(), add_decayed_weights(0.1), lr(ours_sched)),
            optax.chain(optax.clip_by_global_norm(0.1), optax.adamw(optax_sched, weight_decay=0.1))),
    }


def main():
    def options(parser):
        parser.add_argument("--steps", type=int, default=200, help="steps per timed scan")
        parser.add_argument("--reps", type=int, default=30, help="interleaved repetitions")

    args = arguments(__doc__, options)

    k_x, k_1, k_2 = jax.random.split(jax.random.key(0), 3)
    X = jax.random.normal(k_x, (128, 8))
    y = jnp.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2]
    θ0 = {"hidden": {"w": jax.random.normal(k_1, (8, 16)) / jnp.sqrt(8.0), "b": jnp.zeros(16)},
          "out": {"w": jax.random.normal(k_2, (16, 1)) / 4.0, "b": jnp.zeros(1)}}

    def loss(θ):
        h = jnp.tanh(X @ θ["hidden"]["w"] + θ["hidden"]["b"])
        return jnp.mean(((h @ θ["out"]["w"] + θ["out"]["b"])[:, 0] - y) ** 2)

    def make_run(opt):
        def step(carry, _):
            θ, s = carry
            u, s = opt.update(jax.grad(loss)(θ), s, θ)
            return (jax.tree.map(jnp.add, θ, u), s), None
        return jax.jit(lambda θ: lax.scan(step, (θ, opt.init(θ)), None, length=args.steps)[0][0])

    lines = [f"Device: {jax.devices()[0].device_kind}; {args.steps} steps per scan, "
             f"fastest of {args.reps} interleaved repetitions.", "",
             "| optimizer | ours (µs/step) | Optax (µs/step) | ours / Optax | final rel. diff. |",
             "|---|---|---|---|---|"]
    for name, (ours, theirs) in pairs(args.steps).items():
        runs = [make_run(ours), make_run(theirs)]
        finals = [jax.block_until_ready(run(θ0)) for run in runs]     # compile, warm up
        a, b = (np.concatenate([np.ravel(x) for x in jax.tree.leaves(f)]) for f in finals)
        diff = np.linalg.norm(a - b) / np.linalg.norm(b)
        best = [np.inf, np.inf]
        for _ in range(args.reps):
            for j, run in enumerate(runs):
                start = time.perf_counter()
                jax.block_until_ready(run(θ0))
                best[j] = min(best[j], (time.perf_counter() - start) / args.steps)
        lines.append(f"| {name} | {1e6 * best[0]:.2f} | {1e6 * best[1]:.2f} | "
                     f"{best[0] / best[1]:.2f} | {diff:.1e} |")

    report(args.out, "optimizers", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
