#!/bin/sh
# Print the path of a working Python of version $1 (default 3.12, the version the lock
# is resolved for, `make lock`). Looks on PATH first, then among pyenv's installed
# versions: a pyenv shim for a version that is not active exists on PATH but fails.
# The one finder of the project: the Makefile, the Colab-runtime check (3.13) and the
# tests use it.
want=${1:-3.12}
works() { "$1" -c "import sys; sys.exit('%d.%d' % sys.version_info[:2] != '$want')" >/dev/null 2>&1; }
for cand in "python$want" python3 python; do
    p=$(command -v "$cand" 2>/dev/null) && works "$p" && { echo "$p"; exit 0; }
done
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for p in "$root"/versions/$want*/bin/python$want; do
    works "$p" && { echo "$p"; exit 0; }
done
echo "error: no working Python $want found on PATH or in pyenv ($root/versions)." >&2
echo "Install Python $want (python.org, your package manager, or 'pyenv install $want')," >&2
echo "or name one: make PYTHON=/path/to/python$want html" >&2
exit 1
