"""Train one of the two CNNs on MNIST and save it with its metadata and figures.

    python -m digit_recognizer train --model rmsprop --epochs 30 --out models/digit_model1.h5
    python -m digit_recognizer train --model adadelta --limit 2000 --epochs 1 --out /tmp/m.h5
    python -m digit_recognizer train --model rmsprop --epochs 40 --resume   # go on to epoch 40

Beside ``--out`` (say ``models/digit_model1.h5``) it writes ``digit_model1.json`` (metadata),
``digit_model1.log.csv`` (per-epoch history), ``digit_model1.best.h5`` (the best checkpoint so
far, kept if training is interrupted) and the figures ``digit_model1.curves.png``,
``.confusion.png`` and ``.mistakes.png``. Every file is written to a temporary name in the same
folder and renamed, so an interrupted run never leaves a half-written file behind, and
``--resume`` continues such a run from its best checkpoint, log and learning rate.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from digit_recognizer.catalogue import (
    BUNDLED_MODELS,
    DEFAULT_MODEL,
    find_bundled,
    for_architecture,
)
from digit_recognizer.data import MnistError, dataset_sha256, load_mnist
from digit_recognizer.files import atomic_path, atomic_write_text
from digit_recognizer.idx import IdxError, read_idx
from digit_recognizer.quiet_tf import import_keras
from digit_recognizer.scoring import score_probabilities, to_model_input

VALIDATION_SIZE = 5000
MAX_CHANNELS = 128


def load_extra_data(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read an extra IDX dataset (images + labels), e.g. the app's saved corrections."""
    folder = Path(folder)
    # Hidden names are other writers' temporary files (atomic writes), never data.
    images = sorted(p for p in folder.glob("*images*") if not p.name.startswith("."))
    labels = sorted(p for p in folder.glob("*labels*") if not p.name.startswith("."))
    if not images or not labels:
        raise MnistError(f"{folder}: expected an *images* and a *labels* IDX file in it")
    x, y = read_idx(images[0]), read_idx(labels[0])
    if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (len(x),):
        raise MnistError(f"{folder}: images {x.shape} and labels {y.shape} do not match "
                         "(need (N, 28, 28) and (N,))")
    if x.dtype != np.uint8:  # the app stores uint8; accept [0, 1] floats too
        x = np.clip(np.asarray(x, np.float32) * (255 if x.max() <= 1 else 1), 0, 255)
    return np.asarray(x, np.uint8), np.asarray(y, np.uint8)


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


def make_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, augment: bool = True):
    """A ``keras.utils.PyDataset`` of shuffled, augmented batches: float32 (B, 28, 28, 1), labels.

    Backend-neutral (NumPy and OpenCV only), so it feeds TensorFlow and JAX alike.
    """
    import keras

    class AugmentedBatches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__(workers=1, use_multiprocessing=False)
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(x))

        def __len__(self) -> int:
            return int(np.ceil(len(x) / batch_size))

        def __getitem__(self, index: int):
            picked = self.order[index * batch_size:(index + 1) * batch_size]
            images = augment_digits(x[picked], self.rng) if augment else x[picked]
            return to_model_input(images), y[picked]

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(x))

    return AugmentedBatches()


def augment_digits(images: np.ndarray, rng: np.random.Generator, rotation: float = 10.0,
                   zoom: float = 0.1, shift: float = 2.0, thicken: float = 0.1) -> np.ndarray:
    """Vary uint8 (N, 28, 28) digits the way drawings vary: slant, size, position, pen width.

    Rotation (± degrees), zoom (± fraction) and shift (± pixels) are combined into one affine
    warp per image. Keras' RandomRotation, RandomZoom and RandomTranslation each resample the
    image, and three bilinear resamplings blur MNIST's strokes visibly; trained on that blur,
    the networks stalled near 99% validation accuracy. Then a random ``thicken`` share of
    digits gets thicker strokes and half as many thinner ones (grey-level dilation/erosion),
    since people draw with other brushes than MNIST's pens.
    """
    import cv2

    images = warp_digits(images, random_affine(len(images), rng, rotation, zoom, shift))
    kernel = np.ones((2, 2), np.uint8)
    for op, share in ((cv2.dilate, thicken), (cv2.erode, thicken / 2)):
        chosen = rng.random(len(images)) < share
        if chosen.any():
            images[chosen] = _per_image(op, images[chosen], kernel)
    return images


def random_affine(count: int, rng: np.random.Generator, rotation: float, zoom: float,
                  shift: float) -> np.ndarray:
    """(count, 2, 3) OpenCV affine matrices: rotate and scale about the centre, then shift."""
    angles = np.radians(rng.uniform(-rotation, rotation, count))
    scales = rng.uniform(1 - zoom, 1 + zoom, count)
    cos, sin = scales * np.cos(angles), scales * np.sin(angles)
    centre = 13.5  # the middle of a 28-pixel axis
    matrices = np.empty((count, 2, 3))
    matrices[:, 0, :2] = np.stack([cos, sin], axis=1)
    matrices[:, 1, :2] = np.stack([-sin, cos], axis=1)
    matrices[:, :, 2] = centre - (matrices[:, :, :2] @ np.array([centre, centre]))
    matrices[:, :, 2] += rng.uniform(-shift, shift, (count, 2))
    return matrices


def warp_digits(images: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """Apply one affine matrix to each 28×28 image (bilinear, black outside)."""
    import cv2

    return np.stack([cv2.warpAffine(image, matrix, (28, 28), flags=cv2.INTER_LINEAR)
                     for image, matrix in zip(images, matrices)])


def _per_image(op, images: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Apply a 2-D OpenCV morphology op to each of (N, H, W) images in one call per 128.

    OpenCV filters each channel separately, so the batch goes in as the channel axis
    (OpenCV 5 takes at most 128 channels per call).
    """
    out = np.empty_like(images)
    for start in range(0, len(images), MAX_CHANNELS):
        part = np.ascontiguousarray(images[start:start + MAX_CHANNELS].transpose(1, 2, 0))
        result = op(part, kernel).reshape(part.shape)  # one channel comes back 2-D
        out[start:start + MAX_CHANNELS] = result.transpose(2, 0, 1)
    return out


def atomic_save(model, path: Path) -> None:
    """Save a model so that ``path`` holds either the old file or the complete new one."""
    with atomic_path(path) as tmp:
        # .h5 without the optimizer state: the app only predicts, and the file stays small.
        model.save(tmp, include_optimizer=False) if tmp.suffix == ".h5" else model.save(tmp)


def best_checkpoint_callback(path: Path, best: float = -np.inf, monitor: str = "val_accuracy"):
    """Keep the best model so far at ``path``, replaced atomically; ``best`` is the score to beat.

    Keras' ModelCheckpoint writes in place, so a kill during its save would leave a broken
    file at the one path that must survive an interrupted run; this writes beside and renames.
    """
    import keras

    class BestCheckpoint(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            nonlocal best
            value = (logs or {}).get(monitor)
            if value is not None and value > best:
                best = value
                atomic_save(self.model, path)

    return BestCheckpoint()


def stop_on_sigterm_callback():
    """On SIGTERM, finish the current batch and end training normally (best weights saved).

    Ctrl-C aborts and leaves the output path alone; SIGTERM (``kill PID``) is the way to say
    'enough, keep what you have'.
    """
    import signal

    import keras

    class StopOnSigterm(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.previous = signal.signal(signal.SIGTERM, self.stop)

        def stop(self, signum, frame):
            print("\nSIGTERM: stopping after this batch and saving the best model so far",
                  file=sys.stderr)
            self.model.stop_training = True

        def on_train_end(self, logs=None):
            signal.signal(signal.SIGTERM, self.previous)

    return StopOnSigterm()


def best_path(out: Path) -> Path:
    return out.with_name(out.stem + ".best.h5")


def log_path(out: Path) -> Path:
    return out.with_name(out.stem + ".log.csv")


def training_callbacks(out: Path, patience: int, best: float | None = None,
                       ema: bool = False) -> list:
    """Early stopping and learning-rate schedule on validation accuracy, best checkpoint, log.

    The classic recipe's ``monitor='val_acc'`` never fires in Keras 3, where the metric is
    ``val_accuracy``; using the real name is what makes the plateau schedule work. ``best`` is
    a resumed run's best validation accuracy: the epochs to come must beat it. The best
    weights come back from the checkpoint file (see ``train``), so EarlyStopping keeps none.
    With ``ema`` (an optimizer with ``use_ema``) the weights' moving average is swapped in
    before validation and before the callbacks after it, so all of them judge and save it.
    """
    import keras

    swap = [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if ema else []
    return swap + [
        keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5,
                                          patience=2, min_lr=1e-5, verbose=1),
        keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=patience,
                                      baseline=best, verbose=1),
        best_checkpoint_callback(best_path(out), -np.inf if best is None else best),
        keras.callbacks.CSVLogger(str(log_path(out)), append=best is not None),
        stop_on_sigterm_callback(),
    ]


def read_log(out: Path) -> dict[str, list[float]]:
    """The per-epoch history (as ``History.history``) that CSVLogger wrote beside ``out``."""
    with open(log_path(out), newline="") as file:
        rows = list(csv.DictReader(file))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else ())
            if key != "epoch"}


class ResumeError(Exception):
    """There is no run to resume at this output path, or it does not match the arguments."""


def previous_run(out: Path, arch: str, seed: int) -> dict:
    """What ``--resume`` continues from: the best checkpoint, the per-epoch log, past seconds."""
    checkpoint = best_path(out) if best_path(out).exists() else out
    if not checkpoint.exists() or not log_path(out).exists():
        raise ResumeError(f"nothing to resume at {out}: need {best_path(out).name} (or "
                          f"{out.name}) and {log_path(out).name} from an earlier run")
    history = read_log(out)
    if not history.get("val_accuracy"):
        raise ResumeError(f"{log_path(out)} records no finished epoch to resume from")
    metadata = json.loads(out.with_suffix(".json").read_text()) \
        if out.with_suffix(".json").exists() else {}
    for key, value in (("architecture", arch), ("seed", seed)):
        # Another seed would hold out other validation images, some already trained on.
        if metadata.get(key, value) != value:
            raise ResumeError(f"{out} was trained with {key} {metadata[key]!r}, not {value!r}")
    return {"checkpoint": checkpoint, "history": history,
            "seconds": metadata.get("training_seconds", 0.0)}


def load_weights_from(model, path: Path) -> None:
    """Copy the weights of the model saved at ``path`` into ``model`` (same architecture)."""
    import keras

    weights = keras.models.load_model(path, compile=False).get_weights()
    if [w.shape for w in weights] != [w.shape for w in model.get_weights()]:
        raise ResumeError(f"{path} is not a {model.name} network: its layers differ")
    model.set_weights(weights)


def choose_distribution(devices: list[str] | None = None):
    """Return a ``tf.distribute`` strategy when training should span several devices, else None.

    With more than one GPU visible, TensorFlow's MirroredStrategy replicates the model on each
    without any flag. ``devices`` names them explicitly (tests split the CPU into two logical
    devices to run this path). Under JAX the same is ``keras.distribution.DataParallel``.
    """
    import keras

    if keras.backend.backend() == "jax":
        import jax

        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        if len(gpus) > 1:
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=gpus))
        return None
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    if devices:
        return tf.distribute.MirroredStrategy(devices)
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return None


def hardware_description() -> dict:
    import keras

    info = {"backend": keras.backend.backend(), "machine": platform.machine(),
            "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count()}
    if info["backend"] == "tensorflow":
        import tensorflow as tf

        info["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    elif info["backend"] == "jax":
        import jax

        info["gpus"] = [str(d) for d in jax.devices() if d.platform == "gpu"]
    return info


def library_versions() -> dict:
    import cv2
    import keras

    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "keras": keras.__version__, "opencv": cv2.__version__}
    for name in ("tensorflow", "jax"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = module.__version__
    return versions


def evaluate_arrays(model, x_test: np.ndarray, y_test: np.ndarray) -> dict:
    """Score a Keras model on a labelled set of uint8 (N, 28, 28) images."""
    probabilities = model.predict(to_model_input(x_test), batch_size=500, verbose=0)
    return score_probabilities(probabilities, y_test)


def train(arch: str, out: str | os.PathLike, *, epochs: int = 30, batch_size: int = 128,
          data_dir: str | None = None, seed: int = 0, limit: int | None = None,
          extra_data: str | None = None, patience: int = 6, augment: bool = True,
          devices: list[str] | None = None, figures: bool = True, verbose: int = 1,
          resume: bool = False) -> dict:
    """Train ``arch`` on MNIST (plus ``extra_data``), save it to ``out``; return its metadata.

    Data problems raise at once, before any model is built. The test set is touched only
    after training, for the final report. ``resume`` continues the run that wrote ``out``
    (its best checkpoint, at its last learning rate) up to ``epochs`` epochs in all.
    """
    out = Path(out)
    earlier = previous_run(out, arch, seed) if resume else None
    (x_train, y_train), (x_test, y_test) = load_mnist(data_dir)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    if extra_data:
        x_extra, y_extra = load_extra_data(extra_data)
        x_train = np.concatenate([x_train, x_extra])
        y_train = np.concatenate([y_train, y_extra])
    out.parent.mkdir(parents=True, exist_ok=True)
    (x_fit, y_fit), (x_val, y_val) = split_validation(x_train, y_train, VALIDATION_SIZE, seed)

    keras = import_keras()

    from digit_recognizer.models import build_model

    past = earlier["history"] if earlier else {key: [] for key in ("loss", "val_accuracy")}
    stream = stream_seed(seed, len(past["loss"]))
    keras.utils.set_random_seed(stream)
    strategy = choose_distribution(devices)
    if strategy is not None:
        with strategy.scope():
            model = build_model(arch)
    else:
        model = build_model(arch)
    if earlier:
        load_weights_from(model, earlier["checkpoint"])
        if "learning_rate" in past:  # where the plateau schedule had brought it
            model.optimizer.learning_rate.assign(past["learning_rate"][-1])
    batches = make_batches(x_fit, y_fit, batch_size, stream, augment)
    if model.optimizer.use_ema:
        model.optimizer.ema_momentum = ema_momentum(len(batches) * (epochs - len(past["loss"])))
    callbacks = training_callbacks(out, patience, max(past["val_accuracy"], default=None),
                                   ema=model.optimizer.use_ema)
    started = time.time()
    history = model.fit(
        batches,
        validation_data=(to_model_input(x_val), y_val),
        initial_epoch=len(past["loss"]),
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
    )
    seconds = time.time() - started + (earlier["seconds"] if earlier else 0.0)
    if history.history.get("val_accuracy"):
        # The best epoch, also after a SIGTERM stop; a resumed run that never beat its old best
        # may have only the old checkpoint (when it started from ``out``).
        load_weights_from(model, best_path(out) if best_path(out).exists()
                          else earlier["checkpoint"])
    atomic_save(model, out)
    history = {key: past.get(key, []) + values for key, values in history.history.items()}
    report = evaluate_arrays(model, x_test, y_test)
    metadata = {
        "architecture": arch,
        "name": for_architecture(arch).label,
        "optimizer": model.optimizer.__class__.__name__,
        "epochs_run": len(history["loss"]),
        "epochs_requested": epochs,
        "resumed_after_epoch": len(past["loss"]) if earlier else None,
        "batch_size": batch_size,
        "seed": seed,
        "training_images": int(len(x_fit)),
        "validation_images": int(len(x_val)),
        "extra_data": str(extra_data) if extra_data else None,
        "best_val_accuracy": float(max(history["val_accuracy"])),
        "test_accuracy": report["accuracy"],
        "per_class_accuracy": report["per_class_accuracy"],
        "confusion_matrix": report["confusion_matrix"],
        "training_seconds": round(seconds, 1),
        "hardware": hardware_description(),
        "replicas": strategy.num_replicas_in_sync if strategy is not None else 1,
        "versions": library_versions(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "training_data_sha256": dataset_sha256(x_train, y_train),
    }
    atomic_write_text(out.with_suffix(".json"), json.dumps(metadata, indent=2) + "\n")
    if figures:
        from digit_recognizer.figures import save_training_figures

        save_training_figures(out, history, report, x_test, y_test)
    export_copy(out)
    return metadata


def export_copy(out: Path) -> None:
    """Make the ONNX copy the app runs; a failure costs only that copy, never the model."""
    from digit_recognizer.export import export_onnx
    from digit_recognizer.results import ModelError

    try:
        export_onnx(out)
    except ModelError as err:
        print(f"warning: {err} The app will load {out.name} with Keras instead; try again "
              "with: python -m digit_recognizer export", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m digit_recognizer train",
                                     description="Train a CNN on MNIST and save it.")
    default = find_bundled(DEFAULT_MODEL).architecture
    parser.add_argument("--model", choices=[m.architecture for m in BUNDLED_MODELS],
                        default=default,
                        help="architecture: " + ", ".join(
                            f"{m.architecture} = {m.label}" for m in BUNDLED_MODELS)
                        + f" (default: {default})")
    parser.add_argument("--epochs", type=int, default=30, help="maximum epochs (default: 30)")
    parser.add_argument("--batch-size", type=int, default=128, help="(default: 128)")
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: $MNIST_DIR, "
                                           "then the Keras cache)")
    parser.add_argument("--out", help="model file to write (default: the bundled model's file "
                                      "in models/: " + ", ".join(
                                          f"{m.file} for {m.architecture}"
                                          for m in BUNDLED_MODELS) + ")")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--limit", type=int, help="train on the first N images only")
    parser.add_argument("--extra-data", help="folder with an extra IDX dataset (images + "
                                             "labels) to mix into training")
    parser.add_argument("--patience", type=int, default=6,
                        help="epochs without validation gain before stopping (default: 6)")
    parser.add_argument("--no-figures", action="store_true", help="skip the matplotlib figures")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run that wrote --out (its best checkpoint, log and "
                             "learning rate) up to --epochs epochs in all")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = args.out or str(for_architecture(args.model).path())
    try:
        metadata = train(args.model, out, epochs=args.epochs, batch_size=args.batch_size,
                         data_dir=args.data_dir, seed=args.seed, limit=args.limit,
                         extra_data=args.extra_data, patience=args.patience,
                         figures=not args.no_figures, resume=args.resume)
    except (MnistError, IdxError, ResumeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        best = best_path(Path(out))
        kept = f"; the best checkpoint so far is {best}" if best.exists() else ""
        print(f"\ninterrupted: {out} was left as it was{kept}", file=sys.stderr)
        return 130
    print(f"saved {out}: test accuracy {metadata['test_accuracy']:.4%} "
          f"after {metadata['epochs_run']} epochs, {metadata['training_seconds']:.0f} s")
    return 0
