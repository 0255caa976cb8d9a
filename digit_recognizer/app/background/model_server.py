"""The model process's own side: what the child runs (``serve``), started by
``model_process.ModelProcess``.

It answers the parent's requests over the pipe: load a model and keep it (TensorFlow is imported
here, never in the window's process), run one, fine-tune the user's personal model on the
corrections (``_Teacher``: the ``fine-tune`` command's own pipeline,
``training.fine_tuning.pipeline``, replaying the digits bundled with the models,
``core.datasets.replay``, so MNIST is never needed nor downloaded), and make a model's ONNX copy.
Corrections that conflict with common writing are left out, and the metadata says which; a
fine-tuning that can learn none is not saved, and the reply says why. The window's process
never imports this module: its imports load OpenCV, and loading a Keras model imports
TensorFlow.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from digit_recognizer.app.personal_model import not_learned_message, personal_file, save_personal
from digit_recognizer.app.terminal_log import log_details_to_terminal
from digit_recognizer.core.conflicts import CorrectionConflict
from digit_recognizer.core.datasets.errors import MnistError, ReplayError
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.datasets.replay import load_replay
from digit_recognizer.core.results import ModelError
from digit_recognizer.recognition.recognizer import Recognizer, bundled_path
from digit_recognizer.training.export import export_onnx
from digit_recognizer.training.fine_tuning.fine_tune import FineTuneError, Personaliser
from digit_recognizer.training.fine_tuning.pipeline import fine_tune_corrections

__all__ = ["serve", "file_stamp"]


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
    stamp = file_stamp(choice)
    if choice not in models or stamps.get(choice) != stamp:  # new, or its file was replaced
        try:
            models.pop(choice, None)
            # a personal model saved as .h5 before it moved to .keras still loads
            models[choice] = Recognizer.from_choice(os.fspath(personal_file(choice)), models_dir)
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


class _Teacher:
    """The child's fine-tuning side: the replay digits and ``Personaliser`` it keeps. The same
    base file and the same replay arrays on every call let the personaliser keep the base's
    pools from the "warm" request to each teach."""

    def __init__(self, models_dir: str | os.PathLike | None, stamps: dict) -> None:
        self.models_dir, self.stamps = models_dir, stamps
        self.replays: dict[tuple, tuple[tuple[np.ndarray, np.ndarray], int]] = {}
        self.personalisers: dict[str | None, Personaliser] = {}  # by cache folder

    def answer(self, models: dict, request: tuple) -> tuple[str, object]:
        """The reply to a "warm", "personalise" or "export" request; errors in one sentence,
        and a fine-tuning that learned nothing as ("conflict", its sentence)."""
        try:
            if request[0] == "warm":
                options = request[2]
                replay, held = self._replay(options)
                self._personaliser(options).prepare(self._base(request[1]), replay, held)
                return "ok", None
            if request[0] == "export":
                return "ok", str(export_onnx(request[1]))
            return "ok", self._personalise(models, *request[1:])
        except CorrectionConflict as err:
            return "conflict", str(err)
        except MnistError as err:  # MNIST was asked for by name: say where it looked
            return "error", f"MNIST's training digits could not be read for replay: {err}"
        except (ModelError, FineTuneError, ReplayError, OSError) as err:
            return "error", str(err)
        except Exception as err:  # the process's edge: the parent must hear why
            traceback.print_exc()
            return "error", f"The model could not learn ({type(err).__name__}: {err})."

    def _base(self, choice: str) -> Path:
        return bundled_path(choice, self.models_dir)

    def _personaliser(self, options: Any) -> Personaliser:
        cache_dir = options.cache_dir
        if cache_dir not in self.personalisers:
            self.personalisers[cache_dir] = Personaliser(cache_dir=cache_dir)
        return self.personalisers[cache_dir]

    def _replay(self, options: Any) -> tuple[tuple[np.ndarray, np.ndarray], int]:
        """The replay digits and how many lead held out, loaded once: the bundled ones, or
        with ``options.data_dir`` (a ``model_process.PersonaliseOptions``) MNIST's first
        ``options.replay_limit`` training digits."""
        key = (options.data_dir, options.replay_limit)
        if key not in self.replays:
            if options.data_dir is None:  # the default: nothing to find, nothing to download
                replay = load_replay(self.models_dir)
                self.replays[key] = replay.pair, replay.held_out
            else:
                (x_train, y_train), _ = load_mnist(options.data_dir)
                limit = options.replay_limit
                self.replays[key] = (x_train[:limit], y_train[:limit]), 0
        return self.replays[key]

    def _personalise(self, models: dict, base: str, images: np.ndarray, labels: np.ndarray,
                     out: str, options: Any, folder: str | None = None) -> tuple:
        """Fine-tune as ``fine-tune`` does, save the model to ``out`` and keep it loaded."""
        replay, held = self._replay(options)
        tuned = fine_tune_corrections(self._personaliser(options), self._base(base), images,
                                      labels, replay=replay, held=held, folder=folder,
                                      seed=options.seed, models_dir=self.models_dir)
        if tuned.model is None:  # the previous personal model stays, on disk and here
            raise CorrectionConflict(not_learned_message(tuned.refusal(), tuned.left_out))
        save_personal(tuned.model, out, tuned.metadata)
        recognizer = Recognizer(_eager_forward(tuned.model), name=tuned.metadata["name"],
                                path=Path(out), metadata=tuned.metadata)
        models[out] = recognizer  # replaces the model of the previous fine-tuning
        self.stamps[out] = file_stamp(out)
        return recognizer.name, Path(out), tuned.metadata, "keras", ()


def _eager_forward(model):
    """(N, 28, 28, 1) float32 -> (N, 10) through ``model``, with no tracing to wait for."""
    shape = (-1, *tuple(model.inputs[0].shape)[1:])
    return lambda x: np.asarray(model(x.reshape(shape), training=False))
