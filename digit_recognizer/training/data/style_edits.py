"""Edits that give MNIST digits the writing styles MNIST lacks: ``edit_digit(image, label, rng)``.

MNIST's writers were American; much of the world writes a 1 with a long flag, crosses its 7s,
slashes its 0s, and writes the top bar of a 5 as a stroke of its own. Each edit draws on the
digit's own 28×28 image, in its own stroke width, and keeps the class plain to a person:

- 0: a slash through the oval, corner to corner, past its edge (Ø);
- 1: a flag from the top down to the left, and sometimes a base (continental 1);
- 7: a short bar across the middle of the stem;
- 5: the top bar lifted off the body, so it stands as a separate stroke.

The styles *test* set (``styles``) is written as stroke paths by hand, in a module training
never imports; these edits are raster operations on MNIST digits, so the test measures whether
the network learned the style, not whether it learned one generator. They draw onto the MNIST
bitmap (ink high, its own pen) with OpenCV: ``strokes.render_strokes`` draws whole drawings.
"""

from __future__ import annotations

import cv2
import numpy as np

from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist_uint8
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError

__all__ = ["EDITED_CLASSES", "edit_digit"]

PAD = 8  # px of room around the 28×28 digit, so an edit may reach past the digit's edge
SHIFT = 4  # OpenCV's sub-pixel drawing: coordinates in 1/16 px


def edit_digit(image: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray | None:
    """``image`` (uint8 (28, 28), ink high) in a style MNIST lacks, re-fitted to MNIST's frame.

    Returns uint8 (28, 28), or None for a class without an edit or a digit the edit cannot
    place (too faint, too small).
    """
    edit = EDITS.get(int(label))
    if edit is None:
        return None
    padded = cv2.copyMakeBorder(image, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=0)
    ink = padded > 96
    if ink.sum() < 10:
        return None
    pen = max(1, int(round(_stroke_width(ink))))
    edit(padded, ink, pen, rng)
    try:
        return canvas_to_mnist_uint8(padded)
    except EmptyDrawingError:
        return None


def _stroke_width(ink: np.ndarray) -> float:
    """The pen's width: twice the median distance to the background along the centre line."""
    inside = cv2.distanceTransform(ink.view(np.uint8), cv2.DIST_L2, 3)
    ridge = inside[(inside >= cv2.dilate(inside, np.ones((3, 3), np.uint8))) & (inside > 0)]
    return 2 * float(np.median(ridge)) if ridge.size else 2.0


def _line(image: np.ndarray, start, end, pen: int) -> None:
    a = tuple(int(round(v * 16)) for v in start)
    b = tuple(int(round(v * 16)) for v in end)
    cv2.line(image, a, b, 255, pen, cv2.LINE_AA, shift=SHIFT)


def _box(ink: np.ndarray) -> tuple[int, int, int, int]:
    x, y, w, h = cv2.boundingRect(ink.view(np.uint8))
    return x, y, w, h


def slash_zero(image: np.ndarray, ink: np.ndarray, pen: int, rng: np.random.Generator) -> None:
    x, y, w, h = _box(ink)
    reach = rng.uniform(0.03, 0.15)  # past the oval's edge, as a share of its size
    lean = rng.uniform(-0.15, 0.15) * w
    start = (x - reach * w + lean, y + h * (1 + reach))
    end = (x + w * (1 + reach) - lean, y - reach * h)
    _line(image, start, end, pen)


def flag_one(image: np.ndarray, ink: np.ndarray, pen: int, rng: np.random.Generator) -> None:
    x, y, w, h = _box(ink)
    top_x = float(np.mean(np.nonzero(ink[y])[0]))
    length = rng.uniform(0.25, 0.45) * h
    angle = np.radians(rng.uniform(25, 60))  # below the horizontal, towards the left
    _line(image, (top_x, y), (top_x - length * np.cos(angle), y + length * np.sin(angle)), pen)
    if rng.random() < 0.35:
        bottom = y + h - 1
        foot_x = float(np.mean(np.nonzero(ink[bottom])[0]))
        half = rng.uniform(0.2, 0.35) * h
        _line(image, (foot_x - half, bottom), (foot_x + half, bottom), pen)


def cross_seven(image: np.ndarray, ink: np.ndarray, pen: int, rng: np.random.Generator) -> None:
    x, y, w, h = _box(ink)
    row = y + int(round(rng.uniform(0.45, 0.6) * h))
    columns = np.nonzero(ink[row])[0]
    if columns.size == 0:
        return
    centre = float(columns.mean())
    half = max(3.0, rng.uniform(0.25, 0.4) * w)
    tilt = rng.uniform(-0.1, 0.1) * half
    _line(image, (centre - half, row + tilt), (centre + half, row - tilt), pen)


def lift_five_bar(image: np.ndarray, ink: np.ndarray, pen: int,
                  rng: np.random.Generator) -> None:
    """Move the top band of the 5 (its bar) up and right, leaving a gap above the body."""
    x, y, w, h = _box(ink)
    band = max(2, int(round(0.2 * h)))
    gap = int(rng.integers(2, 4))
    bar = image[y:y + band].copy()
    image[y:y + band] = 0
    shifted = np.roll(bar, int(rng.integers(0, 3)), axis=1)
    image[y - gap:y - gap + band] = np.maximum(image[y - gap:y - gap + band], shifted)


EDITS = {0: slash_zero, 1: flag_one, 7: cross_seven, 5: lift_five_bar}
EDITED_CLASSES = tuple(sorted(EDITS))
