"""Start an IPython kernel the way Colab's does: with `google.colab` already imported.

Usage (in a kernel spec): python -m colab_kernel_launcher -f {connection_file}
"""

import google.colab  # noqa: F401  (Colab's kernel has it in sys.modules from the start)
from ipykernel import kernelapp

if __name__ == "__main__":
    kernelapp.launch_new_instance()
