"""Training throughput (images/s) of both architectures on this machine's CPU.

    python benchmarks/bench_train.py [--batches 30] [--batch-size 128]

Runs the real training step (BatchNorm, dropout, the compiled optimiser) on MNIST-shaped
batches through the same augmenting data pipeline as ``train``, after a warm-up epoch that
pays for graph tracing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runs from a checkout as is

from benchmarks.table import print_table, row  # noqa: E402


def throughput(arch: str, batches: int, batch_size: int) -> float:
    """Images per second of ``model.fit`` on random MNIST-shaped data."""
    from digit_recognizer.training.data.augment import make_batches
    from digit_recognizer.training.models import build_model

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (batches * batch_size, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, len(x)).astype(np.uint8)
    model = build_model(arch)
    model.fit(make_batches(x[: 3 * batch_size], y[: 3 * batch_size], batch_size, 0),
              epochs=1, verbose=0)
    started = time.perf_counter()
    model.fit(make_batches(x, y, batch_size, 0), epochs=1, verbose=0)
    return len(x) / (time.perf_counter() - started)


def run(args: argparse.Namespace) -> list[dict]:
    return [
        row("training", f"{arch}, batch {args.batch_size}",
            throughput(arch, args.batches, args.batch_size), "images/s")
        for arch in ("adadelta", "rmsprop")
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=30, help="timed batches (default: 30)")
    parser.add_argument("--batch-size", type=int, default=128, help="(default: 128)")
    return parser


if __name__ == "__main__":
    print_table(run(build_parser().parse_args()))
