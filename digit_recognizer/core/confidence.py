"""How sure a model's probabilities are: one policy for the window, the commands and teaching.

Three questions get their answers here, and nowhere else:

- **Is it a digit at all?** A model trained with outlier exposure records, in its metadata under
  ``THRESHOLD_KEY``, the top probability below which a drawing is "not a digit"
  (``flag_not_a_digit``); ``calibrate`` chooses it on validation digits.
- **Is the model sure of the digit?** Only when the top probability is at least
  ``LOW_CONFIDENCE`` and the runner-up trails by ``CLOSE_CALL`` or more (``is_sure``); otherwise
  the window says "not sure: 4 or 9?".
- **Did the model misread a correction?** Fine-tuning gives extra copies to a correction whose
  top answer is another digit, or the right one below ``MISREAD_BELOW`` (``misread``). It is
  looser than ``LOW_CONFIDENCE`` on purpose: a correction read at 55% is taught, not fought.
- **Is a correction worth a question first?** When the model reads another digit at
  ``ASK_BEFORE_TEACHING`` or more (``contradicts``), a mis-click is the likelier story.

This module imports only NumPy.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "THRESHOLD_KEY",
    "LOW_CONFIDENCE",
    "CLOSE_CALL",
    "NO_CLOSEST",
    "MISREAD_BELOW",
    "valid_threshold",
    "flag_not_a_digit",
    "top_two",
    "is_sure",
    "misread",
    "ASK_BEFORE_TEACHING",
    "contradicts",
]

# The key in a model's metadata JSON (and the ensemble's) under which training records the
# threshold below which the highest probability means "not a digit".
THRESHOLD_KEY = "not_a_digit_threshold"
LOW_CONFIDENCE = 0.6  # below this the model is not sure...
CLOSE_CALL = 0.2  # ...and also when the runner-up is within this of the winner
NO_CLOSEST = 0.2  # a top probability under this, on a non-digit, singles out no digit
MISREAD_BELOW = 0.5  # a correction read right but below this still counts as misread
ASK_BEFORE_TEACHING = 0.99  # teaching against an answer this sure asks first


def valid_threshold(value: object) -> float | None:
    """``value`` as a threshold for :func:`flag_not_a_digit`, or None if it is not one.

    Only a number strictly between 0 and 1 is one: at 0 nothing is ever flagged and at 1
    nearly everything is, so either is a mistake in the metadata, not a choice.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0.0 < value < 1.0 else None  # NaN fails both comparisons


def flag_not_a_digit(confidence: float | np.ndarray, threshold: float | None) -> np.ndarray:
    """True where the highest probability ``confidence`` is below ``threshold``.

    Works on one confidence or an array of them; with no threshold nothing is flagged.
    """
    confidence = np.asarray(confidence)
    if threshold is None:
        return np.zeros(confidence.shape, bool)
    return confidence < threshold


def top_two(probabilities: np.ndarray) -> tuple[int, int]:
    """The most and the second most probable digits."""
    second, first = np.argsort(probabilities)[-2:]
    return int(first), int(second)


def is_sure(probabilities: np.ndarray) -> bool:
    """Whether the top digit is both likely enough and clear of the runner-up."""
    first, second = top_two(probabilities)
    top, runner_up = float(probabilities[first]), float(probabilities[second])
    return top >= LOW_CONFIDENCE and top - runner_up >= CLOSE_CALL


def misread(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """True for each row of ``probabilities`` (n, 10) that fine-tuning counts as misread."""
    return (probabilities.argmax(axis=1) != labels) | (probabilities.max(axis=1) < MISREAD_BELOW)


def contradicts(probabilities: np.ndarray, digit: int) -> bool:
    """Whether teaching ``digit`` goes against another digit read at ``ASK_BEFORE_TEACHING``
    or more: one wrong click would teach the model something it is all but certain is false."""
    probabilities = np.asarray(probabilities)
    if probabilities.shape != (10,):
        raise ValueError(f"expected 10 probabilities, got shape {probabilities.shape}")
    top = int(np.argmax(probabilities))
    return top != digit and float(probabilities[top]) >= ASK_BEFORE_TEACHING
