"""Training: the optimiser pitfalls, the command, interruption safety, distribution."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.idx import write_idx

ROOT = Path(__file__).resolve().parent.parent


def run_train(*args: str, timeout: int = 300, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digit_recognizer", "train", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kwargs)


def test_adadelta_model_uses_learning_rate_one():
    # tf.keras's Adadelta default of 0.001 is what held the original model 1 at ~92%.
    from digit_recognizer.models import build_model

    model = build_model("adadelta")
    assert type(model.optimizer).__name__ == "Adadelta"
    assert float(model.optimizer.learning_rate) == pytest.approx(1.0)


def test_adadelta_at_default_rate_learns_far_less(mnist_dir):
    import keras

    from digit_recognizer.data import load_mnist
    from digit_recognizer.models import build_model
    from digit_recognizer.train import to_model_input

    (x, y), (x_test, y_test) = load_mnist(mnist_dir)
    x, y = to_model_input(x[:3000]), y[:3000]
    x_test, y_test = to_model_input(x_test[:1000]), y_test[:1000]
    accuracies = {}
    for rate in (1.0, 0.001):
        keras.utils.set_random_seed(0)
        model = build_model("adadelta")
        model.compile(optimizer=keras.optimizers.Adadelta(learning_rate=rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=1, batch_size=64, verbose=0)
        accuracies[rate] = model.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
    assert accuracies[1.0] > 0.75, accuracies
    assert accuracies[1.0] - accuracies[0.001] > 0.2, accuracies


def test_plateau_schedule_lowers_learning_rate_on_val_accuracy(tmp_path):
    import keras

    from digit_recognizer.models import build_model
    from digit_recognizer.train import training_callbacks

    # Random labels: validation accuracy cannot improve, so the schedule must fire.
    rng = np.random.default_rng(0)
    x = rng.random((256, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 256)
    model = build_model("rmsprop")
    callbacks = training_callbacks(tmp_path / "m.h5", patience=20)
    history = model.fit(x[:192], y[:192], validation_data=(x[192:], y[192:]), epochs=6,
                        batch_size=64, callbacks=callbacks, verbose=0)
    rates = history.history["learning_rate"]
    assert rates[0] == pytest.approx(1e-3)
    assert rates[-1] < 0.6 * rates[0]
    schedule = next(c for c in callbacks if isinstance(c, keras.callbacks.ReduceLROnPlateau))
    assert schedule.monitor == "val_accuracy"


def test_model_2_is_judged_and_saved_as_its_weights_moving_average(tmp_path, mnist_dir):
    import keras

    from digit_recognizer.data import load_mnist
    from digit_recognizer.train import (VALIDATION_SIZE, split_validation, to_model_input,
                                        train)

    out = tmp_path / "m.h5"
    train("rmsprop", out, epochs=3, limit=2000, data_dir=mnist_dir, figures=False, verbose=0)
    (x, y), _ = load_mnist(mnist_dir)
    _, (x_val, y_val) = split_validation(x[:2000], y[:2000], VALIDATION_SIZE, seed=0)
    logged = max(float(row.split(",")[4]) for row in
                 (tmp_path / "m.log.csv").read_text().splitlines()[1:])
    for path in (out, tmp_path / "m.best.h5"):
        model = keras.models.load_model(path, compile=False)
        predicted = model.predict(to_model_input(x_val), verbose=0).argmax(axis=1)
        # The saved weights are the ones validation scored: the average, not the last step.
        assert (predicted == y_val).mean() == pytest.approx(logged, abs=1e-6)


def test_weights_average_spans_100_steps_or_a_tenth_of_a_short_run():
    from digit_recognizer.train import ema_momentum

    assert ema_momentum(430 * 32) == pytest.approx(0.99)  # a full MNIST run
    assert ema_momentum(44) == pytest.approx(1 - 1 / 4.4)  # the notebook's QUICK mode
    assert ema_momentum(5) == 0.0  # too short to average at all


def test_thickness_augmentation_matches_opencv_per_image():
    import cv2

    from digit_recognizer.train import _per_image

    images = np.random.default_rng(1).integers(0, 256, (600, 28, 28), dtype=np.uint8)
    kernel = np.ones((2, 2), np.uint8)
    expected = np.stack([cv2.dilate(image, kernel) for image in images])
    np.testing.assert_array_equal(_per_image(cv2.dilate, images, kernel), expected)
    np.testing.assert_array_equal(_per_image(cv2.erode, images[:1], kernel)[0],
                                  cv2.erode(images[0], kernel))


def test_zero_ranges_warp_leaves_digits_unchanged(mnist_dir):
    from digit_recognizer.data import load_mnist
    from digit_recognizer.train import random_affine, warp_digits

    digits = load_mnist(mnist_dir)[1][0][:50]
    matrices = random_affine(50, np.random.default_rng(0), rotation=0, zoom=0, shift=0)
    np.testing.assert_array_equal(warp_digits(digits, matrices), digits)


def test_augmented_digits_stay_sharp_centred_and_labelled(mnist_dir):
    import cv2

    from digit_recognizer.data import load_mnist
    from digit_recognizer.train import augment_digits

    digits = load_mnist(mnist_dir)[1][0][:200]
    augmented = augment_digits(digits.copy(), np.random.default_rng(0))
    assert augmented.shape == digits.shape and augmented.dtype == np.uint8
    assert not np.array_equal(augmented, digits)
    # One resampling, not three: strokes keep nearly all their full-ink pixels.
    assert (augmented > 200).sum() > 0.7 * (digits > 200).sum()
    centres = [cv2.moments(image)["m10"] / cv2.moments(image)["m00"] for image in augmented]
    assert abs(np.mean(centres) - 13.5) < 1.0


def test_batches_cover_every_image_once_per_epoch():
    from digit_recognizer.train import make_batches

    x = np.repeat(np.arange(100, dtype=np.uint8)[:, None, None], 28 * 28).reshape(100, 28, 28)
    batches = make_batches(x, np.arange(100, dtype=np.uint8), 32, seed=0, augment=False)
    labels = np.concatenate([batches[i][1] for i in range(len(batches))])
    assert sorted(labels.tolist()) == list(range(100))
    images, _ = batches[0]
    assert images.shape == (32, 28, 28, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0


def test_a_resumed_run_draws_new_batches_not_a_replay_of_its_first_epochs():
    from digit_recognizer.train import make_batches, stream_seed

    x = np.repeat(np.arange(100, dtype=np.uint8)[:, None, None], 28 * 28).reshape(100, 28, 28)
    y = np.arange(100, dtype=np.uint8)

    def first_batch(first_epoch: int) -> list[int]:
        return make_batches(x, y, 32, stream_seed(0, first_epoch), augment=False)[0][1].tolist()

    assert stream_seed(0, 0) == 0  # a fresh run keeps the seed it was given
    assert first_batch(0) == first_batch(0) and first_batch(5) == first_batch(5)
    assert first_batch(5) != first_batch(0) and first_batch(5) != first_batch(6)

def test_validation_split_is_disjoint_and_seeded():
    from digit_recognizer.train import split_validation

    x = np.arange(1000)
    (train_a, _), (val_a, _) = split_validation(x, x, 100, seed=3)
    (_, _), (val_b, _) = split_validation(x, x, 100, seed=3)
    assert len(val_a) == 100 and not set(train_a) & set(val_a)
    np.testing.assert_array_equal(val_a, val_b)


def test_train_command_writes_model_metadata_and_figures(tmp_path, mnist_dir):
    out = tmp_path / "quick.h5"
    done = run_train("--model", "adadelta", "--limit", "3000", "--epochs", "2",
                     "--data-dir", str(mnist_dir), "--out", str(out))
    assert done.returncode == 0, done.stderr
    metadata = json.loads(out.with_suffix(".json").read_text())
    assert metadata["architecture"] == "adadelta" and metadata["optimizer"] == "Adadelta"
    assert metadata["epochs_run"] == 2 and metadata["batch_size"] == 128
    assert metadata["test_accuracy"] > 0.6
    assert len(metadata["per_class_accuracy"]) == 10
    assert metadata["hardware"]["backend"] == "tensorflow"
    assert len(metadata["training_data_sha256"]) == 64
    for suffix in (".log.csv", ".best.h5", ".curves.png", ".confusion.png", ".mistakes.png"):
        assert out.with_name("quick" + suffix).stat().st_size > 0, suffix
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


def test_extra_data_is_mixed_into_training(tmp_path, mnist_dir):
    from digit_recognizer.train import train

    extra = tmp_path / "extra"
    write_idx(extra / "mine-images-idx3-ubyte", np.zeros((50, 28, 28), np.uint8))
    write_idx(extra / "mine-labels-idx1-ubyte", np.full(50, 7, np.uint8))
    metadata = train("adadelta", tmp_path / "m.h5", epochs=1, limit=500, data_dir=mnist_dir,
                     extra_data=extra, figures=False, verbose=0)
    assert metadata["training_images"] + metadata["validation_images"] == 550


def test_extra_data_with_mismatched_labels_is_refused(tmp_path, mnist_dir):
    extra = tmp_path / "extra"
    write_idx(extra / "mine-images-idx3-ubyte", np.zeros((50, 28, 28), np.uint8))
    write_idx(extra / "mine-labels-idx1-ubyte", np.full(40, 7, np.uint8))
    done = run_train("--data-dir", str(mnist_dir), "--extra-data", str(extra),
                     "--out", str(tmp_path / "m.h5"), timeout=60)
    assert done.returncode == 2 and "do not match" in done.stderr


def test_interrupted_training_keeps_old_model_and_best_checkpoint(tmp_path, mnist_dir):
    out = tmp_path / "m.h5"
    out.write_bytes(b"the previous model")
    best = tmp_path / "m.best.h5"
    process = subprocess.Popen(
        [sys.executable, "-m", "digit_recognizer", "train", "--model", "adadelta",
         "--limit", "1500", "--epochs", "200", "--data-dir", str(mnist_dir), "--out", str(out)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not best.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
    assert best.exists(), "no checkpoint appeared"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted" in stderr and str(best) in stderr
    assert out.read_bytes() == b"the previous model"
    import keras

    assert keras.models.load_model(best, compile=False).output_shape == (None, 10)


def first_run(tmp_path: Path, mnist_dir: Path, *extra: str) -> Path:
    """Two quick epochs of model 1 written to tmp_path/m.h5, for the resume tests."""
    out = tmp_path / "m.h5"
    done = run_train("--model", "adadelta", "--limit", "1500", "--epochs", "2", "--no-figures",
                     "--data-dir", str(mnist_dir), "--out", str(out), *extra)
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def test_resume_goes_on_from_the_logged_epoch_and_learning_rate(tmp_path, mnist_dir):
    out = first_run(tmp_path, mnist_dir)
    log = out.with_name("m.log.csv")
    # As if the plateau schedule had lowered the rate before the run was stopped.
    lines = log.read_text().splitlines()
    header = lines[0].split(",")
    last = lines[-1].split(",")
    last[header.index("learning_rate")] = "0.25"
    log.write_text("\n".join(lines[:-1] + [",".join(last)]) + "\n")
    done = run_train("--model", "adadelta", "--limit", "1500", "--epochs", "3", "--resume",
                     "--no-figures", "--data-dir", str(mnist_dir), "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Epoch 3/3" in done.stdout and "Epoch 1/3" not in done.stdout
    rows = log.read_text().splitlines()
    assert [row.split(",")[0] for row in rows] == ["epoch", "0", "1", "2"]
    assert float(rows[-1].split(",")[header.index("learning_rate")]) == 0.25
    metadata = json.loads(out.with_suffix(".json").read_text())
    assert metadata["epochs_run"] == 3 and metadata["resumed_after_epoch"] == 2
    assert metadata["best_val_accuracy"] == max(
        float(row.split(",")[header.index("val_accuracy")]) for row in rows[1:])


def test_resume_with_nothing_to_resume_says_what_is_missing(tmp_path, mnist_dir):
    done = run_train("--resume", "--data-dir", str(mnist_dir), "--out", str(tmp_path / "m.h5"),
                     timeout=60)
    assert done.returncode == 2 and "nothing to resume" in done.stderr
    assert "m.best.h5" in done.stderr and "m.log.csv" in done.stderr
    assert "Traceback" not in done.stderr


def test_resume_refuses_another_seed_or_architecture(tmp_path, mnist_dir):
    out = first_run(tmp_path, mnist_dir)
    before = out.read_bytes()
    other_seed = run_train("--model", "adadelta", "--seed", "1", "--resume", "--data-dir",
                           str(mnist_dir), "--out", str(out), timeout=60)
    assert other_seed.returncode == 2 and "seed 0, not 1" in other_seed.stderr
    other_model = run_train("--model", "rmsprop", "--resume", "--data-dir", str(mnist_dir),
                            "--out", str(out), timeout=60)
    assert other_model.returncode == 2 and "'adadelta', not 'rmsprop'" in other_model.stderr
    # Without the metadata (a run interrupted with Ctrl-C has none) the layers tell.
    out.with_suffix(".json").unlink()
    no_metadata = run_train("--model", "rmsprop", "--resume", "--data-dir", str(mnist_dir),
                            "--out", str(out), timeout=120)
    assert no_metadata.returncode == 2 and "layers differ" in no_metadata.stderr
    assert "Traceback" not in no_metadata.stderr
    assert out.read_bytes() == before


def test_sigterm_stops_and_saves_the_best_epoch(tmp_path, mnist_dir):
    out = tmp_path / "m.h5"
    log = tmp_path / "m.log.csv"
    process = subprocess.Popen(
        [sys.executable, "-m", "digit_recognizer", "train", "--model", "adadelta", "--limit",
         "1500", "--epochs", "200", "--no-figures", "--data-dir", str(mnist_dir), "--out",
         str(out)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while (not log.exists() or len(log.read_text().splitlines()) < 4) \
            and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr[-2000:]
    import keras

    saved = keras.models.load_model(out, compile=False).get_weights()
    best = keras.models.load_model(tmp_path / "m.best.h5", compile=False).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(saved, best))
    rows = log.read_text().splitlines()[1:]
    metadata = json.loads(out.with_suffix(".json").read_text())
    assert metadata["epochs_run"] == len(rows) >= 3


MIRRORED = """
import sys, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from digit_recognizer.train import train
meta = train("adadelta", sys.argv[1], epochs=2, limit=2000, data_dir=sys.argv[2],
             devices=["/cpu:0", "/cpu:1"], figures=False, verbose=0)
print("replicas", meta["replicas"], "accuracy", meta["test_accuracy"])
"""


def test_training_spans_two_logical_devices_with_mirrored_strategy(tmp_path, mnist_dir):
    done = subprocess.run([sys.executable, "-c", MIRRORED, str(tmp_path / "m.h5"),
                           str(mnist_dir)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    words = done.stdout.split()
    assert words[words.index("replicas") + 1] == "2"
    assert float(words[words.index("accuracy") + 1]) > 0.3  # it learned: chance is 0.1
