"""What recognizing returns, and the error a model that cannot be used raises.

The window, the model process and the commands all share these; this module imports only
NumPy, so any of them can import it at the top. Whether an answer is "not a digit" follows the
one confidence policy, ``confidence``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digit_recognizer.core.confidence import flag_not_a_digit

__all__ = [
    "ModelError",
    "Recognition",
    "NumberRecognition",
    "NOT_A_DIGIT",
    "NOT_A_DIGIT_MARK",
]

NOT_A_DIGIT = "That doesn't look like a digit"  # what the window and the commands say
NOT_A_DIGIT_MARK = "?"  # a part of a number that is not a digit, in the number's text


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
    # True when the model's best guess is too weak to name a digit: the drawing is something
    # else. ``digit`` and ``confidence`` then still hold that best guess.
    not_a_digit: bool = False

    @classmethod
    def from_probabilities(
        cls,
        probabilities: np.ndarray,
        mnist: np.ndarray,
        box: tuple | None = None,
        threshold: float | None = None,
    ) -> Recognition:
        """The answer for ``probabilities``; flagged as not a digit when the highest of them is
        below ``threshold`` (None: never flagged)."""
        digit = int(np.argmax(probabilities))
        confidence = float(probabilities[digit])
        flagged = bool(flag_not_a_digit(confidence, threshold))
        return cls(digit, confidence, probabilities, mnist, box, flagged)


@dataclass(frozen=True)
class NumberRecognition:
    """Numbers as written: their digits, row by row and left to right, each with its box.

    ``separators[i]`` is what stands between digit ``i`` and digit ``i + 1``: nothing, "." (a
    decimal point), " " (a space between two numbers) or a new row ("\\n").
    """

    digits: list[Recognition]
    separators: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The numbers as written, e.g. ``"42"``, ``"3.14"`` or ``"2026 317"``, rows on lines
        of their own; a part that is not a digit is ``NOT_A_DIGIT_MARK``."""
        marks = [NOT_A_DIGIT_MARK if d.not_a_digit else str(d.digit) for d in self.digits]
        between = [*self.separators, *[""] * (len(marks) - 1 - len(self.separators))]
        return "".join(mark + sep for mark, sep in zip(marks, [*between, ""]))

    @property
    def confidence(self) -> float:
        """Product of the digits' confidences: how sure the model is that every digit is right."""
        return float(np.prod([d.confidence for d in self.digits]))
