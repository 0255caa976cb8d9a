"""The digit writer and what train adds with it: written digits, wider and narrower digits,
USPS' training split."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digit_recognizer.core.catalogue import find_bundled
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.scoring import to_model_input
from digit_recognizer.recognition.inference import load_onnx_copy
from digit_recognizer.training.data.variants import make_written, reshape_width
from digit_recognizer.training.data.writer import WRITERS, digit_paths, write_digit, write_digits
from digit_recognizer.training.train import TrainConfig, load_data
from digit_recognizer.training.train_cli import main as train_main


def test_written_digits_are_mnist_like_and_reproducible():
    labels = np.arange(10).repeat(3)
    a = write_digits(labels, np.random.default_rng(0))
    b = write_digits(labels, np.random.default_rng(0))
    assert a.shape == (30, 28, 28) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert (a.reshape(30, -1).max(axis=1) == 255).all()  # ink high, as MNIST
    assert not np.array_equal(a, write_digits(labels, np.random.default_rng(1)))


def test_written_canvas_is_ink_on_white_paper():
    canvas = write_digit(4, np.random.default_rng(0))
    assert canvas.shape == (280, 280) and canvas[0, 0] == 255 and (canvas < 128).sum() > 200


def _aspects(label: int, draws: int = 300) -> np.ndarray:
    rng = np.random.default_rng(label)
    aspects = []
    for _ in range(draws):
        points = np.concatenate(digit_paths(label, rng))
        width, height = points.max(axis=0) - points.min(axis=0)
        aspects.append(width / height)
    return np.array(aspects)


@pytest.mark.parametrize("label", [0, 2, 3, 5, 6, 8])
def test_every_class_comes_wide_and_narrow(label):
    aspects = _aspects(label)
    # 0.5x-2x the natural width: the widest drawings are several times as wide as the narrowest.
    assert np.percentile(aspects, 95) / np.percentile(aspects, 5) > 2.5


def test_ones_come_plain_flagged_long_and_with_a_base():
    rng = np.random.default_rng(0)
    strokes = [WRITERS[1](rng) for _ in range(400)]
    flags = [paths[0][0] for paths in strokes if len(paths[0]) > 11 or len(paths) > 1]
    long_flags = [end for end in flags if np.hypot(*end) > 0.45]  # from the top, in heights
    with_base = [paths for paths in strokes if np.ptp(paths[-1][:, 1]) < 1e-9]
    assert 0.1 < len(long_flags) / len(strokes) and len(flags) > len(strokes) / 2
    assert len(with_base) > 40


def test_fours_come_closed_open_and_in_one_stroke():
    rng = np.random.default_rng(0)
    counts = [len(WRITERS[4](rng)) for _ in range(200)]
    assert 1 in counts and 2 in counts
    sevens = [len(WRITERS[7](rng)) for _ in range(200)]
    assert 1 in sevens and 2 in sevens  # crossed and plain


def test_bundled_model_reads_what_the_writer_writes():
    """The writer writes digits, not scribbles: model 2 reads nearly all of them already."""
    labels = np.arange(10).repeat(20)
    images = write_digits(labels, np.random.default_rng(7))
    forward = load_onnx_copy(find_bundled("model2").path())
    read = forward(to_model_input(images)).argmax(axis=1)
    assert (read == labels).mean() > 0.85


def aspect(image: np.ndarray) -> float:
    """Width over height of the ink's bounding box."""
    ys, xs = np.nonzero(image > 64)
    return (np.ptp(xs) + 1) / (np.ptp(ys) + 1)


def test_widening_changes_the_digit_width_and_keeps_the_mnist_frame(mnist_dir):
    (x, _), _ = load_mnist(mnist_dir)
    zero = x[1]  # a 0

    rng = np.random.default_rng(0)
    wide, narrow = reshape_width(zero, rng, 2, 2), reshape_width(zero, rng, 0.5, 0.5)
    assert aspect(wide) > 1.6 * aspect(zero) and aspect(narrow) < 0.7 * aspect(zero)
    assert wide.shape == (28, 28) and wide.dtype == np.uint8
    blank = np.zeros((28, 28), np.uint8)
    np.testing.assert_array_equal(reshape_width(blank, rng), blank)


def test_filled_digits_are_stretched_to_a_square_at_most_four_times_wider(mnist_dir):
    (x, y), _ = load_mnist(mnist_dir)
    rng = np.random.default_rng(0)

    sevens, ones = x[y == 7][:20], x[y == 1][:200]
    filled = [aspect(reshape_width(seven, rng, filled=1.0)) for seven in sevens]
    assert 0.9 < np.median(filled) < 1.1  # faint stray ink widens a few crops
    assert np.mean([0.75 < a < 1.33 for a in filled]) >= 0.9
    thin = [one for one in ones if aspect(one) < 0.2][:5]  # upright 1s: a block if squared
    assert thin and all(aspect(reshape_width(one, rng, filled=1.0)) < 0.75 for one in thin)
    # filled=0 draws nothing more: the widened digits of older runs stay as they were
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    np.testing.assert_array_equal(reshape_width(sevens[0], a), reshape_width(sevens[0], b,
                                                                               filled=0.0))
    assert a.random() == b.random()


def test_scanned_forms_are_square_and_coarse_and_change_no_older_stream(mnist_dir):
    (x, y), _ = load_mnist(mnist_dir)
    sevens = x[y == 7][:20]
    rng = np.random.default_rng(0)
    scanned = [reshape_width(seven, rng, filled=1.0, scanned=1.0) for seven in sevens]
    assert all(image.shape == (28, 28) and image.dtype == np.uint8 for image in scanned)
    assert 0.85 < np.median([aspect(image) for image in scanned]) < 1.15
    # coarser than the same digits stretched at full resolution: most pixels move
    stretched = [reshape_width(seven, np.random.default_rng(0), filled=1.0) for seven in sevens]
    assert all((np.abs(a.astype(int) - b) > 64).mean() > 0.02
               for a, b in zip(scanned, stretched))
    # scanned=0 draws nothing more: the stretched digits of older runs stay as they were
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    np.testing.assert_array_equal(reshape_width(sevens[0], a, filled=1.0),
                                  reshape_width(sevens[0], b, filled=1.0, scanned=0.0))
    assert a.random() == b.random()


def test_a_speck_too_small_to_scan_comes_back_as_it_was():
    speck = np.zeros((28, 28), np.uint8)
    speck[14, 14] = 255  # 16×16 of ink once stretched into its box, then refused as a dot
    out = reshape_width(speck, np.random.default_rng(0), filled=1.0, scanned=1.0)
    np.testing.assert_array_equal(out, speck)


def test_written_set_is_balanced_and_the_same_for_any_worker_count():
    a_images, a_labels = make_written(40, seed=3, workers=1)
    b_images, b_labels = make_written(40, seed=3, workers=2)
    np.testing.assert_array_equal(a_images, b_images)
    np.testing.assert_array_equal(a_labels, b_labels)
    assert np.bincount(a_labels, minlength=10).tolist() == [4] * 10


def test_run_data_holds_mnist_usps_and_written_digits(mnist_dir):
    config = TrainConfig("rmsprop", "unused.h5", limit=200, data_dir=mnist_dir, variants=False,
                         written=0.5, usps_train=True)
    data = load_data(config)
    assert len(data.x_fit) + len(data.x_val) == 200 + 7291 + 100
    assert len(data.x_val) == (200 + 7291 + 100) // 10  # validation weighs all three


def test_a_models_recorded_run_gives_its_validation_digits_again(mnist_dir):
    """What calibration and ``evaluate --dataset validation`` score on is what training held out,
    and USPS' training split is no validation digit for a run that trained on it."""
    from dataclasses import asdict

    from digit_recognizer.training.calibration import validation_digits
    from digit_recognizer.training.run_data import held_out_split

    config = TrainConfig("rmsprop", "unused.h5", limit=200, data_dir=mnist_dir, variants=False,
                         written=0.5, usps_train=True, seed=4)
    data = load_data(config)
    x_val, y_val = held_out_split(json.loads(json.dumps(asdict(config))))
    np.testing.assert_array_equal(x_val, data.x_val)
    np.testing.assert_array_equal(y_val, data.y_val)
    assert "USPS train" not in validation_digits(x_val[:5], 4, usps_trained=True)
    assert len(validation_digits(x_val[:5], 4, usps_trained=False)["USPS train"]) == 7291


def test_train_without_usps_says_where_it_looked(tmp_path, capsys):
    code = train_main(["--usps-train", "--usps-dir", str(tmp_path / "nowhere"), "--limit", "100",
                       "--out", str(tmp_path / "m.h5")])
    assert code == 2
    err = capsys.readouterr().err
    assert "USPS folder" in err and "nowhere" in err and "--usps-dir" in err
    assert not list(tmp_path.glob("m.*"))  # nothing written


def test_the_data_options_reach_the_run_configuration(tmp_path, monkeypatch):
    from digit_recognizer.core.results import ModelError
    from digit_recognizer.training import train_cli

    seen = []

    def record(config, **_):
        seen.append(config)
        raise ModelError("stopped before loading any data")

    monkeypatch.setattr(train_cli, "train", record)
    assert train_main(["--widened", "0.4", "--filled", "0.3", "--scanned", "0.6",
                       "--written", "0.1", "--out", str(tmp_path / "m.h5")]) == 2
    (config,) = seen
    assert (config.widened, config.filled, config.scanned, config.written) == (0.4, 0.3, 0.6,
                                                                                0.1)
    with pytest.raises(SystemExit):
        train_main(["--filled", "1.5", "--out", str(tmp_path / "m.h5")])
