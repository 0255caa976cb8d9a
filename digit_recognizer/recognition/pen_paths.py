"""A digit's strokes -> the path the stroke model reads: ``pen_path(strokes)``.

On paper a Z-shaped 7 and a 2, or a 4 written as an L and a bar, can look alike; the pen's path
tells them apart: where it started, which way it went, where it was lifted. The window knows
every stroke, and the pen data holds the same for each digit, so a second network reads the
path (``stroke_model``) beside the one that reads the picture.

The path is resampled to ``POINTS`` points evenly spaced along the ink, shared between the
strokes by their lengths, so that neither the tablet's nor the mouse's sampling rate matters.
It is scaled by the digit's own box (the longer side to 1, centred), so neither the size nor the
place on the paper does. Each point holds x, y, the pen's direction there (cos, sin) and 1
where a stroke begins. The layout (POINTS, 1, CHANNELS) is an image one pixel wide, which the
ONNX copy runs through OpenCV as the picture models run.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from digit_recognizer.core.strokes import Stroke
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError

__all__ = ["POINTS", "CHANNELS", "INPUT_SHAPE", "pen_path", "pen_paths", "stroke_points"]

POINTS = 64  # along the whole digit: enough for the loops of an 8, few enough to read fast
CHANNELS = 5  # x, y, cos and sin of the pen's direction, 1 where a stroke begins
INPUT_SHAPE = (POINTS, 1, CHANNELS)
MIN_POINTS = 2  # per stroke, so that even a dot keeps its place and its start mark


def stroke_points(strokes: Sequence[Stroke]) -> list[np.ndarray]:
    """The window's strokes as the pen data holds them: one float (K, 2) array each."""
    return [np.asarray(s.points, np.float64).reshape(-1, 2) for s in strokes]


def pen_path(strokes: Sequence[np.ndarray]) -> np.ndarray:
    """One digit's strokes (each a (K, 2) array of x, y, y down, in any units) -> float32
    ``INPUT_SHAPE``. Raises EmptyDrawingError when there is no point."""
    strokes = [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes]
    strokes = [s for s in strokes if len(s)]
    if not strokes:
        raise EmptyDrawingError("no stroke to read")
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = max(float((high - low).max()), 1e-9)
    strokes = [(s - (low + high) / 2) / scale for s in strokes]
    lengths = np.array([_length(s) for s in strokes])
    parts = [_resampled(s, n) for s, n in zip(strokes, _shares(lengths))]
    return np.concatenate(parts)[:POINTS, None, :].astype(np.float32)


def pen_paths(digits: Sequence[Sequence[np.ndarray]]) -> np.ndarray:
    """Each digit's ``pen_path``: float32 (N, *INPUT_SHAPE)."""
    if not digits:
        return np.zeros((0, *INPUT_SHAPE), np.float32)
    return np.stack([pen_path(strokes) for strokes in digits])


def _length(stroke: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(stroke, axis=0), axis=1).sum())


def _shares(lengths: np.ndarray) -> list[int]:
    """POINTS shared between strokes by length, at least MIN_POINTS each (a digit of more
    than POINTS / MIN_POINTS strokes keeps its first ones)."""
    total = float(lengths.sum())
    wanted = lengths / total * POINTS if total > 0 else np.full(len(lengths), POINTS / len(lengths))
    counts = np.maximum(MIN_POINTS, np.round(wanted).astype(int))
    while counts.sum() > POINTS and counts.max() > MIN_POINTS:
        counts[int(np.argmax(counts))] -= 1
    while counts.sum() < POINTS:
        counts[int(np.argmax(lengths))] += 1
    return counts.tolist()


def _resampled(stroke: np.ndarray, count: int) -> np.ndarray:
    """``count`` points evenly spaced along ``stroke``, each (x, y, cos, sin, begins)."""
    along = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(stroke, axis=0), axis=1))]
    if along[-1] > 0:
        at = np.linspace(0.0, along[-1], count)
        xy = np.stack([np.interp(at, along, stroke[:, 0]), np.interp(at, along, stroke[:, 1])], 1)
        step = np.gradient(xy, axis=0)
        norm = np.linalg.norm(step, axis=1, keepdims=True)
        direction = np.divide(step, norm, out=np.zeros_like(step), where=norm > 1e-12)
    else:  # a dot: one place, no direction
        xy, direction = np.repeat(stroke[:1], count, axis=0), np.zeros((count, 2))
    begins = np.zeros((count, 1))
    begins[0] = 1.0
    return np.concatenate([xy, direction, begins], axis=1)
