"""The stroke model: a digit's pen path -> ten probabilities, read beside its picture.

    paths = StrokeModel.bundled()              # None where models/ holds no stroke model
    paths.predict([digit_strokes, ...])        # (N, 10); each digit a list of (K, 2) arrays
    mixed(picture_probabilities, paths.predict(...))

A picture model sees the ink; this one sees what the pen did (``pen_paths``). They err on
different digits, so where the strokes are known (a number written in the window, or strokes
given to ``Recognizer.recognize_number``) a digit reads as the two mixed. Of the 1,412 digits
of the pen data's validation writers, model 2 reads 97.10% from pictures, the stroke model
98.02% from paths, and the two mixed 98.30% (both picture models: 97.24%, mixed 98.44%); the
model's JSON records these figures (``train-strokes`` writes them).

Trained on the pen data's training writers by ``training.stroke_training``; like the picture
models it runs from its ONNX copy through OpenCV, so reading a number needs no TensorFlow.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from digit_recognizer.core.catalogue import MODELS_DIR, STROKE_MODEL_FILE, read_metadata
from digit_recognizer.recognition.inference import load_onnx_copy
from digit_recognizer.recognition.pen_paths import INPUT_SHAPE, pen_paths

__all__ = ["StrokeModel", "mixed", "stroke_model_path"]

# Of a digit's mixed probabilities: a little over half, so that where both are sure and
# disagree (a path no writer of the pen data took, a 6's loop drawn the other way round) the
# picture, which the user's corrections teach, decides. On the validation writers 0.5 and
# 0.55 read within two digits of each other.
PICTURE_SHARE = 0.55


def stroke_model_path(models_dir: str | os.PathLike | None = None) -> Path:
    """Where the bundled stroke model's Keras file is (``models_dir``: the models' folder)."""
    return Path(models_dir or MODELS_DIR) / STROKE_MODEL_FILE


def mixed(picture: np.ndarray, path: np.ndarray) -> np.ndarray:
    """A digit's probabilities from its picture's and its path's: (N, 10) each."""
    return PICTURE_SHARE * np.asarray(picture) + (1 - PICTURE_SHARE) * np.asarray(path)


class StrokeModel:
    """Reads digits from their strokes through the ONNX copy of a stroke model's file."""

    def __init__(self, path: str | os.PathLike) -> None:
        """Load the ONNX copy of ``path``; raises ``ModelError`` (``OnnxCopyError`` when the
        copy is missing, stale or damaged) or when the model does not read pen paths."""
        self.path = Path(path)
        self._forward = load_onnx_copy(self.path, INPUT_SHAPE, reads="pen paths")
        self._lock = threading.Lock()  # OpenCV's network is not thread-safe
        self.metadata = read_metadata(self.path)

    @classmethod
    def bundled(cls, models_dir: str | os.PathLike | None = None) -> StrokeModel | None:
        """The stroke model in ``models_dir`` (models/), or None if there is none."""
        path = stroke_model_path(models_dir)
        return cls(path) if path.is_file() else None

    def predict(self, digits: Sequence[Sequence[np.ndarray]]) -> np.ndarray:
        """Each digit's strokes ((K, 2) arrays of x, y, y down) -> float32 (N, 10)."""
        x = pen_paths(digits)
        if not len(x):
            return np.zeros((0, 10), np.float32)
        with self._lock:
            return np.asarray(self._forward(x), np.float32).reshape(len(x), 10)
