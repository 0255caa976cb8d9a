"""One fine-tuning for the window and the ``fine-tune`` command: ``fine_tune_corrections``.

    tuned = fine_tune_corrections(personaliser, base_file, images, labels,
                                  replay=replay.pair, held=replay.held_out, folder=corrections)
    tuned.model       # the model to save, or None: nothing could be learned (``refusal``)
    tuned.left_out    # the corrections left out, each with the sentence that says why
    tuned.metadata    # what is saved beside the model, the same from either caller

The window's model process (``app.background.model_server``) and the command (``files``) both
call it, so both learn from the same mix, under the same guard, leave out the same corrections
and write the same metadata; they only save the model where they keep it and say what
happened in their own place (status bar, terminal):

1. Corrections recorded as conflicting by an earlier fit (``core.conflicts``, in ``folder``)
   are left out at once.
2. The rest are fitted under the guard (``guard``). When it refuses the fit, the correction
   to blame (``blame``) is the one the base reads most surely as another digit (as the class
   that lost, when one class lost too much), and with it every other of the same kind, the
   same digit taught as the same other digit: they are left out, recorded in ``folder``, and
   the rest are fitted again. A clear 4 taught as a 9 costs the 4s whatever else is taught.
3. When every correction is left out, or when the base reads each one as taught (only
   together do they cost too much, so none can be blamed), nothing is learned.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from digit_recognizer.core.catalogue import (
    choice_for_file,
    fine_tuned_name,
    recorded_accuracy,
    recorded_threshold,
)
from digit_recognizer.core.confidence import THRESHOLD_KEY
from digit_recognizer.core.conflicts import LeftOut, cost_phrase, marked, record_conflict
from digit_recognizer.core.datasets.sources import dataset_sha256
from digit_recognizer.core.quiet_tf import import_keras
from digit_recognizer.core.scoring import to_model_input
from digit_recognizer.recognition.inference import file_sha256
from digit_recognizer.training.fine_tuning.fine_tune import Personaliser, check_corrections
from digit_recognizer.training.fine_tuning.guard import Guarded

__all__ = ["FineTuned", "blame", "fine_tune_corrections", "guard_record"]


@dataclass(frozen=True)
class FineTuned:
    """What a fine-tuning did: the model to save (None: nothing learned), the corrections it
    left out, its metadata, and the guard's verdict on the last fit (None: none was tried)."""

    model: Any | None
    left_out: tuple[LeftOut, ...]
    metadata: dict
    guarded: Guarded | None
    together: bool = False  # nothing learned, though not every correction was left out

    def refusal(self) -> str:
        """Why nothing was learned, lower case, for the caller to say what it kept:
        "none of the corrections can be learned"."""
        if not self.together:
            return "none of the corrections can be learned"
        return f"the corrections together would cost {cost_phrase(*self.guarded.cost())}"


def fine_tune_corrections(personaliser: Personaliser, base_file: str | os.PathLike,
                          images: np.ndarray, labels: np.ndarray, *,
                          replay: tuple[np.ndarray, np.ndarray], held: int = 0,
                          folder: str | os.PathLike | None = None, epochs: int = 2,
                          seed: int = 0, models_dir: str | os.PathLike | None = None
                          ) -> FineTuned:
    """Fine-tune the model file ``base_file`` on the corrections under the guard, leaving
    out those that conflict with common writing (the module's docstring says how).

    ``images``: uint8 (N, 28, 28), ink high; ``labels``: (N,) digits; ``replay`` and
    ``held``: the replay digits and how many lead held out (``Personaliser.guarded``).
    ``folder``: the corrections' folder, whose recorded conflicts are left out and where new
    ones are recorded; None: neither. ``models_dir``: where the bundled models are, to name
    the base. Imports Keras. Raises ``FineTuneError`` or ``ModelError``.
    """
    started = time.monotonic()
    images, labels = check_corrections(images, labels)
    prepared = personaliser.prepare(base_file, replay, held)
    keras = import_keras()
    read = keras.ops.convert_to_numpy(prepared.base(to_model_input(images), training=False))
    read_as = read.argmax(axis=1)
    keep = np.ones(len(labels), bool) if folder is None else ~marked(folder, images, labels)
    left = [LeftOut(int(i), int(labels[i]), int(read_as[i])) for i in np.flatnonzero(~keep)]
    guarded = None
    while keep.any():
        guarded = personaliser.guarded(base_file, images[keep], labels[keep], replay=replay,
                                       held=held, epochs=epochs, seed=seed)
        points, lost_class = guarded.cost()
        blamed = blame(read, labels, keep, lost_class) if guarded.model is None else []
        if not len(blamed):  # learned, or only all of them together cost too much
            break
        found = [LeftOut(int(i), int(labels[i]), int(read_as[i]), round(points, 2), lost_class)
                 for i in blamed]
        _record(folder, images, labels, found)
        left += found
        keep[blamed] = False
    model = guarded.model if guarded is not None else None
    together = model is None and keep.any()
    if model is None:
        keep[:] = False
    metadata = {
        **_base_record(base_file, models_dir),
        "name": fine_tuned_name(choice_for_file(base_file, models_dir), int(keep.sum())),
        "corrections": int(keep.sum()),
        "corrections_sha256": dataset_sha256(images, labels),  # all given, left out or not
        "corrections_folder": None if folder is None else str(Path(folder).resolve()),
        "left_out": [one.record() for one in sorted(left, key=lambda one: one.index)],
        **guard_record(guarded),
        "epochs": epochs, "seed": seed, "recipe": asdict(personaliser.recipe),
    }
    if model is not None:
        metadata["corrections_accuracy"] = _read_as_taught(model, images[keep], labels[keep])
    metadata |= {"seconds": round(time.monotonic() - started, 1),
                 "date": datetime.now(UTC).isoformat(timespec="seconds")}
    left_out = tuple(LeftOut.from_record(record) for record in metadata["left_out"])
    return FineTuned(model, left_out, metadata, guarded, together)


def blame(read: np.ndarray, labels: np.ndarray, keep: np.ndarray,
          lost_class: int | None = None) -> np.ndarray:
    """Which corrections to leave out after the guard refused a fit of those in ``keep``.

    ``read``: (N, 10) the base's probabilities for all N corrections. The one blamed is the
    kept one the base reads most surely as another digit (as ``lost_class``, when that class
    lost too much and one is read so); with it go the kept ones of the same kind: the same
    digit read, the same digit taught. None (an empty array) if the base reads every kept
    one as taught.
    """
    read_as = read.argmax(axis=1)
    misread = keep & (read_as != labels)
    if lost_class is not None and (misread & (read_as == lost_class)).any():
        misread &= read_as == lost_class
    rows = np.flatnonzero(misread)
    if not len(rows):
        return rows
    worst = rows[np.argmin(read[rows, labels[rows]])]
    return np.flatnonzero(misread & (read_as == read_as[worst]) & (labels == labels[worst]))


def guard_record(guarded: Guarded | None) -> dict:
    """What the guard did to the last fit, for a fine-tuned model's metadata."""
    if guarded is None:  # every correction was left out before any fit
        return {"guard": "not run"}
    return {"guard": "refused" if guarded.model is None else
            "gentle" if guarded.gentle else "passed",
            "guard_sentence": guarded.sentence(),
            "held_out_digits": guarded.held_out,
            "held_out_accuracy": guarded.accuracy,
            "base_held_out_accuracy": guarded.base_accuracy,
            "worst_class": guarded.worst_class,
            "worst_class_loss": round(guarded.class_loss, 2)}


def _base_record(base_file: str | os.PathLike, models_dir: str | os.PathLike | None) -> dict:
    """The base model's part of the metadata, with the not-a-digit threshold it hands on:
    the non-digits in every mix keep its low top probability."""
    threshold = recorded_threshold(base_file)
    return {"base_model": choice_for_file(base_file, models_dir),
            "base_model_file": str(Path(base_file).resolve()),
            "base_model_sha256": file_sha256(base_file),
            "base_test_accuracy": recorded_accuracy(base_file),
            **({THRESHOLD_KEY: threshold} if threshold is not None else {})}


def _read_as_taught(model, images: np.ndarray, labels: np.ndarray) -> float:
    """The share of the learned corrections ``model`` reads as taught (eagerly: a predict()
    would cost a tracing, a second on a CPU)."""
    keras = import_keras()
    read = keras.ops.convert_to_numpy(model(to_model_input(images), training=False))
    return float(np.mean(read.argmax(axis=1) == labels))


def _record(folder: str | os.PathLike | None, images: np.ndarray, labels: np.ndarray,
            found: list[LeftOut]) -> None:
    """Record the corrections just left out in ``folder``, so later fits leave them out at
    once and the window marks them; a folder that cannot be written only costs that."""
    if folder is None:
        return
    try:
        for one in found:
            record_conflict(folder, images[one.index], one.label, one.sentence())
    except OSError:
        pass
