"""Training: the optimiser pitfalls, augmentation, the command, the checkpoint and --resume,
interruption safety, the corrections reader, distribution."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.core.idx import read_idx, write_idx

ROOT = Path(__file__).resolve().parents[2]


def run_train(*args: str, timeout: int = 300, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digit_recognizer", "train", *args], check=False,
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kwargs)


def test_adadelta_model_uses_learning_rate_one():
    # tf.keras's Adadelta default of 0.001 is what held the original model 1 at ~92%.
    from digit_recognizer.training.models import build_model

    model = build_model("adadelta")
    assert type(model.optimizer).__name__ == "Adadelta"
    assert float(model.optimizer.learning_rate) == pytest.approx(1.0)


@pytest.mark.training
def test_adadelta_at_default_rate_learns_far_less(mnist_dir):
    import keras

    from digit_recognizer.core.datasets.mnist import load_mnist
    from digit_recognizer.core.scoring import to_model_input
    from digit_recognizer.training.models import build_model

    (x, y), (x_test, y_test) = load_mnist(mnist_dir)
    # 47 steps of 32 digits: ~0.84 against ~0.11 here (32 steps were too few to tell them apart).
    x, y = to_model_input(x[:1500]), y[:1500]
    x_test, y_test = to_model_input(x_test[:1000]), y_test[:1000]
    accuracies = {}
    for rate in (1.0, 0.001):
        keras.utils.set_random_seed(0)
        model = build_model("adadelta")
        model.compile(optimizer=keras.optimizers.Adadelta(learning_rate=rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
        accuracies[rate] = model.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
    assert accuracies[1.0] > 0.75, accuracies
    assert accuracies[1.0] - accuracies[0.001] > 0.2, accuracies


@pytest.mark.training
def test_plateau_schedule_lowers_learning_rate_on_val_accuracy(tmp_path):
    import keras

    from digit_recognizer.training.callbacks import training_callbacks
    from digit_recognizer.training.models import build_model

    # Validation: one image under all ten labels, so its accuracy stays at 0.1 whatever the
    # network learns, and the schedule must fire.
    rng = np.random.default_rng(0)
    x = rng.random((192, 28, 28, 1), dtype=np.float32)
    y = np.eye(10)[rng.integers(0, 10, 192)]  # the models train on target rows
    x_val, y_val = np.repeat(x[:1], 60, axis=0), np.eye(10)[np.arange(60) % 10]
    model = build_model("rmsprop")
    callbacks = training_callbacks(tmp_path / "m.checkpoint.keras", tmp_path / "m.log.csv",
                                   patience=20, config={})
    history = model.fit(x, y, validation_data=(x_val, y_val), epochs=6,
                        batch_size=64, callbacks=callbacks, verbose=0)
    rates = history.history["learning_rate"]
    assert rates[0] == pytest.approx(1e-3)
    assert rates[-1] < 0.6 * rates[0]
    schedule = next(c for c in callbacks if isinstance(c, keras.callbacks.ReduceLROnPlateau))
    assert schedule.monitor == "val_accuracy"


@pytest.mark.training
def test_model_2_is_judged_and_saved_as_its_weights_moving_average(tmp_path, mnist_dir):
    import keras

    from digit_recognizer.core.datasets.mnist import load_mnist
    from digit_recognizer.core.scoring import to_model_input
    from digit_recognizer.training.checkpoint import best_model
    from digit_recognizer.training.run_data import VALIDATION_SIZE, split_validation
    from digit_recognizer.training.train import TrainConfig, train

    out = tmp_path / "m.h5"
    # 56 steps: the average spans about 6 of them. Here it read ~0.88 of the validation digits
    # and the raw weights ~0.71, so saving either where the other was judged shows.
    train(TrainConfig("rmsprop", out, epochs=2, limit=1000, batch_size=32, data_dir=mnist_dir,
                      variants=False, written=0), figures=False, verbose=0)
    (x, y), _ = load_mnist(mnist_dir)
    _, (x_val, y_val) = split_validation(x[:1000], y[:1000], VALIDATION_SIZE, seed=0)
    logged = max(float(row.split(",")[4]) for row in
                 (tmp_path / "m.log.csv").read_text().splitlines()[1:])
    # The checkpoint keeps the raw weights for --resume and their average in the optimizer.
    for model in (keras.models.load_model(out, compile=False),
                  best_model(tmp_path / "m.checkpoint.keras")):
        predicted = model.predict(to_model_input(x_val), verbose=0).argmax(axis=1)
        # The saved weights are the ones validation scored: the average, not the last step.
        assert (predicted == y_val).mean() == pytest.approx(logged, abs=1e-6)


def test_weights_average_spans_100_steps_or_a_tenth_of_a_short_run():
    from digit_recognizer.training.train import ema_momentum

    assert ema_momentum(430 * 32) == pytest.approx(0.99)  # a full MNIST run
    assert ema_momentum(44) == pytest.approx(1 - 1 / 4.4)  # the notebook's QUICK mode
    assert ema_momentum(5) == 0.0  # too short to average at all


def test_thickness_augmentation_matches_opencv_per_image():
    import cv2

    from digit_recognizer.training.data.augment import per_image

    images = np.random.default_rng(1).integers(0, 256, (600, 28, 28), dtype=np.uint8)
    kernel = np.ones((2, 2), np.uint8)
    expected = np.stack([cv2.dilate(image, kernel) for image in images])
    np.testing.assert_array_equal(per_image(cv2.dilate, images, kernel), expected)
    np.testing.assert_array_equal(per_image(cv2.erode, images[:1], kernel)[0],
                                  cv2.erode(images[0], kernel))


def test_zero_ranges_warp_leaves_digits_unchanged(mnist_dir):
    from digit_recognizer.core.datasets.mnist import load_mnist
    from digit_recognizer.training.data.augment import random_affine, warp_digits

    digits = load_mnist(mnist_dir)[1][0][:50]
    matrices = random_affine(50, np.random.default_rng(0), rotation=0, zoom=0, shift=0)
    np.testing.assert_array_equal(warp_digits(digits, matrices), digits)


def test_augmented_digits_stay_sharp_centred_and_labelled(mnist_dir):
    import cv2

    from digit_recognizer.core.datasets.mnist import load_mnist
    from digit_recognizer.training.data.augment import augment_digits

    digits = load_mnist(mnist_dir)[1][0][:200]
    augmented = augment_digits(digits.copy(), np.random.default_rng(0))
    assert augmented.shape == digits.shape and augmented.dtype == np.uint8
    assert not np.array_equal(augmented, digits)
    # One resampling, not three: strokes keep nearly all their full-ink pixels.
    assert (augmented > 200).sum() > 0.7 * (digits > 200).sum()
    centres = [cv2.moments(image)["m10"] / cv2.moments(image)["m00"] for image in augmented]
    assert abs(np.mean(centres) - 13.5) < 1.0


def test_batches_cover_every_image_once_per_epoch():
    from digit_recognizer.training.data.augment import make_batches

    x = np.repeat(np.arange(100, dtype=np.uint8)[:, None, None], 28 * 28).reshape(100, 28, 28)
    batches = make_batches(x, np.arange(100, dtype=np.uint8) % 10, 32, seed=0, augment=False)
    seen = np.concatenate([np.round(batches[i][0][:, 0, 0, 0] * 255)
                           for i in range(len(batches))])  # each image is its own index
    assert sorted(seen.astype(int).tolist()) == list(range(100))
    images, targets = batches[0]
    np.testing.assert_array_equal(targets.argmax(axis=1), np.round(images[:, 0, 0, 0] * 255) % 10)
    assert images.shape == (32, 28, 28, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0


def test_a_resumed_run_draws_new_batches_not_a_replay_of_its_first_epochs():
    from digit_recognizer.training.data.augment import make_batches
    from digit_recognizer.training.train import stream_seed

    x = np.repeat(np.arange(100, dtype=np.uint8)[:, None, None], 28 * 28).reshape(100, 28, 28)
    y = np.arange(100, dtype=np.uint8)

    def first_batch(first_epoch: int) -> list[int]:
        images = make_batches(x, y % 10, 32, stream_seed(0, first_epoch), augment=False)[0][0]
        return np.round(images[:, 0, 0, 0] * 255).astype(int).tolist()

    assert stream_seed(0, 0) == 0  # a fresh run keeps the seed it was given
    assert first_batch(0) == first_batch(0) and first_batch(5) == first_batch(5)
    assert first_batch(5) != first_batch(0) and first_batch(5) != first_batch(6)


def test_validation_split_is_disjoint_and_seeded():
    from digit_recognizer.training.run_data import split_validation

    x = np.arange(1000)
    (train_a, _), (val_a, _) = split_validation(x, x, 100, seed=3)
    (_, _), (val_b, _) = split_validation(x, x, 100, seed=3)
    assert len(val_a) == 100 and not set(train_a) & set(val_a)
    np.testing.assert_array_equal(val_a, val_b)


@pytest.mark.training
def test_train_command_writes_model_metadata_and_figures(trained_run):
    done, out = trained_run.done, trained_run.out
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith(f"saved {out}: test accuracy")
    metadata = json.loads(out.with_suffix(".json").read_text())
    assert metadata["architecture"] == "adadelta" and metadata["optimizer"] == "Adadelta"
    assert metadata["epochs_run"] == 2 and metadata["config"]["batch_size"] == 128
    assert metadata["test_accuracy"] > 0.6
    assert len(metadata["per_class_accuracy"]) == 10
    assert metadata["hardware"]["backend"] == "tensorflow"
    assert len(metadata["training_data_sha256"]) == 64
    assert 0 < metadata["not_a_digit_threshold"] < 1  # trained with the variants, by default
    for suffix in (".config.json", ".log.csv", ".checkpoint.keras", ".curves.png",
                   ".confusion.png", ".mistakes.png", ".onnx"):
        assert trained_run.file(suffix).stat().st_size > 0, suffix
    import keras

    model = keras.models.load_model(out, compile=False, safe_mode=True)
    assert model.output_shape == (None, 10)


def test_missing_data_fails_before_any_model_is_built(tmp_path):
    done = run_train("--data-dir", str(tmp_path), "--out", str(tmp_path / "m.h5"), timeout=60)
    assert done.returncode == 2
    assert "train-images-idx3-ubyte.gz" in done.stderr
    assert "Traceback" not in done.stderr and "Epoch" not in done.stdout
    assert not (tmp_path / "m.h5").exists()


def test_corrupt_data_file_is_named(tmp_path, mnist_dir):
    for source in mnist_dir.glob("*.gz"):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    broken = tmp_path / "t10k-labels-idx1-ubyte.gz"
    broken.write_bytes(broken.read_bytes()[:-100])
    done = run_train("--data-dir", str(tmp_path), "--out", str(tmp_path / "m.h5"), timeout=60)
    assert done.returncode == 2
    assert "t10k-labels-idx1-ubyte.gz" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.training
def test_extra_data_is_mixed_into_training(trained_run):
    assert trained_run.done.returncode == 0, trained_run.done.stderr[-2000:]
    assert len(read_idx(next(trained_run.extra.glob("*-labels-*")))) == 50
    metadata = json.loads(trained_run.file(".json").read_text())
    assert metadata["config"]["extra_data"] == str(trained_run.extra)
    written = round(metadata["config"]["written"] * trained_run.limit)  # the writer's digits
    assert metadata["training_images"] + metadata["validation_images"] == (
        trained_run.limit + 50 + written)


def test_extra_data_of_the_wrong_shape_is_refused_in_one_line(tmp_path, mnist_dir):
    extra = tmp_path / "extra"
    write_idx(extra / "mine-images-idx3-ubyte", np.zeros((50, 28, 27), np.uint8))
    write_idx(extra / "mine-labels-idx1-ubyte", np.full(50, 7, np.uint8))
    done = run_train("--data-dir", str(mnist_dir), "--extra-data", str(extra),
                     "--out", str(tmp_path / "m.h5"), timeout=60)
    assert done.returncode == 2 and "expected uint8 (N, 28, 28)" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Epoch" not in done.stdout


@pytest.mark.training
def test_start_from_goes_on_from_a_trained_network_at_the_given_rate(tmp_path, mnist_dir):
    from digit_recognizer.training.run_files import read_log
    from digit_recognizer.training.train import TrainConfig, train

    out = tmp_path / "m.h5"
    config = TrainConfig("adadelta", out, epochs=1, limit=500, data_dir=mnist_dir,
                         variants=False, start_from=ROOT / "models" / "digit_model.h5",
                         learning_rate=0.01)
    metadata = train(config, figures=False, verbose=0)
    # A new network sees 450 digits once and reads ~80% of the test; the bundled one, 99%.
    assert metadata["test_accuracy"] > 0.98
    assert metadata["config"]["start_from"].endswith("digit_model.h5")
    from digit_recognizer.recognition.inference import file_sha256

    assert metadata["started_from"]["sha256"] == file_sha256(config.start_from)
    assert read_log(out)["learning_rate"] == [pytest.approx(0.01)]


@pytest.mark.parametrize(("start", "message"), [
    pytest.param("models/digit_model1.h5",
                 "is not a Model 1 — Adadelta CNN network (its layers differ)",
                 marks=pytest.mark.slow),  # builds a network: TensorFlow's import in the child
    ("damaged.h5", "is not a readable .h5 model"),
    ("missing.h5", "does not exist"),
])
def test_start_from_refuses_another_architecture_or_a_bad_file(tmp_path, mnist_dir, start,
                                                               message):
    (tmp_path / "damaged.h5").write_bytes(b"\x89HDF\r\n\x1a\n cut short")
    path = ROOT / start if start.startswith("models") else tmp_path / start
    done = run_train("--model", "adadelta", "--start-from", str(path), "--data-dir",
                     str(mnist_dir), "--out", str(tmp_path / "m.h5"), timeout=120)
    assert done.returncode == 2 and message in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "Traceback" not in done.stderr and "Epoch" not in done.stdout
    assert not (tmp_path / "m.h5").exists()


@pytest.mark.parametrize("rate", ["0", "-1", "fast", "11"])
def test_learning_rate_out_of_range_is_refused(tmp_path, rate):
    done = run_train("--learning-rate", rate, "--out", str(tmp_path / "m.h5"), timeout=60)
    assert done.returncode == 2 and "is not a learning rate" in done.stderr


# -- the IDX folder reader (core.datasets.idx_folder), shared by train --extra-data and the window


def test_pair_cut_short_by_an_interrupted_save_is_truncated_with_a_note(tmp_path, capsys):
    from digit_recognizer.training.run_data import load_extra_data

    write_idx(tmp_path / "mine-images-idx3-ubyte", np.arange(50, dtype=np.uint8)[:, None, None]
              * np.ones((1, 28, 28), np.uint8))
    write_idx(tmp_path / "mine-labels-idx1-ubyte", np.full(40, 7, np.uint8))
    x, y = load_extra_data(tmp_path)
    assert x.shape == (40, 28, 28) and y.shape == (40,)
    assert x[-1, 0, 0] == 39  # the first 40 images: the ones that have labels
    assert "50 images but 40 labels" in capsys.readouterr().err


def test_gzipped_pair_is_read_and_temporary_files_are_ignored(tmp_path):
    from digit_recognizer.core.datasets.idx_folder import read_idx_pair

    write_idx(tmp_path / "x-images-idx3-ubyte.gz", np.full((3, 28, 28), 9, np.uint8))
    write_idx(tmp_path / "x-labels-idx1-ubyte.gz", np.array([1, 2, 3], np.uint8))
    # what a killed atomic write leaves behind: hidden, and no data
    (tmp_path / ".x-images-idx3-ubyte.gz.k2j4.tmp.gz").write_bytes(b"half a file")
    (tmp_path / ".y-images-idx3-ubyte.k2j4.tmp").write_bytes(b"half a file")
    saved = read_idx_pair(tmp_path)
    assert saved.labels.tolist() == [1, 2, 3] and saved.images.shape == (3, 28, 28)
    assert saved.note is None


def test_folder_with_no_pair_or_several_pairs_is_refused(tmp_path):
    from digit_recognizer.app.teaching import read_corrections
    from digit_recognizer.core.datasets.errors import IdxFolderError
    from digit_recognizer.core.datasets.idx_folder import read_idx_pair

    with pytest.raises(IdxFolderError, match="no IDX dataset"):
        read_idx_pair(tmp_path)
    assert len(read_corrections(tmp_path)) == 0  # the window: nothing saved yet
    for name in ("a", "b"):
        write_idx(tmp_path / f"{name}-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
        write_idx(tmp_path / f"{name}-labels-idx1-ubyte", np.zeros(2, np.uint8))
    with pytest.raises(IdxFolderError, match="several IDX datasets"):
        read_idx_pair(tmp_path)


def test_window_count_reads_a_cut_short_save_without_rewriting_it(tmp_path):
    from digit_recognizer.app.background.file_jobs import count_job
    from digit_recognizer.app.teaching import IMAGES_FILE, LABELS_FILE, add_correction

    for label, grey in ((4, 1.0), (5, 0.5)):  # two drawings: the same one is stored once
        add_correction(np.full((28, 28), grey, np.float32), label, tmp_path)
    write_idx(tmp_path / LABELS_FILE, np.array([4], np.uint8))  # killed between the renames
    before = (tmp_path / IMAGES_FILE).read_bytes()
    done = count_job(tmp_path)
    assert done.count == 1 and "kept the first 1" in done.message
    assert (tmp_path / IMAGES_FILE).read_bytes() == before
    # the next save writes both files equal again, with the new sample
    assert add_correction(np.full((28, 28), 0.25, np.float32), 6, tmp_path) == 2
    assert read_idx(tmp_path / LABELS_FILE).tolist() == [4, 6]
    assert len(read_idx(tmp_path / IMAGES_FILE)) == 2


def test_correction_is_appended_to_the_pair_already_in_the_folder(tmp_path):
    from digit_recognizer.app.teaching import add_correction

    write_idx(tmp_path / "mine-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8))
    write_idx(tmp_path / "mine-labels-idx1-ubyte.gz", np.array([1, 2], np.uint8))
    assert add_correction(np.ones((28, 28), np.float32), 3, tmp_path) == 3
    assert read_idx(tmp_path / "mine-labels-idx1-ubyte.gz").tolist() == [1, 2, 3]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "mine-images-idx3-ubyte.gz", "mine-labels-idx1-ubyte.gz"]


# -- interruption, the checkpoint and --resume --------------------------------------------------


@pytest.mark.training
def test_interrupted_training_keeps_old_model_and_best_checkpoint(tmp_path, mnist_dir):
    out = tmp_path / "m.h5"
    out.write_bytes(b"the previous model")
    checkpoint = tmp_path / "m.checkpoint.keras"
    # Ctrl-C as in a terminal, even when the suite runs in the background: there a shell
    # starts it with SIGINT ignored, which its children inherit.
    process = subprocess.Popen(
        [sys.executable, "-m", "digit_recognizer", "train", "--model", "adadelta", "--limit",
         "1500", "--epochs", "200", "--no-variants", "--data-dir", str(mnist_dir), "--out",
         str(out)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
    assert checkpoint.exists(), "no checkpoint appeared"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted" in stderr and str(checkpoint) in stderr
    assert out.read_bytes() == b"the previous model"
    import keras

    model = keras.models.load_model(checkpoint, compile=False, safe_mode=True)
    assert model.output_shape == (None, 10)


def test_config_is_written_when_the_run_starts(tmp_path, mnist_dir, monkeypatch):
    from dataclasses import asdict

    import digit_recognizer.training.train as training

    config = training.TrainConfig("adadelta", tmp_path / "m.h5", epochs=4, limit=500,
                                  data_dir=mnist_dir, augment=False, variants=False)
    written = {}

    def stop_before_fitting(model, batches, data, config, state, verbose):
        written.update(json.loads((tmp_path / "m.config.json").read_text()))
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "fit", stop_before_fitting)
    with pytest.raises(KeyboardInterrupt):
        training.train(config)
    assert written == asdict(config)
    assert written["out"] == str(tmp_path / "m.h5") and written["data_dir"] == str(mnist_dir)
    assert written["epochs"] == 4 and written["augment"] is False


@pytest.mark.training
def test_checkpoint_holds_the_optimizer_state_and_run_state(tmp_path):
    import keras

    from digit_recognizer.training.checkpoint import (
        RunState,
        load_checkpoint,
        resume_state,
        save_checkpoint,
    )
    from digit_recognizer.training.models import build_model

    rng = np.random.default_rng(0)
    model = build_model("rmsprop")
    model.fit(rng.random((96, 28, 28, 1), dtype=np.float32), np.eye(10)[rng.integers(0, 10, 96)],
              batch_size=32, epochs=1, verbose=0)
    model.optimizer.learning_rate.assign(0.25)  # as the plateau schedule might have left it
    config = {"architecture": "rmsprop", "seed": 0, "limit": 96}
    state = RunState(epoch=1, best_val_accuracy=0.5, iterations=3, training_seconds=2.0,
                     history={"loss": [2.3], "val_accuracy": [0.5]}, config=config)
    path = tmp_path / "m.checkpoint.keras"
    save_checkpoint(model, path, state)

    assert resume_state(path, config) == state
    restored = load_checkpoint(path, state)
    # Every optimizer variable comes back equal, RMSprop's statistics and the weights' moving
    # average among them (layer names in the paths differ between two models in one process).
    saved, loaded = model.optimizer.variables, restored.optimizer.variables
    assert len(saved) == len(loaded)
    assert any(v.path.endswith("_average") for v in saved)
    assert any(v.path.endswith("_velocity") and np.any(v.numpy()) for v in saved)
    for before, after in zip(saved, loaded):
        np.testing.assert_array_equal(after.numpy(), before.numpy(), err_msg=before.path)
    assert int(restored.optimizer.iterations.numpy()) == 3
    assert float(restored.optimizer.learning_rate.numpy()) == 0.25
    keras.models.load_model(path, safe_mode=True)  # an ordinary .keras file for Keras


@pytest.mark.training
def test_resume_goes_on_from_the_checkpoint_epoch_with_its_optimizer(tmp_path, mnist_dir,
                                                                     trained_run, monkeypatch):
    import keras

    import digit_recognizer.training.train as training
    from digit_recognizer.training.checkpoint import load_checkpoint, save_checkpoint
    from digit_recognizer.training.run_files import read_log

    assert trained_run.done.returncode == 0, trained_run.done.stderr[-2000:]
    # The session's run, copied: resuming rewrites the model, its checkpoint and its log.
    for suffix in (".h5", ".checkpoint.keras", ".log.csv", ".config.json"):
        shutil.copy(trained_run.file(suffix), tmp_path / ("m" + suffix))
    out, checkpoint = tmp_path / "m.h5", tmp_path / "m.checkpoint.keras"
    # Without the variants (not a setting a resume must keep), so the one epoch is quick.
    config = training.TrainConfig("adadelta", out, epochs=2, limit=trained_run.limit,
                                  data_dir=mnist_dir, extra_data=trained_run.extra,
                                  variants=False)
    state = training.resume_state(checkpoint, training.asdict(config))
    # As if the plateau schedule had lowered the rate before the run was stopped.
    model = keras.models.load_model(checkpoint)
    model.optimizer.learning_rate.assign(0.25)
    save_checkpoint(model, checkpoint, state)
    saved = [v.numpy() for v in model.optimizer.variables]
    restored = []

    def spy(path, state):
        model = load_checkpoint(path, state)
        restored.extend(v.numpy() for v in model.optimizer.variables)
        return model

    monkeypatch.setattr(training, "load_checkpoint", spy)
    config.epochs = state.epoch + 1
    metadata = training.train(config, resume=True, figures=False, verbose=0)
    assert len(restored) == len(saved) > 2  # iterations, rate, Adadelta's two accumulators...
    for before, after in zip(saved, restored):
        np.testing.assert_array_equal(before, after)
    log = read_log(out)
    rows = (tmp_path / "m.log.csv").read_text().splitlines()[1:]
    assert [row.split(",")[0] for row in rows] == [str(e) for e in range(state.epoch + 1)]
    assert log["learning_rate"][-1] == 0.25  # the optimizer's, from the checkpoint
    assert metadata["resumed_after_epoch"] == state.epoch
    assert metadata["epochs_run"] == state.epoch + 1
    assert metadata["best_val_accuracy"] == max(log["val_accuracy"])


def test_resume_with_nothing_to_resume_says_what_is_missing(tmp_path, mnist_dir):
    done = run_train("--resume", "--data-dir", str(mnist_dir), "--out", str(tmp_path / "m.h5"),
                     timeout=60)
    assert done.returncode == 2 and "nothing to resume" in done.stderr
    assert "m.checkpoint.keras" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("arguments", "message"), [
    (["--model", "adadelta", "--limit", "1500", "--seed", "1"], "seed 0, not 1"),
    (["--model", "rmsprop", "--limit", "1500"], "architecture 'adadelta', not 'rmsprop'"),
    (["--model", "adadelta"], "limit 1500, not None"),
])
def test_resume_refuses_another_seed_architecture_or_limit(tmp_path, mnist_dir, arguments,
                                                           message):
    from dataclasses import asdict

    from digit_recognizer.training.checkpoint import RunState, save_checkpoint
    from digit_recognizer.training.models import build_model
    from digit_recognizer.training.train import TrainConfig

    out = tmp_path / "m.h5"
    config = TrainConfig("adadelta", out, limit=1500, data_dir=mnist_dir)
    checkpoint = tmp_path / "m.checkpoint.keras"
    save_checkpoint(build_model("adadelta"), checkpoint, RunState(
        epoch=1, best_val_accuracy=0.9, iterations=0, training_seconds=1.0,
        history={"loss": [0.5], "val_accuracy": [0.9]}, config=asdict(config)))
    before = checkpoint.read_bytes()
    done = run_train(*arguments, "--resume", "--data-dir", str(mnist_dir), "--out", str(out),
                     timeout=60)
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1  # one line, no traceback
    assert checkpoint.read_bytes() == before and not out.exists()


@pytest.mark.training
def test_sigterm_stops_and_saves_the_best_epoch(tmp_path, mnist_dir):
    out = tmp_path / "m.h5"
    log = tmp_path / "m.log.csv"
    process = subprocess.Popen(
        [sys.executable, "-m", "digit_recognizer", "train", "--model", "adadelta", "--limit",
         "1500", "--epochs", "200", "--no-variants", "--no-figures", "--data-dir", str(mnist_dir),
         "--out", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while (not log.exists() or len(log.read_text().splitlines()) < 4) \
            and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr[-2000:]
    assert "SIGTERM: stopping after this batch" in stderr and "Traceback" not in stderr
    import keras

    from digit_recognizer.training.checkpoint import best_model

    saved = keras.models.load_model(out, compile=False).get_weights()
    best = best_model(tmp_path / "m.checkpoint.keras").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(saved, best))
    rows = log.read_text().splitlines()[1:]
    metadata = json.loads(out.with_suffix(".json").read_text())
    assert metadata["epochs_run"] == len(rows) >= 3


MIRRORED = """
import sys, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from digit_recognizer.training.train import TrainConfig, train
config = TrainConfig("adadelta", sys.argv[1], epochs=3, limit=3000, data_dir=sys.argv[2],
                     variants=False)
meta = train(config, devices=["/cpu:0", "/cpu:1"], figures=False, verbose=0)
print("replicas", meta["replicas"], "accuracy", meta["test_accuracy"])
"""


@pytest.mark.training
def test_training_spans_two_logical_devices_with_mirrored_strategy(tmp_path, mnist_dir):
    done = subprocess.run([sys.executable, "-c", MIRRORED, str(tmp_path / "m.h5"),
                           str(mnist_dir)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    words = done.stdout.split()
    assert words[words.index("replicas") + 1] == "2"
    # It learned (chance is 0.1; about 0.97 here). Fewer epochs or images left it near 0.3,
    # where the order in which the two replicas' gradients add up decided pass or fail.
    assert float(words[words.index("accuracy") + 1]) > 0.5
