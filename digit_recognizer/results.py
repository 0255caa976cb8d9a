"""What recognizing returns, and the error a model that cannot be used raises.

The window, the model process and the commands all share these; this module imports only
NumPy, so any of them can import it at the top.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ModelError", "Recognition", "NumberRecognition"]


class ModelError(Exception):
    """A model file is missing, unreadable, unsafe or incompatible; the message says which."""


@dataclass(frozen=True)
class Recognition:
    """One recognised digit: the answer, the ten probabilities and the 28×28 input used."""

    digit: int
    confidence: float
    probabilities: np.ndarray  # (10,) float32, sums to 1
    input: np.ndarray  # (28, 28) float32 in [0, 1], ink high: what the network saw
    box: tuple[int, int, int, int] | None = None  # (x, y, w, h) in the image, number mode only

    @classmethod
    def from_probabilities(
        cls, probabilities: np.ndarray, mnist: np.ndarray, box: tuple | None = None
    ) -> Recognition:
        digit = int(np.argmax(probabilities))
        return cls(digit, float(probabilities[digit]), probabilities, mnist, box)


@dataclass(frozen=True)
class NumberRecognition:
    """Several digits side by side, left to right."""

    digits: list[Recognition]

    @property
    def text(self) -> str:
        """The number as written, e.g. ``"42"``."""
        return "".join(str(d.digit) for d in self.digits)

    @property
    def confidence(self) -> float:
        """Product of the digits' confidences: how sure the model is that every digit is right."""
        return float(np.prod([d.confidence for d in self.digits]))
