"""USPS' handwritten digits as they are: ``load_usps_grids(split, usps_dir)``.

    grids, labels = load_usps_grids("train")   # 7,291 digits: float32 (N, 16, 16) in [-1, 1]
    grids, labels = load_usps_grids("test")    # 2,007 digits, for measuring only

USPS (``../shared/data/usps``, or ``usps_dir``, or ``$USPS_DIR``) is real handwriting from
envelopes, deslanted and scaled to 16×16 grey levels in [-1, 1] (1 is ink). Bringing a digit
to MNIST's convention is ``training.data.usps``' job. Problems raise :class:`DatasetError`
with one sentence.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from digit_recognizer.core.datasets.sources import SHARED_DATA, DataSource

__all__ = ["USPS", "USPS_FILES", "USPS_SIDE", "find_usps", "load_usps_grids"]

# split -> (file, SHA-256 of its decompressed content as the data's README gives it, digits)
USPS_FILES: dict[str, tuple[str, str, int]] = {
    "train": ("zip.train.gz", "abc9f5c75b997cabe66b5d01727d5a681c69298e1641a8d37b55433a52129dc0",
              7291),
    "test": ("zip.test.gz", "6bde17b4f1cd68e0630cd2751d6495b5795d9165ab2dc4a0be8b7002b732f4cc",
             2007),
}
USPS = DataSource("USPS", tuple(file for file, _, _ in USPS_FILES.values()),
                  "the SHA-256 in USPS' README", env="USPS_DIR", option="--usps-dir",
                  default=SHARED_DATA / "usps")
USPS_SIDE = 16


def find_usps(usps_dir: str | os.PathLike | None = None) -> Path:
    """The USPS folder: ``usps_dir``, else $USPS_DIR, else ../shared/data/usps beside the
    repository. Raises DatasetError if it does not exist."""
    return USPS.find(usps_dir)


def load_usps_grids(split: str = "test", usps_dir: str | os.PathLike | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """USPS' ``split`` as it is: float32 (N, 16, 16) grey values in [-1, 1] (1 is ink), labels.

    The file's decompressed content must match the SHA-256 its README publishes. Raises
    DatasetError when the file is missing, corrupt or not USPS.
    """
    file, sha256, count = USPS_FILES[split]
    path = find_usps(usps_dir) / file
    return _parse_usps(USPS.read_verified(path, sha256), path, count)


def _parse_usps(text: bytes, path: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """USPS' text lines (a label, then 256 grey values in [-1, 1]) -> grids and labels."""
    values = np.array(text.split(), dtype=np.float32)
    rows = values.reshape(-1, 1 + USPS_SIDE * USPS_SIDE)  # (N, 257): label, 16×16 grey
    # The hash has already proved the content; this only guards against a wrong hash table.
    assert len(rows) == count, f"{path}: {len(rows)} digits, expected {count}"
    return rows[:, 1:].reshape(-1, USPS_SIDE, USPS_SIDE), rows[:, 0].astype(np.uint8)
