"""How long ``load_mnist`` takes: the four gzip files, and uncompressed copies of them.

    python benchmarks/bench_load.py --data-dir ../shared/data/mnist

Targets on the 2-core project machine: gzip files with SHA-256 verification in <= 1.0 s, raw files
(memory-mapped, verified) in <= 0.2 s. Wall time is what a user waits; CPU time is shown beside
it because other work on a shared machine stretches wall time but hardly CPU time.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runs from a checkout as is

from benchmarks.table import print_table, row  # noqa: E402
from digit_recognizer.core.datasets.errors import MnistError  # noqa: E402
from digit_recognizer.core.datasets.mnist import find_mnist_files, load_mnist  # noqa: E402


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeat`` runs, after one untimed run warms the caches."""
    work()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def decompress_all(data_dir: Path, into: Path) -> None:
    for path in find_mnist_files(data_dir).values():
        opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
        with opener(path, "rb") as src, open(into / path.name.removesuffix(".gz"), "wb") as dst:
            shutil.copyfileobj(src, dst)


def rows_for(label: str, work: Callable[[], object], target: str, repeat: int) -> list[dict]:
    wall, cpu = timed(work, repeat)
    return [
        row("load_mnist", f"{label}, wall (median of {repeat})", wall, "s", target),
        row("load_mnist", f"{label}, CPU (median of {repeat})", cpu, "s"),
    ]


def run(data_dir: str | os.PathLike, repeat: int = 7) -> list[dict]:
    """Time the loads; one row per measure: benchmark, measure, value, unit, target."""
    data_dir = Path(data_dir)
    rows = rows_for("4 gzip files, SHA-256 verified", lambda: load_mnist(data_dir), "<= 1.0",
                    repeat)
    with tempfile.TemporaryDirectory(prefix="mnist-raw-") as raw:
        decompress_all(data_dir, Path(raw))
        rows += rows_for("4 raw files, SHA-256 verified", lambda: load_mnist(raw), "<= 0.2",
                         repeat)
        rows += rows_for("4 raw files, not verified", lambda: load_mnist(raw, verify=False),
                         "-", repeat)
    return rows






def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("MNIST_DIR"),
                        help="folder with the four MNIST files (default: $MNIST_DIR)")
    parser.add_argument("--repeat", type=int, default=7,
                        help="timed runs per measure; the median is shown (default: 7)")
    args = parser.parse_args(argv)
    if not args.data_dir:
        print("error: give --data-dir or set MNIST_DIR to the MNIST folder", file=sys.stderr)
        return 2
    try:
        print_table(run(args.data_dir, args.repeat))
    except MnistError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
