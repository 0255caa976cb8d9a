"""A virtual X display for the window's tests, benchmarks and screenshot.

    with virtual_display() as name:   # DISPLAY is ``name`` inside, as it was afterwards
        ...


Nothing in the app uses it; it lives in the package so that tests, ``benchmarks/`` and
``python -m digit_recognizer.devtools.screenshot`` import one copy the same way.
"""

from __future__ import annotations

import ctypes
import math
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


class XvfbError(RuntimeError):
    """Xvfb is missing or did not start; the message says which."""


def die_with_parent() -> None:
    """In a child process: get SIGTERM when the parent dies, even if it is killed."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_xvfb(timeout: float = 30.0) -> tuple[subprocess.Popen, str]:
    """Start Xvfb on a free display; return the process and its DISPLAY name (':N')."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise XvfbError("Xvfb is not installed; the window needs it: apt-get install xvfb")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent)
    os.close(write_end)
    number = read_line(read_end, timeout)  # Xvfb writes "N\n" once it accepts clients
    os.close(read_end)
    if not number:
        server.kill()
        raise XvfbError(f"Xvfb did not start within {timeout:.0f} s")
    return server, f":{number}"


@contextmanager
def virtual_display() -> Iterator[str]:
    """Run Xvfb for the ``with`` block, with ``DISPLAY`` pointing at it; yield its name."""
    server, name = start_xvfb()
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = name
    try:
        yield name
    finally:
        server.terminate()
        server.wait(10)
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous


def draw_with_pointer(corners: list[tuple[float, float]], x: int, y: int, size: int,
                      env: dict[str, str]) -> None:
    """Press, move through ``corners`` (fractions of a ``size``-px canvas at screen (x, y)) and
    release, with xdotool: real pointer events, at a hand's pace (a point every ~8 px)."""
    points = []
    for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
        steps = max(1, int(math.hypot(x1 - x0, y1 - y0) * size / 8))
        points += [(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
                   for i in range(steps)]
    points.append(corners[-1])
    screen = [(str(round(x + px * size)), str(round(y + py * size))) for px, py in points]
    command = ["xdotool", "mousemove", *screen[0], "mousedown", "1"]
    for sx, sy in screen[1:]:
        command += ["sleep", "0.008", "mousemove", sx, sy]
    command += ["mouseup", "1"]
    subprocess.run(command, env=env, check=True, timeout=60)


def read_line(fd: int, timeout: float) -> str:
    """Read up to a newline from ``fd`` (closing it early would kill the writer with EPIPE)."""
    data, deadline = b"", time.monotonic() + timeout
    while not data.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 64) if ready else b""
        if not chunk:
            break
        data += chunk
    return data.decode().strip()
