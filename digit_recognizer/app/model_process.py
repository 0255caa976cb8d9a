"""The network in a child process, so that the window's process never imports TensorFlow.

    from digit_recognizer.app.model_process import ModelProcess, load_in_child
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
import signal
import sys
import threading
import time
import traceback
import weakref
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from digit_recognizer.core.results import ModelError
from digit_recognizer.app.terminal_log import log_details_to_terminal

if TYPE_CHECKING:  # importing it loads OpenCV; the child imports it for real
    from digit_recognizer.recognition.recognizer import Recognizer

__all__ = ["ModelProcess", "LoadedModel", "PersonaliseOptions", "load_in_child",
           "personalise_model", "prepare_model", "PROCESS_NAME"]

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


@dataclass(frozen=True)
class PersonaliseOptions:
    """How the child fine-tunes a personal model: where MNIST is and how much of it to replay."""

    data_dir: str | None = None  # the MNIST files; None: $MNIST_DIR, then the Keras cache
    replay_limit: int | None = None  # the first N training digits only (tests); None: all
    seed: int = 0


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

    def warm_up(self, base: str, options: PersonaliseOptions = PersonaliseOptions()) -> None:
        """Import TensorFlow and load ``base`` and the MNIST replay digits in the child, so
        the first ``personalise`` does not wait for them (seconds: call it off the Tk thread).
        Raises ``ModelError`` if MNIST or the model cannot be loaded."""
        self._ask(("warm", base, options))

    def personalise(self, base: str, images: np.ndarray, labels: np.ndarray,
                    out: str | os.PathLike,
                    options: PersonaliseOptions = PersonaliseOptions()) -> LoadedModel:
        """Fine-tune bundled model ``base`` on the corrections, save it to ``out``, and keep it
        loaded in the child as the model ``str(out)`` (``forward`` runs it at once).

        ``images``: uint8 (N, 28, 28), ink high; ``labels``: (N,) digits. Raises
        ``ModelError`` (MNIST missing, unusable corrections, a failed save) in one sentence.
        """
        return LoadedModel(*self._ask(("personalise", base, images, labels, str(out), options)))

    def export(self, path: str | os.PathLike) -> None:
        """Make the ONNX copy of the model file ``path`` (about a second); ``ModelError``."""
        self._ask(("export", str(path)))

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


def serve(conn: Connection, models_dir: str | os.PathLike | None) -> None:
    """The child's side: answer load and predict requests until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the window's to handle
    log_details_to_terminal()
    models: dict[str, Recognizer] = {}
    stamps: dict[str, tuple | None] = {}  # each model file as it was when loaded
    teacher = _Teacher(models_dir, stamps)
    try:
        while True:
            try:
                request = conn.recv()
            except EOFError:  # the parent closed the pipe, or died
                break
            if request[0] == "load":
                conn.send(_load(models, request[1], models_dir, stamps))
            elif request[0] == "predict":
                conn.send(_predict(models, request[1], request[2]))
            else:
                conn.send(teacher.answer(models, request))
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


def _load(models: dict, choice: str, models_dir, stamps: dict) -> tuple[str, object]:
    """Load ``choice`` into ``models`` unless it is there as its file is now; the reply."""
    from digit_recognizer.recognition.recognizer import Recognizer

    stamp = file_stamp(choice)
    if choice not in models or stamps.get(choice) != stamp:  # new, or its file was replaced
        try:
            models.pop(choice, None)
            models[choice] = Recognizer.from_choice(choice, models_dir)
            stamps[choice] = stamp
        except ModelError as err:
            return "error", str(err)
        except Exception as err:  # the process's edge: the parent must hear why
            traceback.print_exc()
            return "error", f"{choice} could not be loaded ({type(err).__name__})."
    recognizer = models[choice]
    path = Path(recognizer.path) if recognizer.path is not None else None
    return "ok", (recognizer.name, path, recognizer.metadata, recognizer.runtime,
                  recognizer.notices)


def file_stamp(choice: str) -> tuple | None:
    """What tells one version of a model file from the next; None for a bundled choice."""
    try:
        stat = os.stat(choice)
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _predict(models: dict, choice: str, x: np.ndarray) -> tuple[str, object]:
    if choice not in models:
        return "error", "That model is not loaded in the model process; choose it again."
    try:
        return "ok", models[choice].predict(x)
    except Exception as err:  # the process's edge: the parent raises it as a ModelError
        traceback.print_exc()
        return "error", f"The model could not run ({type(err).__name__}: {err})."


# -- fine-tuning the personal model (in the child) ---------------------------------------------


def personalise_model(base, images: np.ndarray, labels: np.ndarray,
                      replay: tuple[np.ndarray, np.ndarray], seed: int = 0):
    """The fine-tuned Keras model: the one place that names the fine-tuning recipe.

    ``base`` is the same loaded Keras model on every call, and ``replay`` the same arrays, so
    the recipe keeps what it prepares for them between calls (``prepare_model``).
    """
    from digit_recognizer.training import fine_tune  # noqa: PLC0415 (imports Keras)

    return fine_tune.personalise(base, images, labels, replay=replay, seed=seed)


def prepare_model(base, replay: tuple[np.ndarray, np.ndarray]) -> None:
    """Do the first fine-tuning's per-base work now, while the user has not taught yet."""
    from digit_recognizer.training import fine_tune  # noqa: PLC0415 (imports Keras)

    fine_tune.prepare(base, replay=replay)


class _Teacher:
    """The child's fine-tuning side: the base models and MNIST replay digits it keeps."""

    def __init__(self, models_dir: str | os.PathLike | None, stamps: dict) -> None:
        self.models_dir, self.stamps = models_dir, stamps
        self.bases: dict[str, object] = {}
        self.replays: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def answer(self, models: dict, request: tuple) -> tuple[str, object]:
        """The reply to a "warm", "personalise" or "export" request; errors in one sentence."""
        from digit_recognizer.core.mnist import MnistError
        from digit_recognizer.training.fine_tune import FineTuneError

        try:
            if request[0] == "warm":
                prepare_model(self._base(request[1]), self._replay(request[2]))
                return "ok", None
            if request[0] == "export":
                from digit_recognizer.training.export import export_onnx

                return "ok", str(export_onnx(request[1]))
            return "ok", self._personalise(models, *request[1:])
        except MnistError:
            traceback.print_exc()  # where it looked, for the terminal
            return "error", ("MNIST's training digits, which it replays to keep what it knew, "
                             "were not found (set MNIST_DIR to their folder)")
        except (ModelError, FineTuneError, OSError) as err:
            return "error", str(err)
        except Exception as err:  # the process's edge: the parent must hear why
            traceback.print_exc()
            return "error", f"The model could not learn ({type(err).__name__}: {err})."

    def _base(self, choice: str):
        from digit_recognizer.recognition.recognizer import bundled_path, load_keras_file

        if choice not in self.bases:
            self.bases[choice] = load_keras_file(bundled_path(choice, self.models_dir))
        return self.bases[choice]

    def _replay(self, options: PersonaliseOptions) -> tuple[np.ndarray, np.ndarray]:
        from digit_recognizer.core.mnist import load_mnist

        key = (options.data_dir, options.replay_limit)
        if key not in self.replays:
            (x_train, y_train), _ = load_mnist(options.data_dir)
            limit = options.replay_limit
            self.replays[key] = (x_train[:limit], y_train[:limit])
        return self.replays[key]

    def _personalise(self, models: dict, base: str, images: np.ndarray, labels: np.ndarray,
                     out: str, options: PersonaliseOptions) -> tuple:
        from digit_recognizer.core.mnist import dataset_sha256
        from digit_recognizer.app.personal_model import personal_metadata, save_personal
        from digit_recognizer.recognition.recognizer import Recognizer

        started = time.monotonic()
        model = personalise_model(self._base(base), images, labels, self._replay(options),
                                  seed=options.seed)
        metadata = personal_metadata(base, len(labels), dataset_sha256(images, labels),
                                     time.monotonic() - started, options.seed,
                                     base_threshold(base, self.models_dir))
        save_personal(model, out, metadata)
        recognizer = Recognizer(_eager_forward(model), name=metadata["name"], path=Path(out),
                                metadata=metadata)
        models[out] = recognizer  # replaces the model of the previous fine-tuning
        self.stamps[out] = file_stamp(out)
        return recognizer.name, Path(out), metadata, "keras", ()


def base_threshold(base: str, models_dir: str | os.PathLike | None) -> float | None:
    """The bundled base model's not-a-digit threshold, which its fine-tuned copy keeps: the
    fine-tuning replays non-digits too, so what is flat for the base stays flat."""
    from digit_recognizer.core.catalogue import recorded_threshold
    from digit_recognizer.recognition.recognizer import bundled_path

    return recorded_threshold(bundled_path(base, models_dir))


def _eager_forward(model):
    """(N, 28, 28, 1) float32 -> (N, 10) through ``model``, with no tracing to wait for."""
    shape = (-1, *tuple(model.inputs[0].shape)[1:])
    return lambda x: np.asarray(model(x.reshape(shape), training=False))
