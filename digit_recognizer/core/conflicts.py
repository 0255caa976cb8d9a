"""Corrections that conflict with common writing: the guard refused to learn them.

    corrections/conflicts.json    {"<key>": "<the sentence the user was told>", ...}

When a fit on the corrections loses too much on other people's digits even when fitted gently
(``training.fine_tuning.guard``), the previous personal model is kept and the correction the
base reads most surely as another digit is recorded here, keyed by its 784 bytes and its label
(``conflict_key``): a later fit leaves it out, the corrections manager marks it, and deleting
or relabelling it (its key changes) clears the mark. This module is that file's one reader and
writer, and holds the error that carries a conflict from the model process to the window
(``CorrectionConflict``). Only NumPy and the standard library: the window reads it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from digit_recognizer.core.files import atomic_write_text
from digit_recognizer.core.results import ModelError

__all__ = ["CONFLICTS_FILE", "CorrectionConflict", "conflict_key", "conflict_sentence",
           "marked", "read_conflicts", "record_conflict"]

CONFLICTS_FILE = "conflicts.json"


class CorrectionConflict(ModelError):
    """A fit was refused: correction ``index`` (0-based, of those fitted) conflicts with
    common writing. Its message is the sentence for the user."""

    def __init__(self, index: int, label: int, read_as: int, loss: float,
                 together: bool = False) -> None:
        self.index, self.label, self.read_as, self.loss = index, label, read_as, loss
        self.together = together
        super().__init__(conflict_sentence(index, label, read_as, loss, together))

    def args_for_pipe(self) -> tuple:
        """What rebuilds it on the other side of the model process' pipe."""
        return self.index, self.label, self.read_as, self.loss, self.together


def conflict_sentence(index: int, label: int, read_as: int, loss: float,
                      together: bool = False) -> str:
    """The sentence for the user: which correction conflicts, and what was done."""
    cost = (f"would cost {loss:.1f} points on other people's digits, so the previous model "
            "is kept.")
    if together:  # the base reads each as taught: only together do they pull too far
        return f"Your corrections together {cost}"
    return (f"Correction {index + 1}, a {read_as} taught as a {label}, conflicts with how most "
            f"people write: learning it {cost}")


def conflict_key(image: np.ndarray, label: int) -> str:
    """What identifies one correction: its uint8 28x28 bytes and its label."""
    digest = hashlib.sha256(np.ascontiguousarray(image, np.uint8).tobytes())
    digest.update(bytes([int(label)]))
    return digest.hexdigest()[:32]


def read_conflicts(folder: str | os.PathLike) -> dict[str, str]:
    """The recorded conflicts, key -> sentence; none if the file is missing or unreadable
    (a lost mark costs a refused fit at worst, never a correction)."""
    try:
        found = json.loads((Path(folder) / CONFLICTS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, str)} \
        if isinstance(found, dict) else {}


def record_conflict(folder: str | os.PathLike, image: np.ndarray, label: int,
                    sentence: str) -> None:
    """Mark one correction as conflicting (atomically); raises ``OSError`` if not writable."""
    found = read_conflicts(folder) | {conflict_key(image, label): sentence}
    atomic_write_text(Path(folder) / CONFLICTS_FILE, json.dumps(found, indent=2) + "\n")


def marked(folder: str | os.PathLike, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(N,) bool: which of the corrections ``images``/``labels`` are recorded as conflicts."""
    found = read_conflicts(folder)
    return np.array([conflict_key(image, label) in found
                     for image, label in zip(images, labels)], dtype=bool)
