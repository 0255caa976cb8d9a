"""Dots: which small marks are dots, and which dots are decimal points (``point_gaps``).

A dot is a click of the pen: small beside the digits, about as wide as tall, and filled. One
that sits on the baseline between two digits is a decimal point ("3.14"); any other dot (above
the line, before the first digit, after the last) is a stray mark and is ignored. A dot is
never read as a digit: the network was never shown one, and would call it a 0 or a 1.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from digit_recognizer.recognition.numbers.pieces import Piece
from digit_recognizer.recognition.preprocess.ink import INK_LEVEL

__all__ = ["is_dot", "point_gaps"]

DOT_SIZE = 0.45  # a dot's longer side is at most this many digit heights ...
ROUND = 0.5  # ... its shorter side at least this share of its longer ...
FILLED = 0.5  # ... and ink covers at least this share of its box (a small 0 has a hole)
CLICK = 1.3  # ... or its longer side is at most this many times the widest disc in it
BASELINE = 0.25  # a decimal point's bottom lies this close to its neighbours', in heights


def is_dot(piece: Piece, height: float) -> bool:
    """Whether ``piece`` is a dot in a row of digits ``height`` px tall: small beside them,
    or, whatever the digits (a row of dots alone), hardly larger than the pen that made it."""
    x, y, w, h = piece.box
    if min(w, h) < ROUND * max(w, h):
        return False
    crop = piece.ink[y - piece.top:y - piece.top + h, x - piece.left:x - piece.left + w]
    mask = (crop >= INK_LEVEL).view(np.uint8)
    if float(mask.mean()) < FILLED:
        return False
    if max(w, h) <= DOT_SIZE * height:
        return True
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    pen = 2 * float(cv2.distanceTransform(padded, cv2.DIST_L2, 3).max())  # widest disc
    return max(w, h) <= CLICK * pen


def point_gaps(digits: Sequence[Piece], dots: Sequence[Piece], height: float) -> set[int]:
    """The gaps between ``digits`` (``i``: between digit ``i`` and ``i + 1``, left to right)
    that hold a decimal point: one of ``dots`` on the baseline between them."""
    gaps = set()
    centres = np.array([d.centre[0] for d in digits])
    for dot in dots:
        x, y = dot.centre
        i = int(np.searchsorted(centres, x)) - 1
        if i < 0 or i + 1 >= len(digits):
            continue  # before the first digit or after the last
        left, right = digits[i], digits[i + 1]
        baseline = (left.bottom + right.bottom) / 2
        middle = (left.centre[1] + right.centre[1]) / 2
        if abs(dot.bottom - baseline) <= BASELINE * height and y > middle:
            gaps.add(i)
    return gaps
