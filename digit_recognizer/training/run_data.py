"""The labelled digits a run holds out, mixes in and is scored on, besides MNIST itself.

    x, y = labelled_digits(load_mnist(mnist_dir)[0], usps_train=True, written=0.25, seed=0)
    (x_fit, y_fit), (x_val, y_val) = split_validation(x, y, VALIDATION_SIZE, seed)
    x_val, y_val = held_out_split(read_metadata("models/digit_model1.h5")["config"])
    x_extra, y_extra = load_extra_data("~/.local/share/digit-recognizer/corrections")

``train`` gathers its digits with ``labelled_digits`` and holds out the validation split;
``calibration`` draws the same split again from the configuration a model's metadata records
(``held_out_split``), so that a threshold is chosen on digits the model never trained on;
``fine-tune`` reads its corrections with ``load_extra_data`` as ``train --extra-data`` does.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from digit_recognizer.core.datasets.idx_folder import read_idx_pair
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.datasets.unipen import PenDigits, load_unipen, writer_split
from digit_recognizer.core.scoring import score_probabilities, to_model_input
from digit_recognizer.training.data.pen_drawing import pen_images
from digit_recognizer.training.data.usps import load_usps
from digit_recognizer.training.data.variants import make_written

__all__ = ["VALIDATION_SIZE", "evaluate_arrays", "held_out_split", "labelled_digits",
           "load_extra_data", "pen_held_out", "pen_split", "split_validation"]

VALIDATION_SIZE = 5000


def split_validation(x: np.ndarray, y: np.ndarray, size: int, seed: int):
    """Hold out ``size`` random training images for every training decision."""
    order = np.random.default_rng(seed).permutation(len(x))
    size = min(size, max(1, len(x) // 10))
    val, train = order[:size], order[size:]
    return (x[train], y[train]), (x[val], y[val])


def labelled_digits(mnist_train: tuple[np.ndarray, np.ndarray], *, limit: int | None = None,
                    usps_train: bool = False, usps_dir: str | os.PathLike | None = None,
                    extra_data: str | os.PathLike | None = None, written: float = 0.0,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Every labelled digit a run splits into training and validation: ``mnist_train``, MNIST's
    training pair as ``load_mnist`` reads it (its first ``limit``), then USPS' training split,
    the ``extra_data`` folder's pair and ``written`` times as many digits from the writer as
    MNIST gives, as asked.

    uint8 (N, 28, 28) images and uint8 (N,) labels; the same arguments give the same digits.
    """
    x, y = mnist_train
    if limit:
        x, y = x[:limit], y[:limit]
    parts = [(x, y)]
    if usps_train:
        parts.append(load_usps("train", usps_dir))
    if extra_data:
        parts.append(load_extra_data(extra_data))
    if written:
        parts.append(make_written(round(written * len(x)), seed))
    return (np.concatenate([x for x, _ in parts]),
            np.concatenate([y for _, y in parts]).astype(np.uint8))


def held_out_split(config: dict, mnist_dir: str | os.PathLike | None = None,
                   usps_dir: str | os.PathLike | None = None, *, pen: bool = True,
                   unipen_dir: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The validation digits and labels of the run that ``config`` (a model's recorded
    ``TrainConfig``) describes: the digits it never trained on, the pen data's validation
    writers' last (``pen_held_out``) unless ``pen`` is False.

    ``mnist_dir``, ``usps_dir`` and ``unipen_dir``, when given, stand in for the folders the
    run named.
    """
    x, y = labelled_digits(load_mnist(mnist_dir or config.get("data_dir"))[0],
                           limit=config.get("limit"),
                           usps_train=config.get("usps_train", False),
                           usps_dir=usps_dir or config.get("usps_dir"),
                           extra_data=config.get("extra_data"),
                           written=config.get("written", 0.0), seed=config.get("seed", 0))
    x_val, y_val = split_validation(x, y, VALIDATION_SIZE, config.get("seed", 0))[1]
    pen_val = pen_held_out(config, unipen_dir) if pen else None
    if pen_val is None:
        return x_val, y_val
    return np.concatenate([x_val, pen_val[0]]), np.concatenate([y_val, pen_val[1]])


def pen_held_out(config: dict, unipen_dir: str | os.PathLike | None = None
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """The pen data's validation writers' digits, drawn as written, when the run that
    ``config`` describes trained on the pen data (read from ``unipen_dir``, else the folder
    the run named); else None."""
    if not config.get("pen"):
        return None
    return pen_split(load_unipen(unipen_dir or config.get("unipen_dir")), 0, 0)[1]


def pen_split(pen: PenDigits, count: int, seed: int
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """About ``count`` drawings of the pen data's training writers' digits, varied
    (``pen_drawing.pen_images``), and the validation writers' digits drawn once as written:
    each as uint8 images and labels. No writer is on both sides (``writer_split``).
    """
    train, validation = writer_split(pen)
    fit = (pen_images(pen.subset(train), count / len(train), seed) if count
           else (np.empty((0, 28, 28), np.uint8), np.empty(0, np.uint8)))
    return fit, pen_images(pen.subset(validation), 1, None)


def load_extra_data(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read the IDX pair in ``folder`` (e.g. the app's saved corrections): uint8 images, labels.

    A pair cut short by an interrupted save is read at the shorter length, with a note on
    stderr. Raises ``IdxFolderError`` (see ``idx_folder.read_idx_pair``).
    """
    extra = read_idx_pair(folder)
    if extra.note:
        print(f"note: {folder}: {extra.note}", file=sys.stderr)
    return extra.images, extra.labels


def evaluate_arrays(model, x_test: np.ndarray, y_test: np.ndarray) -> dict:
    """Score a Keras model on a labelled set of uint8 (N, 28, 28) images."""
    probabilities = model.predict(to_model_input(x_test), batch_size=500, verbose=0)
    return score_probabilities(probabilities, y_test)
