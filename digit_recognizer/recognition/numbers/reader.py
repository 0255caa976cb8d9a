"""The network's reading of pieces, in one call for many: ``Reader``.

Deciding where a number's digits are means reading many candidates (a piece whole, cut in two,
joined to its neighbour); each candidate is read once, and all that one step needs go through
the network together, so a number costs a few calls to the network, not one per candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from digit_recognizer.core.confidence import flag_not_a_digit
from digit_recognizer.recognition.numbers.pieces import Piece, to_mnist
from digit_recognizer.recognition.pen_paths import stroke_points
from digit_recognizer.recognition.preprocess.errors import DrawingTooSmallError, EmptyDrawingError
from digit_recognizer.recognition.preprocess.written import strokes_to_mnist
from digit_recognizer.recognition.stroke_model import mixed

__all__ = ["Reader", "Reading", "ReadPaths"]

Predict = Callable[[np.ndarray], np.ndarray]  # (N, 28, 28) in [0, 1] -> (N, 10)
# N digits' strokes (each a list of (K, 2) arrays) -> (N, 10): the stroke model's reading
ReadPaths = Callable[[list[list[np.ndarray]]], np.ndarray]


@dataclass(frozen=True)
class Reading:
    """What the network makes of a piece: its ten probabilities and the 28×28 input read."""

    probabilities: np.ndarray
    input: np.ndarray
    not_a_digit: bool

    @property
    def digit(self) -> int:
        return int(self.probabilities.argmax())

    @property
    def confidence(self) -> float:
        return float(self.probabilities.max())


class Reader:
    """Reads pieces with ``predict``; ``threshold``: the model's not-a-digit threshold.

    Where digits are is decided by pictures alone (``read``, ``confidence``): the stroke
    model learnt single digits and is no judge of two digits' strokes taken as one. The digits
    found are then read (``final``) with ``read_paths`` too, where given: a piece drawn from
    strokes as its picture, re-drawn from the strokes as written, and its path mixed
    (``stroke_model.mixed``); a piece cut out of ink (no strokes of its own) by its picture.
    """

    def __init__(self, predict: Predict, threshold: float | None,
                 read_paths: ReadPaths | None = None) -> None:
        self.predict = predict
        self.threshold = threshold
        self.read_paths = read_paths
        self.too_small: set[Piece] = set()  # ink that may be a digit, too small for its pen
        self._known: dict[Piece, Reading | None] = {}

    def read(self, pieces: Sequence[Piece]) -> list[Reading | None]:
        """Each piece's reading; None for one the preprocessing refuses (a dot, a speck, a
        digit too small for its pen)."""
        new = [p for p in dict.fromkeys(pieces) if p not in self._known]
        inputs, readable = [], []
        for piece in new:
            try:
                inputs.append(to_mnist(piece))
                readable.append(piece)
            except DrawingTooSmallError:
                self.too_small.add(piece)
                self._known[piece] = None
            except EmptyDrawingError:
                self._known[piece] = None
        if inputs:
            batch = np.stack(inputs)
            for piece, mnist, p in zip(readable, batch, self.predict(batch)):
                self._known[piece] = self._reading(p, mnist)
        return [self._known[p] for p in pieces]

    def final(self, pieces: Sequence[Piece]) -> list[Reading | None]:
        """The digits found, each read as the answer gives it: ``read``; with ``read_paths``,
        a piece drawn from strokes is read from them, its picture re-drawn as written
        (``preprocess.written``) and mixed with its path (the class docstring)."""
        readings = self.read(pieces)
        if self.read_paths is None:
            return readings
        stroked, pictures, strokes = [], [], []
        for i, (piece, reading) in enumerate(zip(pieces, readings)):
            if not piece.strokes or reading is None:
                continue
            points = stroke_points(piece.strokes)
            try:
                pictures.append(strokes_to_mnist(points))
            except EmptyDrawingError:  # too little ink to re-draw: read as drawn
                continue
            stroked.append(i)
            strokes.append(points)
        if not stroked:
            return readings
        batch = np.stack(pictures)
        for i, picture, probabilities, path in zip(stroked, batch, self.predict(batch),
                                                   self.read_paths(strokes)):
            readings[i] = self._reading(mixed(probabilities, path), picture)
        return readings

    def _reading(self, probabilities: np.ndarray, mnist: np.ndarray) -> Reading:
        flagged = bool(flag_not_a_digit(float(probabilities.max()), self.threshold))
        return Reading(probabilities, mnist, flagged)

    def confidence(self, piece: Piece) -> float:
        """How sure the network is of ``piece`` as a digit: 0 when it cannot be read or is
        not a digit. Reads it first if needed."""
        reading = self.read([piece])[0]
        return 0.0 if reading is None or reading.not_a_digit else reading.confidence
