"""Semeion's handwritten digits, from Italy, as MNIST-like images: ``load_semeion()``.

    images, labels = load_semeion()   # 1,593 digits: uint8 (N, 28, 28), ink high; (N,)

The 16×16 scans are read and verified by ``core.datasets.semeion``; each is taken as it is,
stretch included (people draw wide digits too), padded with paper and brought to MNIST's
convention by the app's own preprocessing, as USPS is (``training.data.usps.usps_paper``).

It is for measuring only, never for training or for choosing a model: its records are ordered
by class, not by writer, so no split keeps a writer on one side. It lives in the evaluation
layer, which training never imports (tests/test_layers.py). Problems raise ``DatasetError``
with one sentence.
"""

from __future__ import annotations

import os

import numpy as np

from digit_recognizer.core.datasets.semeion import load_semeion_grids
from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist_uint8
from digit_recognizer.training.data.usps import usps_paper

__all__ = ["load_semeion", "semeion_paper", "semeion_to_mnist"]


def load_semeion(semeion_dir: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Semeion's digits as MNIST-like uint8 (N, 28, 28) images and uint8 (N,) labels."""
    grids, labels = load_semeion_grids(semeion_dir)
    return np.stack([semeion_to_mnist(grid) for grid in grids]), labels


def semeion_to_mnist(grid: np.ndarray) -> np.ndarray:
    """One 16×16 Semeion digit (255 ink) -> uint8 (28, 28), ink high, as USPS is converted."""
    return canvas_to_mnist_uint8(semeion_paper(grid))


def semeion_paper(grid: np.ndarray) -> np.ndarray:
    """One Semeion digit as the app's canvas holds a drawing: uint8, ink 0 on paper 255, with
    USPS' margin of paper (both scans reach the edges of their 16×16 box)."""
    return usps_paper(grid.astype(np.float32) / 127.5 - 1)
