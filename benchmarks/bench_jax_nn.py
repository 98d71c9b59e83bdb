"""Speed ratios of the jax_nn lecture, measured in one run.

1. Jitted JAX gradient descent against Keras `fit` (JAX backend): same network,
   initial weights, learning rate, full batch and epochs.
2. 32 networks trained at once with `vmap` against 32 single trainings.

Writes a markdown table to <out>/jax_nn.md and prints it.
"""

import os
from time import perf_counter
from typing import NamedTuple

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import keras
import numpy as np
from jax import lax

from common import arguments, best_time, report

EPOCHS, N, WIDTH, LR, SEEDS = 1000, 400, 10, 0.01, 32
SIZES = (1, WIDTH, WIDTH, WIDTH, 1)


class Layer(NamedTuple):
    W: jax.Array
    b: jax.Array


def init(key: jax.Array) -> list[Layer]:
    "Glorot-uniform weights and zero biases, as Keras's Dense layers."
    θ = []
    for k, m, n in zip(jax.random.split(key, len(SIZES) - 1), SIZES[:-1], SIZES[1:]):
        a = jnp.sqrt(6 / (m + n))
        θ.append(Layer(jax.random.uniform(k, (m, n), minval=-a, maxval=a), jnp.zeros((1, n))))
    return θ


def loss(θ: list[Layer], x: jax.Array, y: jax.Array) -> jax.Array:
    "Mean squared error of the tanh network."
    *hidden, last = θ
    for layer in hidden:
        x = jnp.tanh(x @ layer.W + layer.b)
    return jnp.mean((x @ last.W + last.b - y) ** 2)


def train(θ, x, y, x_v, y_v):
    "Full-batch gradient descent recording training and validation losses."
    def epoch(θ, _):
        L, g = jax.value_and_grad(loss)(θ, x, y)
        θ = jax.tree.map(lambda p, d: p - LR * d, θ, g)
        return θ, (L, loss(θ, x_v, y_v))
    return lax.scan(epoch, θ, length=EPOCHS)


def main():
    args = arguments(__doc__)

    keys = jax.random.split(jax.random.key(1234), 3)
    data = []
    for key in keys[:2]:
        kx, ke = jax.random.split(key)
        x = jax.random.uniform(kx, (N, 1), maxval=5.0)
        data += [x, jnp.sqrt(x) + jnp.sin(x) + 0.2 * jax.random.normal(ke, (N, 1))]
    θ_seeds = jax.vmap(init)(jax.random.split(keys[2], SEEDS))
    θ_0 = jax.tree.map(lambda leaf: leaf[0], θ_seeds)

    time_jax = best_time(jax.jit(train), θ_0, *data, repeats=5)
    batched = jax.jit(jax.vmap(train, in_axes=(0, None, None, None, None)))
    time_vmap = best_time(batched, θ_seeds, *data, repeats=2)
    single = jax.jit(train)
    start = perf_counter()
    for i in range(SEEDS):
        jax.block_until_ready(single(jax.tree.map(lambda leaf: leaf[i], θ_seeds), *data))
    time_loop = perf_counter() - start

    model = keras.Sequential([keras.Input(shape=(1,))]
                             + [keras.layers.Dense(w, activation="tanh") for w in SIZES[1:-1]]
                             + [keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss="mse")
    arrays = [np.asarray(a) for a in data]
    options = dict(batch_size=N, shuffle=False, verbose=0, validation_data=(arrays[2], arrays[3]))
    model.fit(arrays[0], arrays[1], epochs=2, **options)          # warm-up: compile
    keras_times = []
    for _ in range(2):
        model.set_weights([np.asarray(a) for l in θ_0 for a in (l.W, l.b.ravel())])
        start = perf_counter()
        model.fit(arrays[0], arrays[1], epochs=EPOCHS, **options)
        keras_times.append(perf_counter() - start)
    time_keras = min(keras_times)

    device = jax.devices()[0]
    rows = [
        ("Keras fit, 1 network", time_keras, "1.0"),
        ("jitted JAX GD, 1 network", time_jax, f"{time_keras / time_jax:.1f}x faster than Keras"),
        (f"JAX GD, {SEEDS} networks one by one", time_loop, ""),
        (f"JAX GD, {SEEDS} networks with vmap", time_vmap,
         f"{time_loop / time_vmap:.2f}x per-network speed-up"),
    ]
    lines = [f"# jax_nn: {EPOCHS} full-batch epochs, 251 parameters, "
             f"{device.platform.upper()} ({device.device_kind}), {os.cpu_count()} cores",
             "", "| run | seconds | ratio |", "|---|---:|---|"]
    lines += [f"| {name} | {t:.3f} | {ratio} |" for name, t, ratio in rows]
    table = "\n".join(lines) + "\n"
    report(args.out, "jax_nn", table)


if __name__ == "__main__":
    main()
