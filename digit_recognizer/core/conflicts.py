"""Corrections that conflict with common writing: a fine-tuning left them out.

    corrections/conflicts.json    {"<key>": "<the sentence the user was told>", ...}

When a fit on the corrections loses too much on other people's digits, on average or on one
digit class, even when fitted gently (``training.fine_tuning.guard``), the fine-tuning
(``training.fine_tuning.pipeline``) leaves out the corrections to blame and learns the rest.
Each one left out is a ``LeftOut``, whose ``sentence`` the window and the ``fine-tune`` command
both say, and is recorded here, keyed by its 784 bytes and its label (``conflict_key``): a
later fit leaves it out at once, the corrections manager marks it, and deleting or relabelling
it (its key changes) clears the mark. This module is that file's one reader and writer, and
holds the error that carries a fit that learned nothing from the model process to the window
(``CorrectionConflict``). Only NumPy and the standard library: the window reads it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from digit_recognizer.core.files import atomic_write_text
from digit_recognizer.core.results import ModelError

__all__ = ["CONFLICTS_FILE", "CorrectionConflict", "LeftOut", "a_digit", "conflict_key",
           "cost_phrase", "marked", "read_conflicts", "record_conflict"]

CONFLICTS_FILE = "conflicts.json"


class CorrectionConflict(ModelError):
    """A fit learned nothing: every correction conflicts with common writing, or only all of
    them together cost too much. Its message is the sentence for the user."""


def a_digit(digit: int) -> str:
    """"a 4", "an 8": a digit with its article."""
    return f"an {digit}" if digit == 8 else f"a {digit}"


def cost_phrase(points: float, lost_class: int | None = None) -> str:
    """"1.2 points on other people's digits", or with ``lost_class`` "… other people's 4s"."""
    whose = "digits" if lost_class is None else f"{lost_class}s"
    return f"{points:.1f} points on other people's {whose}"


@dataclass(frozen=True)
class LeftOut:
    """One correction a fine-tuning left out, and why; ``sentence`` is what the user reads."""

    index: int  # 0-based, among the corrections the fine-tuning was given
    label: int  # the digit it was taught as
    read_as: int  # what the base model reads it as
    # What learning it cost the last fit that tried (points of held-out accuracy); None: it
    # was recorded here by an earlier fit, and left out without trying it again
    points: float | None = None
    lost_class: int | None = None  # the digit class that lost the points; None: all digits

    def sentence(self) -> str:
        """"Correction 3, a 4 taught as a 9, conflicts with how most people write: learning
        it would cost 4.3 points on other people's 4s." """
        taught = (f"taught as {a_digit(self.label)}" if self.read_as == self.label else
                  f"{a_digit(self.read_as)} taught as {a_digit(self.label)}")
        start = f"Correction {self.index + 1}, {taught}, conflicts with how most people write"
        if self.points is None:
            return f"{start}, as an earlier fit found."
        return f"{start}: learning it would cost {cost_phrase(self.points, self.lost_class)}."

    def record(self) -> dict:
        """What a fine-tuned model's metadata says of it (``from_record`` reads it back)."""
        return asdict(self) | {"sentence": self.sentence()}

    @classmethod
    def from_record(cls, record: dict) -> LeftOut:
        """The ``LeftOut`` a metadata ``record`` describes; ``ValueError`` if it is not one."""
        try:
            return cls(**{field.name: record[field.name] for field in fields(cls)})
        except (KeyError, TypeError) as err:
            raise ValueError(f"not a left-out correction's record: {record!r}") from err


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
