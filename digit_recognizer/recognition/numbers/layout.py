"""Where the pieces of a page stand: rows top to bottom, how tall a row's digits are, and
which gaps in a row are spaces between two numbers.

A row is found from its digit-sized ink: the middle halves of those pieces overlap from one
digit to the next along a line, even when the line slopes a little or a digit sits high, while
two rows written one under the other keep them apart. Small pieces (dots, fragments) join the
row nearest them. A space is a gap clearly wider than the gaps between the row's digits, and
wide for the digits' size: people leave about a digit's width between two numbers.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from digit_recognizer.recognition.numbers.pieces import Box, Piece

__all__ = ["rows_of", "row_height", "space_gaps", "TALL"]

TALL = 0.45  # pieces at least this share of the tallest one are digit-sized: they make rows
CORE = 0.25  # the middle of a digit, its top and bottom quarter left out, marks its row
SPACE_MIN = 0.55  # a space is at least this many digit heights wide ...
SPACE_RATIO = 2.2  # ... and this many times the row's usual gap between digits
USUAL_GAP = 0.1  # gaps narrower than this many digit heights count as this wide
SPACE_ALONE = 1.2  # between two digits alone, a space is at least this many heights wide


def rows_of(boxes: Sequence[Box]) -> list[list[int]]:
    """The indices of ``boxes`` sorted into rows, top to bottom, each from left to right."""
    if not boxes:
        return []
    tallest = max(h for _, _, _, h in boxes)
    bands: list[list[float]] = []
    for _, y, _, h in sorted((b for b in boxes if b[3] >= TALL * tallest),
                             key=lambda b: b[1] + CORE * b[3]):
        top, bottom = y + CORE * h, y + h - CORE * h
        if bands and top <= bands[-1][1]:
            bands[-1][1] = max(bands[-1][1], bottom)
        else:
            bands.append([top, bottom])
    rows: list[list[int]] = [[] for _ in bands]
    for index, (_, y, _, h) in enumerate(boxes):
        middle = y + h / 2
        distance = [max(top - middle, middle - bottom, 0) for top, bottom in bands]
        rows[int(np.argmin(distance))].append(index)
    return [sorted(row, key=lambda i: (boxes[i][0], boxes[i][1])) for row in rows]


def row_height(pieces: Sequence[Piece]) -> float:
    """How tall the row's digits are: the median height of its digit-sized pieces."""
    tallest = max(p.box[3] for p in pieces)
    return float(np.median([p.box[3] for p in pieces if p.box[3] >= TALL * tallest]))


def space_gaps(digits: Sequence[Piece], height: float, skip: set[int]) -> set[int]:
    """The gaps (``i``: between digit ``i`` and ``i + 1``) that are spaces; ``skip``: gaps
    that hold something else (a decimal point)."""
    gaps = {i: digits[i + 1].box[0] - digits[i].right for i in range(len(digits) - 1)
            if i not in skip}
    spaces = set()
    for i, gap in gaps.items():
        others = [max(g, 0) for j, g in gaps.items() if j != i]
        if not others:  # nothing to compare with: only a wide gap is a space
            if gap >= SPACE_ALONE * height:
                spaces.add(i)
            continue
        usual = max(float(np.median(others)), USUAL_GAP * height)
        if gap >= SPACE_MIN * height and gap >= SPACE_RATIO * usual:
            spaces.add(i)
    return spaces
