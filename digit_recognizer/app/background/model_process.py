"""The network in a child process, so that the window's process never imports TensorFlow;
this is the parent's side of it (the child's is ``model_server``).

    from digit_recognizer.app.background.model_process import ModelProcess, load_in_child
    child = ModelProcess()
    recognizer = load_in_child("my_model.h5", process=child)   # runs in the child
    result = recognizer.recognize(canvas)

Importing TensorFlow's C extension holds the GIL for long stretches, which froze the window
when the model loaded on a thread. Here a child started with ``spawn`` (never ``fork``: the
parent runs Tk) imports TensorFlow and loads models, and keeps each one it has loaded; the
parent keeps preprocessing and sends only the (N, 28, 28, 1) network input over a pipe, one
round trip per call.

It also fine-tunes the user's personal model (``personalise``): the child keeps each base
model it has loaded and the MNIST training digits that fine-tuning replays, so a teach costs
only the training itself. ``warm_up`` imports TensorFlow and loads those ahead of the first
teach, once the window is up.

The child exits when its pipe closes: when ``ModelProcess.close`` is called (or, for a child
of its own, when its recognizer is garbage collected), at interpreter exit, or when the parent
dies.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import weakref
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from digit_recognizer.core.conflicts import CorrectionConflict
from digit_recognizer.core.results import ModelError

if TYPE_CHECKING:  # importing it loads OpenCV; the child imports it for real
    from digit_recognizer.recognition.recognizer import Recognizer

__all__ = ["ModelProcess", "LoadedModel", "PersonaliseOptions", "load_in_child", "PROCESS_NAME"]

PROCESS_NAME = "digit-recognizer-model"
STOPPED = "The model process stopped unexpectedly; choose the model again to restart it."
# A child that does not exit this long after its pipe closes is killed.
EXIT_WAIT_S = 5.0
# Requests that only prepare or answer (nothing is written): closing cuts them short, since
# their answer would go unread. A fit or an ONNX copy in flight is waited for: it saves a file.
CUT_SHORT = ("load", "predict", "warm")


@dataclass(frozen=True)
class LoadedModel:
    """What the child says about a model it has loaded."""

    name: str
    path: Path | None
    metadata: dict
    runtime: str
    notices: tuple[str, ...]


@dataclass(frozen=True)
class PersonaliseOptions:
    """How the child fine-tunes a personal model: which digits it replays."""

    # None: the replay digits bundled with the models (``core.datasets.replay``); a folder: MNIST's
    # training digits there, of which the guard holds random ones out
    data_dir: str | None = None
    replay_limit: int | None = None  # with data_dir, the first N training digits only
    seed: int = 0
    # where the base's pools are kept between starts, shared with ``fine-tune``
    # (``pool_cache``): written at the first teach, never by warming up; None: made again by
    # every model process
    cache_dir: str | None = None


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
        self._closing = False
        self.asking: str | None = None  # the request on the pipe now ("load", "warm"…), if any
        self.process = context.Process(target=_serve, args=(child_conn, models_dir),
                                       name=PROCESS_NAME, daemon=True)
        self.process.start()
        child_conn.close()  # the child's end lives in the child only, so its exit reads as EOF

    def load(self, choice: str) -> LoadedModel:
        """Load ``choice`` in the child (if it is not already); raises ``ModelError``."""
        return LoadedModel(*self._ask(("load", choice)))

    def forward(self, choice: str, x: np.ndarray) -> np.ndarray:
        """(N, 28, 28, 1) float32 in [0, 1] -> (N, 10) probabilities from ``choice``'s model."""
        return self._ask(("predict", choice, x))

    def warm_up(self, base: str, options: PersonaliseOptions = PersonaliseOptions()) -> None:
        """Import TensorFlow and load ``base`` and the replay digits in the child, and make
        the base's pools in memory, so the first ``personalise`` does not wait for them
        (seconds: call it off the Tk thread). Nothing is written to disk until a teach.
        Raises ``ModelError`` if the replay digits or the model cannot be loaded."""
        self._ask(("warm", base, options))

    def personalise(self, base: str, images: np.ndarray, labels: np.ndarray,
                    out: str | os.PathLike,
                    options: PersonaliseOptions = PersonaliseOptions(),
                    folder: str | os.PathLike | None = None) -> LoadedModel:
        """Fine-tune bundled model ``base`` on the corrections as ``fine-tune`` does
        (``training.fine_tuning.pipeline``), save it to ``out``, and keep it loaded in the
        child as the model ``str(out)`` (``forward`` runs it at once).

        ``images``: uint8 (N, 28, 28), ink high; ``labels``: (N,) digits; ``folder``: the
        corrections' folder, where conflicts are recorded and read (None: neither). Those that
        conflict with common writing are left out: the metadata's ``left_out`` says which.
        Raises ``CorrectionConflict`` (a ``ModelError``) if none could be learned, which
        leaves ``out`` as it was, and ``ModelError`` (unusable corrections, a failed save) in
        one sentence.
        """
        folder = None if folder is None else str(folder)
        return LoadedModel(*self._ask(("personalise", base, images, labels, str(out), options,
                                       folder)))

    def export(self, path: str | os.PathLike) -> None:
        """Make the ONNX copy of the model file ``path`` (about a second); ``ModelError``."""
        self._ask(("export", str(path)))

    def _ask(self, message: tuple) -> object:
        """Send one request and wait for its answer; one request on the pipe at a time."""
        with self._lock:
            # Set before ``_closing`` is read, as ``close`` sets that before reading this:
            # either this request sees the closing, or the closing sees this request.
            self.asking = message[0]
            try:
                if self._closing or self._conn.closed:
                    raise ModelError("The model process was closed; load the model again.")
                self._conn.send(message)
                status, value = self._conn.recv()
            except (EOFError, OSError) as err:
                raise ModelError(STOPPED) from err
            finally:
                self.asking = None
        if status == "conflict":
            raise CorrectionConflict(value)
        if status != "ok":
            raise ModelError(value)
        return value

    def close(self) -> None:
        """Stop the child (it exits when the pipe closes); safe to call more than once.

        A fit or an ONNX copy on its way is waited for; a warm-up, a load or a prediction is
        cut short (the child is killed), so that closing the window never waits seconds for
        TensorFlow's import whose result nobody would use. Its caller gets ``ModelError``.
        """
        self._closing = True
        if self.asking in CUT_SHORT:
            self.process.kill()
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
    # It loads OpenCV, which the window's start path (this module is on it) must not.
    from digit_recognizer.recognition.recognizer import Recognizer

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


def _serve(conn: Connection, models_dir: str | os.PathLike | None) -> None:
    """The child's entry point: ``model_server.serve``."""
    # The child's side loads OpenCV and TensorFlow: imported in the child, never in the window.
    from digit_recognizer.app.background.model_server import serve  # noqa: PLC0415

    serve(conn, models_dir)
