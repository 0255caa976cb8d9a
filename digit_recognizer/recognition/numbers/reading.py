"""A drawing of numbers -> what is written, digit by digit: ``read_number``.

The steps, row by row (``pages`` finds the rows and their pieces, from the image's ink or from
the strokes): dots are set aside (``decimal_point``), fragments join the neighbour they belong
to (``fragments``), touching digits are cut apart (``touching``), every piece left is read,
and the gaps between digits say where a decimal point or a space stands (``layout``). The
network is asked a few times per row, each time about every candidate of that step at once
(``reader``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from digit_recognizer.core.results import NumberRecognition, Recognition
from digit_recognizer.core.strokes import Stroke
from digit_recognizer.recognition.numbers.decimal_point import is_dot, point_gaps
from digit_recognizer.recognition.numbers.fragments import is_fragment, merge_fragments
from digit_recognizer.recognition.numbers.layout import row_height, space_gaps
from digit_recognizer.recognition.numbers.pages import Page, image_page, stroke_page
from digit_recognizer.recognition.numbers.pieces import Box, Piece
from digit_recognizer.recognition.numbers.reader import Predict, Reader, ReadPaths
from digit_recognizer.recognition.numbers.touching import split_touching
from digit_recognizer.recognition.preprocess.errors import DrawingTooSmallError, EmptyDrawingError
from digit_recognizer.recognition.preprocess.images import ImageLike, grey_image

__all__ = ["read_number", "POINT", "SPACE", "NEW_ROW"]

POINT, SPACE, NEW_ROW = ".", " ", "\n"  # what may stand between two digits in the text
UNREAD = 0.1  # each probability of a part too small for its pen to read: none stands out


@dataclass(frozen=True)
class _Row:
    """A row read: its digits left to right, what stands between them, and the pieces that
    are flagged whatever the network says (too wide to be one digit, and no cut found)."""

    digits: list[Piece]
    separators: list[str]
    flagged: set[Piece]


def read_number(image: ImageLike, predict: Predict, threshold: float | None,
                strokes: Sequence[Stroke] | None = None,
                read_paths: ReadPaths | None = None) -> NumberRecognition:
    """The numbers written in ``image``, row by row; with ``strokes`` (the pen's strokes, in
    the order written, in ``image``'s pixels) their strokes decide which ink is which digit,
    and ``read_paths`` (the stroke model), where given, reads each digit's strokes too.

    ``predict``: (N, 28, 28) in [0, 1] -> (N, 10) probabilities; ``threshold``: the not-a-digit
    threshold (None: never flagged). Raises EmptyDrawingError when no digit is found (its
    subclass DrawingTooSmallError when only digits too small for their pen are), ImageError
    when the image is unusable.
    """
    _, size = grey_image(image)
    page = image_page(image) if strokes is None else stroke_page(size, strokes)
    reader = Reader(predict, threshold, read_paths if strokes is not None else None)
    rows = [row for row in (_read_row(pieces, reader) for pieces in page.rows) if row.digits]
    if not any(reading is not None for row in rows for reading in reader.read(row.digits)):
        if reader.too_small:
            raise DrawingTooSmallError()
        raise EmptyDrawingError("no digit found: the drawing holds only dots or specks")
    digits, separators = [], []
    for row in rows:
        if digits:
            separators.append(NEW_ROW)
        separators += row.separators
        for piece, reading in zip(row.digits, reader.final(row.digits)):
            box = _image_box(piece.box, page)
            if reading is None:  # too small for its pen to read: said, not dropped
                digits.append(Recognition(0, UNREAD, np.full(10, UNREAD, np.float32),
                                          np.zeros((28, 28), np.float32), box, True))
                continue
            digits.append(Recognition(reading.digit, reading.confidence, reading.probabilities,
                                      reading.input, box,
                                      reading.not_a_digit or piece in row.flagged))
    return NumberRecognition(digits, tuple(separators))


def _read_row(pieces: list[Piece], reader: Reader) -> _Row:
    height = row_height(pieces)
    dots = [p for p in pieces if is_dot(p, height)]
    rest = [p for p in pieces if p not in dots]
    if not rest:
        return _Row([], [], set())
    height = row_height(rest)
    whole = [p for p in rest if not is_fragment(p, height)] or rest
    baseline = float(np.median([p.bottom for p in whole]))
    rest = merge_fragments(rest, height, baseline, reader)
    rest, flagged = split_touching(rest, height, reader)
    digits = [p for p, reading in zip(rest, reader.read(rest))
              if reading is not None or p in reader.too_small]
    points = point_gaps(digits, dots, height)
    spaces = space_gaps(digits, height, points)
    separators = [POINT if i in points else SPACE if i in spaces else ""
                  for i in range(len(digits) - 1)]
    return _Row(digits, separators, flagged)


def _image_box(box: Box, page: Page) -> Box:
    """A box in the working image -> the caller's image, within its bounds."""
    (shape_h, shape_w), (size_h, size_w) = page.shape, page.size
    sx, sy = size_w / shape_w, size_h / shape_h
    x, y, w, h = box
    left, top = min(max(int(x * sx), 0), size_w - 1), min(max(int(y * sy), 0), size_h - 1)
    right = min(max(int(np.ceil((x + w) * sx)), left + 1), size_w)
    bottom = min(max(int(np.ceil((y + h) * sy)), top + 1), size_h)
    return left, top, right - left, bottom - top

