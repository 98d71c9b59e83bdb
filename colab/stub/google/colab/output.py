"""Stub of `google.colab.output`: the calls JAX's debugger makes, with no browser.

Output goes to the cell as usual; JavaScript cannot run here, so `eval_js` raises.
"""

import contextlib


@contextlib.contextmanager
def use_tags(tags, append=True):
    """Colab tags the outputs made inside; here they are plain outputs."""
    yield


@contextlib.contextmanager
def redirect_to_element(selector):
    """Colab sends the outputs made inside to a DOM element; here they stay in the cell."""
    yield


def clear(wait=False, output_tags=()):
    """Colab clears the tagged outputs; nothing to clear here."""


def eval_js(script, ignore_result=False, timeout_sec=None):
    """Colab runs JavaScript in the browser; there is no browser here."""
    raise NotImplementedError("google.colab.output.eval_js: no browser in the Colab-runtime check")


def register_callback(name, callback):
    """Colab lets the browser call back into Python; nothing calls here."""
