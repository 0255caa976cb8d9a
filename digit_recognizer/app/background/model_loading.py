"""Loading a model choice into a recognizer: ``load_model_choice`` and the window's
``ModelLoader``.

A bundled model runs from its ONNX copy in this process (milliseconds, no TensorFlow); a Keras
file, or a bundled model whose ONNX copy cannot be used, loads and runs in the model's child
process (``model_process``), so the window's process never imports TensorFlow. The same child
fine-tunes the user's personal model (``ModelLoader.personalise``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from digit_recognizer.app.background.job_results import Done, Failed
from digit_recognizer.app.background.model_process import ModelProcess, load_in_child
from digit_recognizer.app.personal_model import corrections_for, personal_file
from digit_recognizer.core.catalogue import is_bundled_choice
from digit_recognizer.core.results import ModelError

if TYPE_CHECKING:  # importing it loads OpenCV: the window's start path must not
    from digit_recognizer.recognition.recognizer import Recognizer

__all__ = ["load_model_choice", "ModelLoader"]


def load_model_choice(choice: str, models_dir: str | os.PathLike | None = None,
                      in_child: bool = True,
                      child: Callable[[], ModelProcess] | None = None) -> Recognizer:
    """Load the recognizer for ``choice``: 'model1', 'model2', 'both' or a model file's path.

    A bundled model runs from its ONNX copy in this process (milliseconds, no TensorFlow).
    A Keras file, or a bundled model whose ONNX copy cannot be used, loads and runs in a child
    process (``model_process``; the one ``child()`` gives, asked only then, or one of its
    own): importing TensorFlow holds the GIL, which would freeze the window if it happened in
    this process; that takes seconds, so call this on a worker thread. ``in_child=False``
    raises ``ModelError`` instead of using a child.
    """
    if is_bundled_choice(choice):
        recognizer = _from_onnx_copy(choice, models_dir)
        if not isinstance(recognizer, ModelError):
            return recognizer
        if not in_child:
            raise recognizer
        # The child falls back to Keras and says why in the recognizer's notices.
    elif not in_child:
        raise ModelError(f"{choice} needs TensorFlow, which loads in a child process.")
    return load_in_child(choice, models_dir, child() if child else None)


def _from_onnx_copy(choice: str, models_dir: str | os.PathLike | None = None
                    ) -> Recognizer | ModelError:
    """``choice`` (a bundled choice, or a Keras file's path) run from its ONNX copy in this
    process, or the ``OnnxCopyError`` that says why its copy cannot be used."""
    # Both load OpenCV, which the window's start path must not: imported when a model loads.
    from digit_recognizer.recognition.inference import OnnxCopyError  # noqa: PLC0415
    from digit_recognizer.recognition.recognizer import Recognizer  # noqa: PLC0415

    try:
        if is_bundled_choice(choice):
            return Recognizer.from_choice(choice, models_dir, runtime="onnx")
        return Recognizer.load_onnx(choice)
    except OnnxCopyError as err:
        return err


class ModelLoader:
    """The window's loader: ``load_model_choice`` with one model process for all Keras files.

    The child starts with the first model that needs it and keeps every model it loads, so
    coming back to one is instant and another loads without importing TensorFlow again.

    It is also the window's teacher: the same child fine-tunes the personal model at
    ``personal`` (``personalise``), and that model runs from its ONNX copy in this process
    when the copy is up to date, as the bundled ones do.
    """

    def __init__(self, models_dir: str | os.PathLike | None = None, *,
                 personal: str | os.PathLike | None = None, options: Any = None) -> None:
        """``options``: a ``model_process.PersonaliseOptions`` (MNIST folder, replay size,
        pool cache)."""
        self.models_dir = models_dir
        self.personal = str(personal) if personal is not None else None
        self.options = options
        self._process: ModelProcess | None = None
        self._lock = threading.Lock()

    def __call__(self, choice: str) -> Recognizer:
        if choice == self.personal:
            recognizer = _from_onnx_copy(personal_file(choice))
            if not isinstance(recognizer, ModelError):
                return recognizer
            # Not made yet, or a kill cut it short: the child loads the .h5.
        return load_model_choice(choice, self.models_dir, child=self._child)

    def warm_up(self, base: str) -> Done | Failed:
        """Import TensorFlow, ``base`` and MNIST in the child before the first teach."""
        try:
            self._child().warm_up(base, *self._options())
        except ModelError as err:
            return Failed("warm", str(err))
        return Done("warm", "")

    def personalise(self, base: str, images: np.ndarray, labels: np.ndarray,
                    out: Path) -> Recognizer:
        """Fine-tune ``base`` on the corrections into ``out``; the recognizer that runs it in
        the child. Corrections that conflict with common writing are left out and recorded
        beside the others (``training.fine_tuning.pipeline``). Raises ``ModelError``, or
        ``CorrectionConflict`` when none could be learned."""
        child = self._child()
        child.personalise(base, images, labels, out, *self._options(),
                          folder=corrections_for(out))
        return load_in_child(str(out), process=child)  # the child has it: no loading

    def export(self, path: Path) -> Done | Failed:
        """Make the ONNX copy of ``path``, so the next start runs it without TensorFlow."""
        try:
            self._child().export(path)
        except ModelError as err:
            return Failed("export", str(err))
        return Done("export", "")

    def _options(self) -> tuple:
        return () if self.options is None else (self.options,)

    def in_process(self, choice: str) -> Recognizer:
        """A bundled model without TensorFlow, or ``ModelError``: for preloading."""
        return load_model_choice(choice, self.models_dir, in_child=False)

    def close(self) -> None:
        with self._lock:
            if self._process is not None:
                self._process.close()
                self._process = None

    def _child(self) -> ModelProcess:
        with self._lock:
            if self._process is None or not self._process.process.is_alive():
                self._process = ModelProcess(self.models_dir)  # quick: it loads nothing yet
            return self._process

