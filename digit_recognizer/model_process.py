"""The network in a child process, so that the window's process never imports TensorFlow.

    from digit_recognizer.model_process import ModelProcess, load_in_child
    child = ModelProcess()
    recognizer = load_in_child("my_model.h5", process=child)   # runs in the child
    result = recognizer.recognize(canvas)

Importing TensorFlow's C extension holds the GIL for long stretches, which froze the window
when the model loaded on a thread. Here a child started with ``spawn`` (never ``fork``: the
parent runs Tk) imports TensorFlow and loads models, and keeps each one it has loaded; the
parent keeps preprocessing and sends only the (N, 28, 28, 1) network input over a pipe, one
round trip per call.

The child exits when its pipe closes: when ``ModelProcess.close`` is called (or, for a child
of its own, when its recognizer is garbage collected), at interpreter exit, or when the parent
dies.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import traceback
import weakref
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from digit_recognizer.results import ModelError
from digit_recognizer.terminal_log import log_details_to_terminal

if TYPE_CHECKING:  # importing it loads OpenCV; the child imports it for real
    from digit_recognizer.recognizer import Recognizer

__all__ = ["ModelProcess", "LoadedModel", "load_in_child", "PROCESS_NAME"]

PROCESS_NAME = "digit-recognizer-model"
STOPPED = "The model process stopped unexpectedly; choose the model again to restart it."
# A child that does not exit this long after its pipe closes is killed.
EXIT_WAIT_S = 5.0


@dataclass(frozen=True)
class LoadedModel:
    """What the child says about a model it has loaded."""

    name: str
    path: Path | None
    metadata: dict
    runtime: str
    notices: tuple[str, ...]


class ModelProcess:
    """A child process that loads models on request, keeps them, and runs them.

    Starting it is quick; the first ``load`` imports TensorFlow in the child (seconds: call it
    off the Tk thread), later loads take a fraction of that. Models stay loaded until the
    child stops, so a model used before comes back at once.
    """

    def __init__(self, models_dir: str | os.PathLike | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self._lock = threading.Lock()
        self.process = context.Process(target=serve, args=(child_conn, models_dir),
                                       name=PROCESS_NAME, daemon=True)
        self.process.start()
        child_conn.close()  # the child's end lives in the child only, so its exit reads as EOF

    def load(self, choice: str) -> LoadedModel:
        """Load ``choice`` in the child (if it is not already); raises ``ModelError``."""
        return LoadedModel(*self._ask(("load", choice)))

    def forward(self, choice: str, x: np.ndarray) -> np.ndarray:
        """(N, 28, 28, 1) float32 in [0, 1] -> (N, 10) probabilities from ``choice``'s model."""
        return self._ask(("predict", choice, x))

    def _ask(self, message: tuple) -> object:
        """Send one request and wait for its answer; one request on the pipe at a time."""
        with self._lock:
            if self._conn.closed:
                raise ModelError("The model process was closed; load the model again.")
            try:
                self._conn.send(message)
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


def load_in_child(choice: str, models_dir: str | os.PathLike | None = None,
                  process: ModelProcess | None = None) -> Recognizer:
    """A ``Recognizer`` for ``choice`` whose network runs in a child process.

    ``choice``: 'model1', 'model2', 'both' or a model file's path, as for
    ``Recognizer.from_choice``. With ``process`` the model loads in that child, which keeps
    it; without, in a child of its own that stops when the recognizer is garbage collected.
    Blocks until the model has loaded; raises ``ModelError``.
    """
    from digit_recognizer.recognizer import Recognizer

    child = process or ModelProcess(models_dir)
    try:
        loaded = child.load(choice)
    except ModelError:
        if process is None:
            child.close()
        raise
    recognizer = Recognizer(partial(child.forward, choice), name=loaded.name, path=loaded.path,
                            metadata=loaded.metadata)
    recognizer.runtime, recognizer.notices = loaded.runtime, loaded.notices
    if process is None:
        weakref.finalize(recognizer, child.close)
    return recognizer


def serve(conn: Connection, models_dir: str | os.PathLike | None) -> None:
    """The child's side: answer load and predict requests until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the window's to handle
    log_details_to_terminal()
    models: dict[str, Recognizer] = {}
    try:
        while True:
            try:
                request = conn.recv()
            except EOFError:  # the parent closed the pipe, or died
                break
            if request[0] == "load":
                conn.send(_load(models, request[1], models_dir))
            else:
                conn.send(_predict(models, request[1], request[2]))
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


def _load(models: dict, choice: str, models_dir) -> tuple[str, object]:
    """Load ``choice`` into ``models`` unless it is there; the reply for the parent."""
    from digit_recognizer.recognizer import Recognizer

    if choice not in models:
        try:
            models[choice] = Recognizer.from_choice(choice, models_dir)
        except ModelError as err:
            return "error", str(err)
        except Exception as err:  # the process's edge: the parent must hear why
            traceback.print_exc()
            return "error", f"{choice} could not be loaded ({type(err).__name__})."
    recognizer = models[choice]
    path = Path(recognizer.path) if recognizer.path is not None else None
    return "ok", (recognizer.name, path, recognizer.metadata, recognizer.runtime,
                  recognizer.notices)


def _predict(models: dict, choice: str, x: np.ndarray) -> tuple[str, object]:
    if choice not in models:
        return "error", "That model is not loaded in the model process; choose it again."
    try:
        return "ok", models[choice].predict(x)
    except Exception as err:  # the process's edge: the parent raises it as a ModelError
        traceback.print_exc()
        return "error", f"The model could not run ({type(err).__name__}: {err})."
