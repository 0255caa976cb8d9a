"""Labelled digits to measure the models on: ``load_dataset(name)`` -> Dataset, MNIST-like.

    load_dataset("mnist")                 # MNIST's 10,000 test digits
    load_dataset("usps")                  # USPS' 2,007 test digits (split="train": 7,291)
    load_dataset("styles")                # writing styles MNIST under-represents (styles.py)
    load_dataset("nondigits")             # drawings that are no digit (nondigits.py)
    load_dataset("my-digits/")            # an IDX pair, or subfolders 0/ ... 9/ of images

Every set comes as uint8 (N, 28, 28) images, ink high, the way MNIST is and the models expect
(the digit's box fitted in 20×20, its centre of mass at the middle of 28×28), with (N,) labels;
the non-digit set has no labels (None), only each drawing's family. A name that is not one of
the four is a folder's path (write ``./usps`` for a folder of that name). Problems raise
:class:`DatasetError` with one sentence.

USPS (``../shared/data/usps``, or ``usps_dir``, or ``$USPS_DIR``) is real handwriting from
envelopes, deslanted and scaled to 16×16 grey levels in [-1, 1]; each digit is padded with
paper and brought to MNIST's convention by the app's own ``preprocess.canvas_to_mnist``. Its
test split only measures: the conversion was checked on the training split alone.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from digit_recognizer.core.mnist import MnistError, load_mnist
from digit_recognizer.core.idx import IdxError
from digit_recognizer.training.mnist_tool import CLASS_NAMES, CommandError, find_labelled_images
from digit_recognizer.recognition.preprocess import (
    EmptyDrawingError,
    ImageError,
    canvas_to_mnist_uint8,
    load_image,
)
from digit_recognizer.app.teaching import TeachingError, find_idx_pair, read_idx_pair

__all__ = [
    "DATASETS",
    "SPLITS",
    "USPS_FILES",
    "Dataset",
    "DatasetError",
    "find_usps",
    "load_dataset",
    "load_folder",
    "load_image_folder",
    "load_usps",
    "usps_to_mnist",
]

DATASETS = ("mnist", "usps", "styles", "nondigits")
SPLITS = ("test", "train")
ROOT = Path(__file__).resolve().parents[2]
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
    """A dataset is missing, unknown, corrupt or badly labelled; the message says which."""


@dataclass(frozen=True)
class Dataset:
    """Digits with their labels; ``styles`` names each digit's writing style, where known.

    In the non-digit set ``labels`` is None (no image is a digit) and ``styles`` names each
    drawing's family ("letter A", "star", ...).
    """

    name: str  # for reports: "MNIST test", "USPS test", "styles (seed 0)" or the folder
    images: np.ndarray  # uint8 (N, 28, 28), ink high
    labels: np.ndarray | None  # uint8 (N,), 0-9; None: none of the images is a digit
    styles: np.ndarray | None = None  # (N,) str

    def __len__(self) -> int:
        return len(self.images)

    @property
    def digits(self) -> bool:
        """True when the images are labelled digits, False for the non-digit set."""
        return self.labels is not None

    def head(self, count: int) -> Dataset:
        """The first ``count`` images."""
        styles = None if self.styles is None else self.styles[:count]
        labels = None if self.labels is None else self.labels[:count]
        return Dataset(self.name, self.images[:count], labels, styles)


def load_dataset(name: str, *, split: str = "test", mnist_dir: str | os.PathLike | None = None,
                 usps_dir: str | os.PathLike | None = None, seed: int = 0) -> Dataset:
    """'mnist', 'usps', 'styles' or 'nondigits', or the path of a folder (see the module's
    docstring).

    ``split`` ('test' or 'train') picks MNIST's or USPS' part; the styles and non-digit sets
    and folders have none. ``seed`` draws the styles and non-digit sets. Raises DatasetError.
    """
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}: use test or train")
    if name == "mnist":
        try:
            (x_train, y_train), (x_test, y_test) = load_mnist(mnist_dir)
        except (MnistError, IdxError) as err:
            raise DatasetError(str(err)) from err
        pair = (x_test, y_test) if split == "test" else (x_train, y_train)
        return Dataset(f"MNIST {split}", *pair)
    if name == "usps":
        return Dataset(f"USPS {split}", *load_usps(split, usps_dir))
    if split != "test":
        raise DatasetError(f"{name} has no {split} split: it is for measuring only")
    if name == "styles":
        # Imported here, not above: training may read USPS' training split through this
        # module, and must never have the code that makes the styles test in its process.
        from digit_recognizer.evaluation.styles import build_styles  # noqa: PLC0415

        built = build_styles(seed)
        return Dataset(f"styles (seed {seed})", built.images, built.labels, built.styles)
    if name == "nondigits":
        # Here too, for the same reason: training must never have these drawings' code.
        from digit_recognizer.evaluation.nondigits import build_nondigits  # noqa: PLC0415

        drawn = build_nondigits(seed)
        return Dataset(f"non-digits (seed {seed})", drawn.images, None, drawn.families)
    return Dataset(str(name), *load_folder(name))


# -- USPS -------------------------------------------------------------------------------------


def find_usps(usps_dir: str | os.PathLike | None = None) -> Path:
    """The USPS folder: ``usps_dir``, else $USPS_DIR, else ../shared/data/usps beside the
    repository. Raises DatasetError if it does not exist."""
    folder = Path(usps_dir or os.environ.get("USPS_DIR") or USPS_DEFAULT).expanduser()
    if not folder.is_dir():
        raise DatasetError(f"USPS folder {folder} does not exist; pass --usps-dir or set USPS_DIR "
                           "to the folder holding zip.train.gz and zip.test.gz")
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


# -- folders ----------------------------------------------------------------------------------


def load_folder(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """An IDX pair in ``folder``, or else its per-label image folders: images and labels."""
    path = Path(folder)
    if not path.exists():
        raise DatasetError(f"unknown dataset {str(folder)!r}: use {', '.join(DATASETS)} or the "
                           "path of a folder")
    if not path.is_dir():
        raise DatasetError(f"{path} is not a folder; give a folder holding an IDX pair or "
                           "subfolders 0 to 9 of images")
    try:
        if find_idx_pair(path) is not None:
            pair = read_idx_pair(path)
            return pair.images, pair.labels
    except TeachingError as err:
        raise DatasetError(str(err)) from err
    return load_image_folder(path)


def load_image_folder(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Images in subfolders named by their digit (0/, 1/, ... 9/), each through the app's
    preprocessing (``load_image`` + ``canvas_to_mnist``). Raises DatasetError naming a
    subfolder that is not a digit, an unreadable or blank image, or a folder with no images."""
    folder = Path(folder)
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    for sub in subfolders:
        if sub.name not in CLASS_NAMES:
            raise DatasetError(f"{sub}: {sub.name!r} is not a digit label; name each subfolder "
                               "0 to 9 after the digit its images show")
    if not subfolders:
        raise DatasetError(f"{folder}: holds neither an IDX pair (*-images-idx3-ubyte with "
                           "*-labels-idx1-ubyte) nor subfolders 0 to 9 of images")
    try:
        files = find_labelled_images(folder)
    except CommandError as err:
        raise DatasetError(str(err)) from err
    images = np.empty((len(files), 28, 28), np.uint8)
    for i, (path, _) in enumerate(files):
        try:
            images[i] = canvas_to_mnist_uint8(load_image(path))
        except (ImageError, EmptyDrawingError) as err:  # unreadable, blank or a mere dot
            reason = str(err) if str(path) in str(err) else f"{path}: {err}"
            raise DatasetError(reason) from err
    return images, np.array([label for _, label in files], np.uint8)
