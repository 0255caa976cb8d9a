"""Train one of the two CNNs on MNIST and save it with its metadata and figures.

    python -m digit_recognizer train --model rmsprop --epochs 30 --out models/digit_model1.h5
    python -m digit_recognizer train --model adadelta --limit 2000 --epochs 1 --out /tmp/m.h5
    python -m digit_recognizer train --model rmsprop --epochs 40 --resume   # go on to epoch 40
    python -m digit_recognizer train --model rmsprop --start-from models/digit_model1.h5 \
        --learning-rate 2.5e-4 --epochs 10 --out /tmp/m2.h5   # go on training a trained one

A run does, in this order: configuration (``TrainConfig``, written beside ``--out`` first),
data (MNIST plus ``--extra-data``, 5,000 images held out for validation), model (built, given
the weights of ``--start-from``, or restored with its optimizer from the checkpoint by
``--resume``), fit, finished model (the best epoch's weights), report (metadata, figures, ONNX
copy). Beside ``--out``, say ``models/digit_model1.h5``, it writes:

    digit_model1.config.json        the configuration, at the start of the run
    digit_model1.checkpoint.keras   the best epoch so far with all --resume needs (``checkpoint``)
    digit_model1.log.csv            the per-epoch history
    digit_model1.json               metadata: configuration, accuracy, time, hardware, versions
    digit_model1.curves.png, .confusion.png, .mistakes.png, and the ONNX copy digit_model1.onnx

Every file is written to a temporary name in the same folder and renamed, so an interrupted run
never leaves a half-written file behind.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable

import numpy as np

from digit_recognizer.training.data.augment import Mix, make_batches
from digit_recognizer.core.catalogue import BUNDLED_MODELS, DEFAULT_MODEL, find_bundled, for_architecture
from digit_recognizer.training.checkpoint import (
    ResumeError,
    RunState,
    best_model,
    checkpoint_path,
    load_checkpoint,
    resume_state,
    use_average_weights,
)
from digit_recognizer.core.mnist import MnistError, dataset_sha256, load_mnist
from digit_recognizer.training.environment import choose_distribution, hardware_description, library_versions
from digit_recognizer.core.files import atomic_path, atomic_write_text
from digit_recognizer.core.idx import IdxError
from digit_recognizer.recognition.inference import file_sha256
from digit_recognizer.core.quiet_tf import import_keras
from digit_recognizer.core.results import ModelError
from digit_recognizer.core.scoring import score_probabilities, to_model_input
from digit_recognizer.app.teaching import TeachingError, read_idx_pair
from digit_recognizer.training.data.variants import TrainingVariants, make_variants

VALIDATION_SIZE = 5000


@dataclass
class TrainConfig:
    """What a run trains and how; saved beside the model, in its checkpoint and its metadata."""

    architecture: str  # a key of ``models.BUILDERS``: 'adadelta' or 'rmsprop'
    out: str  # the model file to write
    epochs: int = 30  # in all, a resumed run's earlier epochs included
    batch_size: int = 128
    seed: int = 0
    limit: int | None = None  # train on the first N MNIST images only
    extra_data: str | None = None  # a folder with an IDX pair to mix in (the app's corrections)
    patience: int = 6  # epochs without validation gain before stopping
    augment: bool = True
    data_dir: str | None = None  # the MNIST files; None: $MNIST_DIR, then the Keras cache
    variants: bool = True  # show re-drawn and style-edited digits and non-digits (``variants``)
    restroked: float = 0.3  # share of digits shown re-drawn with the app's brush
    styled: float = 0.5  # share of 0s, 1s, 5s and 7s shown in a style MNIST lacks
    non_digits: float = 0.125  # non-digits per batch, as a share of its digits
    non_digit_pool: int = 20000  # non-digits drawn for the run
    rotation: float = 10.0  # augmentation: ± degrees
    zoom: float = 0.1  # augmentation: ± share of the size
    start_from: str | None = None  # a trained network of this architecture to go on training
    learning_rate: float | None = None  # the optimizer's first rate; None: the architecture's

    def __post_init__(self) -> None:
        # Python callers pass Path objects; the JSON copies of the configuration need strings.
        for name in ("out", "extra_data", "data_dir", "start_from"):
            if getattr(self, name) is not None:
                setattr(self, name, os.fspath(getattr(self, name)))


@dataclass
class RunData:
    """The images of one run: uint8 (N, 28, 28) and labels, split three ways."""

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    sha256: str  # of the training images and labels before the split
    variants: TrainingVariants | None = None  # of ``x_fit``


def train(config: TrainConfig, *, resume: bool = False, devices: list[str] | None = None,
          figures: bool = True, verbose: int = 1) -> dict:
    """Train as ``config`` says, save the model to ``config.out``; return its metadata.

    Data problems raise at once, before any model is built; the test set is touched only
    after training, for the report.
    ``resume`` continues the run whose checkpoint is beside ``config.out`` (weights, optimizer
    state, epoch) up to ``config.epochs`` epochs in all. ``devices`` names the devices to
    replicate the model on (default: every GPU, when there are several).
    """
    state = resume_state(checkpoint_path(config.out), asdict(config)) if resume else None
    start = start_weights(config) if state is None and config.start_from else None
    # Hashed now: --out may be the file it starts from, which the run replaces.
    started_from = ({"file": config.start_from, "sha256": file_sha256(config.start_from)}
                    if start is not None else None)
    data = load_data(config)
    atomic_write_text(config_path(config.out), json.dumps(asdict(config), indent=2) + "\n")

    keras = import_keras()
    first_epoch = state.epoch if state else 0
    stream = stream_seed(config.seed, first_epoch)
    keras.utils.set_random_seed(stream)  # initial weights, order, augmentation, dropout
    mix = Mix(config.restroked, config.styled, config.non_digits)
    batches = make_batches(data.x_fit, data.y_fit, config.batch_size, stream, config.augment,
                           data.variants, mix, config.rotation, config.zoom)
    strategy = choose_distribution(devices)
    model = prepare_model(config, state, strategy, len(batches) * (config.epochs - first_epoch),
                          start)

    started = time.time()
    fitted = fit(model, batches, data, config, state, verbose)
    seconds = time.time() - started + (state.training_seconds if state else 0.0)

    model = finished_model(model, config, resumed=state is not None, fitted=bool(fitted))
    save_model(model, Path(config.out))
    history = whole_history(state, fitted)
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    return report(model, config, data, history, state, seconds, replicas, figures, started_from)


def load_data(config: TrainConfig) -> RunData:
    """MNIST training images (the first ``limit``) plus the extra data, split; the test set."""
    (x_train, y_train), (x_test, y_test) = load_mnist(config.data_dir)
    if config.limit:
        x_train, y_train = x_train[:config.limit], y_train[:config.limit]
    if config.extra_data:
        x_extra, y_extra = load_extra_data(config.extra_data)
        x_train = np.concatenate([x_train, x_extra])  # (N + M, 28, 28) uint8
        y_train = np.concatenate([y_train, y_extra])
    (x_fit, y_fit), (x_val, y_val) = split_validation(x_train, y_train, VALIDATION_SIZE,
                                                      config.seed)
    variants = None
    if config.variants:
        variants = make_variants(x_fit, y_fit, config.seed, config.non_digit_pool)
    return RunData(x_fit, y_fit, x_val, y_val, x_test, y_test,
                   dataset_sha256(x_train, y_train), variants)


def load_extra_data(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read the IDX pair in ``folder`` (e.g. the app's saved corrections): uint8 images, labels.

    A pair cut short by an interrupted save is read at the shorter length, with a note on
    stderr. Raises ``TeachingError`` (see ``teaching.read_idx_pair``).
    """
    extra = read_idx_pair(folder)
    if extra.note:
        print(f"note: {folder}: {extra.note}", file=sys.stderr)
    return extra.images, extra.labels


def split_validation(x: np.ndarray, y: np.ndarray, size: int, seed: int):
    """Hold out ``size`` random training images for every training decision."""
    order = np.random.default_rng(seed).permutation(len(x))
    size = min(size, max(1, len(x) // 10))
    val, train = order[:size], order[size:]
    return (x[train], y[train]), (x[val], y[val])


def stream_seed(seed: int, first_epoch: int) -> int:
    """The seed for shuffling, augmentation and dropout of a run that starts at ``first_epoch``.

    A resumed run seeded like the first would replay its first epochs exactly (the same
    augmented images in the same order, the same dropout masks), so it draws a new stream.
    """
    if first_epoch == 0:
        return seed
    return int(np.random.SeedSequence([seed, first_epoch]).generate_state(1)[0])


def ema_momentum(steps: int, window: int = 100) -> float:
    """Momentum of a weights' moving average over ``window`` steps, or a tenth of a short run.

    Keras' average starts at the initial weights without correcting for it, so over a run of a
    few dozen steps (``--limit``, the notebook's QUICK mode) a 100-step average would still be
    mostly the untrained network.
    """
    return 1.0 - 1.0 / max(1.0, min(window, steps / 10))


def start_weights(config: TrainConfig) -> list[np.ndarray]:
    """The weights of ``config.start_from``, checked to fit ``config.architecture``.

    Read before the data and the new network, so that a wrong file fails at once, and so
    that ``--out`` may be the very file the run starts from. Raises ``ModelError``.
    """
    from digit_recognizer.training.models import build_model  # imports Keras at its top
    from digit_recognizer.recognition.recognizer import load_keras_file

    path = Path(config.start_from)
    weights = load_keras_file(path).get_weights()
    wanted = [w.shape for w in build_model(config.architecture).get_weights()]
    if [w.shape for w in weights] != wanted:
        label = for_architecture(config.architecture).label
        raise ModelError(f"{path} is not a {label} network (its layers differ), so training "
                         f"--model {config.architecture} cannot start from it.")
    return weights


def prepare_model(config: TrainConfig, state: RunState | None, strategy, steps: int,
                  start: list[np.ndarray] | None = None):
    """A new network (given the weights ``start``, if any), or with ``state`` the
    checkpoint's, its optimizer's state restored.

    ``steps`` is how many training steps the run has left, which sets the span of model 2's
    weights' moving average.
    """
    with strategy.scope() if strategy is not None else nullcontext():
        if state is None:
            from digit_recognizer.training.models import build_model  # imports Keras at its top

            model = build_model(config.architecture)
            if start is not None:
                model.set_weights(start)
            if config.learning_rate is not None:
                model.optimizer.learning_rate = config.learning_rate
        else:
            model = load_checkpoint(checkpoint_path(config.out), state)
    if model.optimizer.use_ema:
        model.optimizer.ema_momentum = ema_momentum(steps)
    return model


def fit(model, batches, data: RunData, config: TrainConfig, state: RunState | None,
        verbose: int) -> dict[str, list[float]]:
    """Train from the checkpoint's epoch (or 0) to ``config.epochs``; this run's history."""
    from digit_recognizer.training.callbacks import training_callbacks

    if state is not None:  # the log goes on after the checkpoint's epochs
        write_log(log_path(config.out), state.history)
    callbacks = training_callbacks(checkpoint_path(config.out), log_path(config.out),
                                   config.patience, asdict(config), state,
                                   ema=model.optimizer.use_ema)
    history = model.fit(
        batches,
        validation_data=(to_model_input(data.x_val), np.eye(10, dtype=np.float32)[data.y_val]),
        initial_epoch=state.epoch if state else 0,
        epochs=config.epochs,
        callbacks=callbacks,
        verbose=verbose,
    )
    return history.history


def finished_model(model, config: TrainConfig, *, resumed: bool, fitted: bool):
    """The network to save: the best epoch's, from the checkpoint, as validation scored it.

    Also after a SIGTERM stop. Without any finished epoch (stopped during the first) it is
    the network as it is; a checkpoint left at ``--out`` by an earlier run is not this run's.
    """
    path = checkpoint_path(config.out)
    if path.exists() and (fitted or resumed):
        return best_model(path)
    use_average_weights(model)
    return model


def whole_history(past: RunState | None, fitted: dict) -> dict[str, list[float]]:
    """The run's per-epoch history from its first epoch: the checkpoint's, then this fit's."""
    earlier = past.history if past else {}
    return {key: earlier.get(key, []) + fitted.get(key, [])
            for key in dict.fromkeys([*earlier, *fitted])}


def save_model(model, out: Path) -> None:
    """Save the finished network so that ``out`` holds the old file or the complete new one."""
    with atomic_path(out) as tmp:
        # .h5 without the optimizer state: the app only predicts, and the file stays small.
        model.save(tmp, include_optimizer=False) if tmp.suffix == ".h5" else model.save(tmp)


def report(model, config: TrainConfig, data: RunData, history: dict, state: RunState | None,
           seconds: float, replicas: int, figures: bool, started_from: dict | None = None
           ) -> dict:
    """Score the saved network on the test set; write its metadata, figures and ONNX copy.

    ``started_from``: the file and SHA-256 of the network ``--start-from`` went on training.
    """
    scores = evaluate_arrays(model, data.x_test, data.y_test)
    metadata = {
        "architecture": config.architecture,
        "name": for_architecture(config.architecture).label,
        "optimizer": model.optimizer.__class__.__name__,
        "epochs_run": len(history.get("loss", [])),
        "resumed_after_epoch": state.epoch if state else None,
        "started_from": started_from,
        "training_images": len(data.x_fit),
        "validation_images": len(data.x_val),
        "best_val_accuracy": max(map(float, history.get("val_accuracy", [])), default=None),
        "test_accuracy": scores["accuracy"],
        "per_class_accuracy": scores["per_class_accuracy"],
        "confusion_matrix": scores["confusion_matrix"],
        "training_seconds": round(seconds, 1),
        "hardware": hardware_description(),
        "replicas": replicas,
        "versions": library_versions(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_data_sha256": data.sha256,
        "config": asdict(config),
    }
    if config.variants:  # trained to be unsure of non-digits: where "not a digit" begins
        metadata.update(not_a_digit_threshold(model, data, config.seed))
    out = Path(config.out)
    atomic_write_text(out.with_suffix(".json"), json.dumps(metadata, indent=2) + "\n")
    if figures:
        from digit_recognizer.training.figures import save_training_figures

        save_training_figures(out, history, scores, data.x_test, data.y_test)
    export_copy(out)
    return metadata


def not_a_digit_threshold(model, data: RunData, seed: int) -> dict:
    """The threshold and its validation figures (``calibration``), for the metadata."""
    from digit_recognizer.training.calibration import calibrate, validation_digits

    def forward(x: np.ndarray) -> np.ndarray:
        return model.predict(x, batch_size=500, verbose=0)

    return calibrate(forward, validation_digits(data.x_val, seed))


def evaluate_arrays(model, x_test: np.ndarray, y_test: np.ndarray) -> dict:
    """Score a Keras model on a labelled set of uint8 (N, 28, 28) images."""
    probabilities = model.predict(to_model_input(x_test), batch_size=500, verbose=0)
    return score_probabilities(probabilities, y_test)


def export_copy(out: Path) -> None:
    """Make the ONNX copy the app runs; a failure costs only that copy, never the model."""
    from digit_recognizer.training.export import export_onnx

    try:
        export_onnx(out)
    except ModelError as err:
        print(f"warning: {err} The app will load {out.name} with Keras instead; try again "
              "with: python -m digit_recognizer export", file=sys.stderr)


def config_path(out: str | os.PathLike) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".config.json")


def log_path(out: str | os.PathLike) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".log.csv")


def read_log(out: str | os.PathLike) -> dict[str, list[float]]:
    """The per-epoch history (as ``History.history``) that CSVLogger wrote beside ``out``."""
    with open(log_path(out), newline="") as file:
        rows = list(csv.DictReader(file))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else ())
            if key != "epoch"}


def write_log(path: Path, history: dict[str, list[float]]) -> None:
    """Write ``history`` as CSVLogger does (epoch, then the keys sorted), for it to append to."""
    keys = sorted(history)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["epoch", *keys])
        for epoch, values in enumerate(zip(*(history[key] for key in keys))):
            writer.writerow([epoch, *values])


def number(text: str, fits: Callable[[float], bool], what: str) -> float:
    """A command-line number for which ``fits`` holds; else "'text' is not ``what``"."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")  # fits no range
    if not fits(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return value


def share(text: str, most: float = 1.0, what: str = "a share from 0 to 1") -> float:
    """A command-line share: a number from 0 to ``most``."""
    return number(text, lambda value: 0 <= value <= most, what)


def degrees(text: str) -> float:
    return share(text, 180.0, "a turn from 0 to 180 degrees")


def learning_rate(text: str) -> float:
    """A command-line learning rate: a number above 0, at most 10."""
    return number(text, lambda value: 0 < value <= 10, "a learning rate (above 0, at most 10)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m digit_recognizer train",
                                     description="Train a CNN on MNIST and save it.")
    default = find_bundled(DEFAULT_MODEL).architecture
    parser.add_argument("--model", choices=[m.architecture for m in BUNDLED_MODELS],
                        default=default,
                        help="architecture: " + ", ".join(
                            f"{m.architecture} = {m.label}" for m in BUNDLED_MODELS)
                        + f" (default: {default})")
    parser.add_argument("--epochs", type=int, default=30,
                        help="maximum epochs in all, a resumed run's included (default: 30)")
    parser.add_argument("--batch-size", type=int, default=128, help="(default: 128)")
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: $MNIST_DIR, "
                                           "then the Keras cache)")
    parser.add_argument("--out", help="model file to write (default: the bundled model's file "
                                      "in models/: " + ", ".join(
                                          f"{m.file} for {m.architecture}"
                                          for m in BUNDLED_MODELS) + ")")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--limit", type=int, help="train on the first N images only "
                                                  "(default: all 60,000)")
    parser.add_argument("--extra-data", help="folder with an extra IDX dataset (a "
                                             "*-images-idx3-ubyte[.gz] and its "
                                             "*-labels-idx1-ubyte[.gz]) to mix into training "
                                             "(default: none)")
    parser.add_argument("--patience", type=int, default=6,
                        help="epochs without validation gain before stopping (default: 6)")
    parser.add_argument("--no-augment", action="store_true",
                        help="train on the images as they are (default: augment)")
    parser.add_argument("--no-variants", action="store_true",
                        help="train on MNIST's digits only: no re-drawn or style-edited digits, "
                             "no non-digits (default: all three; see digit_recognizer/training/data/variants.py)")
    defaults = TrainConfig("", "")
    for name, text in (("restroked", "share of digits shown re-drawn with the app's brush"),
                       ("styled", "share of 0s, 1s, 5s and 7s shown in a style MNIST lacks"),
                       ("non-digits", "non-digits per batch, as a share of its digits"),
                       ("rotation", "augmentation: largest turn, in degrees"),
                       ("zoom", "augmentation: largest change of size, as a share")):
        default = getattr(defaults, name.replace("-", "_"))
        parser.add_argument(f"--{name}", type=degrees if name == "rotation" else share,
                            default=default, help=f"{text} (default: {default})")
    parser.add_argument("--start-from", metavar="MODEL",
                        help="go on training a trained network of the same architecture, for "
                             "instance a bundled model, instead of a new one (default: new)")
    parser.add_argument("--learning-rate", type=learning_rate,
                        help="the optimizer's first learning rate (default: the architecture's: "
                             "1.0 for adadelta, 0.001 for rmsprop; lower it with --start-from)")
    parser.add_argument("--no-figures", action="store_true", help="skip the matplotlib figures")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run that wrote --out from its checkpoint "
                             "(<out>.checkpoint.keras) up to --epochs epochs in all")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = TrainConfig(
        architecture=args.model, out=args.out or str(for_architecture(args.model).path()),
        epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, limit=args.limit,
        extra_data=args.extra_data, patience=args.patience, augment=not args.no_augment,
        data_dir=args.data_dir, variants=not args.no_variants, restroked=args.restroked,
        styled=args.styled, non_digits=args.non_digits, rotation=args.rotation, zoom=args.zoom,
        start_from=args.start_from, learning_rate=args.learning_rate)
    try:
        metadata = train(config, resume=args.resume, figures=not args.no_figures)
    except (MnistError, IdxError, TeachingError, ResumeError, ModelError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        checkpoint = checkpoint_path(config.out)
        kept = (f"; the best epoch so far is in {checkpoint} (--resume goes on from it)"
                if checkpoint.exists() else "")
        print(f"\ninterrupted: {config.out} was left as it was{kept}", file=sys.stderr)
        return 130
    print(f"saved {config.out}: test accuracy {metadata['test_accuracy']:.4%} "
          f"after {metadata['epochs_run']} epochs, {metadata['training_seconds']:.0f} s")
    return 0
