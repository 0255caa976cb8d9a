"""Make the bundled replay digits (``core.datasets.replay``) from MNIST's training set.

    python -m digit_recognizer.training.replay_set --data-dir ../shared/data/mnist

Writes ``models/replay-images-idx3-ubyte.gz``, ``models/replay-labels-idx1-ubyte.gz`` and
``models/replay.json`` (each file's SHA-256, the split, this command). The same MNIST gives the
same bytes: the digits are chosen with a fixed seed, and gzip writes no time stamp.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from digit_recognizer.core.catalogue import MODELS_DIR
from digit_recognizer.core.datasets.errors import MnistError
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.datasets.replay import REPLAY_IMAGES, REPLAY_INFO, REPLAY_LABELS
from digit_recognizer.core.datasets.sources import content_sha256
from digit_recognizer.core.files import atomic_write_text
from digit_recognizer.core.idx import write_idx
from digit_recognizer.training.run_data import VALIDATION_SIZE

__all__ = ["HELD_OUT", "REPLAYED", "main", "pick_replay", "write_replay"]

HELD_OUT = 3000  # validation digits the guard scores on: 0.3 points is 9 of them
REPLAYED = 5000  # training digits to replay: the fine-tuning's pool takes 4,000
TRAINING_SEED = 0  # the seed both bundled models were trained with (their <name>.json)


def pick_replay(x: np.ndarray, y: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``HELD_OUT`` digits of training's validation split, then ``REPLAYED`` others.

    The validation split is drawn as ``run_data.split_validation`` drew it for the runs that
    first trained the bundled models on MNIST alone, which never trained on the first
    ``HELD_OUT`` (``core.datasets.replay`` says what the later retraining saw); ``seed`` picks among
    the rest.
    """
    order = np.random.default_rng(TRAINING_SEED).permutation(len(x))
    validation, fitted = order[:VALIDATION_SIZE], order[VALIDATION_SIZE:]
    rng = np.random.default_rng(seed)
    picked = np.concatenate([np.sort(rng.choice(validation, HELD_OUT, replace=False)),
                             np.sort(rng.choice(fitted, REPLAYED, replace=False))])
    return x[picked], y[picked]


def write_replay(x: np.ndarray, y: np.ndarray, folder: Path, command: str) -> dict:
    """Write the replay pair and its ``replay.json`` into ``folder``; return that record."""
    files = {}
    for name, array in ((REPLAY_IMAGES, x), (REPLAY_LABELS, y)):
        path = write_idx(folder / name, array)
        data = path.read_bytes()
        files[name] = {"sha256": content_sha256(data), "gz_sha256": hashlib.sha256(data)
                       .hexdigest(), "bytes": len(data)}
    info = {"digits": len(x), "held_out": HELD_OUT,
            "source": f"MNIST training set: {HELD_OUT} digits of the validation split of the "
                      f"runs that first trained the bundled models (seed {TRAINING_SEED}), then "
                      f"{len(x) - HELD_OUT} training digits",
            "made_by": command, "files": files}
    atomic_write_text(folder / REPLAY_INFO, json.dumps(info, indent=2) + "\n")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m digit_recognizer.training.replay_set",
                                     description="Make the bundled replay digits from MNIST.")
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: $MNIST_DIR)")
    parser.add_argument("--out", default=str(MODELS_DIR),
                        help="folder to write into (default: the models folder)")
    args = parser.parse_args(argv)
    try:
        (x, y), _ = load_mnist(args.data_dir)
    except MnistError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    x, y = pick_replay(x, y)
    info = write_replay(x, y, Path(args.out), "python -m digit_recognizer.training.replay_set")
    for name, file in info["files"].items():
        print(f"{name}: {file['bytes']:,} bytes, SHA-256 {file['gz_sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
