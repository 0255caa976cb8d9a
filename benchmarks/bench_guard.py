"""The guard after each fit, with real, hard corrections: what the user gains, what MNIST loses.

    python benchmarks/bench_guard.py                  # both models, 4 users per digit (~8 min)
    python benchmarks/bench_guard.py --quick          # model 2, 2 users per digit, 1 timed run

A user writes one digit in a way the base model misreads: the misread digits of one class in
USPS' *training* split (real handwriting from envelopes). They teach 3 of them, one at a time,
as in the window: a fine-tuning after each (``pipeline.fine_tune_corrections``, the window's
and the command's, under the guard, on the bundled replay digits), a conflicting correction
left out of that fit and the next ones as the window leaves it out. Then:

- **user's gain**: the other misread training digits of that class (all errors before), errors
  after the last model kept; target >= 60% fewer over all users. USPS' test split, misread
  digits of the same classes, is reported beside it, never used to choose anything;
- **MNIST loss**: MNIST test accuracy (10,000) of the base minus that of the last model
  kept, worst user; target <= 0.3 points. The same without the guard (every fit kept) shows
  what the guard saves;
- **time**: ``python -m digit_recognizer fine-tune`` with 20 corrections as one process (the
  wall time, and its CPU seconds, which load on the machine stretches less): the first run
  with a model, which fills the pool cache, and the later ones; target <= 10 s.

Scores go through the frozen trunk once per base (the models differ only in their head).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs from a checkout as is

from benchmarks.table import row, run_and_print
from digit_recognizer.core.datasets.errors import DatasetError
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.datasets.replay import load_replay
from digit_recognizer.core.idx import write_idx
from digit_recognizer.core.results import ModelError
from digit_recognizer.training.data.usps import load_usps

TAUGHT = 3  # corrections per user, one teach each
MIN_MISREAD = TAUGHT + 3  # a class needs this many misread training digits to make users


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["model2", "model1"],
                        help="bundled models to measure (default: model2 model1)")
    parser.add_argument("--users", type=int, default=4, help="users per digit (default: 4)")
    parser.add_argument("--timed", type=int, default=3,
                        help="runs of the fine-tune command after the first (default: 3)")
    parser.add_argument("--quick", action="store_true", help="model 2, 2 users, 1 timed run")
    args = parser.parse_args(argv)
    if args.quick:
        args.models, args.users, args.timed = ["model2"], 2, 1
    return args


class Scorer:
    """Accuracy of a fine-tuned copy of ``base`` on fixed sets, through the cached trunk."""

    def __init__(self, prepared, sets: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        from digit_recognizer.training.fine_tuning.head import trunk_outputs

        self.start = prepared.start
        self.sets = {name: (trunk_outputs(prepared.trunk, x).astype(np.float32), y)
                     for name, (x, y) in sets.items()}

    def errors(self, model, name: str, keep: np.ndarray | None = None) -> int:
        """How many of set ``name`` (or of its rows ``keep``) ``model`` misreads."""
        z, y = self.sets[name]
        if keep is not None:
            z, y = z[keep], y[keep]
        for layer in model.layers[self.start:]:
            z = layer(z, training=False)
        return int(np.sum(np.asarray(z).argmax(axis=1) != y))


def teach_user(personaliser, base_file, replay, images, labels, guarded: bool):
    """Teach the corrections one at a time; the last model kept (None: the base) and how many
    corrections the last fit left out. Guarded, each fit is the window's and the command's
    (``fine_tune_corrections``), with a folder of its own to record conflicts in."""
    from digit_recognizer.training.fine_tuning.pipeline import fine_tune_corrections

    kept, left_out = None, 0
    with tempfile.TemporaryDirectory() as folder:
        for count in range(1, len(labels) + 1):
            if not guarded:
                kept = personaliser.personalise(base_file, images[:count], labels[:count],
                                                replay=replay.pair, held=replay.held_out)
                continue
            tuned = fine_tune_corrections(personaliser, base_file, images[:count],
                                          labels[:count], replay=replay.pair,
                                          held=replay.held_out, folder=folder)
            kept, left_out = tuned.model or kept, len(tuned.left_out)
    return kept, left_out


def measure_model(key: str, users: int, mnist_test, usps: dict) -> list[dict]:
    from digit_recognizer.recognition.recognizer import bundled_path
    from digit_recognizer.training.fine_tuning.fine_tune import Personaliser

    base_file, replay = bundled_path(key), load_replay()
    personaliser = Personaliser(keep=1)  # the file, as the window and the command pass it
    prepared = personaliser.prepare(base_file, replay.pair, replay.held_out)
    base = prepared.base
    misread = {}
    for split, (x, y) in usps.items():
        read = base.predict(x.astype(np.float32)[..., None] / 255.0, batch_size=500,
                            verbose=0).argmax(axis=1)
        misread[split] = np.flatnonzero(read != y)
    x_train, y_train = usps["train"]
    classes = [c for c in range(10) if np.sum(y_train[misread["train"]] == c) >= MIN_MISREAD]
    sets = {"mnist": mnist_test}
    for c in classes:
        for split, (x, y) in usps.items():
            wrong = misread[split][y[misread[split]] == c]
            sets[f"{split}{c}"] = (x[wrong], y[wrong])
    scorer = Scorer(prepared, sets)
    base_errors = scorer.errors(base, "mnist")
    before = after = before_test = after_test = refused = 0
    losses = {True: [], False: []}
    for c in classes:
        wrong = misread["train"][y_train[misread["train"]] == c]
        for user in range(users):
            taught = np.random.default_rng([c, user]).permutation(wrong)
            pick = taught[:TAUGHT]
            for guarded in (True, False):
                model, left = teach_user(personaliser, base_file, replay, x_train[pick],
                                         y_train[pick], guarded)
                model = model or base
                losses[guarded].append((scorer.errors(model, "mnist") - base_errors)
                                       / len(mnist_test[1]) * 100)
                if not guarded:
                    continue
                refused += left
                keep = ~np.isin(wrong, pick)  # the user's other misread digits
                before += int(keep.sum())
                after += scorer.errors(model, f"train{c}", keep)
                before_test += len(scorer.sets[f"test{c}"][1])
                after_test += scorer.errors(model, f"test{c}")
    name = f"guard, {key} ({len(classes)} digits x {users} users)"
    return [
        row(name, "MNIST test loss, worst user, guarded", max(losses[True]), "points", "<= 0.3"),
        row(name, "MNIST test loss, median user, guarded", statistics.median(losses[True]),
            "points"),
        row(name, "MNIST test loss, worst user, no guard", max(losses[False]), "points"),
        row(name, f"user's errors on other misread USPS train digits ({before} before)",
            after, "errors"),
        row(name, "user's errors, fewer by", (1 - after / max(before, 1)) * 100, "%", ">= 60"),
        row(name, f"misread USPS test digits of those classes ({before_test} before)",
            after_test, "errors"),
        row(name, "corrections refused as conflicting", refused, "corrections"),
    ]


def time_command(runs: int, usps_train) -> list[dict]:
    """``fine-tune`` as one process with 20 corrections: 10 misread by model 2, 10 not; the
    first run with an empty pool cache (``pool_cache``), then ``runs`` more that find it."""
    x, y = usps_train
    with tempfile.TemporaryDirectory() as folder:
        write_idx(Path(folder) / "c-images-idx3-ubyte", x[:20])
        write_idx(Path(folder) / "c-labels-idx1-ubyte", y[:20])
        walls, cpus = [], []
        for _ in range(runs + 1):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "digit_recognizer", "fine-tune", "--model",
                            "model2", "--extra-data", folder, "--out", f"{folder}/m.keras",
                            "--cache-dir", f"{folder}/cache"],
                           cwd=ROOT, check=True, capture_output=True)
            walls.append(time.monotonic() - started)
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(used.ru_utime + used.ru_stime - before.ru_utime - before.ru_stime)
    name = "fine-tune command, 20 corrections"
    return [row(name, "first run with the model: wall time", walls[0], "s"),
            row(name, "first run with the model: CPU time", cpus[0], "s"),
            row(name, "later runs: wall time, median", statistics.median(walls[1:]), "s",
                "<= 10"),
            row(name, "later runs: CPU time, median", statistics.median(cpus[1:]), "s")]


def run(args: argparse.Namespace) -> list[dict]:
    _, mnist_test = load_mnist()
    usps = {split: load_usps(split) for split in ("train", "test")}
    rows = []
    for key in args.models:
        rows += measure_model(key, args.users, mnist_test, usps)
    return rows + time_command(args.timed, usps["train"])


if __name__ == "__main__":
    sys.exit(run_and_print(run, parse(), (DatasetError, ModelError,
                                          subprocess.CalledProcessError)))
