"""A candidate digit of a number, as ink alone: ``Piece``, and what can be done with pieces.

A piece holds its own ink, cropped, so that pieces may overlap on the paper (two digits whose
strokes cross, drawn from strokes) and still be read apart. Pieces are joined (a fragment and
its neighbour) by taking the stronger ink of the two, and cut (two touching digits) along a
seam: one column per row of the crop. Coordinates are the working image's pixels; ``reading``
maps them back to the caller's image.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from digit_recognizer.core.strokes import Stroke, render_strokes
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError
from digit_recognizer.recognition.preprocess.ink import (
    INK_LEVEL,
    ink_components,
    ink_map,
    select_ink,
)
from digit_recognizer.recognition.preprocess.mnist_recipe import digit_to_mnist

__all__ = ["Piece", "Box", "join", "between", "to_mnist", "ink_box", "drawn"]

MARGIN = 2  # px of paper around strokes drawn alone

Box = tuple[int, int, int, int]  # (x, y, w, h)


@dataclass(frozen=True, eq=False)  # each piece is itself: pieces key dictionaries
class Piece:
    """Ink that may be one digit: a float32 crop in [0, 1] (ink high) with an empty rim,
    its corner (``left``, ``top``) and the box of its ink, in the working image."""

    ink: np.ndarray
    left: int
    top: int
    box: Box
    components: int = 1  # pieces of ink it was made of: more than one can be told apart
    strokes: tuple[Stroke, ...] = ()  # the pen's strokes that drew it, in the order written
    breaks: tuple[int, ...] = ()  # strokes[i] for i in breaks may have begun another digit

    @property
    def right(self) -> int:
        return self.box[0] + self.box[2]

    @property
    def bottom(self) -> int:
        return self.box[1] + self.box[3]

    @property
    def centre(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return x + w / 2, y + h / 2


def ink_box(ink: np.ndarray) -> Box | None:
    """The box of the pixels of ``ink`` that are ink (at least half covered), or None."""
    mask = (ink >= INK_LEVEL).view(np.uint8)
    x, y, w, h = cv2.boundingRect(mask)
    return (x, y, w, h) if w and h else None


def _cropped(ink: np.ndarray, left: int, top: int, components: int) -> Piece | None:
    """``ink`` (at ``left``, ``top``) cropped to its ink with a 1-px rim; None if no ink."""
    box = ink_box(ink)
    if box is None:
        return None
    x, y, w, h = box
    x0, y0 = max(x - 1, 0), max(y - 1, 0)
    crop = ink[y0:y + h + 1, x0:x + w + 1]
    return Piece(np.ascontiguousarray(crop), left + x0, top + y0,
                 (left + x, top + y, w, h), components)


def join(a: Piece, b: Piece) -> Piece:
    """One piece holding the ink of both."""
    left, top = min(a.left, b.left), min(a.top, b.top)
    right = max(a.left + a.ink.shape[1], b.left + b.ink.shape[1])
    bottom = max(a.top + a.ink.shape[0], b.top + b.ink.shape[0])
    ink = np.zeros((bottom - top, right - left), np.float32)
    for piece in (a, b):
        y, x = piece.top - top, piece.left - left
        region = ink[y:y + piece.ink.shape[0], x:x + piece.ink.shape[1]]
        np.maximum(region, piece.ink, out=region)
    joined = _cropped(ink, left, top, a.components + b.components)
    assert joined is not None  # both had ink
    breaks = (*a.breaks, len(a.strokes), *(len(a.strokes) + i for i in b.breaks))
    return dataclasses.replace(joined, strokes=a.strokes + b.strokes,
                               breaks=breaks if a.strokes and b.strokes else ())


def between(piece: Piece, left: np.ndarray | None, right: np.ndarray | None) -> Piece | None:
    """The ink of ``piece`` between two seams (for each row of its crop, a column: the ink
    from ``left``'s column up to, not including, ``right``'s; None: the crop's edge), or None
    where there is none."""
    columns = np.arange(piece.ink.shape[1])[None, :]
    keep = np.ones(piece.ink.shape, bool)
    if left is not None:
        keep &= columns >= left[:, None]
    if right is not None:
        keep &= columns < right[:, None]
    return _cropped(np.where(keep, piece.ink, np.float32(0)), piece.left, piece.top, 1)


def to_mnist(piece: Piece) -> np.ndarray:
    """The piece as the network reads a digit: float32 (28, 28). Raises EmptyDrawingError
    (a dot, a speck) or DrawingTooSmallError (ink too small for its pen to read)."""
    return digit_to_mnist(piece.ink, piece.box)


def drawn(strokes: Sequence[Stroke], breaks: tuple[int, ...] = ()) -> Piece | None:
    """``strokes`` drawn alone as the window draws them, read as a drawing of one digit
    (specks left out as ``canvas_to_mnist`` leaves them): a piece, or None if too faint.
    ``breaks``: the strokes that may have begun another digit."""
    points = np.concatenate([np.asarray(s.points, np.float64).reshape(-1, 2) for s in strokes])
    reach = max(s.width for s in strokes) / 2 + MARGIN
    left, top = np.floor(points.min(axis=0) - reach).astype(int)
    right, bottom = np.ceil(points.max(axis=0) + reach).astype(int)
    moved = [Stroke(s.width, [(x - left, y - top) for x, y in s.points]) for s in strokes]
    paper = np.asarray(render_strokes(moved, (int(bottom - top) + 1, int(right - left) + 1)))
    try:
        ink = ink_map(paper)
        crop, box = select_ink(ink, *ink_components(ink))
    except EmptyDrawingError:
        return None  # a stroke too thin to leave ink
    x, y, w, h = box
    return Piece(crop, left + max(x - 1, 0), top + max(y - 1, 0), (left + x, top + y, w, h),
                 len(strokes), tuple(strokes), breaks)
