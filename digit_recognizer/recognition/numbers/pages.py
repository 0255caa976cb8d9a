"""A drawing of numbers -> its candidate digits in rows: ``image_page`` and ``stroke_page``.

From an image, the pieces are its ink's connected components, sorted into rows; in a row,
components that overlap side by side are one digit (a 4 or 5 drawn in two strokes, a 7's
crossbar), as ``segment`` groups them. From strokes, each group of strokes that
``stroke_groups`` finds is drawn alone with the one rasteriser (``strokes.render_strokes``), so
that digits whose ink overlaps on the paper are still apart. Either way each piece is read
by the same preprocessing as a single digit: a lone digit reads as it does on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from digit_recognizer.core.strokes import Stroke
from digit_recognizer.recognition.numbers.layout import rows_of
from digit_recognizer.recognition.numbers.pieces import Piece, drawn
from digit_recognizer.recognition.numbers.stroke_groups import group_strokes
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError, ImageError
from digit_recognizer.recognition.preprocess.images import MAX_SIDE, ImageLike, grey_image
from digit_recognizer.recognition.preprocess.ink import INK_LEVEL, ink_map, select_ink
from digit_recognizer.recognition.preprocess.segment import group_by_overlap

__all__ = ["Page", "image_page", "stroke_page", "MAX_PIECES"]

MAX_PIECES = 400  # separate marks read at most: more is noise or texture, not a number
SPECK = 0.06  # ink smaller than this share of the tallest ink is a speck of dust, not a mark


@dataclass(frozen=True)
class Page:
    """Candidate digits in rows (top to bottom, each left to right), in the working image's
    pixels, and how those map to the caller's image: ``shape`` -> ``size``, both (H, W)."""

    rows: list[list[Piece]]
    shape: tuple[int, int]
    size: tuple[int, int]


def image_page(image: ImageLike) -> Page:
    """The pieces of an image of numbers. Raises EmptyDrawingError when it holds no ink,
    ImageError when it is unusable."""
    grey, size = grey_image(image)
    ink = ink_map(grey)
    _, mask = cv2.threshold(ink, 255 * INK_LEVEL, 1, cv2.THRESH_BINARY)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8,
                                                                ltype=cv2.CV_32S)
    if count <= 1:
        raise EmptyDrawingError("no digit found: the image has no ink")
    sides = stats[1:, [cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT]].max(axis=1)
    ids = np.flatnonzero(sides >= SPECK * stats[1:, cv2.CC_STAT_HEIGHT].max()) + 1
    if len(ids) > MAX_PIECES:
        raise ImageError(f"the image holds {len(ids)} separate marks: too many to read as "
                         "numbers (is it a photo of a page, or noise?)")
    boxes = [tuple(int(v) for v in stats[i, :4]) for i in ids]
    rows = []
    for row in rows_of(boxes):
        pieces = []
        for group in group_by_overlap(stats, ids[row]):
            crop, box = select_ink(ink, labels, stats, group)
            pieces.append(Piece(crop, max(box[0] - 1, 0), max(box[1] - 1, 0), box, len(group)))
        rows.append(pieces)
    return Page(rows, grey.shape[:2], size)


def stroke_page(size: tuple[int, int], strokes: Sequence[Stroke]) -> Page:
    """The pieces of ``strokes`` written on an image of ``size`` (H, W): one per group of
    strokes, and one per small mark. Raises EmptyDrawingError when nothing is drawn,
    ImageError when a stroke's points or width are not finite numbers."""
    drawn_strokes = [s for s in strokes if len(s.points)]
    if not drawn_strokes:
        raise EmptyDrawingError("no digit found: nothing is drawn")
    points = [np.asarray(s.points, np.float64).reshape(-1, 2) for s in drawn_strokes]
    widths = np.array([s.width for s in drawn_strokes], np.float64)
    if not (all(np.isfinite(p).all() for p in points) and np.isfinite(widths).all()
            and (widths > 0).all()):
        raise ImageError("a stroke's points and width must be finite numbers, its width "
                         "above 0")
    # Strokes wholly off the paper (beyond another paper's size around it) are not read.
    near = [((p >= -np.array(size[::-1])) & (p <= 2 * np.array(size[::-1]))).all(axis=1).any()
            for p in points]
    drawn_strokes = [s for s, on in zip(drawn_strokes, near) if on]
    if not drawn_strokes:
        raise EmptyDrawingError("no digit found: every stroke lies off the paper")
    points = np.concatenate([p for p, on in zip(points, near) if on])
    widths = np.array([s.width for s in drawn_strokes], np.float64)
    # Processed at most MAX_SIDE large, as images are; strokes beyond the image count too.
    extent = max(*size, *(np.abs(points).max(axis=0) + widths.max()))
    factor = min(1.0, MAX_SIDE / extent)
    shape = (max(1, round(size[0] * factor)), max(1, round(size[1] * factor)))
    scaled = [Stroke(s.width * factor, [(x * factor, y * factor) for x, y in s.points])
              for s in drawn_strokes]
    groups = group_strokes(scaled)
    pieces = []
    for group in [*groups.digits, *([i] for i in groups.marks)]:
        breaks = tuple(k for k, i in enumerate(group) if i in groups.doubtful)
        piece = drawn([scaled[i] for i in group], breaks)
        if piece is not None:
            pieces.append(piece)
    if not pieces:
        raise EmptyDrawingError("no digit found: nothing is drawn")
    rows = [[pieces[i] for i in row] for row in rows_of([p.box for p in pieces])]
    return Page(rows, shape, size)
