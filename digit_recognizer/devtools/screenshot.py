"""The README's picture of the window after drawing a 7, taken from the real app.

    python -m digit_recognizer.devtools.screenshot                      # docs/screenshot.png
    python -m digit_recognizer.devtools.screenshot --out /tmp/shot.png  # anywhere else
    python -m digit_recognizer.devtools.screenshot --out /tmp/min.png --geometry 1x1  # smallest

It starts a virtual display (Xvfb), launches ``python main.py`` with settings and corrections
folders of its own (the user's are never read or changed), draws a 7 with real pointer events
(xdotool) once the window is mapped, waits until the answer is on screen, and grabs the window,
menu bar included, with ImageMagick's ``import``. Needs Xvfb, xdotool and ImageMagick:
``make screenshot`` installs them where it may. Only this command writes the picture; the tests
never do.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from digit_recognizer.app.startup_trace import TRACE_ENV, read_trace
from digit_recognizer.app.window.main_window import geometry_option
from digit_recognizer.core.files import atomic_path
from digit_recognizer.devtools.xvfb import XvfbError, draw_with_pointer, start_xvfb

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "docs" / "screenshot.png"
SEVEN = [(0.28, 0.22), (0.72, 0.22), (0.46, 0.82)]  # corners of a 7, fractions of the canvas
TIMEOUT_S = 120.0
SETTLE_S = 1.0  # after the first answer: live predictions of the finished 7 and the bars' redraw
TOOLS = {"Xvfb": "xvfb", "xdotool": "xdotool", "import": "imagemagick"}  # command -> package


class ScreenshotError(RuntimeError):
    """The screenshot could not be taken; the message says why."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m digit_recognizer.devtools.screenshot",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="PNG file to write (default: docs/screenshot.png)")
    parser.add_argument("--model", help="model1, model2, both or a model file "
                                        "(default: the app's default)")
    parser.add_argument("--geometry", type=geometry_option, metavar="WIDTHxHEIGHT",
                        help="the window's size, as the app's --geometry takes it (1x1: the "
                             "smallest; default: the size the window opens at)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        take_screenshot(args.out, args.model, args.geometry)
    except (ScreenshotError, XvfbError, subprocess.SubprocessError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"Wrote {args.out}")
    return 0


def take_screenshot(out: Path, model: str | None = None, geometry: str | None = None) -> None:
    """Launch the app on a fresh virtual display, draw a 7 and write the window to ``out``.

    ``model`` and ``geometry`` go to the app's options of those names.
    """
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise ScreenshotError(f"{', '.join(missing)} not installed: apt-get install "
                              + " ".join(TOOLS[tool] for tool in missing))
    server, display = start_xvfb()
    try:
        with tempfile.TemporaryDirectory(prefix="digit-screenshot-") as workdir:
            shoot(Path(workdir), {**os.environ, "DISPLAY": display}, out, model, geometry)
    finally:
        server.terminate()
        server.wait(10)


def shoot(workdir: Path, env: dict[str, str], out: Path, model: str | None,
          geometry: str | None = None) -> None:
    """Run the app with its trace in ``workdir``, draw, wait for the answer, grab the window."""
    trace = workdir / "trace.txt"
    env = {**env, TRACE_ENV: str(trace), "XDG_CONFIG_HOME": str(workdir / "config"),
           "XDG_DATA_HOME": str(workdir / "data"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, str(ROOT / "main.py")] + (["--model", model] if model else []) \
        + (["--geometry", geometry] if geometry else [])
    log = workdir / "app.log"  # a file, not a pipe: a pipe nobody reads can stall the app
    with open(log, "w", encoding="utf-8") as errors:
        app = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=errors)
    try:
        wait_for(trace, "mapped", app, log)
        wait_for(trace, "ready", app, log)  # the model loaded and the window laid out
        x, y, size = settled_paper(trace)
        draw_with_pointer(SEVEN, x, y, size, env)
        subprocess.run(["xdotool", "mousemove", "0", "0"], env=env, check=True,
                       timeout=10)  # the pointer out of the picture
        wait_for(trace, "shown", app, log)
        time.sleep(SETTLE_S)
        with atomic_path(out) as tmp:
            grab(env, window_geometry(env, x, y), tmp)
    finally:
        app.terminate()
        app.wait(30)


def wait_for(trace: Path, event: str, app: subprocess.Popen, log: Path) -> list[str]:
    """Wait until the window writes ``event`` to its trace; return its values.

    If the app exits first, the last line it wrote to ``log`` (its stderr) says why.
    """
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        found = read_trace(trace).get(event)
        if found:
            return found[0]
        if app.poll() is not None:
            last = log.read_text(errors="replace").strip().splitlines()[-1:]
            raise ScreenshotError(f"the app exited ({app.returncode}) before '{event}'"
                                  + (f": {last[0]}" if last else ""))
        time.sleep(0.02)
    raise ScreenshotError(f"the window did not report '{event}' within {TIMEOUT_S:.0f} s")


def settled_paper(trace: Path, quiet_s: float = 0.5) -> tuple[int, int, int]:
    """The paper's screen position and side once it has not moved for ``quiet_s``: a window
    given a size lays itself out again after it first shows."""
    last, since = None, time.monotonic()
    deadline = since + TIMEOUT_S
    while time.monotonic() < deadline:
        events = read_trace(trace)
        latest = (events.get("paper") or events["mapped"])[-1][1:]
        if latest != last:
            last, since = latest, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            x, y, side = map(int, latest)
            return x, y, side
        time.sleep(0.05)
    raise ScreenshotError(f"the window kept resizing for {TIMEOUT_S:.0f} s")


def window_geometry(env: dict[str, str], x: int, y: int) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the top-level window that holds screen point (x, y).

    Tk puts the menu bar and the window's contents in one wrapper window, a child of the
    screen's root: its geometry is what a user sees. Found by the canvas's position from the
    trace, so no window title or class has to be guessed; the search also lists the root
    window, which holds every point, hence the smallest window that holds this one.
    """
    found = subprocess.run(["xdotool", "search", "--maxdepth", "1", "--onlyvisible", "--name",
                            ""], env=env, capture_output=True, text=True, timeout=30)
    boxes = []
    for window in found.stdout.split():
        shell = subprocess.run(["xdotool", "getwindowgeometry", "--shell", window], env=env,
                               capture_output=True, text=True, check=True, timeout=30).stdout
        values = dict(line.split("=", 1) for line in shell.split())
        left, top, width, height = (int(values[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
        if left <= x < left + width and top <= y < top + height:
            boxes.append((left, top, width, height))
    if not boxes:
        raise ScreenshotError("the app's window was not found on the display")
    return min(boxes, key=lambda box: box[2] * box[3])


def grab(env: dict[str, str], box: tuple[int, int, int, int], path: Path) -> None:
    """Write the screen's ``box`` (x, y, width, height) to the PNG ``path``."""
    x, y, width, height = box
    subprocess.run(["import", "-window", "root", "-crop", f"{width}x{height}+{x}+{y}",
                    "+repage", str(path)], env=env, check=True, capture_output=True, timeout=60)


if __name__ == "__main__":
    sys.exit(main())
