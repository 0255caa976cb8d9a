"""Model file -> predictions: load a bundled or user model safely and recognize drawings.

    from digit_recognizer.recognition.recognizer import Recognizer
    recognizer = Recognizer.bundled("model2")    # or Recognizer.load("my_model.keras")
    result = recognizer.recognize(canvas)        # result.digit, result.confidence,
                                                 # result.not_a_digit

A bundled model runs from its ONNX copy through OpenCV (``inference``), which loads in
milliseconds; when that copy is missing or stale, Keras loads the ``.h5`` instead and
``notices`` says why. Loading a Keras file imports TensorFlow (several seconds), so the window
loads users' model files in a child process (``model_process.load_in_child``). After loading,
``predict``, ``recognize`` and ``recognize_number`` may be called from any thread: calls into
the network are serialised by a lock.

Model files are untrusted input: before Keras sees a file, ``model_safety`` reads its
architecture as plain JSON and refuses it if it carries code; Keras then loads it in safe mode
as a second guard.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from digit_recognizer.core.catalogue import (
    BUNDLED_MODELS,
    ENSEMBLE,
    find_bundled,
    metadata_threshold,
    read_metadata,
    recorded_threshold,
)
from digit_recognizer.core.confidence import THRESHOLD_KEY
from digit_recognizer.core.quiet_tf import import_keras
from digit_recognizer.core.results import ModelError, NumberRecognition, Recognition
from digit_recognizer.core.strokes import Stroke
from digit_recognizer.recognition.inference import OnnxCopyError, load_onnx_copy
from digit_recognizer.recognition.model_safety import read_model_config, refuse_code
from digit_recognizer.recognition.numbers.reading import read_number
from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist
from digit_recognizer.recognition.preprocess.photo import photo_to_mnist
from digit_recognizer.recognition.stroke_model import StrokeModel

__all__ = [
    "Recognizer",
    "bundled_path",
    "load_keras_file",
    "add_runtime_argument",
    "ensemble_accuracy",
    "ensemble_threshold",
]

MODEL_SUFFIXES = (".h5", ".hdf5", ".keras")
INPUT_SHAPES = ((None, 28, 28, 1), (None, 28, 28))
OUTPUT_SHAPE = (None, 10)
RUNTIMES = ("auto", "onnx", "keras")
# Library error text goes here (the terminal), not into the sentences users see.
_log = logging.getLogger(__name__)
# Big inputs go through the network in slices, so memory stays bounded.
BATCH_SIZE = 512
RANGE_MARGIN = 1e-3

Forward = Callable[[np.ndarray], np.ndarray]


class Recognizer:
    """A loaded model (or an average of several) that turns drawings into digits."""

    def __init__(
        self, forward: Forward, *, name: str, path: Path | None, metadata: dict
    ) -> None:
        """Wrap ``forward`` ((N, 28, 28, 1) float32 -> (N, 10)); use the class methods instead."""
        self._forward = forward
        self._lock = threading.Lock()
        self.name = name
        self.path = path
        self.metadata = metadata
        self.runtime = "keras"  # what runs the network: 'keras', 'onnx' (OpenCV) or 'mixed'
        self.notices: tuple[str, ...] = ()  # why a slower path was taken, for the user
        # Below this highest probability a drawing is "not a digit"; None (no valid value in
        # the metadata: users' models, models older than the flag) never flags.
        self.not_a_digit_threshold = metadata_threshold(metadata, name)
        # Reads a number's strokes beside their pictures (bundled choices, whose images it was
        # measured with); None: numbers are read from their pictures alone.
        self.stroke_model: StrokeModel | None = None

    def __repr__(self) -> str:
        return f"Recognizer(name={self.name!r}, path={self.path!r})"

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike) -> Recognizer:
        """Load a ``.h5`` or ``.keras`` model file; raises ``ModelError`` if it cannot be used."""
        path = Path(path)
        model = load_keras_file(path)
        forward = _direct_call(model, _check_shapes(model, path))
        _check_probabilities(forward, path)  # also traces the call, so the first use is fast
        return cls._named(forward, path, runtime="keras")

    @classmethod
    def load_onnx(cls, path: str | os.PathLike) -> Recognizer:
        """The ONNX copy of the Keras file ``path``, run by OpenCV: no TensorFlow.

        Raises ``inference.OnnxCopyError`` (a ``ModelError``) if the copy is missing, stale
        or damaged.
        """
        path = Path(path)
        return cls._named(load_onnx_copy(path), path, runtime="onnx")

    @classmethod
    def bundled(
        cls,
        which: str,
        models_dir: str | os.PathLike | None = None,
        runtime: str = "auto",
        strokes: bool = True,
    ) -> Recognizer:
        """Load bundled model ``which`` ('model1' or 'model2') from ``models_dir`` (models/).

        ``runtime``: 'onnx' (its ONNX copy, or ``OnnxCopyError``), 'keras', or 'auto': the ONNX
        copy, and Keras when the copy cannot be used, with the reason in ``notices``.
        ``strokes``: also load the stroke model, which reads numbers' strokes.
        """
        path = bundled_path(which, models_dir)
        if runtime == "keras":
            recognizer = cls.load(path)
        else:
            try:
                recognizer = cls.load_onnx(path)
            except OnnxCopyError as err:
                if runtime == "onnx":
                    raise
                recognizer = cls.load(path)
                recognizer.notices = (f"{err} Meanwhile the slower Keras model is used.",)
        return _with_stroke_model(recognizer, models_dir) if strokes else recognizer

    @classmethod
    def ensemble(
        cls,
        members: Sequence[Recognizer],
        test_accuracy: float | None = None,
        not_a_digit_threshold: float | None = None,
    ) -> Recognizer:
        """A recognizer whose probabilities are the mean of ``members``' probabilities.

        The members' own thresholds do not carry over: the mean of two networks is surer or
        less sure than either, so the average has its own (``not_a_digit_threshold``).
        """
        if not members:
            raise ValueError("an ensemble needs at least one member")
        members = list(members)

        def forward(x: np.ndarray) -> np.ndarray:
            return np.mean([m._locked_forward(x) for m in members], axis=0)

        metadata = {"test_accuracy": test_accuracy, "members": [m.name for m in members]}
        if not_a_digit_threshold is not None:
            metadata[THRESHOLD_KEY] = not_a_digit_threshold
        ensemble = cls(forward, name=ENSEMBLE.label, path=None, metadata=metadata)
        runtimes = {m.runtime for m in members}
        ensemble.runtime = runtimes.pop() if len(runtimes) == 1 else "mixed"
        ensemble.notices = tuple(dict.fromkeys(n for m in members for n in m.notices))
        return ensemble

    @classmethod
    def from_choice(
        cls, choice: str, models_dir: str | os.PathLike | None = None, runtime: str = "auto"
    ) -> Recognizer:
        """'model1', 'model2', 'both' (their ensemble) or the path of a model file.

        ``runtime`` applies to the bundled models, as in ``bundled``.
        """
        if find_bundled(choice):
            return cls.bundled(choice, models_dir, runtime)
        if choice == ENSEMBLE.key:
            members = [cls.bundled(m.key, models_dir, runtime, strokes=False)
                       for m in BUNDLED_MODELS]
            return _with_stroke_model(
                cls.ensemble(members, test_accuracy=ensemble_accuracy(models_dir),
                             not_a_digit_threshold=ensemble_threshold(models_dir)), models_dir)
        return cls.load(choice)

    @classmethod
    def _named(cls, forward: Forward, path: Path, runtime: str) -> Recognizer:
        """A recognizer for the model file ``path``, named by its metadata if it has any."""
        metadata = read_metadata(path)
        name = metadata.get("name") if isinstance(metadata.get("name"), str) else path.name
        recognizer = cls(forward, name=name, path=path, metadata=metadata)
        recognizer.runtime = runtime
        return recognizer

    # -- prediction --------------------------------------------------------------------------

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(N, 28, 28) or (N, 28, 28, 1) floats in [0, 1], ink high -> (N, 10) float32."""
        x = np.asarray(x, dtype=np.float32)
        if x.shape[1:] not in ((28, 28), (28, 28, 1)):
            raise ValueError(f"expected (N, 28, 28) or (N, 28, 28, 1) input, got {x.shape}")
        x = x.reshape(-1, 28, 28, 1)  # (N, 28, 28) -> (N, 28, 28, 1)
        if not len(x):
            return np.zeros((0, 10), np.float32)
        low, high = float(x.min()), float(x.max())
        # A margin for float rounding; what it catches is 0-255 pixels that were never scaled.
        if not (np.isfinite(x).all() and low >= -RANGE_MARGIN and high <= 1 + RANGE_MARGIN):
            raise ValueError(
                f"expected values in [0, 1] with ink high, got [{low}, {high}] "
                "(divide uint8 images by 255)"
            )
        x = np.clip(x, 0.0, 1.0)
        parts = [self._locked_forward(x[i : i + BATCH_SIZE]) for i in range(0, len(x), BATCH_SIZE)]
        return np.concatenate(parts).astype(np.float32, copy=False)

    def recognize(self, image, photo: bool = False) -> Recognition:
        """Recognise one digit in a drawing (or, with ``photo=True``, a photo of paper).

        ``image``: anything ``preprocess.canvas.canvas_to_mnist`` takes. Raises
        ``preprocess.errors.EmptyDrawingError`` when there is nothing drawn.
        """
        mnist = photo_to_mnist(image) if photo else canvas_to_mnist(image)
        return Recognition.from_probabilities(self.predict(mnist[None])[0], mnist,
                                              threshold=self.not_a_digit_threshold)

    def recognize_number(self, image, strokes: Sequence[Stroke] | None = None
                         ) -> NumberRecognition:
        """Recognise numbers written in ``image``: digits side by side, touching or not, a
        decimal point, numbers apart on a line, rows one under the other.

        ``strokes``: the pen's strokes in ``image``'s pixels, in the order written (the
        window's); they then tell which ink belongs to which digit, as the window reads
        them, and the stroke model (``stroke_model``, where loaded) reads each digit's too.
        Raises ``preprocess.errors.EmptyDrawingError`` when there is nothing drawn.
        """
        read_paths = self.stroke_model.predict if self.stroke_model is not None else None
        return read_number(image, self.predict, self.not_a_digit_threshold, strokes, read_paths)

    def _locked_forward(self, x: np.ndarray) -> np.ndarray:
        with self._lock:
            return np.asarray(self._forward(x))


# -- loading helpers ---------------------------------------------------------------------------


def _with_stroke_model(recognizer: Recognizer, models_dir: str | os.PathLike | None
                       ) -> Recognizer:
    """``recognizer`` with the bundled stroke model; without it (and a notice saying why)
    when its file cannot be used, for a number's pictures can still be read."""
    try:
        recognizer.stroke_model = StrokeModel.bundled(models_dir)
    except ModelError as err:
        recognizer.notices += (f"{err} Meanwhile numbers are read from their pictures alone.",)
    return recognizer


def bundled_path(which: str, models_dir: str | os.PathLike | None = None) -> Path:
    """The Keras file of bundled model ``which``; raises ``ModelError`` if unknown or missing."""
    model = find_bundled(which)
    if model is None:
        keys = " or ".join(m.key for m in BUNDLED_MODELS)
        raise ModelError(f"Unknown bundled model {which!r}; choose {keys}.")
    path = model.path(models_dir)
    if not path.is_file():
        raise ModelError(
            f"The bundled model {path} is missing; train it with: "
            f"python -m digit_recognizer train --model {model.architecture}"
        )
    return path


def add_runtime_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--runtime`` option of the commands that run the bundled models."""
    parser.add_argument(
        "--runtime", choices=RUNTIMES, default="auto",
        help="what runs the bundled models: onnx (their ONNX copies, through OpenCV: no "
        "TensorFlow), keras (the .h5 files, through TensorFlow), or auto: onnx, and keras "
        "if a copy is missing or out of date (default: auto)",
    )


def ensemble_accuracy(models_dir: str | os.PathLike | None = None) -> float | None:
    """The average's test accuracy as ``evaluate`` measured it, if it has."""
    return read_metadata(ENSEMBLE.metadata_path(models_dir)).get("test_accuracy")


def ensemble_threshold(models_dir: str | os.PathLike | None = None) -> float | None:
    """The average's not-a-digit threshold as training recorded it, if it is a valid one."""
    return recorded_threshold(ENSEMBLE.metadata_path(models_dir))


def load_keras_file(path: Path):
    """A Keras model from a ``.h5``/``.keras`` file, refused if it carries code.

    Imports Keras (seconds). Raises ``ModelError``.
    """
    if not path.is_file():
        raise ModelError(f"Model file {path} does not exist or is not a file.")
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ModelError(f"{path} is not a Keras model file (expected .h5 or .keras).")
    refuse_code(path, read_model_config(path))
    return _load_keras_model(path)


def _load_keras_model(path: Path):
    keras = import_keras()  # several seconds, the first time: only Keras files need it
    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for bad files; all mean the same here
        _log.info("%s: %s: %s", path, type(err).__name__, err)
        raise ModelError(f"{path} could not be loaded: Keras cannot build a model from it "
                         "(the details are in the terminal's log).") from err


def _check_shapes(model, path: Path) -> tuple:
    """Check one (None, 28, 28[, 1]) input and one (None, 10) output; return the input shape."""
    inputs, outputs = getattr(model, "inputs", None), getattr(model, "outputs", None)
    if not inputs or not outputs or len(inputs) != 1 or len(outputs) != 1:
        raise ModelError(f"{path} must have exactly one input and one output.")
    in_shape, out_shape = tuple(inputs[0].shape), tuple(outputs[0].shape)
    if in_shape not in INPUT_SHAPES:
        raise ModelError(
            f"{path} takes input of shape {in_shape}; a digit model must take "
            f"{INPUT_SHAPES[0]} (28×28 greyscale)."
        )
    if out_shape != OUTPUT_SHAPE:
        raise ModelError(
            f"{path} returns shape {out_shape}; a digit model must return {OUTPUT_SHAPE} "
            "(one probability per digit)."
        )
    return in_shape


def _direct_call(model, in_shape: tuple) -> Forward:
    """A fast call path for small batches: (N, 28, 28, 1) float32 -> (N, 10) array.

    ``model.predict()`` sets up a data pipeline on every call (~90 ms for one image). Under
    TensorFlow a ``tf.function`` with a batch-free signature is traced once for every batch
    size; other backends use ``predict_on_batch``, their compiled predict step.
    """
    keras = import_keras()  # already imported by the load that made ``model``: no cost
    shape = (-1, *in_shape[1:])
    if keras.backend.backend() == "tensorflow":
        # Here, not at the top: only a loaded Keras file needs TensorFlow, never the ONNX path.
        import tensorflow as tf

        spec = tf.TensorSpec(in_shape, tf.float32)
        call = tf.function(lambda x: model(x, training=False), input_signature=[spec])
        return lambda x: call(x.reshape(shape)).numpy()
    return lambda x: keras.ops.convert_to_numpy(model.predict_on_batch(x.reshape(shape)))


def _check_probabilities(forward: Forward, path: Path) -> None:
    """Refuse models whose outputs are not probabilities (e.g. logits, no softmax)."""
    out = np.asarray(forward(np.zeros((1, 28, 28, 1), np.float32)))
    total = float(out.sum())
    if not (np.isfinite(out).all() and out.min() >= 0 and abs(total - 1) < 1e-3):
        raise ModelError(
            f"{path} does not return probabilities (they sum to {total:.3g}, not 1); "
            "its last layer must be a softmax."
        )
