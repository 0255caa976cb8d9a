"""Train the stroke model on the pen data's training writers: ``train_stroke_model``.

    python -m digit_recognizer train-strokes                    # models/digit_strokes.h5
    python -m digit_recognizer train-strokes --epochs 1 --copies 1 --limit 500 --out /tmp/s.h5

The network (``recognition.stroke_model``) reads a digit's pen path (``recognition.pen_paths``).
Each training writer's digit is varied ``copies`` times, as the picture models' pen drawings
are (slanted, turned, reshaped, drifting: ``pen_drawing.varied``); the validation writers,
held out whole, choose the best epoch and are scored as written, alone and mixed with each
bundled picture model, as a number's digits are read. The file, its ONNX copy and its JSON
(those figures, the settings, the time taken) are written only when the run ends; Ctrl-C
leaves whatever was there, SIGTERM ends it early keeping the best epoch.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from digit_recognizer.core.catalogue import BUNDLED_MODELS
from digit_recognizer.core.datasets.errors import DatasetError
from digit_recognizer.core.datasets.unipen import PenDigits, load_unipen, writer_split
from digit_recognizer.core.files import atomic_write_text
from digit_recognizer.core.quiet_tf import import_keras
from digit_recognizer.core.results import ModelError
from digit_recognizer.recognition.mnist_tool import positive_int
from digit_recognizer.recognition.pen_paths import INPUT_SHAPE, pen_paths
from digit_recognizer.recognition.recognizer import Recognizer
from digit_recognizer.recognition.stroke_model import mixed, stroke_model_path
from digit_recognizer.training.data.outliers import FAMILIES as NON_DIGITS
from digit_recognizer.training.data.pen_drawing import pen_images, varied
from digit_recognizer.training.environment import library_versions
from digit_recognizer.training.run_files import export_copy, save_model

__all__ = ["StrokeConfig", "build_stroke_model", "path_data", "non_digit_paths", "training_data",
           "train_stroke_model", "main"]

BATCH_SIZE = 128
LEARNING_RATE = 1e-3
HALVED_EVERY = 4  # epochs
# Outlier exposure, as the picture models learn it: a share of the training paths are
# non-digits (crossings, stars, scribbles, question marks...) whose target is flat, so that a
# path no digit makes gets no sure answer and a number's "?" still means "not a digit".
NON_DIGIT_SHARE = 0.15


@dataclass(frozen=True)
class StrokeConfig:
    """One run: where the model goes and how long it learns."""

    out: str | None = None  # None: digit_strokes.h5 in models_dir
    epochs: int = 16
    copies: int = 10  # varied drawings of each training digit per run
    seed: int = 0
    limit: int | None = None  # train on the first N training digits only (a quick try)
    unipen_dir: str | None = None
    models_dir: str | None = None  # the picture models it is scored beside (models/)

    @property
    def out_path(self) -> Path:
        return Path(self.out) if self.out else stroke_model_path(self.models_dir)


def build_stroke_model(keras):
    """Convolutions along the path (kernels 5 points long, one wide), then a dense head."""
    layers = keras.layers
    inputs = keras.Input(INPUT_SHAPE)
    x = inputs
    for filters in (64, 128):
        for _ in range(2):
            x = layers.Conv2D(filters, (5, 1), padding="same", activation="relu")(x)
            x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D((2, 1))(x)
    x = layers.Dropout(0.4)(layers.Flatten()(x))
    x = layers.Dropout(0.4)(layers.Dense(128, activation="relu")(x))
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="stroke_model")


def path_data(pen: PenDigits, copies: int, rng: np.random.Generator | None
              ) -> tuple[np.ndarray, np.ndarray]:
    """``pen``'s digits as pen paths: each varied ``copies`` times, or once as written when
    ``rng`` is None. float32 (M, *INPUT_SHAPE) and uint8 (M,) labels."""
    if rng is None:
        return pen_paths(pen.strokes), pen.labels
    digits = [varied(strokes, rng) for _ in range(copies) for strokes in pen.strokes]
    return pen_paths(digits), np.tile(pen.labels, copies)


def non_digit_paths(count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` pen paths of the picture models' non-digits (``outliers``), varied as the
    digits are; its letters, drawn from fonts with no path, are left out."""
    shapes = []
    while len(shapes) < count:
        shape = NON_DIGITS[rng.integers(len(NON_DIGITS))](rng)
        if not isinstance(shape, str):
            shapes.append(varied(shape, rng))
    return pen_paths(shapes)


def training_data(pen: PenDigits, copies: int, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Varied digits (``path_data``) and NON_DIGIT_SHARE of non-digits, shuffled: paths and
    float32 (M, 10) targets, one-hot for a digit and flat for a non-digit."""
    x, labels = path_data(pen, copies, rng)
    others = non_digit_paths(int(NON_DIGIT_SHARE * len(x)), rng)
    targets = np.concatenate([np.eye(10, dtype=np.float32)[labels],
                              np.full((len(others), 10), 0.1, np.float32)])
    order = rng.permutation(len(targets))
    return np.concatenate([x, others])[order], targets[order]


def train_stroke_model(config: StrokeConfig) -> dict:
    """Train, score and save the stroke model (the module's docstring); return its metadata.
    Raises DatasetError (the pen data) or ModelError (the picture models it is scored with)."""
    started = time.perf_counter()
    pen = load_unipen(config.unipen_dir)  # before Keras' seconds: a wrong folder is told at once
    keras = import_keras()
    train_index, validation_index = writer_split(pen)
    train = pen.subset(train_index[:config.limit])
    validation = pen.subset(validation_index)
    x, y = training_data(train, config.copies, np.random.default_rng([config.seed, 31]))
    x_val, labels = path_data(validation, 0, None)
    keras.utils.set_random_seed(config.seed)
    model = build_stroke_model(keras)
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=config.epochs, verbose=2,
                        validation_data=(x_val, np.eye(10, dtype=np.float32)[labels]),
                        callbacks=_callbacks(keras, config))
    paths = model.predict(x_val, batch_size=512, verbose=0)
    metadata = {
        "name": "Stroke model",
        "validation_accuracy": _percent(paths, labels),
        "mixed_validation_accuracy": _mixed_accuracy(paths, validation, config.models_dir),
        "validated_on": f"pen data, {len(set(validation.writers))} validation writers, "
                        f"{len(validation)} digits as written",
        "trained_on": f"pen data, {len(set(train.writers))} training writers, {len(train)} "
                      f"digits, each varied {config.copies} time{'' if config.copies == 1 else 's'}"
                      f"; and {NON_DIGIT_SHARE:.0%} as many non-digits",
        "best_epoch": int(np.argmax(history.history["val_accuracy"])) + 1,
        "epochs_run": len(history.history["val_accuracy"]),
        "training_seconds": round(time.perf_counter() - started, 1),
        "config": asdict(config),
        "versions": library_versions(),
    }
    out = config.out_path
    save_model(model, out)
    atomic_write_text(out.with_suffix(".json"), json.dumps(metadata, indent=2) + "\n")
    export_copy(out, model)
    return metadata


def _callbacks(keras, config: StrokeConfig) -> list:
    from digit_recognizer.training.callbacks import StopOnSigterm  # imports Keras itself

    halve = keras.callbacks.LearningRateScheduler(
        lambda epoch: LEARNING_RATE * 0.5 ** (epoch // HALVED_EVERY))
    best = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=config.epochs,
                                         restore_best_weights=True)
    return [halve, best, StopOnSigterm()]


def _percent(probabilities: np.ndarray, labels: np.ndarray) -> float:
    return round(100 * float((probabilities.argmax(axis=1) == labels).mean()), 2)


def _mixed_accuracy(paths: np.ndarray, validation: PenDigits, models_dir: str | None
                    ) -> dict[str, float]:
    """The validation writers' digits read as a number's are: each picture model's
    probabilities (and their average's) mixed with the path's."""
    images, labels = pen_images(validation, 1, None)
    x = images.astype(np.float32)[..., None] / 255
    pictures = {m.key: Recognizer.bundled(m.key, models_dir, strokes=False).predict(x)
                for m in BUNDLED_MODELS}
    pictures["both"] = np.mean(list(pictures.values()), axis=0)
    return {key: _percent(mixed(p, paths), labels) for key, p in pictures.items()}


def build_parser(prog: str) -> argparse.ArgumentParser:
    defaults = StrokeConfig()
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="the model file to write (default: digit_strokes.h5 in "
                                      "the models folder)")
    parser.add_argument("--epochs", type=positive_int, default=defaults.epochs,
                        help=f"passes over the data (default: {defaults.epochs})")
    parser.add_argument("--copies", type=positive_int, default=defaults.copies,
                        help="varied drawings of each training digit "
                             f"(default: {defaults.copies})")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="(default: 0)")
    parser.add_argument("--limit", type=positive_int,
                        help="train on the first N training digits only, for a quick try")
    parser.add_argument("--unipen-dir", help="the pen data's folder (default: $UNIPEN_DIR, "
                                             "then ../shared/data/unipen)")
    parser.add_argument("--models-dir", help="the picture models it is scored beside "
                                             "(default: models/)")
    return parser


def main(argv: list[str] | None = None,
         prog: str = "python -m digit_recognizer train-strokes") -> int:
    args = build_parser(prog).parse_args(argv)
    config = StrokeConfig(**vars(args))
    if config.out_path.suffix != ".h5":
        print(f"error: {config.out_path} must end in .h5, the format the app loads",
              file=sys.stderr)
        return 2
    try:
        metadata = train_stroke_model(config)
    except (DatasetError, ModelError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted: {config.out_path} was left as it was", file=sys.stderr)
        return 130
    mixed_figures = ", ".join(f"{k} {v}%" for k, v in metadata["mixed_validation_accuracy"].items())
    print(f"wrote {config.out_path}: {metadata['validation_accuracy']}% of the validation writers' "
          f"digits alone; mixed with the picture models: {mixed_figures}")
    return 0
