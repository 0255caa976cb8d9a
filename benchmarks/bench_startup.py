"""How fast the window starts: launch -> window on screen -> model ready -> first prediction.

    python benchmarks/bench_startup.py [--runs 5] [--model model1] [--models-dir models]

Each run launches ``python main.py`` on a virtual display (Xvfb, started here) and reads the
moments the window writes to ``$DIGIT_RECOGNIZER_TRACE`` (see ``digit_recognizer/app/gui.py``).
As soon as the window is mapped, a digit is drawn on it with xdotool, like a user who starts
drawing at once; the first prediction appears when the model has loaded. Once it has, a second
digit is drawn to measure stalls while predictions run. Medians of ``--runs`` runs.

Targets (issue: the desktop app, 2-core machine): window mapped <= 1 s and first prediction
shown <= 1 s after launch; the event loop never stalls more than 30 ms while the model loads,
nor more than 10 ms while drawing. The bundled models run from their ONNX copies through
OpenCV in the window's process (milliseconds, no TensorFlow); only a Keras model file still
loads in a child process (``digit_recognizer.app.background.model_process``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs from a checkout as is

from benchmarks.table import row, run_and_print  # noqa: E402
from digit_recognizer.app.startup_trace import TRACE_ENV, read_trace  # noqa: E402
from digit_recognizer.devtools.xvfb import XvfbError, draw_with_pointer, start_xvfb  # noqa: E402

SEVEN = [(0.28, 0.22), (0.72, 0.22), (0.46, 0.82)]  # corners of a 7, fractions of the canvas
TIMEOUT_S = 180.0

MEASURES = (  # (trace event, what it measures, target)
    ("mapped", "launch -> window mapped", "<= 1.0"),
    ("ready", "launch -> model loaded (prediction available)", "-"),
    ("shown", "launch -> first prediction shown (digit drawn at once)", "<= 1.0"),
)

STALLS = (  # (trace phase, when, target in ms)
    ("loading", "while the model loads", "<= 30"),
    ("ready", "while drawing, model ready", "<= 10"),
)


class BenchmarkError(RuntimeError):
    """The benchmark cannot run here (no Xvfb, the window never appeared, ...)."""


def wait_for(path: Path, event: str, process: subprocess.Popen) -> list[str]:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        found = read_trace(path).get(event)
        if found:
            return found[0]
        if process.poll() is not None:
            raise BenchmarkError(f"the app exited ({process.returncode}) before '{event}'")
        time.sleep(0.005)
    raise BenchmarkError(f"no '{event}' within {TIMEOUT_S:.0f} s")


def one_run(display: str, args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    """Launch the app once; seconds from launch to each traced moment, and worst stalls."""
    trace = workdir / "trace.txt"
    trace.unlink(missing_ok=True)
    env = {**os.environ, "DISPLAY": display, TRACE_ENV: str(trace),
           "XDG_CONFIG_HOME": str(workdir / "config"), "XDG_DATA_HOME": str(workdir / "data"),
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, str(ROOT / "main.py"), "--models-dir", args.models_dir]
    command += ["--model", args.model] if args.model else []
    launched = time.time()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        _, x, y, size = wait_for(trace, "mapped", process)
        draw_with_pointer(SEVEN, int(x), int(y), int(size), env)  # while the model loads
        wait_for(trace, "shown", process)
        draw_with_pointer(SEVEN, int(x), int(y), int(size), env)  # with predictions running
        time.sleep(1.0)  # let the last live predictions finish
    finally:
        process.terminate()
        process.wait(30)
    events = read_trace(trace)
    result = {event: float(events[event][0][0]) - launched for event, _, _ in MEASURES}
    for phase in ("loading", "ready"):
        stalls = [float(ms) for _, p, ms in events.get("stall", []) if p == phase]
        result[f"stall {phase}"] = max(stalls, default=0.0)
    return result


def run(args: argparse.Namespace) -> list[dict]:
    """Run the benchmark; one row per measure: benchmark, measure, value, unit, target."""
    if shutil.which("xdotool") is None:
        raise BenchmarkError("xdotool is not installed (apt-get install xdotool)")
    server, display = start_xvfb()
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-startup-") as workdir:
            for index in range(args.runs):
                results.append(one_run(display, args, Path(workdir)))
                print(f"run {index + 1}/{args.runs}: " + ", ".join(
                    f"{k} {v:.3g}" for k, v in results[-1].items()), file=sys.stderr)
    finally:
        server.terminate()
        server.wait(10)
    label = f"median of {args.runs}"
    rows = [row("startup", f"{what} ({label})",
                statistics.median(r[event] for r in results), "s", target)
            for event, what, target in MEASURES]
    for phase, what, target in STALLS:
        rows.append(row("startup", f"longest UI stall {what} ({label})",
                        statistics.median(r[f"stall {phase}"] for r in results), "ms", target))
    return rows


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="launches to time (default: 5)")
    parser.add_argument("--model", help="model1, model2, both or a model file (default: the "
                                        "app's default)")
    parser.add_argument("--models-dir", default=str(ROOT / "models"),
                        help="folder with the bundled models (default: models/)")
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_and_print(run, build_parser().parse_args(argv),
                         (BenchmarkError, XvfbError, subprocess.SubprocessError))


if __name__ == "__main__":
    sys.exit(main())
