"""Digit Recognizer: draw a digit, and a CNN trained on MNIST tells which one it is.

    from digit_recognizer import Recognizer
    recognizer = Recognizer.bundled("model2")      # a bundled model, run by OpenCV
    result = recognizer.recognize(image)           # result.digit, result.confidence

The names below are the public API; each is imported when first used, so ``import
digit_recognizer`` stays instant and the window's start never imports OpenCV or TensorFlow for
them. The package is in layers; each imports only the layers below it (tests/test_layers.py
checks):

- ``devtools``: the virtual display, the window driver and the screenshot, for tests and
  benchmarks.
- ``app``: the desktop window, its background jobs, teaching and the personal model.
- ``evaluation``: the test sets and ``evaluate``; training never imports it.
- ``training``: the networks, their training data, ``train``, fine-tuning, calibration, export.
- ``recognition``: preprocessing and the model runners: any image -> a digit.
- ``core``: files, IDX, the data sets and their errors, result types, the confidence policy,
  the model catalogue and strokes.

``__main__`` is the command line (``python -m digit_recognizer COMMAND``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "1.0.0"

# Public name -> the module that defines it (tests/test_package.py checks it against __all__).
_PUBLIC = {
    "Recognizer": "digit_recognizer.recognition.recognizer",
    "Recognition": "digit_recognizer.core.results",
    "NumberRecognition": "digit_recognizer.core.results",
    "read_idx": "digit_recognizer.core.idx",
    "write_idx": "digit_recognizer.core.idx",
    "load_mnist": "digit_recognizer.core.datasets.mnist",
    "ModelError": "digit_recognizer.core.results",
    "ImageError": "digit_recognizer.recognition.preprocess.errors",
    "EmptyDrawingError": "digit_recognizer.recognition.preprocess.errors",
    "DrawingTooSmallError": "digit_recognizer.recognition.preprocess.errors",
    "IdxError": "digit_recognizer.core.idx",
    "MnistError": "digit_recognizer.core.datasets.errors",
    "DatasetError": "digit_recognizer.core.datasets.errors",
}

__all__ = [
    "DatasetError",
    "DrawingTooSmallError",
    "EmptyDrawingError",
    "IdxError",
    "ImageError",
    "MnistError",
    "ModelError",
    "NumberRecognition",
    "Recognition",
    "Recognizer",
    "__version__",
    "load_mnist",
    "read_idx",
    "write_idx",
]

if TYPE_CHECKING:  # what type checkers and editors see; at run time, __getattr__ below
    from digit_recognizer.core.idx import IdxError, read_idx, write_idx
    from digit_recognizer.core.datasets.errors import DatasetError, MnistError
    from digit_recognizer.core.datasets.mnist import load_mnist
    from digit_recognizer.core.results import ModelError, NumberRecognition, Recognition
    from digit_recognizer.recognition.preprocess.errors import (
        DrawingTooSmallError,
        EmptyDrawingError,
        ImageError,
    )
    from digit_recognizer.recognition.recognizer import Recognizer


def __getattr__(name: str) -> object:
    """Import a public name on first use (PEP 562), then keep it here."""
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
