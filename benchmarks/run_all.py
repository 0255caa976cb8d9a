"""Every benchmark, one table: data loading, start-up, model switching, the command line,
recognition, numbers, training throughput and fine-tuning on a user's corrections.

    python benchmarks/run_all.py            # the full set (about 30 minutes on 2 cores)
    python benchmarks/run_all.py --quick    # fewer digits and runs, to check it works

Each part also runs alone: ``python benchmarks/bench_<part>.py --help``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runs from a checkout as is

from benchmarks import (  # noqa: E402
    bench_cli,
    bench_fine_tune,
    bench_guard,
    bench_load,
    bench_numbers,
    bench_recognition,
    bench_startup,
    bench_switch,
    bench_teach,
    bench_train,
)
from benchmarks.table import print_table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--quick", action="store_true", help="a short run of every part")
    args = parser.parse_args(argv)
    quick = args.quick
    parts = [
        lambda: bench_load.run(os.environ["MNIST_DIR"], repeat=3 if quick else 7),
        lambda: bench_startup.run(bench_startup.build_parser().parse_args(
            ["--runs", "2"] if quick else [])),
        lambda: bench_switch.run(bench_switch.build_parser().parse_args(
            ["--switches", "6"] if quick else [])),
        lambda: bench_cli.run(bench_cli.build_parser().parse_args(
            ["--runs", "2"] if quick else [])),
        lambda: bench_recognition.run(bench_recognition.build_parser().parse_args(
            ["--limit", "500"] if quick else [])),
        lambda: bench_numbers.run(bench_numbers.parse(["--quick"] if quick else [])),
        lambda: bench_train.run(bench_train.build_parser().parse_args(
            ["--batches", "5" if quick else "30"])),
        lambda: bench_fine_tune.run(bench_fine_tune.parse(["--quick"] if quick else [])),
        lambda: bench_guard.run(bench_guard.parse(["--quick"] if quick else [])),
        lambda: bench_teach.run(bench_teach.build_parser().parse_args(
            ["--counts", "5", "50", "--repeats", "1"] if quick else [])),
    ]
    for part in parts:
        print_table(part())  # part by part: a later part that fails loses nothing measured
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
