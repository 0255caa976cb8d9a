"""USPS' handwritten digits as MNIST-like images: ``load_usps(split, usps_dir)``.

    images, labels = load_usps("train")   # 7,291 digits: uint8 (N, 28, 28), ink high; (N,)
    images, labels = load_usps("test")    # 2,007 digits, for measuring only

The 16×16 scans are read and verified by ``core.datasets.usps``; each digit is padded with
paper and brought to MNIST's convention by the app's own ``preprocess.canvas_to_mnist``.
Calibration reads the training split (``calibration``); ``evaluate --dataset usps`` measures
on the test split (``evaluation.datasets``). Problems raise ``DatasetError`` with one sentence.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from digit_recognizer.core.datasets.usps import load_usps_grids
from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist_uint8

__all__ = ["load_usps", "usps_paper", "usps_to_mnist"]

PAD = 2  # px of paper around a USPS digit, whose ink reaches its 16×16 edge: the border is paper


def load_usps(split: str = "test", usps_dir: str | os.PathLike | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """USPS' ``split`` as MNIST-like uint8 (N, 28, 28) images and uint8 (N,) labels.

    The file's decompressed content must match the SHA-256 its README publishes. Raises
    DatasetError when the file is missing, corrupt or not USPS.
    """
    grids, labels = load_usps_grids(split, usps_dir)
    images = np.stack([usps_to_mnist(grid) for grid in grids])
    return images, labels


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
