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
never leaves a half-written file behind (``run_files``). The command line is ``train_cli``.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from digit_recognizer.core.catalogue import for_architecture
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.datasets.sources import dataset_sha256
from digit_recognizer.core.datasets.unipen import (
    UNIPEN_FILE,
    UNIPEN_SHA256,
    PenDigits,
    load_unipen,
    writer_split,
)
from digit_recognizer.core.files import atomic_write_text
from digit_recognizer.core.quiet_tf import import_keras
from digit_recognizer.core.results import ModelError
from digit_recognizer.core.scoring import to_model_input
from digit_recognizer.recognition.inference import file_sha256
from digit_recognizer.recognition.recognizer import load_keras_file
from digit_recognizer.training.calibration import calibrate, validation_digits
from digit_recognizer.training.checkpoint import (
    RunState,
    best_model,
    checkpoint_path,
    load_checkpoint,
    resume_state,
    use_average_weights,
)
from digit_recognizer.training.data.augment import Mix, make_batches
from digit_recognizer.training.data.variants import TrainingVariants, make_variants
from digit_recognizer.training.environment import (
    choose_distribution,
    hardware_description,
    library_versions,
)
from digit_recognizer.training.figures import save_training_figures
from digit_recognizer.training.run_data import (
    VALIDATION_SIZE,
    evaluate_arrays,
    labelled_digits,
    pen_split,
    split_validation,
)
from digit_recognizer.training.run_files import (
    config_path,
    export_copy,
    log_path,
    save_model,
    write_log,
)

__all__ = ["RunData", "TrainConfig", "load_data", "train"]


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
    non_digit_pool: int = 20000  # non-digits drawn for the run, at most one per digit
    widened: float = 0.25  # share of digits shown wider or narrower than written
    filled: float = 0.0  # share of those stretched to a square instead, as scanned forms do
    scanned: float = 0.0  # share of those stored in a 16×16 box in black and white, as Semeion is
    written: float = 0.25  # digits from the ``writer`` added, as a share of the MNIST digits
    usps_train: bool = False  # add USPS' training split (real handwriting) to the data
    usps_dir: str | None = None  # its folder; None: $USPS_DIR, then ../shared/data/usps
    pen: float = 0.0  # drawings of the pen data's training writers, as a share of MNIST's digits
    unipen_dir: str | None = None  # its folder; None: $UNIPEN_DIR, then ../shared/data/unipen
    rotation: float = 10.0  # augmentation: ± degrees
    zoom: float = 0.1  # augmentation: ± share of the size
    start_from: str | None = None  # a trained network of this architecture to go on training
    learning_rate: float | None = None  # the optimizer's first rate; None: the architecture's

    def __post_init__(self) -> None:
        # Python callers pass Path objects; the JSON copies of the configuration need strings.
        for name in ("out", "extra_data", "data_dir", "start_from", "usps_dir", "unipen_dir"):
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
    pen: dict | None = None  # what the run took from the pen data, for the metadata


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
    pen = load_unipen(config.unipen_dir) if config.pen else None  # a bad file fails at once
    start = start_weights(config) if state is None and config.start_from else None
    # Hashed now: --out may be the file it starts from, which the run replaces.
    started_from = ({"file": config.start_from, "sha256": file_sha256(config.start_from)}
                    if start is not None else None)
    data = load_data(config, pen)
    atomic_write_text(config_path(config.out), json.dumps(asdict(config), indent=2) + "\n")

    keras = import_keras()
    first_epoch = state.epoch if state else 0
    stream = stream_seed(config.seed, first_epoch)
    keras.utils.set_random_seed(stream)  # initial weights, order, augmentation, dropout
    mix = Mix(config.restroked, config.styled, config.non_digits, config.widened)
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


def load_data(config: TrainConfig, pen: PenDigits | None = None) -> RunData:
    """MNIST training images (the first ``limit``), plus USPS' training split, the extra data and
    written digits as ``config`` asks, split; MNIST's test set. With ``pen`` (the pen data,
    when ``config.pen`` asks for it) its training writers' digits join the training digits and
    its validation writers' digits the validation digits, whole writers on each side.

    The validation split is drawn from all of them, so that choosing the best epoch also
    weighs real writing (USPS, the pen data's writers) and the writer's styles, not MNIST alone.
    """
    mnist_train, (x_test, y_test) = load_mnist(config.data_dir)
    x_train, y_train = labelled_digits(
        mnist_train, limit=config.limit, usps_train=config.usps_train,
        usps_dir=config.usps_dir, extra_data=config.extra_data, written=config.written,
        seed=config.seed)
    (x_fit, y_fit), (x_val, y_val) = split_validation(x_train, y_train, VALIDATION_SIZE,
                                                      config.seed)
    pen_record = None
    if pen is not None:
        count = round(config.pen * len(mnist_train[0][:config.limit]))  # as labelled_digits
        (x_pen, y_pen), (x_pen_val, y_pen_val) = pen_split(pen, count, config.seed)
        x_fit, y_fit = np.concatenate([x_fit, x_pen]), np.concatenate([y_fit, y_pen])
        x_val, y_val = np.concatenate([x_val, x_pen_val]), np.concatenate([y_val, y_pen_val])
        pen_record = pen_summary(pen, len(x_pen), len(x_pen_val))
    variants = None
    if config.variants:
        # A small run shows fewer non-digits than it has digits: drawing more only costs time.
        pool = min(config.non_digit_pool, len(x_fit))
        variants = make_variants(x_fit, y_fit, config.seed, pool, filled=config.filled,
                                 scanned=config.scanned)
    return RunData(x_fit, y_fit, x_val, y_val, x_test, y_test,
                   dataset_sha256(x_train, y_train), variants, pen_record)


def pen_summary(pen: PenDigits, drawings: int, validation: int) -> dict:
    """What a run took from the pen data, for its metadata."""
    train, held = writer_split(pen)
    return {"file": UNIPEN_FILE, "sha256": UNIPEN_SHA256,
            "training_writers": len(set(pen.writers[train])), "training_digits": len(train),
            "training_drawings": drawings,
            "validation_writers": sorted(set(pen.writers[held])),
            "validation_digits": validation}


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
    path = Path(config.start_from)
    weights = load_keras_file(path).get_weights()
    wanted = [w.shape for w in new_network(config.architecture).get_weights()]
    if [w.shape for w in weights] != wanted:
        label = for_architecture(config.architecture).label
        raise ModelError(f"{path} is not a {label} network (its layers differ), so training "
                         f"--model {config.architecture} cannot start from it.")
    return weights


def new_network(architecture: str):
    """A new, compiled network of ``architecture`` (``models.build_model``)."""
    # Imported here: models imports Keras at its top, and this module must import without it,
    # so that bad arguments and data fail before TensorFlow's import (and ``--help`` too).
    from digit_recognizer.training.models import build_model  # noqa: PLC0415

    return build_model(architecture)


def prepare_model(config: TrainConfig, state: RunState | None, strategy, steps: int,
                  start: list[np.ndarray] | None = None):
    """A new network (given the weights ``start``, if any), or with ``state`` the
    checkpoint's, its optimizer's state restored.

    ``steps`` is how many training steps the run has left, which sets the span of model 2's
    weights' moving average.
    """
    with strategy.scope() if strategy is not None else nullcontext():
        if state is None:
            model = new_network(config.architecture)
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
    # Imported here: callbacks subclasses Keras' Callback, so importing it imports Keras, which
    # this module must not do at its import (see ``new_network``).
    from digit_recognizer.training.callbacks import training_callbacks  # noqa: PLC0415

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
        "pen_data": data.pen,
        "config": asdict(config),
    }
    if config.variants:  # trained to be unsure of non-digits: where "not a digit" begins
        metadata.update(not_a_digit_threshold(model, data, config))
    out = Path(config.out)
    atomic_write_text(out.with_suffix(".json"), json.dumps(metadata, indent=2) + "\n")
    if figures:
        save_training_figures(out, history, scores, data.x_test, data.y_test)
    export_copy(out, model)
    return metadata


def not_a_digit_threshold(model, data: RunData, config: TrainConfig) -> dict:
    """The threshold and its validation figures (``calibration``), for the metadata."""

    def forward(x: np.ndarray) -> np.ndarray:
        return model.predict(x, batch_size=500, verbose=0)

    pen = data.pen["validation_digits"] if data.pen else 0
    mixed = len(data.x_val) - pen  # the pen data's validation writers come last
    digits = validation_digits(data.x_val[:mixed], config.seed, config.usps_dir,
                               usps_trained=config.usps_train, pen_held_out=data.x_val[mixed:])
    return calibrate(forward, digits)
