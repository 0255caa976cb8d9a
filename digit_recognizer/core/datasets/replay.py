"""The replay digits bundled with the models: ``load_replay()`` -> ``Replay``.

    models/replay-images-idx3-ubyte.gz   (8000, 28, 28) uint8, MNIST training digits
    models/replay-labels-idx1-ubyte.gz   (8000,) uint8
    models/replay.json                   each file's SHA-256, and how many lead held out

Teaching replays MNIST digits so that a personal model keeps what its base knew, and scores
each fit on digits held out from it (``fine_tuning.guard``). These 8,000 (1.3 MB) are enough
for that, so teaching never needs MNIST itself, nor a download. The first ``held_out`` of them
are digits of the validation split of the runs that first trained the bundled models (seed
0); the retraining that went on from them (on MNIST, USPS and written digits, another split)
saw most of them, so the guard compares a fit with its base on digits the base knows: what
the fit forgets still shows. The rest are training digits.
``python -m digit_recognizer.training.replay_set --data-dir DIR`` makes them again from MNIST,
byte for byte. Only NumPy: the window's process may read this module.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digit_recognizer.core.catalogue import MODELS_DIR
from digit_recognizer.core.datasets.errors import ReplayError
from digit_recognizer.core.datasets.sources import DataSource
from digit_recognizer.core.idx import IdxError, read_idx

__all__ = ["REPLAY", "REPLAY_IMAGES", "REPLAY_INFO", "REPLAY_LABELS", "Replay", "load_replay"]

REPLAY_IMAGES = "replay-images-idx3-ubyte.gz"
REPLAY_LABELS = "replay-labels-idx1-ubyte.gz"
REPLAY_INFO = "replay.json"  # the SHA-256 of each file's decompressed content, and the split
REPLAY = DataSource("replay digits", (REPLAY_IMAGES, REPLAY_LABELS, REPLAY_INFO),
                    f"the SHA-256 that {REPLAY_INFO} records", default=MODELS_DIR,
                    point="restore models/ from the repository",
                    remedy="restore it from the repository", error=ReplayError)


@dataclass(frozen=True)
class Replay:
    """Replay digits: ``images`` uint8 (N, 28, 28) and ``labels`` (N,), of which the first
    ``held_out`` are never trained on, only scored on."""

    images: np.ndarray
    labels: np.ndarray
    held_out: int

    @property
    def pair(self) -> tuple[np.ndarray, np.ndarray]:
        return self.images, self.labels


def load_replay(models_dir: str | os.PathLike | None = None) -> Replay:
    """The bundled replay digits in ``models_dir`` (default: models/), checked against the
    SHA-256 that ``replay.json`` records. Raises ``ReplayError`` in one sentence."""
    folder = REPLAY.find(models_dir)
    info = _read_info(folder / REPLAY_INFO)
    images = _read_checked(folder / REPLAY_IMAGES, info)
    labels = _read_checked(folder / REPLAY_LABELS, info)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28) \
            or labels.shape != (len(images),) or not np.isin(labels, np.arange(10)).all():
        raise ReplayError(f"{folder}: the replay files do not hold (N, 28, 28) uint8 digits "
                          f"with N labels 0-9 (got {images.dtype} {images.shape} and "
                          f"{labels.shape})")
    held_out = info.get("held_out")
    if not isinstance(held_out, int) or not 0 <= held_out < len(images):
        raise ReplayError(f"{folder / REPLAY_INFO}: 'held_out' must be a count below "
                          f"{len(images)}, got {held_out!r}")
    return Replay(images, labels, held_out)


def _read_info(path: Path) -> dict:
    try:
        info = json.loads(REPLAY.read(path))
    except ValueError as err:  # not JSON, or not UTF-8
        raise ReplayError(f"{path} is unreadable ({err}); {REPLAY.remedy}") from err
    if not isinstance(info, dict) or not isinstance(info.get("files"), dict):
        raise ReplayError(f"{path} has no 'files' table of SHA-256 sums; {REPLAY.remedy}")
    return info


def _read_checked(path: Path, info: dict) -> np.ndarray:
    """The IDX array in ``path``, whose content must have the SHA-256 ``info`` records."""
    expected = info["files"].get(path.name, {}).get("sha256")
    if expected is None:
        raise ReplayError(f"{path.parent / REPLAY_INFO} records no SHA-256 for {path.name}; "
                          f"{REPLAY.remedy}")
    content = io.BytesIO(REPLAY.read_verified(path, expected))
    content.name = str(path)  # for IdxError's message
    try:
        return np.asarray(read_idx(content))
    except IdxError as err:
        raise REPLAY.damaged(path, err) from err
