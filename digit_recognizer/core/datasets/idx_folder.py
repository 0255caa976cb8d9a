"""The one reader of a folder holding an IDX dataset: ``read_idx_pair(folder)``.

    corrections-images-idx3-ubyte   (N, 28, 28) uint8, ink high, like MNIST
    corrections-labels-idx1-ubyte   (N,) uint8, digits 0-9

It takes any ``<name>-images-idx3-ubyte[.gz]`` with its ``<name>-labels-idx1-ubyte[.gz]`` (so
MNIST-style sets from elsewhere work too) and skips hidden names, which are other writers'
temporary files. The app's corrections are such a folder (``app.teaching`` writes it), and
``train --extra-data``, ``fine-tune --extra-data`` and ``evaluate --dataset FOLDER`` read one.

A save cut short between its two files leaves one more image than labels; reading truncates
both to the shorter length and says so in ``IdxDataset.note``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digit_recognizer.core.datasets.errors import IdxFolderError
from digit_recognizer.core.idx import IdxError, read_idx

__all__ = ["IMAGES_SUFFIX", "LABELS_SUFFIX", "IdxDataset", "IdxPair", "find_idx_pair",
           "read_idx_pair", "read_pair"]

IMAGES_SUFFIX = "-images-idx3-ubyte"
LABELS_SUFFIX = "-labels-idx1-ubyte"


@dataclass
class IdxDataset:
    """The samples of one IDX pair; ``note`` says why some were dropped while reading, else None."""

    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,) uint8
    note: str | None = None

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class IdxPair:
    """The two files of one IDX dataset; either may not exist yet (an interrupted first save)."""

    images: Path
    labels: Path


def find_idx_pair(folder: str | os.PathLike) -> IdxPair | None:
    """The one ``*-images-idx3-ubyte[.gz]`` / ``*-labels-idx1-ubyte[.gz]`` pair in ``folder``.

    None if there is none (or no folder). Raises ``IdxFolderError`` if there are several, since
    which one is meant cannot be guessed.
    """
    folder = Path(folder)
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        if path.name.startswith("."):
            continue  # other writers' temporary files (atomic writes), never data
        name = path.name.removesuffix(".gz")
        for kind, suffix in (("images", IMAGES_SUFFIX), ("labels", LABELS_SUFFIX)):
            if name.endswith(suffix):
                files = found.setdefault(name.removesuffix(suffix), {})
                if kind in files:  # the same set both plain and gzipped
                    raise IdxFolderError(f"{folder}: both {files[kind].name} and {path.name}; "
                                         "keep one of them")
                files[kind] = path
    if len(found) > 1:
        raise IdxFolderError(f"{folder}: holds several IDX datasets "
                             f"({', '.join(sorted(found))}); "
                             "keep one *-images-idx3-ubyte / *-labels-idx1-ubyte pair")
    if not found:
        return None
    name, files = found.popitem()
    gz = ".gz" if any(p.suffix == ".gz" for p in files.values()) else ""
    return IdxPair(files.get("images", folder / f"{name}{IMAGES_SUFFIX}{gz}"),
                   files.get("labels", folder / f"{name}{LABELS_SUFFIX}{gz}"))


def read_idx_pair(folder: str | os.PathLike) -> IdxDataset:
    """Read the one IDX dataset in ``folder``: uint8 (N, 28, 28) images and (N,) labels 0-9.

    When the two files disagree in length (a kill between the two writes of a save), both are
    truncated to the shorter one and ``note`` says so. Raises ``IdxFolderError`` if the folder
    holds no dataset or several, or a file is unreadable or of the wrong shape.
    """
    if not Path(folder).is_dir():
        raise IdxFolderError(f"{folder}: no such folder")
    pair = find_idx_pair(folder)
    if pair is None:
        raise IdxFolderError(f"{folder}: no IDX dataset in it (need a *-images-idx3-ubyte[.gz] "
                             "file and its *-labels-idx1-ubyte[.gz])")
    return read_pair(pair)


def read_pair(pair: IdxPair) -> IdxDataset:
    """The samples of ``pair``; a missing file reads as none, a longer one is cut (``note``)."""
    images = _read_part(pair.images, 3)
    labels = _read_part(pair.labels, 1)
    if labels.size and labels.max() > 9:
        raise IdxFolderError(f"{pair.labels}: holds label {labels.max()}; labels must be 0-9")
    if len(images) == len(labels):
        return IdxDataset(images, labels)
    n = min(len(images), len(labels))
    note = (f"{len(images)} images but {len(labels)} labels were saved (an interrupted save); "
            f"kept the first {n} samples")
    return IdxDataset(images[:n], labels[:n], note)


def _read_part(path: Path, ndim: int) -> np.ndarray:
    if not path.exists():  # the partner of a file whose first save was cut short
        return np.zeros((0, 28, 28) if ndim == 3 else (0,), np.uint8)
    try:
        array = read_idx(path, mmap=False)
    except IdxError as err:
        raise IdxFolderError(f"saved corrections are unreadable: {err}") from err
    shape_ok = array.ndim == ndim and (ndim == 1 or array.shape[1:] == (28, 28))
    if array.dtype != np.uint8 or not shape_ok:
        expected = "(N, 28, 28)" if ndim == 3 else "(N,)"
        raise IdxFolderError(f"{path}: holds {array.dtype} {array.shape}, "
                             f"expected uint8 {expected}")
    return array
