"""A base model's pools, as its frozen trunk sees them, kept on disk between processes.

    key = pool_key(weights_digest, replay, recipe, pool_seed, held)
    pools = load_pools(cache_dir, key)          # None: not there, or unreadable
    save_pools(cache_dir, key, pools)           # atomically; keeps the newest KEEP files

A one-off ``fine-tune`` passes about 7,600 pool digits through the base's trunk: 4 of its
12 seconds on 2 cores, paid again on every run with the same model. What comes out depends
only on the base's weights, the replay digits, the recipe, the seed and the code that draws
and augments the pools, so a file named by a digest of all of them can stand in for the work.
The code is in the digest by its source files: a cache keyed without it would quietly hand
an edited ``augment_digits`` the pools of the old one.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import astuple
from pathlib import Path

import numpy as np

from digit_recognizer.core.files import atomic_writer
from digit_recognizer.training.fine_tuning.mix import Recipe

__all__ = ["KEEP", "POOL_ARRAYS", "default_cache_dir", "load_pools", "pool_key", "save_pools"]

KEEP = 4  # files kept: model 1's pools take 140 MB, model 2's 48 MB
POOL_ARRAYS = ("pool", "pool_labels", "others", "other_targets", "held_out", "held_out_labels")
_TRAINING = Path(__file__).resolve().parents[1]
# What draws, augments and cuts the pools: a change to any of them makes new pools.
_POOL_CODE = (*sorted((_TRAINING / "data").glob("*.py")), _TRAINING / "fine_tuning" / "head.py")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME`` (or ``~/.cache``)/digit-recognizer/fine-tune-pools."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "digit-recognizer" / "fine-tune-pools"


def pool_key(weights_digest: bytes, replay: tuple[np.ndarray, np.ndarray], recipe: Recipe,
             pool_seed: int, held: int) -> str:
    """A hex name for the pools of these weights, replay digits, recipe, seed and code."""
    import cv2  # here: the window imports this module for ``default_cache_dir`` as it starts

    digest = hashlib.blake2b(weights_digest, digest_size=16)
    for array in replay:
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(repr((astuple(recipe), pool_seed, held, np.__version__,
                        cv2.__version__)).encode())
    for path in _POOL_CODE:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_pools(cache_dir: str | os.PathLike, key: str) -> dict[str, np.ndarray] | None:
    """The pools saved under ``key``, or None when there are none or they cannot be read."""
    path = Path(cache_dir) / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as saved:
            pools = {name: saved[name] for name in POOL_ARRAYS}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # missing, cut short or not ours: made again and written over
    os.utime(path)  # recently used: pruned last
    return pools


def save_pools(cache_dir: str | os.PathLike, key: str, pools: dict[str, np.ndarray]) -> None:
    """Write ``pools`` under ``key``, then drop all but the ``KEEP`` most recently used files.

    A cache that cannot be written (read-only home, full disk) costs only the next run's time.
    """
    folder = Path(cache_dir)
    try:
        with atomic_writer(folder / f"{key}.npz") as file:
            np.savez(file, **{name: pools[name] for name in POOL_ARRAYS})
        files = sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
