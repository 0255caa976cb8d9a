"""The labelled digits a run holds out, mixes in and is scored on, besides MNIST itself.

    (x_fit, y_fit), (x_val, y_val) = split_validation(x, y, VALIDATION_SIZE, seed)
    x_extra, y_extra = load_extra_data("~/.local/share/digit-recognizer/corrections")

``train`` holds out the validation split, and ``calibration`` draws the same one again from
the run's seed; ``fine-tune`` reads its corrections with ``load_extra_data`` as ``train
--extra-data`` does.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from digit_recognizer.core.idx_folder import read_idx_pair
from digit_recognizer.core.scoring import score_probabilities, to_model_input

__all__ = ["VALIDATION_SIZE", "evaluate_arrays", "load_extra_data", "split_validation"]

VALIDATION_SIZE = 5000


def split_validation(x: np.ndarray, y: np.ndarray, size: int, seed: int):
    """Hold out ``size`` random training images for every training decision."""
    order = np.random.default_rng(seed).permutation(len(x))
    size = min(size, max(1, len(x) // 10))
    val, train = order[:size], order[size:]
    return (x[train], y[train]), (x[val], y[val])


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
