"""Labelled digits to measure the models on: ``load_dataset(name)`` -> Dataset, MNIST-like.

    load_dataset("mnist")                 # MNIST's 10,000 test digits
    load_dataset("usps")                  # USPS' 2,007 test digits (split="train": 7,291)
    load_dataset("semeion")               # Semeion's 1,593 digits from Italy (semeion.py)
    load_dataset("unipen")                # the pen data's validation writers, drawn as written
    load_dataset("styles")                # writing styles MNIST under-represents (styles.py)
    load_dataset("nondigits")             # drawings that are no digit (nondigits.py)
    load_dataset("my-digits/")            # an IDX pair, or subfolders 0/ ... 9/ of images
    validation_dataset([config, ...])     # the digits the models' training runs held out
    stretched_to_square(dataset)          # each digit made to fill a square, as forms store them
    scanned_forms(dataset)                # ... in a 16×16 box in black and white, as Semeion's
    redrawn(dataset)                      # each digit drawn again with the app's round brush

Every set comes as uint8 (N, 28, 28) images, ink high, the way MNIST is and the models expect
(the digit's box fitted in 20×20, its centre of mass at the middle of 28×28), with (N,) labels;
the non-digit set has no labels (None), only each drawing's family. A name that is not one of
the five is a folder's path (write ``./usps`` for a folder of that name). Problems raise
:class:`DatasetError` with one sentence.

USPS is brought to MNIST's convention by ``training.data.usps`` (calibration reads its training
split too, and training never imports this module). Its test split only measures: the
conversion was checked on the training split alone. Every set is found and verified by
``core.datasets``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from digit_recognizer.core.datasets.errors import DatasetError
from digit_recognizer.core.datasets.idx_folder import find_idx_pair, read_idx_pair
from digit_recognizer.core.datasets.image_folder import CLASS_NAMES, find_labelled_images
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.datasets.unipen import load_unipen, writer_split
from digit_recognizer.core.idx import IdxError
from digit_recognizer.evaluation.nondigits import build_nondigits
from digit_recognizer.evaluation.semeion import load_semeion
from digit_recognizer.evaluation.styles import build_styles
from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist_uint8
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError, ImageError
from digit_recognizer.recognition.preprocess.images import load_image
from digit_recognizer.training.calibration import shared_held_out
from digit_recognizer.training.data.pen_drawing import pen_images
from digit_recognizer.training.data.usps import load_usps
from digit_recognizer.training.data.variants import reshape_width, restroke

__all__ = [
    "DATASETS",
    "SPLITS",
    "Dataset",
    "load_dataset",
    "load_folder",
    "load_image_folder",
    "pen_validation_writers",
    "redrawn",
    "scanned_forms",
    "stretched_to_square",
    "validation_dataset",
]

DATASETS = ("mnist", "usps", "semeion", "unipen", "styles", "nondigits", "validation")
SPLITS = ("test", "train")


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
    grouped_by: str = "style"  # what ``styles`` names: a digit's style, or its writer's site

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
        return Dataset(self.name, self.images[:count], labels, styles, self.grouped_by)


def load_dataset(name: str, *, split: str = "test", mnist_dir: str | os.PathLike | None = None,
                 usps_dir: str | os.PathLike | None = None,
                 semeion_dir: str | os.PathLike | None = None,
                 unipen_dir: str | os.PathLike | None = None, seed: int = 0) -> Dataset:
    """'mnist', 'usps', 'semeion', 'unipen', 'styles' or 'nondigits', or the path of a folder
    (see the module's docstring).

    ``split`` ('test' or 'train') picks MNIST's or USPS' part; Semeion, the styles and
    non-digit sets and folders have none. ``seed`` draws the styles and non-digit sets.
    Raises DatasetError.
    """
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}: use test or train")
    if name == "mnist":
        (x_train, y_train), (x_test, y_test) = load_mnist(mnist_dir)
        pair = (x_test, y_test) if split == "test" else (x_train, y_train)
        return Dataset(f"MNIST {split}", *pair)
    if name == "usps":
        return Dataset(f"USPS {split}", *load_usps(split, usps_dir))
    if split != "test":
        raise DatasetError(f"{name} has no {split} split: it is for measuring only")
    if name == "semeion":
        return Dataset("Semeion", *load_semeion(semeion_dir))
    if name == "unipen":
        return pen_validation_writers(unipen_dir)
    if name == "validation":  # which digits depends on the models: their runs held them out
        # For callers of this function; the command reads them with validation_dataset.
        raise DatasetError("the validation digits are the models' own, drawn again from their "
                           "metadata: score them with 'evaluate --dataset validation'")
    if name == "styles":
        built = build_styles(seed)
        return Dataset(f"styles (seed {seed})", built.images, built.labels, built.styles)
    if name == "nondigits":
        drawn = build_nondigits(seed)
        return Dataset(f"non-digits (seed {seed})", drawn.images, None, drawn.families)
    return Dataset(str(name), *load_folder(name))


def validation_dataset(configs: list[dict], mnist_dir: str | os.PathLike | None = None,
                       usps_dir: str | os.PathLike | None = None,
                       unipen_dir: str | os.PathLike | None = None) -> Dataset:
    """The digits that the training runs ``configs`` (from the models' metadata) held out for
    validation: what a new model is chosen on, since no test split may choose it.

    Raises DatasetError when a model records no run, or when the runs held out different digits.
    """
    if not configs or not all(configs):
        raise DatasetError("a model to score records no training run (its .json has no "
                           "'config'), so its validation digits are unknown; give models "
                           "trained by 'python -m digit_recognizer train'")
    try:
        x_val, y_val = shared_held_out(configs, mnist_dir, usps_dir, unipen_dir=unipen_dir)
    except ValueError as err:
        raise DatasetError(f"{err}; score the models one at a time with --model") from err
    except IdxError as err:
        raise DatasetError(str(err)) from err
    return Dataset(f"validation (seed {configs[0].get('seed', 0)})", x_val, y_val)


def pen_validation_writers(unipen_dir: str | os.PathLike | None = None) -> Dataset:
    """The pen data's validation writers' digits (``unipen.writer_split``: whole writers that
    no model trained on), each drawn once as written with the window's default brush and
    preprocessed as the app does; grouped by the writer's site."""
    pen = load_unipen(unipen_dir)
    held = writer_split(pen)[1]
    images, labels = pen_images(pen.subset(held), 1, None)
    writers = len(set(pen.writers[held]))
    return Dataset(f"pen data, {writers} validation writers", images, labels, pen.sites[held],
                   "site")


def stretched_to_square(data: Dataset) -> Dataset:
    """``data`` with each digit stretched to fill a square (at most 4× as wide), as scanned forms
    such as Semeion store digits: how a model reads a 1 as wide as it is tall."""
    return _each_digit(data, partial(reshape_width, filled=1.0), "stretched to a square")


def scanned_forms(data: Dataset) -> Dataset:
    """``data`` with each digit stretched into a 16×16 box in black and white, as Semeion's
    scanner stored digits (``variants.scanned_form``): where a stretched 1 loses its stroke."""
    return _each_digit(data, partial(reshape_width, filled=1.0, scanned=1.0), "as scanned forms")


def redrawn(data: Dataset) -> Dataset:
    """``data`` with each digit drawn again along its centre line with the app's round brush
    and preprocessed back (``variants.restroke``): how a model reads digits drawn on the
    canvas, measured on digits no test split holds."""
    return _each_digit(data, restroke, "re-drawn")


def _each_digit(data: Dataset, change, what: str) -> Dataset:
    """``data`` with ``change(image, rng)`` made of each image, named ``what``; ``rng`` starts
    from one seed every time (it draws thresholds and brushes), so every model gets one set."""
    rng = np.random.default_rng(0)
    images = np.stack([change(image, rng) for image in data.images])
    return Dataset(f"{data.name}, {what}", images, data.labels, data.styles, data.grouped_by)


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
    if find_idx_pair(path) is not None:
        pair = read_idx_pair(path)
        return pair.images, pair.labels
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
    files = find_labelled_images(folder)
    images = np.empty((len(files), 28, 28), np.uint8)
    for i, (path, _) in enumerate(files):
        try:
            images[i] = canvas_to_mnist_uint8(load_image(path))
        except (ImageError, EmptyDrawingError) as err:  # unreadable, blank or a mere dot
            reason = str(err) if str(path) in str(err) else f"{path}: {err}"
            raise DatasetError(reason) from err
    return images, np.array([label for _, label in files], np.uint8)
