"""Switching bundled models in the window: Model menu choice -> the new model's answer shown.

    python benchmarks/bench_switch.py [--switches 12] [--models-dir models]

Opens the real window on a virtual display (Xvfb, started here) with the app's own loaders
(``background.load_model_choice``, and its in-process form for the preload), draws a 7 with
Tk mouse events, and waits until its prediction is shown and the window has preloaded the
other bundled models. Then it cycles model1 -> model2 -> both -> model1 ... through
``app.select_model``, as the Model menu does, pumping the event loop until the chosen model is
active and its answer for the drawing is on screen. Settings and corrections go to a temporary
folder.

Target (issue, 2-core machine): switching bundled models <= 0.2 s (median). With the ONNX
copies kept loaded this is bounded by the window's result polling (``gui.POLL_MS``), not by
loading; before them, every switch started a TensorFlow child (seconds).
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import tempfile
import time
import tkinter as tk
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs from a checkout as is

from benchmarks.table import row, run_and_print  # noqa: E402
from digit_recognizer.xvfb import XvfbError, virtual_display  # noqa: E402

CYCLE = ("model1", "model2", "both")
SEVEN = [(0.28, 0.22), (0.72, 0.22), (0.46, 0.82)]  # fractions of the canvas side
TIMEOUT_S = 120.0


class BenchmarkError(RuntimeError):
    """The window did not get where it should within ``TIMEOUT_S``."""


def pump_until(app, condition: Callable[[], bool], pause: float = 0.001) -> float:
    """Run the window's event loop until ``condition()`` holds; the seconds it took.

    The short pause lets the model worker thread have the GIL between event-loop turns.
    """
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > TIMEOUT_S:
            raise BenchmarkError(f"timed out; status: {app.window.status.text!r}")
        app.root.update()
        time.sleep(pause)
    return time.perf_counter() - started


def draw_seven(app) -> None:
    """Draw a 7 on the canvas with press, motion and release events, as a mouse would."""
    canvas = app.window.canvas
    size = canvas.side
    points = [(x * size, y * size) for x, y in SEVEN]
    path = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        n = max(1, int(math.hypot(x1 - x0, y1 - y0) / 4))  # a motion event every ~4 px
        path += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1)]
    path = [(round(x), round(y)) for x, y in path]
    canvas.event_generate("<ButtonPress-1>", x=path[0][0], y=path[0][1])
    for x, y in path[1:]:
        canvas.event_generate("<B1-Motion>", x=x, y=y)
        app.root.update()
    canvas.event_generate("<ButtonRelease-1>", x=path[-1][0], y=path[-1][1])


def answered(app, choice: str, before: int) -> Callable[[], bool]:
    """True once ``choice`` is active and a prediction newer than ``before`` is shown."""
    return lambda: (app.active_choice == choice and app.state == "ready"
                    and app.answering.shown_serial > before and app.answering.up_to_date)


def open_window(models_dir: str, workdir: Path):
    """The real window with the app's real loaders, settings and corrections in ``workdir``."""
    from digit_recognizer.background import load_model_choice
    from digit_recognizer.gui import DigitRecognizerApp

    app = DigitRecognizerApp(
        tk.Tk(), partial(load_model_choice, models_dir=models_dir),
        preload=partial(load_model_choice, models_dir=models_dir, in_child=False),
        model=CYCLE[0], models_dir=models_dir, settings_file=workdir / "settings.json",
        corrections=workdir / "corrections")
    app.show_error = lambda title, message: print(f"{title}: {message}", file=sys.stderr)
    return app


def ready_with_drawing(app) -> float:
    """Draw once the first model is up; wait for its answer and the preload. Seconds taken."""
    started = time.perf_counter()
    pump_until(app, lambda: app.recognizer is not None and app.state == "ready")
    draw_seven(app)
    pump_until(app, answered(app, CYCLE[0], -1))
    pump_until(app, lambda: not app.model_worker.busy and app.model_worker.results.empty())
    kept = set(app.engine.kept)
    if not set(CYCLE) <= kept:
        print(f"warning: preloaded {sorted(kept)}, not all of {CYCLE}: switches may load",
              file=sys.stderr)
    return time.perf_counter() - started


def time_switches(app, switches: int) -> tuple[list[float], list[float]]:
    """Seconds from each ``select_model`` call to the model active, and to its answer shown."""
    to_active, to_shown = [], []
    for index in range(1, switches + 1):
        choice = CYCLE[index % len(CYCLE)]
        before = app.answering.shown_serial
        started = time.perf_counter()
        app.select_model(choice)
        pump_until(app, lambda: app.active_choice == choice)
        to_active.append(time.perf_counter() - started)
        pump_until(app, answered(app, choice, before))
        to_shown.append(time.perf_counter() - started)
    return to_active, to_shown


def run(args: argparse.Namespace) -> list[dict]:
    """Open, draw, switch, close; rows of benchmark, measure, value, unit, target."""
    app = None
    with virtual_display(), tempfile.TemporaryDirectory(prefix="bench-switch-") as workdir:
        try:
            app = open_window(args.models_dir, Path(workdir))
            setup = ready_with_drawing(app)
            to_active, to_shown = time_switches(app, args.switches)
        finally:
            if app is not None:
                app.close()
            gc.collect()  # here, on the Tk thread: the closed window's cycles hold Tk objects
    print("switch -> answer shown, s: " + " ".join(f"{s:.3f}" for s in to_shown),
          file=sys.stderr)
    n = len(to_shown)
    return [
        row("switch", "open -> first answer shown and other models preloaded", setup, "s"),
        row("switch", f"select_model -> model active (median of {n})",
            statistics.median(to_active), "s"),
        row("switch", f"select_model -> its answer shown (median of {n})",
            statistics.median(to_shown), "s", "<= 0.2"),
        row("switch", f"select_model -> its answer shown (max of {n})", max(to_shown), "s"),
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--switches", type=int, default=12,
                        help="model switches to time, cycling model1/model2/both (default: 12)")
    parser.add_argument("--models-dir", default=str(ROOT / "models"),
                        help="folder with the bundled models (default: models/)")
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_and_print(run, build_parser().parse_args(argv), (BenchmarkError, XvfbError, tk.TclError))


if __name__ == "__main__":
    sys.exit(main())
