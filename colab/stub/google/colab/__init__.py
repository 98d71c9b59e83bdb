"""A stand-in for Colab's `google.colab`, for executing notebooks as in Colab.

Colab's kernel imports `google.colab` at start-up, so notebooks (and libraries:
JAX's debugger imports `google.colab.output` when it sees `google.colab`) find it in
`sys.modules`. This stub provides only that: the names exist, nothing reaches a
browser. Installed by tools/colab_check.py into the Colab-like venv.
"""

from . import output  # noqa: F401  (Colab's package loads it too)

__version__ = "0.0.0+stub"
