"""The command line as a user meets it: whole-process time and peak memory of one command.

    python benchmarks/bench_cli.py [--runs 5] [--models-dir models] [--no-evaluate]

``python -m digit_recognizer predict ONE.png`` (a drawn 7, made here) is launched ``--runs``
times per runtime, after one untimed launch that warms the file cache; the table shows the
median wall time from launch to exit and the largest peak resident memory (``ru_maxrss`` of
the process, from ``os.wait4``). ``--runtime onnx`` runs the bundled model's ONNX copy through
OpenCV; ``--runtime keras`` is the old path, which imports TensorFlow, kept beside it for
comparison. ``evaluate --model model2 --limit 1000`` is timed the same way unless
``--no-evaluate``.

Targets (issue, 2-core machine): ``predict`` of one PNG with the ONNX runtime <= 1.5 s for the
whole process, peak memory <= 250 MiB. The Keras rows have none.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs from a checkout as is

from benchmarks.table import row, run_and_print  # noqa: E402
from digit_recognizer.core.strokes import Stroke, render_strokes  # noqa: E402

RUNTIMES = ("onnx", "keras")
TIMEOUT_S = 600.0  # one command
CANVAS = 280
SEVEN = [(0.28, 0.22), (0.72, 0.22), (0.46, 0.82)]  # as the window's tests draw it
TARGETS = {  # (command, runtime) -> (seconds target, MiB target)
    ("predict", "onnx"): ("<= 1.5", "<= 250"),
}


# Runs COMMAND in a small Python process and writes "seconds peak_KiB exit_code" to REPORT.
# Linux keeps in a process's ru_maxrss the peak it had before exec, i.e. its parent's size
# when it was forked: a direct child of this benchmark (or of run_all.py, with MNIST and Tk
# in memory) would report at least that much; a child of this small helper does not.
MEASURE = """\
import os, sys, time
report, command = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(command[0], command)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(report, "w") as out:
    out.write(f"{seconds} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


class BenchmarkError(RuntimeError):
    """A command failed; the message has its exit code and the end of its output."""


def write_seven(path: Path) -> Path:
    """A 280x280 PNG of a drawn 7, drawn with the window's own stroke geometry."""
    stroke = Stroke(18.0, [(x * CANVAS, y * CANVAS) for x, y in SEVEN])
    render_strokes([stroke], CANVAS).save(path, format="PNG")
    return path


def run_once(command: list[str]) -> tuple[float, float]:
    """Launch ``command``; its wall seconds to exit and its peak resident memory in MiB.

    The helper (``MEASURE``) times it from fork to exit, so Python's start for the helper
    itself is not counted, and ``os.wait4`` gives the rusage of that one process
    (``ru_maxrss`` is KiB on Linux), where ``RUSAGE_CHILDREN`` would mix in earlier ones.
    """
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    with tempfile.TemporaryDirectory(prefix="bench-cli-run-") as workdir:
        report, log = Path(workdir) / "report", Path(workdir) / "output"
        with open(log, "wb") as output:
            subprocess.run([sys.executable, "-I", "-S", "-c", MEASURE, str(report), *command],
                           cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                           check=True, timeout=TIMEOUT_S)
        seconds, peak_kib, code = report.read_text().split()
        if int(code) != 0:
            tail = log.read_text(errors="replace")[-2000:]
            raise BenchmarkError(f"{' '.join(command[2:])} exited {code}:\n{tail}")
    return float(seconds), int(peak_kib) / 1024


def measure(name: str, command: list[str], runtime: str, runs: int) -> list[dict]:
    """Rows for one command under one runtime: median seconds, largest peak MiB."""
    run_once(command)  # untimed: warms the file cache, as for a user's second launch
    results = [run_once(command) for _ in range(runs)]
    print(f"{name} --runtime {runtime}: " + ", ".join(f"{s:.2f} s / {m:.0f} MiB"
                                                      for s, m in results), file=sys.stderr)
    time_target, memory_target = TARGETS.get((name, runtime), ("-", "-"))
    label = f"{name}, --runtime {runtime}"
    return [
        row("cli", f"{label}: whole process (median of {runs})",
            statistics.median(s for s, _ in results), "s", time_target),
        row("cli", f"{label}: peak memory (largest of {runs})",
            max(m for _, m in results), "MiB", memory_target),
    ]


def commands(image: Path, args: argparse.Namespace) -> dict[str, list[str]]:
    """The commands to time, by name, without ``--runtime``."""
    base = [sys.executable, "-m", "digit_recognizer"]
    models = ["--models-dir", args.models_dir] if args.models_dir else []
    found = {"predict": [*base, "predict", *models, str(image)]}
    if args.evaluate:
        data = ["--data-dir", args.data_dir] if args.data_dir else []
        found["evaluate --model model2 --limit 1000"] = [
            *base, "evaluate", "--model", "model2", "--limit", "1000", *models, *data]
    return found


def run(args: argparse.Namespace) -> list[dict]:
    """Time every command under each runtime; rows of benchmark, measure, value, unit, target."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as workdir:
        image = write_seven(Path(workdir) / "seven.png")
        for name, command in commands(image, args).items():
            for runtime in RUNTIMES:
                rows += measure(name, [*command, "--runtime", runtime], runtime, args.runs)
    return rows


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5,
                        help="timed launches per command and runtime (default: 5)")
    parser.add_argument("--models-dir", help="folder with the bundled models (default: models/)")
    parser.add_argument("--data-dir", default=os.environ.get("MNIST_DIR"),
                        help="MNIST folder for evaluate (default: $MNIST_DIR)")
    parser.add_argument("--no-evaluate", dest="evaluate", action="store_false",
                        help="time predict only")
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_and_print(run, build_parser().parse_args(argv),
                         (BenchmarkError, subprocess.SubprocessError))


if __name__ == "__main__":
    sys.exit(main())
