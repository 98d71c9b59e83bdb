"""Empty the execution cache when the pinned lock has changed.

jupyter-cache keys a page on its code alone, so a page executed under old
package versions would be served from the cache after a change of pins. This
script keeps the hash of the lock beside the cache and removes the cache when
the hash differs.

Usage: python tools/cache_key.py CACHE_DIR LOCK_FILE [LOCK_FILE ...]
"""

import hashlib
import shutil
import sys
from pathlib import Path


def lock_hash(files: list[Path]) -> str:
    """SHA-256 over the contents of the lock files, in order."""
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()


def refresh(cache: Path, files: list[Path]) -> bool:
    """Remove `cache` if it was filled under other pins; return True if removed."""
    key_file = cache / "lock.sha256"
    new = lock_hash(files)
    stale = cache.exists() and (not key_file.exists() or key_file.read_text().strip() != new)
    if stale:
        shutil.rmtree(cache)
        print(f"{cache}: the pins changed since it was filled; executing every page again")
    cache.mkdir(parents=True, exist_ok=True)
    key_file.write_text(new + "\n")
    return stale


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    refresh(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
