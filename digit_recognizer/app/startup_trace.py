"""What ``benchmarks/bench_startup.py`` measures, written by the window when asked to.

Set ``DIGIT_RECOGNIZER_TRACE=FILE`` and the window appends one ``EVENT TIME [VALUES]`` line per
moment (``time.time()``): ``mapped`` (with the canvas's screen position and size), ``paper``
(the same, each time the canvas is resized or moved), ``ready`` (a model is loaded), ``shown``
(the first prediction is on screen) and ``stall PHASE MS`` (a new longest gap between
event-loop turns, the pauses a user feels).
"""

from __future__ import annotations

import os
import time
import tkinter as tk
from pathlib import Path
from typing import Callable

__all__ = ["StartupTrace", "TRACE_ENV", "read_trace"]

TRACE_ENV = "DIGIT_RECOGNIZER_TRACE"
HEARTBEAT_MS = 10  # the event loop's pulse while tracing


def read_trace(path: str | os.PathLike) -> dict[str, list[list[str]]]:
    """A trace file's lines grouped by event: {event: [[time, values...], ...]}."""
    events: dict[str, list[list[str]]] = {}
    if Path(path).exists():
        for line in Path(path).read_text().splitlines():
            event, *rest = line.split()
            events.setdefault(event, []).append(rest)
    return events


class StartupTrace:
    """Appends trace lines to ``path``; with ``path`` None it does nothing."""

    def __init__(self, root: tk.Misc, path: str | os.PathLike | None,
                 phase: Callable[[], str]) -> None:
        """``phase()`` names what the window is doing, for the stall lines."""
        self.root, self.phase = root, phase
        self.path = Path(path) if path else None
        self._worst: dict[str, float] = {}
        self._after: str | None = None
        if self.path is not None:
            self._after = root.after(HEARTBEAT_MS, self._beat, time.monotonic())

    def event(self, name: str, *values: object) -> None:
        if self.path is not None:
            with open(self.path, "a", encoding="utf-8") as out:
                out.write(" ".join([name, f"{time.time():.6f}", *map(str, values)]) + "\n")

    def stop(self) -> None:
        if self._after is not None:
            self.root.after_cancel(self._after)
            self._after = None

    def _beat(self, last: float) -> None:
        now = time.monotonic()
        phase = self.phase()
        gap_ms = (now - last) * 1000 - HEARTBEAT_MS
        if gap_ms > self._worst.get(phase, 0):
            self._worst[phase] = gap_ms
            self.event("stall", phase, f"{gap_ms:.0f}")
        self._after = self.root.after(HEARTBEAT_MS, self._beat, now)
