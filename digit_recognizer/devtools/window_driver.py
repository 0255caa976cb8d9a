"""Drive the real window as a person does, with Tk events: for the tests and the benchmarks.

    draw(app, [[(0.28, 0.22), (0.72, 0.22), (0.46, 0.82)]])   # a 7: strokes in paper fractions
    seconds = pump_until(app, lambda: app.state == "ready")
    settle(app); shown(app)                                     # the answer to the drawing

``app`` is a ``gui.DigitRecognizerApp``. The app never uses this module; like ``xvfb`` and
``synthetic`` it lives in the package so that the tests and the benchmarks share one copy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

__all__ = ["WindowTimeout", "answered", "densify", "draw", "pump_until", "settle", "shown"]

Point = tuple[float, float]


class WindowTimeout(AssertionError):
    """The window did not get where it should in time; the message quotes its status bar.

    An AssertionError, so that a test that waits in vain fails rather than errs.
    """


def pump_until(app, condition: Callable[[], bool], timeout: float = 180.0,
               pause: float = 0.005) -> float:
    """Run the window's event loop until ``condition()`` holds; the seconds it took.

    ``pause`` lets the worker threads have the GIL between event-loop turns. Raises
    ``WindowTimeout`` after ``timeout`` seconds.
    """
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        app.root.update()
        if condition():
            return time.perf_counter() - started
        time.sleep(pause)
    raise WindowTimeout(f"timed out after {timeout} s; status: {app.window.status.text!r}")


def densify(points: Sequence[Point], step: float = 4.0) -> list[tuple[int, int]]:
    """Points every ``step`` pixels along a polyline, like motion events of a moving mouse."""
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        n = max(1, int(math.hypot(x1 - x0, y1 - y0) / step))
        out += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1)]
    return [(round(x), round(y)) for x, y in out]


def draw(app, strokes: Sequence[Sequence[Point]], *, release: bool = True, dx: float = 0.0,
         dy: float = 0.0, scale: float = 1.0) -> None:
    """Draw ``strokes`` (fractions of the paper's side) with press, motion and release events,
    scaled about the paper's centre and shifted by (``dx``, ``dy``)."""
    canvas, size = app.window.canvas, app.window.canvas.side
    for stroke in strokes:
        points = densify([((0.5 + (x - 0.5) * scale + dx) * size,
                           (0.5 + (y - 0.5) * scale + dy) * size) for x, y in stroke])
        canvas.event_generate("<ButtonPress-1>", x=points[0][0], y=points[0][1])
        for x, y in points[1:]:
            canvas.event_generate("<B1-Motion>", x=x, y=y)
            app.root.update()
        if release:
            canvas.event_generate("<ButtonRelease-1>", x=points[-1][0], y=points[-1][1])
        app.root.update()


def settle(app) -> None:
    """Run the event loop until the workers are idle and the answer on screen is for the
    drawing as it is now (an opened image is read on the file worker first)."""
    pump_until(app, lambda: not app.model_worker.busy and app.model_worker.results.empty()
               and not app.io_worker.busy and app.answering.up_to_date)
    app.root.update()


def answered(app) -> str:
    """``settle``, then what the answer panel shows (``shown``)."""
    settle(app)
    return shown(app)


def shown(app) -> str:
    """What the answer panel shows in the digit's place: a digit, a number or a message."""
    return str(app.window.answer.digit_label.cget("text"))
