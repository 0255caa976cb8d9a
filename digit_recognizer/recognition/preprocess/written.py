"""A digit's strokes -> the picture the network reads, drawn as written: ``strokes_to_mnist``.

A digit in a number is written small, and the window's pen is the same for small digits as for
big ones: at 75–115 px tall, an 18 px pen covers a fifth of the digit, and the picture models
misread such thick digits more often (of the numbers benchmark's 1,000 numbers, both models
averaged read every digit right from its picture as drawn in 91.3%, and re-drawn in 95.3%).
Where the strokes are known, a digit is re-drawn from them as the pen data's validation digits
are drawn, on which the models were chosen: its longer side ``WRITTEN_SHARE`` of the window's
default paper, centred, with the default pen.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from digit_recognizer.core.strokes import DEFAULT_PEN, PAPER_SIDE, Stroke, render_strokes
from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist

__all__ = ["WRITTEN_SHARE", "place_strokes", "draw_paths", "drawn_as_written",
           "strokes_to_mnist"]

WRITTEN_SHARE = 0.6  # a digit's longer side, as a share of the paper, when drawn as written


def place_strokes(strokes: Sequence[np.ndarray], size: float, centre: tuple[float, float]
                  ) -> list[np.ndarray]:
    """``strokes`` scaled so that the longer side of their box is ``size`` px, centred there."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = size / max(1e-6, float((high - low).max()))
    middle = (low + high) / 2
    return [(s - middle) * scale + np.asarray(centre, np.float32) for s in strokes]


def draw_paths(paths: Sequence[np.ndarray], pen: float, size: int | tuple[int, int]
               ) -> np.ndarray:
    """Pen paths ((K, 2) arrays in pixels) drawn with a ``pen`` px brush on a paper of
    ``size`` (``strokes.render_strokes``): uint8, dark ink on white."""
    return np.asarray(render_strokes([Stroke(pen, [tuple(p) for p in s]) for s in paths], size))


def drawn_as_written(strokes: Sequence[np.ndarray], side: int = PAPER_SIDE) -> np.ndarray:
    """One digit's strokes ((K, 2) arrays, any units) on a ``side``-px paper, as written:
    uint8, dark ink on white."""
    placed = place_strokes(strokes, WRITTEN_SHARE * side, (side / 2, side / 2))
    pen = DEFAULT_PEN * side / PAPER_SIDE  # pen widths are in pixels of the default paper
    return draw_paths(placed, pen, side)


def strokes_to_mnist(strokes: Sequence[np.ndarray]) -> np.ndarray:
    """One digit's strokes, drawn as written -> float32 (28, 28), as ``canvas_to_mnist``
    (whose errors it raises: a dot is no digit)."""
    return canvas_to_mnist(drawn_as_written(strokes))
