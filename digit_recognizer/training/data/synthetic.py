"""Drawings made from MNIST digits the way people draw on the app's canvas:
``render_drawn_digit(digit, rng)``.

For the tests, the benchmarks and the notebook, which need many realistic drawings with known
labels: each test digit is re-drawn larger or smaller, turned a little, anywhere on the canvas,
with a round brush of its own width. The app never uses this module; it reads what people draw.
It re-strokes the digit's bitmap: there are no pen paths to give ``strokes.render_strokes``.

    from digit_recognizer.training.data.synthetic import render_drawn_digit
    canvas = render_drawn_digit(x_test[0], np.random.default_rng(0))  # uint8, DRAWING_SIDE square
"""

from __future__ import annotations

import cv2
import numpy as np

from digit_recognizer.core.strokes import DRAWING_SIDE
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError

__all__ = ["render_drawn_digit"]


def render_drawn_digit(
    digit: np.ndarray, rng: np.random.Generator, canvas: int = DRAWING_SIDE
) -> np.ndarray:
    """Draw MNIST ``digit`` (uint8 (28, 28), ink high) as a person does on the app's canvas.

    Returns uint8 (canvas, canvas): white background, black anti-aliased ink. The digit is
    rotated by up to ±10°, ~25–90 % of the canvas tall, at a random position, re-stroked along
    its centre line with a round brush 8–30 px wide (at most ~22 % of the digit's height, as a
    wider brush fills a small digit's loops in and no one can read it). Where the MNIST pen
    filled a loop in, the blob stays.
    """
    height = rng.uniform(0.25, 0.9) * canvas
    brush = rng.uniform(8, max(8.0, min(30.0, 0.22 * height)))
    angle = rng.uniform(-10, 10)
    shape, (x, y) = _place(digit, rng, canvas, height, brush, angle)
    ink = _restroke(shape, brush)
    drawing = np.full((canvas, canvas), 255, np.uint8)
    h, w = ink.shape
    drawing[y : y + h, x : x + w] = np.round(255 * (1 - ink))
    return drawing


def _restroke(shape: np.ndarray, brush: float) -> np.ndarray:
    """Ink [0, 1] of binary ``shape`` re-drawn with a round brush ``brush`` px wide.

    The shape's edge moves by the difference between the brush's and the shape's typical
    half-width (a signed distance offset, which keeps blobs and filled loops); where that thins
    the strokes, the brush is also run along the centre line (the distance transform's ridge,
    with slack so that tapering strokes keep a connected ridge), so no thin part vanishes.
    Edges get a 1-px anti-aliasing ramp.
    """
    inside = cv2.distanceTransform(shape, cv2.DIST_L2, cv2.DIST_MASK_5)
    ridge = inside >= cv2.dilate(inside, np.ones((3, 3), np.uint8)) - 0.5
    typical = float(np.median(inside[ridge & (inside > 0)]))
    offset = brush / 2 - (typical - 0.5)
    if offset >= 0:
        outside = cv2.distanceTransform(1 - shape, cv2.DIST_L2, cv2.DIST_MASK_5)
        return np.clip(inside - outside + offset, 0, 1)
    ridge &= inside >= 0.5 * typical  # drop the short spurs toward corners
    distance = cv2.distanceTransform((~ridge).view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_5)
    return np.maximum(np.clip(brush / 2 + 0.5 - distance, 0, 1), np.clip(inside + offset, 0, 1))


def _place(digit: np.ndarray, rng, canvas: int, height: float, brush: float, angle: float):
    """Scale and rotate ``digit`` to its size on the canvas and pick a random position for it.

    Returns its smooth binary shape (uint8 0/1) in a region that leaves room for the brush,
    and the region's top-left corner (x, y) on the canvas.
    """
    x, y, w, h = cv2.boundingRect((np.asarray(digit) > 0).view(np.uint8))
    if w == 0:
        raise EmptyDrawingError("the MNIST digit to render is blank")
    turn = np.deg2rad(angle)
    cos, sin = abs(np.cos(turn)), abs(np.sin(turn))
    span_x, span_y = w * cos + h * sin, w * sin + h * cos
    room = canvas - brush - 4  # the brush's edge must stay on the canvas too
    scale = min(height / h, room / span_x, room / span_y)
    region = (int(np.ceil(scale * span_x + brush + 2)), int(np.ceil(scale * span_y + brush + 2)))
    matrix = cv2.getRotationMatrix2D((x + w / 2, y + h / 2), angle, scale)
    matrix[:, 2] += np.subtract(np.divide(region, 2), (x + w / 2, y + h / 2))
    placed = cv2.warpAffine(np.asarray(digit, np.uint8), matrix, region, flags=cv2.INTER_LINEAR)
    # Blur away the facets of the enlarged 28-px grid, or the centre line would zigzag.
    placed = cv2.GaussianBlur(placed, (0, 0), sigmaX=max(0.5, scale / 3))
    # A low cut keeps MNIST's faint thin parts joined (the brush re-draws the width anyway).
    shape = (placed >= min(80, int(placed.max()) // 2 + 1)).view(np.uint8)
    if not shape.any():
        raise EmptyDrawingError("the MNIST digit to render is too faint to draw")
    corner = (int(rng.integers(0, canvas - region[0] + 1)),
              int(rng.integers(0, canvas - region[1] + 1)))
    return shape, corner
