"""USPS' handwritten digits as MNIST-like images: ``load_usps(split, usps_dir)``.

    images, labels = load_usps("train")   # 7,291 digits: uint8 (N, 28, 28), ink high; (N,)
    images, labels = load_usps("test")    # 2,007 digits, for measuring only

USPS (``../shared/data/usps``, or ``usps_dir``, or ``$USPS_DIR``) is real handwriting from
envelopes, deslanted and scaled to 16×16 grey levels in [-1, 1]; each digit is padded with
paper and brought to MNIST's convention by the app's own ``preprocess.canvas_to_mnist``.
Calibration reads the training split (``calibration``); ``evaluate --dataset usps`` measures
on the test split (``evaluation.datasets``). Problems raise :class:`DatasetError` with one
sentence.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from pathlib import Path

import cv2
import numpy as np

from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist_uint8

__all__ = ["USPS_DEFAULT", "USPS_FILES", "DatasetError", "find_usps", "load_usps",
           "load_usps_grids", "usps_paper", "usps_to_mnist"]

ROOT = Path(__file__).resolve().parents[3]
USPS_DEFAULT = ROOT.parent / "shared" / "data" / "usps"
# split -> (file, SHA-256 of its decompressed content as the data's README gives it, digits)
USPS_FILES: dict[str, tuple[str, str, int]] = {
    "train": ("zip.train.gz", "abc9f5c75b997cabe66b5d01727d5a681c69298e1641a8d37b55433a52129dc0",
              7291),
    "test": ("zip.test.gz", "6bde17b4f1cd68e0630cd2751d6495b5795d9165ab2dc4a0be8b7002b732f4cc",
             2007),
}
USPS_SIDE = 16
PAD = 2  # px of paper around a USPS digit, whose ink reaches its 16×16 edge: the border is paper


class DatasetError(Exception):
    """A dataset is missing, unknown, corrupt or badly labelled; the message says which.

    USPS' reader raises it, and so does ``evaluation.datasets``, which shares this one class
    so that its callers catch every dataset's problems alike.
    """


def find_usps(usps_dir: str | os.PathLike | None = None) -> Path:
    """The USPS folder: ``usps_dir``, else $USPS_DIR, else ../shared/data/usps beside the
    repository. Raises DatasetError if it does not exist."""
    folder = Path(usps_dir or os.environ.get("USPS_DIR") or USPS_DEFAULT).expanduser()
    if not folder.is_dir():
        raise DatasetError(f"USPS folder {folder} does not exist; pass --usps-dir or set "
                           "USPS_DIR to the folder holding zip.train.gz and zip.test.gz")
    return folder


def load_usps(split: str = "test", usps_dir: str | os.PathLike | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """USPS' ``split`` as MNIST-like uint8 (N, 28, 28) images and uint8 (N,) labels.

    The file's decompressed content must match the SHA-256 its README publishes. Raises
    DatasetError when the file is missing, corrupt or not USPS.
    """
    grids, labels = load_usps_grids(split, usps_dir)
    images = np.stack([usps_to_mnist(grid) for grid in grids])
    return images, labels


def load_usps_grids(split: str = "test", usps_dir: str | os.PathLike | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """USPS' ``split`` as it is: float32 (N, 16, 16) grey values in [-1, 1] (1 is ink), labels."""
    file, sha256, count = USPS_FILES[split]
    path = find_usps(usps_dir) / file
    return _parse_usps(_read_verified(path, sha256), path, count)


def _read_verified(path: Path, sha256: str) -> bytes:
    """The decompressed bytes of ``path``, checked against ``sha256``."""
    try:
        text = gzip.decompress(path.read_bytes())
    except FileNotFoundError as err:
        raise DatasetError(f"{path} is missing; the USPS folder needs zip.train.gz and "
                           "zip.test.gz") from err
    except (OSError, EOFError, zlib.error) as err:  # not gzip, truncated, bad CRC
        raise DatasetError(f"{path} is damaged ({err}); replace it with a fresh copy") from err
    digest = hashlib.sha256(text).hexdigest()
    if digest != sha256:
        raise DatasetError(f"{path}: content does not match the SHA-256 in USPS' README (got "
                           f"{digest[:12]}…); the file is corrupt or not USPS")
    return text


def _parse_usps(text: bytes, path: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """USPS' text lines (a label, then 256 grey values in [-1, 1]) -> grids and labels."""
    values = np.array(text.split(), dtype=np.float32)
    rows = values.reshape(-1, 1 + USPS_SIDE * USPS_SIDE)  # (N, 257): label, 16×16 grey
    # The hash has already proved the content; this only guards against a wrong hash table.
    assert len(rows) == count, f"{path}: {len(rows)} digits, expected {count}"
    return rows[:, 1:].reshape(-1, USPS_SIDE, USPS_SIDE), rows[:, 0].astype(np.uint8)


def usps_to_mnist(grid: np.ndarray) -> np.ndarray:
    """One 16×16 USPS digit, grey values in [-1, 1] (1 is ink) -> uint8 (28, 28), ink high.

    USPS scaled each digit to touch the edges of its 16×16 field, where ``canvas_to_mnist``
    looks for the paper, so the digit gets a margin of paper first; then it is dark ink on
    light paper, as on the app's canvas, and the app's preprocessing does the rest.
    """
    return canvas_to_mnist_uint8(usps_paper(grid))


def usps_paper(grid: np.ndarray) -> np.ndarray:
    """One USPS digit as the app's canvas holds a drawing: uint8, ink 0 on paper 255, margin."""
    paper = np.round((1 - np.clip(grid, -1, 1)) * 127.5).astype(np.uint8)
    return cv2.copyMakeBorder(paper, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=255)
