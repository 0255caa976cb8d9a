"""Semeion's handwritten digits, from Italy, as they are: ``load_semeion_grids()``.

    grids, labels = load_semeion_grids()   # 1,593 digits: uint8 (N, 16, 16), 255 ink; (N,)

Semeion (``../shared/data/semeion``, or ``semeion_dir``, or ``$SEMEION_DIR``) is real
handwriting from about 80 people in Italy: continental 1s, crossed 7s, open 4s, hooked 9s. Each
scan was stretched to fill a 16×16 box and thresholded. It is for measuring only
(``evaluation.semeion`` brings it to MNIST's convention). Problems raise
:class:`DatasetError` with one sentence.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from digit_recognizer.core.datasets.sources import SHARED_DATA, DataSource
from digit_recognizer.core.idx import IdxError, read_idx

__all__ = ["SEMEION", "SEMEION_COUNT", "SEMEION_FILES", "find_semeion", "load_semeion_grids"]

# part -> (file, SHA-256 of the file as the data's README gives it)
SEMEION_FILES: dict[str, tuple[str, str]] = {
    "images": ("semeion-images-idx3-ubyte.gz",
               "9462821ee83503c8e47f2d9080bcd5667cae233c667002997405b6fd9ddc5f78"),
    "labels": ("semeion-labels-idx1-ubyte.gz",
               "11f1fbae08ad02b51a7340c89656b88f74879169559feeff794d616e80927dbf"),
}
SEMEION = DataSource("Semeion", tuple(file for file, _ in SEMEION_FILES.values()),
                     "the SHA-256 in Semeion's README", env="SEMEION_DIR",
                     option="--semeion-dir", default=SHARED_DATA / "semeion")
SEMEION_COUNT = 1593


def find_semeion(semeion_dir: str | os.PathLike | None = None) -> Path:
    """The Semeion folder: ``semeion_dir``, else $SEMEION_DIR, else ../shared/data/semeion
    beside the repository. Raises DatasetError if it does not exist."""
    return SEMEION.find(semeion_dir)


def load_semeion_grids(semeion_dir: str | os.PathLike | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Semeion as it is: uint8 (N, 16, 16), 255 ink on 0 paper, and uint8 (N,) labels.

    Each file must match the SHA-256 its README publishes. Raises DatasetError when a file is
    missing, corrupt or not Semeion.
    """
    folder = find_semeion(semeion_dir)
    grids, labels = (_read_verified(folder / file, sha256) for file, sha256 in
                     (SEMEION_FILES["images"], SEMEION_FILES["labels"]))
    if grids.shape != (SEMEION_COUNT, 16, 16) or labels.shape != (SEMEION_COUNT,) \
            or labels.max() > 9:
        raise SEMEION.error(f"{folder} holds {grids.shape} images and {labels.shape} labels, "
                            f"not Semeion's {SEMEION_COUNT} 16×16 digits")
    return grids, labels


def _read_verified(path: Path, sha256: str) -> np.ndarray:
    """The IDX array in ``path``, whose bytes on disk must match ``sha256``."""
    content = io.BytesIO(SEMEION.read_verified(path, sha256, hashed="file"))
    content.name = str(path)  # for IdxError's message
    try:
        return read_idx(content)
    except IdxError as err:  # only with a wrong hash table: the hash has proved the bytes
        raise SEMEION.damaged(path, err) from err
