"""Semeion's handwritten digits, from Italy, as MNIST-like images: ``load_semeion()``.

    images, labels = load_semeion()   # 1,593 digits: uint8 (N, 28, 28), ink high; (N,)

Semeion (``../shared/data/semeion``, or ``semeion_dir``, or ``$SEMEION_DIR``) is real
handwriting from about 80 people in Italy: continental 1s, crossed 7s, open 4s, hooked 9s. Each
scan was stretched to fill a 16×16 box and thresholded; it is read as it is, stretch included
(people draw wide digits too), padded with paper and brought to MNIST's convention by the
app's own preprocessing, as USPS is (``training.data.usps.usps_paper``).

It is for measuring only, never for training or for choosing a model: its records are ordered
by class, not by writer, so no split keeps a writer on one side. It lives in the evaluation
layer, which training never imports (tests/test_layers.py). Problems raise
:class:`DatasetError` with one sentence.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from digit_recognizer.core.idx import read_idx
from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist_uint8
from digit_recognizer.training.data.usps import ROOT, DatasetError, usps_paper

__all__ = ["SEMEION_DEFAULT", "SEMEION_FILES", "find_semeion", "load_semeion",
           "load_semeion_grids", "semeion_paper", "semeion_to_mnist"]

SEMEION_DEFAULT = ROOT.parent / "shared" / "data" / "semeion"
# part -> (file, SHA-256 of the file as the data's README gives it)
SEMEION_FILES: dict[str, tuple[str, str]] = {
    "images": ("semeion-images-idx3-ubyte.gz",
               "9462821ee83503c8e47f2d9080bcd5667cae233c667002997405b6fd9ddc5f78"),
    "labels": ("semeion-labels-idx1-ubyte.gz",
               "11f1fbae08ad02b51a7340c89656b88f74879169559feeff794d616e80927dbf"),
}
SEMEION_COUNT = 1593


def find_semeion(semeion_dir: str | os.PathLike | None = None) -> Path:
    """The Semeion folder: ``semeion_dir``, else $SEMEION_DIR, else ../shared/data/semeion
    beside the repository. Raises DatasetError if it does not exist."""
    folder = Path(semeion_dir or os.environ.get("SEMEION_DIR") or SEMEION_DEFAULT).expanduser()
    if not folder.is_dir():
        raise DatasetError(f"Semeion folder {folder} does not exist; pass --semeion-dir or set "
                           "SEMEION_DIR to the folder holding its two IDX files")
    return folder


def load_semeion(semeion_dir: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Semeion's digits as MNIST-like uint8 (N, 28, 28) images and uint8 (N,) labels."""
    grids, labels = load_semeion_grids(semeion_dir)
    return np.stack([semeion_to_mnist(grid) for grid in grids]), labels


def load_semeion_grids(semeion_dir: str | os.PathLike | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Semeion as it is: uint8 (N, 16, 16), 255 ink on 0 paper, and uint8 (N,) labels.

    Each file must match the SHA-256 its README publishes. Raises DatasetError when a file is
    missing, corrupt or not Semeion.
    """
    folder = find_semeion(semeion_dir)
    grids = _read_verified(folder / SEMEION_FILES["images"][0], SEMEION_FILES["images"][1])
    labels = _read_verified(folder / SEMEION_FILES["labels"][0], SEMEION_FILES["labels"][1])
    if grids.shape != (SEMEION_COUNT, 16, 16) or labels.shape != (SEMEION_COUNT,) \
            or labels.max() > 9:
        raise DatasetError(f"{folder} holds {grids.shape} images and {labels.shape} labels, not "
                           f"Semeion's {SEMEION_COUNT} 16×16 digits")
    return grids, labels


def semeion_to_mnist(grid: np.ndarray) -> np.ndarray:
    """One 16×16 Semeion digit (255 ink) -> uint8 (28, 28), ink high, as USPS is converted."""
    return canvas_to_mnist_uint8(semeion_paper(grid))


def semeion_paper(grid: np.ndarray) -> np.ndarray:
    """One Semeion digit as the app's canvas holds a drawing: uint8, ink 0 on paper 255, with
    USPS' margin of paper (both scans reach the edges of their 16×16 box)."""
    return usps_paper(grid.astype(np.float32) / 127.5 - 1)


def _read_verified(path: Path, sha256: str) -> np.ndarray:
    """The IDX array in ``path``, whose bytes must match ``sha256``."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError as err:
        raise DatasetError(f"{path} is missing; the Semeion folder needs "
                           f"{' and '.join(file for file, _ in SEMEION_FILES.values())}") from err
    if digest != sha256:
        raise DatasetError(f"{path}: content does not match the SHA-256 in Semeion's README "
                           f"(got {digest[:12]}…); the file is corrupt or not Semeion")
    return read_idx(path, mmap=False)
