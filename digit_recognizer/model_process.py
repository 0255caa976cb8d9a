"""The network in a child process, so that the window's process never imports TensorFlow.

    from digit_recognizer.model_process import load_in_child
    recognizer = load_in_child("model1")    # a Recognizer whose network runs in the child
    result = recognizer.recognize(canvas)

Importing TensorFlow's C extension holds the GIL for long stretches, which froze the window
when the model loaded on a thread. Here a child started with ``spawn`` (never ``fork``: the
parent runs Tk) imports TensorFlow and loads the model; the parent keeps preprocessing and
sends only the (N, 28, 28, 1) network input over a pipe, one round trip per call.

The child exits when its pipe closes: when the recognizer is garbage collected, when
``ModelProcess.close`` is called, at interpreter exit, or when the parent dies.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import traceback
import weakref
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from digit_recognizer.results import ModelError

if TYPE_CHECKING:  # importing it loads OpenCV; the child imports it for real
    from digit_recognizer.recognizer import Recognizer

__all__ = ["ModelProcess", "load_in_child", "PROCESS_NAME"]

PROCESS_NAME = "digit-recognizer-model"
STOPPED = "The model process stopped unexpectedly; choose the model again to restart it."
# A child that does not exit this long after its pipe closes is killed.
EXIT_WAIT_S = 5.0


class ModelProcess:
    """A child process that loads the model for ``choice`` and runs it on request.

    Construction waits until the model has loaded (seconds: call it off the Tk thread) and
    raises ``ModelError`` with the child's message if it could not be loaded.
    """

    def __init__(self, choice: str, models_dir: str | os.PathLike | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._lock = threading.Lock()
        self.process = context.Process(
            target=serve, args=(child_conn, choice, models_dir), name=PROCESS_NAME, daemon=True
        )
        self.process.start()
        child_conn.close()  # the child's end lives in the child only, so its exit reads as EOF
        try:
            reply = self._conn.recv()
        except (EOFError, OSError):
            reply = ("error", STOPPED)
        if reply[0] != "loaded":
            self.close()
            raise ModelError(reply[1])
        _, self.name, self.path, self.metadata, self.runtime, self.notices = reply

    def forward(self, x: np.ndarray) -> np.ndarray:
        """(N, 28, 28, 1) float32 in [0, 1] -> (N, 10) probabilities, computed in the child."""
        with self._lock:
            if self._conn.closed:
                raise ModelError("The model process was closed; load the model again.")
            try:
                self._conn.send(x)
                status, value = self._conn.recv()
            except (EOFError, OSError) as err:
                raise ModelError(STOPPED) from err
        if status != "ok":
            raise ModelError(value)
        return value

    def close(self) -> None:
        """Stop the child (it exits when the pipe closes); safe to call more than once."""
        with self._lock:  # never while a request is on the pipe
            if not self._conn.closed:
                self._conn.close()
        self.process.join(EXIT_WAIT_S)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()


def load_in_child(choice: str, models_dir: str | os.PathLike | None = None) -> Recognizer:
    """A ``Recognizer`` for ``choice`` whose network runs in its own child process.

    ``choice``: 'model1', 'model2', 'both' or a model file's path, as for
    ``Recognizer.from_choice``. Blocks until the model has loaded; raises ``ModelError``.
    The child stops when the returned recognizer is garbage collected.
    """
    from digit_recognizer.recognizer import Recognizer

    child = ModelProcess(choice, models_dir)
    recognizer = Recognizer(child.forward, name=child.name, path=child.path,
                            metadata=child.metadata)
    recognizer.runtime, recognizer.notices = child.runtime, child.notices
    weakref.finalize(recognizer, child.close)
    return recognizer


def serve(conn: Connection, choice: str, models_dir: str | os.PathLike | None) -> None:
    """The child's side: load ``choice``, say so, then answer predictions until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the window's to handle
    try:
        recognizer = _load(conn, choice, models_dir)
        while recognizer is not None:
            try:
                x = conn.recv()
            except EOFError:  # the parent closed the pipe, or died
                break
            conn.send(_predict(recognizer, x))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent went away while we answered
    except Exception:  # the process's edge: say why before exiting; the parent reads EOF
        traceback.print_exc()
    finally:
        conn.close()
        # Skip TensorFlow's slow teardown: nothing here needs saving, and the parent waits.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _load(conn: Connection, choice: str, models_dir) -> Recognizer | None:
    """Load the model and tell the parent how it went; None if it could not be loaded."""
    from digit_recognizer.recognizer import Recognizer

    try:
        recognizer = Recognizer.from_choice(choice, models_dir)
    except ModelError as err:
        conn.send(("error", str(err)))
        return None
    except Exception as err:  # the process's edge: the parent must hear why
        traceback.print_exc()
        conn.send(("error", f"{choice} could not be loaded ({type(err).__name__}: {err})."))
        return None
    path = Path(recognizer.path) if recognizer.path is not None else None
    conn.send(("loaded", recognizer.name, path, recognizer.metadata, recognizer.runtime,
               recognizer.notices))
    return recognizer


def _predict(recognizer: Recognizer, x: np.ndarray) -> tuple[str, object]:
    try:
        return "ok", recognizer.predict(x)
    except Exception as err:  # the process's edge: the parent raises it as a ModelError
        traceback.print_exc()
        return "error", f"The model could not run ({type(err).__name__}: {err})."
