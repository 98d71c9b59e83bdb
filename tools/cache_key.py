"""Start execution afresh when the pinned lock has changed.

jupyter-cache keys a page on its code alone, and Sphinx reads again only the pages
whose source changed, so after a change of pins a page would be served from a run
under the old versions. This script keeps the hash of the lock beside the cache
and, when the hash differs, removes the cache and the other folders given (Sphinx's
doctrees, JAX's compilation cache), so that every page is read and executed again.

Usage: python tools/cache_key.py LOCK_FILE CACHE_DIR [FOLDER ...]
"""

import hashlib
import shutil
import sys
from pathlib import Path


def lock_hash(lock: Path) -> str:
    """SHA-256 of the lock file."""
    return hashlib.sha256(lock.read_bytes()).hexdigest()


def refresh(lock: Path, cache: Path, doctrees: tuple[Path, ...] = ()) -> bool:
    """Remove `cache` and `doctrees` if the cache was filled under other pins; True if removed."""
    key_file = cache / "lock.sha256"
    new = lock_hash(lock)
    stale = cache.exists() and (not key_file.exists() or key_file.read_text().strip() != new)
    if stale:
        for folder in (cache, *doctrees):
            shutil.rmtree(folder, ignore_errors=True)
        print(f"{lock} changed since {cache} was filled: every page is executed again")
    cache.mkdir(parents=True, exist_ok=True)
    key_file.write_text(new + "\n")
    return stale


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    lock, cache, *doctrees = map(Path, sys.argv[1:])
    refresh(lock, cache, tuple(doctrees))
