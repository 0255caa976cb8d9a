"""The corrections the user teaches the app: a small MNIST-style dataset in IDX format.

    $XDG_DATA_HOME/digit-recognizer/corrections/   (default ~/.local/share/digit-recognizer/...)
        corrections-images-idx3-ubyte   (N, 28, 28) uint8, ink high, like MNIST
        corrections-labels-idx1-ubyte   (N,) uint8

Fine-tune a model on them with ``python -m digit_recognizer train --extra-data DIR``.

Appending rewrites both files, each atomically (``idx.write_idx``: temporary file + rename), the
images first and the labels last, so the labels file acts as the commit record. A crash or kill
between the two renames leaves one more image than labels; reading truncates both to the shorter
length and says so, which loses only the sample that was being added, never one saved before.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from digit_recognizer.idx import IdxError, read_idx, write_idx

__all__ = ["Corrections", "TeachingError", "corrections_dir", "read_corrections",
           "add_correction", "repair_corrections", "fine_tune_command", "to_uint8_image",
           "IMAGES_FILE", "LABELS_FILE"]

APP_DIR = "digit-recognizer"
IMAGES_FILE = "corrections-images-idx3-ubyte"
LABELS_FILE = "corrections-labels-idx1-ubyte"


class TeachingError(Exception):
    """The corrections dataset cannot be read or extended; the message says why."""


@dataclass
class Corrections:
    """The saved samples; ``note`` says why some were dropped while reading, else None."""

    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,) uint8
    note: str | None = None

    def __len__(self) -> int:
        return len(self.labels)


def corrections_dir() -> Path:
    """``$XDG_DATA_HOME`` (or ``~/.local/share``)/digit-recognizer/corrections."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / APP_DIR / "corrections"


def fine_tune_command(folder: str | os.PathLike | None = None) -> str:
    """The command that fine-tunes a model on the corrections in ``folder``."""
    folder = Path(folder) if folder is not None else corrections_dir()
    return f"python -m digit_recognizer train --extra-data {folder}"


def _read_part(path: Path, ndim: int) -> np.ndarray:
    if not path.exists():
        return np.zeros((0, 28, 28) if ndim == 3 else (0,), np.uint8)
    try:
        array = read_idx(path, mmap=False)
    except IdxError as err:
        raise TeachingError(f"saved corrections are unreadable: {err}") from err
    shape_ok = array.ndim == ndim and (ndim == 1 or array.shape[1:] == (28, 28))
    if array.dtype != np.uint8 or not shape_ok:
        expected = "(N, 28, 28)" if ndim == 3 else "(N,)"
        raise TeachingError(f"{path}: holds {array.dtype} {array.shape}, "
                            f"expected uint8 {expected}")
    return array


def read_corrections(folder: str | os.PathLike | None = None) -> Corrections:
    """Read the saved samples (none if the folder is empty or missing).

    When the two files disagree in length (a kill between the two writes), both are truncated
    to the shorter one and ``note`` says so. Raises ``TeachingError`` if a file is unreadable.
    """
    folder = Path(folder) if folder is not None else corrections_dir()
    images = _read_part(folder / IMAGES_FILE, 3)
    labels = _read_part(folder / LABELS_FILE, 1)
    if len(images) == len(labels):
        return Corrections(images, labels)
    n = min(len(images), len(labels))
    note = (f"{len(images)} images but {len(labels)} labels were saved (an interrupted save); "
            f"kept the first {n} samples")
    return Corrections(images[:n], labels[:n], note)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` so two windows never interleave their writes."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _remove_stale_temporaries(folder: Path) -> None:
    # A killed write_idx leaves ".corrections-...tmp" behind; the training reader globs for
    # "*images*", which would match it. Safe to delete: we hold the lock, nobody else writes.
    for stale in folder.glob(".corrections-*.tmp"):
        stale.unlink(missing_ok=True)


def _write(folder: Path, images: np.ndarray, labels: np.ndarray) -> None:
    write_idx(folder / IMAGES_FILE, images)
    write_idx(folder / LABELS_FILE, labels)  # last: the commit record


def to_uint8_image(image: np.ndarray) -> np.ndarray:
    """A (28, 28) model input, float in [0, 1] or uint8, as uint8 (ink high)."""
    image = np.asarray(image)
    if image.shape != (28, 28):
        raise TeachingError(f"a correction must be a 28x28 image, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image
    return np.clip(np.rint(image.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)


def add_correction(image: np.ndarray, label: int,
                   folder: str | os.PathLike | None = None) -> int:
    """Append one 28x28 sample with its true ``label`` (0-9); return how many are saved now.

    ``image`` is the network input, float in [0, 1] or uint8, ink high. Raises
    ``TeachingError`` if the label is not a digit or the saved files are unreadable (they are
    then left untouched) and ``OSError`` if the folder cannot be written.
    """
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) \
            or not 0 <= label <= 9:
        raise TeachingError(f"a label must be a digit 0-9, got {label!r}")
    sample = to_uint8_image(image)
    folder = Path(folder) if folder is not None else corrections_dir()
    with _locked(folder):
        _remove_stale_temporaries(folder)
        saved = read_corrections(folder)
        images = np.concatenate([saved.images, sample[None]])
        labels = np.concatenate([saved.labels, np.array([label], np.uint8)])
        _write(folder, images, labels)
    return len(labels)


def repair_corrections(folder: str | os.PathLike | None = None) -> Corrections:
    """Read the samples and, if an interrupted save left the files unequal, rewrite them equal.

    Returns what was read (``note`` set when something was repaired), so that
    ``train --extra-data`` can read the folder again. Raises ``TeachingError`` like
    ``read_corrections``.
    """
    folder = Path(folder) if folder is not None else corrections_dir()
    if not folder.is_dir():
        return read_corrections(folder)
    with _locked(folder):
        _remove_stale_temporaries(folder)
        saved = read_corrections(folder)
        if saved.note is not None:
            _write(folder, saved.images, saved.labels)
    return saved
