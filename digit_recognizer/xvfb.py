"""A virtual X display for the window's tests, benchmarks and screenshot.

    with virtual_display() as name:   # DISPLAY is ``name`` inside, as it was afterwards
        ...


Nothing in the app uses it; it lives in the package so that tests, ``benchmarks/`` and
``python -m digit_recognizer.screenshot`` import one copy the same way.
"""

from __future__ import annotations

import ctypes
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
