"""A 1 touching its neighbour, told by its shape: ``stem_cut``.

A 1 that touches the digit beside it makes a piece barely wider than that digit, which the
network reads surely as that digit alone (16 as a 6, 41 as a 4): neither wide nor unsure, it
is no suspect for ``touching``'s cuts, and confidence alone cannot tell it from a digit whose
side is straight. The shape can: a 1 is a straight, near-vertical stroke as tall as the piece,
at its left or right edge, joined to the rest by little ink. Where such a stem is found, it is
cut off along the seam of least ink beside it, and the cut is kept only if the stem reads
surely as a 1 and the rest surely as the digit the whole was read as: the stem changed
nothing about that digit, so it was no part of it (a 9's or a 4's own stem leaves a 0 or a
broken 4, read as another digit or unsurely).

The thresholds were chosen on numbers written by the pen data's training writers
(``evaluation.pen_numbers``), never on the validation writers the benchmark reads; only
``TALL`` was raised from 0.75 when the check that lone validation digits still read as in digit
mode found a 6 with a straight back cut at 0.75 (the training writers' 1s that cuts set apart
were all at least 0.93 of their piece's height).
"""

from __future__ import annotations

import cv2
import numpy as np

from digit_recognizer.recognition.numbers.cuts import edge_seams
from digit_recognizer.recognition.numbers.pieces import Piece, between
from digit_recognizer.recognition.numbers.reader import Reader
from digit_recognizer.recognition.preprocess.ink import INK_LEVEL
from digit_recognizer.recognition.preprocess.mnist_recipe import stroke_width

__all__ = ["stem_cut"]

NARROWEST = 0.45  # a piece narrower than this many digit heights holds no 1 and a digit
TALL = 0.85  # the stem is at least this share of the piece's height: a 1 as tall as its
REST = 0.75  # neighbour, which is itself at least this share: a whole digit, not a bowl ...
THINNEST, SLIM = 0.8, 1.25  # ... as thick as the pen, across its own direction ...
UPRIGHT = 0.45  # ... leaning at most this much sideways per unit of height (about 24°) ...
STRAIGHT = 0.2  # ... its rows' middles at most this many pens off one line
JOINT = 2.5  # the seam crosses at most this many pens of ink: the 1 only touches
SURE_ONE = 0.9  # the stem reads as a 1 at least this surely ...
SURE_REST = 0.9  # ... and the rest as the whole's digit at least this surely


def stem_cut(piece: Piece, height: float, reader: Reader) -> tuple[Piece, ...]:
    """``piece`` cut into a 1 and the digit it touches, in order, if it holds a 1's stem at
    an edge that changed nothing about the digit read; else ``piece`` alone."""
    if piece.strokes or piece.box[2] < NARROWEST * height:
        return (piece,)
    whole = reader.read([piece])[0]
    # a 1 left a 1 by cutting off its stem is a 1 with a flag or a foot as often as 11
    if whole is None or whole.not_a_digit or whole.digit == 1:
        return (piece,)
    mask = (piece.ink >= INK_LEVEL).view(np.uint8)
    pen = max(stroke_width(mask), 1.0)
    for side, seam in edge_seams(piece, height):
        stem, rest = ((between(piece, None, seam), between(piece, seam, None)) if side == "left"
                      else (between(piece, seam, None), between(piece, None, seam)))
        # both are whole digits, each about as tall as the piece: a 6's straight back cut off
        # leaves its bowl, too short
        if (stem is None or rest is None or rest.box[3] < REST * piece.box[3]
                or not _is_stem(stem, piece, pen)):
            continue
        if _joint(piece.ink, seam) > JOINT * pen:
            continue
        one, other = reader.read([stem, rest])
        if (one is None or other is None or one.not_a_digit or other.not_a_digit
                or one.digit != 1 or one.confidence < SURE_ONE
                or other.digit != whole.digit or other.confidence < SURE_REST):
            continue
        return (stem, rest) if side == "left" else (rest, stem)
    return (piece,)


def _is_stem(stem: Piece, piece: Piece, pen: float) -> bool:
    """Whether ``stem``'s ink is one straight, near-vertical stroke of one pen as tall as
    ``piece``: the middles of its rows lie on a line that leans little, and it is as thick as
    the pen (a sliver of a digit's side is thinner, a piece of its curve thicker)."""
    if stem.box[3] < TALL * piece.box[3]:
        return False
    inked = stem.ink >= INK_LEVEL
    rows = np.flatnonzero(inked.any(axis=1))
    middles = np.array([np.flatnonzero(inked[r]).mean() for r in rows])
    lean, offset = np.polyfit(rows, middles, 1)
    if abs(lean) > UPRIGHT:
        return False
    if float(np.abs(middles - (lean * rows + offset)).max()) > STRAIGHT * pen:
        return False
    # a band's pixels lie on average a quarter of its width from its middle line
    ys, xs = np.nonzero(inked)
    points = np.stack([xs, ys], axis=1).astype(np.float32)
    vx, vy, x0, y0 = cv2.fitLine(points, cv2.DIST_L2, 0, 0.01, 0.01).ravel()
    thickness = 4 * float(np.abs((points[:, 0] - x0) * vy - (points[:, 1] - y0) * vx).mean())
    return THINNEST * pen <= thickness <= SLIM * pen


def _joint(ink: np.ndarray, seam: np.ndarray) -> float:
    """How much ink ``seam`` crosses: the inked pixels on it."""
    rows = np.arange(ink.shape[0])
    cols = np.clip(seam, 0, ink.shape[1] - 1)
    return float((ink[rows, cols] >= INK_LEVEL).sum())
