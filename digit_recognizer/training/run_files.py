"""The files a run writes beside its model file ``out``, say ``models/digit_model1.h5``.

    digit_model1.config.json   the configuration, at the start of the run  (``config_path``)
    digit_model1.log.csv       the per-epoch history                       (``log_path``)
    digit_model1.h5            the finished network                        (``save_model``)
    digit_model1.onnx          the ONNX copy the app runs                  (``export_copy``)

``train`` writes all of them (and the checkpoint, ``checkpoint``); ``fine-tune`` the model and
its ONNX copy. Each is written to a temporary name in the same folder and renamed.
"""

from __future__ import annotations

import csv
import logging
import os
import sys
from pathlib import Path

from digit_recognizer.core.files import atomic_path
from digit_recognizer.core.results import ModelError
from digit_recognizer.training.export import export_onnx

__all__ = ["config_path", "export_copy", "log_path", "read_log", "save_model", "write_log"]


def config_path(out: str | os.PathLike) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".config.json")


def log_path(out: str | os.PathLike) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".log.csv")


def read_log(out: str | os.PathLike) -> dict[str, list[float]]:
    """The per-epoch history (as ``History.history``) that CSVLogger wrote beside ``out``."""
    with open(log_path(out), newline="") as file:
        rows = list(csv.DictReader(file))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else ())
            if key != "epoch"}


def write_log(path: Path, history: dict[str, list[float]]) -> None:
    """Write ``history`` as CSVLogger does (epoch, then the keys sorted), for it to append to."""
    keys = sorted(history)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["epoch", *keys])
        for epoch, values in enumerate(zip(*(history[key] for key in keys))):
            writer.writerow([epoch, *values])


def save_model(model, out: Path) -> None:
    """Save the finished network so that ``out`` holds the old file or the complete new one."""
    with atomic_path(out) as tmp:
        if tmp.suffix != ".h5":
            model.save(tmp)
            return
        # Keras warns on every .h5 save that the format is legacy; it is the one the user
        # asked for (and the bundled models') and the warning would read like a fault.
        absl_log = logging.getLogger("absl")
        level = absl_log.level
        absl_log.setLevel(logging.ERROR)
        try:  # .h5 without the optimizer state: the app only predicts, and the file stays small
            model.save(tmp, include_optimizer=False)
        finally:
            absl_log.setLevel(level)


def export_copy(out: Path, model=None) -> None:
    """Make the ONNX copy the app runs; a failure costs only that copy, never the model.

    ``model``: the network just saved to ``out``, if the caller has it (``export_onnx``).
    """
    try:
        export_onnx(out, model)
    except ModelError as err:
        print(f"warning: {err} The app will load {out.name} with Keras instead; try again "
              "with: python -m digit_recognizer export", file=sys.stderr)
