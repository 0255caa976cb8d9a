"""Which models the app offers: the bundled ones, their average, and what their files say.

    from digit_recognizer.core.catalogue import BUNDLED_MODELS, MODEL_CHOICES, find_bundled
    find_bundled("model2").file        # 'digit_model1.h5'

The one place that names the bundled model files. Adding a model means one entry here and its
builder in ``training.models``; the menu, the commands, training and the notebook all ask this
module. It imports neither TensorFlow nor OpenCV, so the window can read it at start-up.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from digit_recognizer.core.confidence import THRESHOLD_KEY, valid_threshold

__all__ = [
    "BundledModel",
    "Ensemble",
    "BUNDLED_MODELS",
    "ENSEMBLE",
    "STROKE_MODEL_FILE",
    "MODEL_CHOICES",
    "DEFAULT_MODEL",
    "DEFAULT_CHOICE",
    "MODELS_DIR",
    "short_label",
    "fine_tuned_name",
    "find_bundled",
    "for_architecture",
    "is_bundled_choice",
    "choice_label",
    "read_metadata",
    "measured_accuracy",
    "recorded_accuracy",
    "recorded_threshold",
    "metadata_threshold",
    "choice_for_file",
]


def _bundled_models_dir() -> Path:
    """The bundled models' folder: inside the installed package, else the checkout's models/."""
    package = resources.files("digit_recognizer")
    installed = package / "models"  # where the wheel puts them (pyproject.toml's package-dir)
    if isinstance(installed, Path) and installed.is_dir():
        return installed.resolve()
    # A checkout keeps them beside the package, where training writes them.
    return Path(str(package)).resolve().parent / "models"


MODELS_DIR = _bundled_models_dir()
# Library error text goes here (the terminal), not into the sentences users see.
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BundledModel:
    """A model that ships in ``models/``."""

    key: str  # what --model, the settings file and the menu call it
    architecture: str  # its builder in ``models`` and ``train --model``
    file: str  # the Keras file in the models folder
    label: str  # what the window calls it

    def path(self, models_dir: str | os.PathLike | None = None) -> Path:
        """Where its Keras file is (``models_dir``: the bundled models' folder)."""
        return Path(models_dir or MODELS_DIR) / self.file


@dataclass(frozen=True)
class Ensemble:
    """The average of all bundled models' probabilities."""

    key: str
    label: str
    metadata_file: str  # its measured accuracy, written by ``evaluate``

    def metadata_path(self, models_dir: str | os.PathLike | None = None) -> Path:
        """Where its metadata is (``models_dir``: the bundled models' folder)."""
        return Path(models_dir or MODELS_DIR) / self.metadata_file


# The seed project's file names: digit_model.h5 is model 1, digit_model1.h5 model 2.
BUNDLED_MODELS = (
    BundledModel("model1", "adadelta", "digit_model.h5", "Model 1 — Adadelta CNN"),
    BundledModel("model2", "rmsprop", "digit_model1.h5", "Model 2 — RMSProp CNN"),
)
ENSEMBLE = Ensemble("both", "Both models (average)", "both.json")
# The network that reads a digit's pen path (``recognition.stroke_model``): not a choice of its
# own, it reads beside the chosen bundled model wherever the strokes are known.
STROKE_MODEL_FILE = "digit_strokes.h5"
MODEL_CHOICES = tuple(m.key for m in BUNDLED_MODELS) + (ENSEMBLE.key,)
DEFAULT_MODEL = "model2"  # the network trained, fine-tuned and personalised by default
# What the window and ``predict`` read with unless told otherwise: the average of both, which
# reads the pen data's validation writers best (README, "The default model").
DEFAULT_CHOICE = ENSEMBLE.key


def find_bundled(key: str) -> BundledModel | None:
    """The bundled model called ``key``, or None."""
    return next((m for m in BUNDLED_MODELS if m.key == key), None)


def for_architecture(architecture: str) -> BundledModel | None:
    """The bundled model trained with ``architecture`` ('adadelta', 'rmsprop'), or None."""
    return next((m for m in BUNDLED_MODELS if m.architecture == architecture), None)


def is_bundled_choice(choice: str) -> bool:
    """True for a bundled model's key or the ensemble's, False for a file path."""
    return choice in MODEL_CHOICES


def choice_label(choice: str) -> str:
    """What the window calls ``choice``: a bundled model, the average, or a file's name."""
    if choice == ENSEMBLE.key:
        return ENSEMBLE.label
    model = find_bundled(choice)
    return model.label if model else Path(choice).name


def short_label(choice: str) -> str:
    """'Model 2' for 'model2': what the window calls ``choice``, before its dash."""
    return choice_label(choice).split(" — ")[0]


def fine_tuned_name(base: str, corrections: int) -> str:
    """The name of ``base`` fine-tuned on ``corrections``: "Model 2 + 1 correction", the
    same whether the window or the ``fine-tune`` command made it."""
    return f"{short_label(base)} + {corrections} correction{'' if corrections == 1 else 's'}"


def choice_for_file(path: str | os.PathLike, models_dir: str | os.PathLike | None = None) -> str:
    """The choice for a model file: a bundled model's key if it is that model's file."""
    for model in BUNDLED_MODELS:
        try:
            if os.path.samefile(path, model.path(models_dir)):
                return model.key
        except OSError:  # either file missing: not the same file
            continue
    return str(path)


def measured_accuracy(choice: str, models_dir: str | os.PathLike | None = None) -> float | None:
    """The test accuracy (a fraction) recorded for a bundled choice, or None if none is."""
    model = find_bundled(choice)
    if model is not None:
        return recorded_accuracy(model.path(models_dir))
    if choice == ENSEMBLE.key:
        return recorded_accuracy(ENSEMBLE.metadata_path(models_dir))
    return None


def recorded_accuracy(path: str | os.PathLike) -> float | None:
    """The test accuracy (a fraction) in the metadata beside ``path``, if it records one."""
    value = read_metadata(path).get("test_accuracy")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value / 100 if value > 1 else float(value)


def recorded_threshold(path: str | os.PathLike) -> float | None:
    """The valid not-a-digit threshold in the metadata beside ``path``, if it records one."""
    return metadata_threshold(read_metadata(path), Path(path).name)


def metadata_threshold(metadata: dict, name: str) -> float | None:
    """The valid not-a-digit threshold in model ``name``'s ``metadata``, or None.

    An invalid one is logged, so that a mistake in the file is found, and then ignored.
    """
    value = metadata.get(THRESHOLD_KEY)
    threshold = valid_threshold(value)
    if value is not None and threshold is None:
        _log.warning("%s: ignoring %s=%r: it must be a number between 0 and 1", name,
                     THRESHOLD_KEY, value)
    return threshold


def read_metadata(path: str | os.PathLike) -> dict:
    """The JSON beside a model (``<stem>.json``), or {} if there is none or it is unreadable."""
    meta_path = Path(path).with_suffix(".json")
    if not meta_path.is_file():
        return {}
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        warnings.warn(f"ignoring unreadable model metadata {meta_path}: {err}", stacklevel=3)
        return {}
    return metadata if isinstance(metadata, dict) else {}
