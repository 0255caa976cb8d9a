"""Switching bundled models in the window: Model menu choice -> the new model's answer shown.

    python benchmarks/bench_switch.py [--switches 12] [--models-dir models]

Opens the real window on a virtual display (Xvfb, started here) with the app's own loaders
(``model_loading.load_model_choice``, and its in-process form for the preload), draws a 7 with
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
from digit_recognizer.devtools.window_driver import WindowTimeout, draw, pump_until  # noqa: E402
from digit_recognizer.devtools.xvfb import XvfbError, virtual_display  # noqa: E402

CYCLE = ("model1", "model2", "both")
SEVEN = [(0.28, 0.22), (0.72, 0.22), (0.46, 0.82)]  # fractions of the canvas side
TIMEOUT_S = 120.0


def wait(app, condition: Callable[[], bool]) -> float:
    """Pump the window until ``condition()`` holds; the seconds it took."""
    return pump_until(app, condition, TIMEOUT_S, pause=0.001)


def answered(app, choice: str, before: int) -> Callable[[], bool]:
    """True once ``choice`` is active and a prediction newer than ``before`` is shown."""
    return lambda: (app.active_choice == choice and app.state == "ready"
                    and app.answering.shown_serial > before and app.answering.up_to_date)


def open_window(models_dir: str, workdir: Path):
    """The real window with the app's real loaders, settings and corrections in ``workdir``."""
    from digit_recognizer.app.background.model_loading import load_model_choice
    from digit_recognizer.app.gui import DigitRecognizerApp

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
    wait(app, lambda: app.recognizer is not None and app.state == "ready")
    draw(app, [SEVEN])
    wait(app, answered(app, CYCLE[0], -1))
    wait(app, lambda: not app.model_worker.busy and app.model_worker.results.empty())
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
        wait(app, lambda: app.active_choice == choice)
        to_active.append(time.perf_counter() - started)
        wait(app, answered(app, choice, before))
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
    return run_and_print(run, build_parser().parse_args(argv),
                         (WindowTimeout, XvfbError, tk.TclError))


if __name__ == "__main__":
    sys.exit(main())
