"""What training shows besides MNIST: re-drawn digits, style edits, non-digits with uniform
targets, and the not-a-digit threshold chosen on validation digits."""

from __future__ import annotations

import numpy as np
import pytest

from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.training.data.outliers import FAMILIES, LETTERS, draw, non_digits
from digit_recognizer.training.data.style_edits import EDITED_CLASSES, edit_digit


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    (x, y), _ = load_mnist(mnist_dir)
    return x[:400], y[:400]


def test_non_digits_are_mnist_like_inputs_and_reproducible():
    a = non_digits(30, np.random.default_rng(1))
    b = non_digits(30, np.random.default_rng(1))
    assert a.shape == (30, 28, 28) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert (a.reshape(30, -1).max(axis=1) == 255).all()  # each holds ink, ink high
    assert not np.array_equal(a, non_digits(30, np.random.default_rng(2)))


def test_every_family_draws_ink_on_a_white_canvas():
    rng = np.random.default_rng(0)
    for family in FAMILIES:
        canvas = draw(family, rng)
        assert canvas[0, 0] == 255 and (canvas < 128).sum() > 50, family.__name__


def test_no_letter_that_people_read_as_a_digit_is_drawn():
    assert not set(LETTERS) & set("OoIlSsZzBGqgbhDQT")


def test_style_edits_add_ink_and_keep_the_mnist_frame(mnist):
    x, y = mnist
    rng = np.random.default_rng(0)
    for label in EDITED_CLASSES:
        digit = x[y == label][0]
        edited = edit_digit(digit, label, rng)
        assert edited is not None and edited.shape == (28, 28) and edited.dtype == np.uint8
        assert not np.array_equal(edited, digit)
        # Re-fitted like MNIST: the ink's centre of mass near (14, 14).
        rows, cols = np.indices(edited.shape)
        mass = edited.astype(float) / edited.sum()
        assert abs((mass * rows).sum() - 14) < 1.5 and abs((mass * cols).sum() - 14) < 1.5
    assert edit_digit(x[y == 3][0], 3, rng) is None  # no edit for a 3
    assert edit_digit(np.zeros((28, 28), np.uint8), 0, rng) is None


def test_variants_are_aligned_with_their_digits_and_seeded(mnist):
    from digit_recognizer.training.data.variants import make_variants

    x, y = mnist[0][:60], mnist[1][:60]
    a = make_variants(x, y, seed=0, non_digit_count=20, workers=2)
    b = make_variants(x, y, seed=0, non_digit_count=20, workers=1)
    assert a.restroked.shape == x.shape and a.styled.shape == x.shape
    assert a.non_digits.shape == (20, 28, 28)
    np.testing.assert_array_equal(a.restroked, b.restroked)
    np.testing.assert_array_equal(a.non_digits, b.non_digits)
    assert set(y[a.has_style]) <= set(EDITED_CLASSES) and a.has_style.any()
    unstyled = ~a.has_style
    np.testing.assert_array_equal(a.styled[unstyled], x[unstyled])
    assert not np.array_equal(a.restroked, x)


def test_batches_mix_in_variants_and_non_digits_with_uniform_targets(mnist):
    from digit_recognizer.training.data.augment import Mix, make_batches
    from digit_recognizer.training.data.variants import make_variants

    x, y = mnist[0][:64], mnist[1][:64]
    variants = make_variants(x, y, seed=0, non_digit_count=16, workers=1)
    batches = make_batches(x, y, 32, seed=0, augment=False, variants=variants,
                           mix=Mix(restroked=1.0, styled=0.0, non_digits=0.25))
    images, targets = batches[0]
    assert images.shape == (40, 28, 28, 1) and targets.shape == (40, 10)
    np.testing.assert_allclose(targets.sum(axis=1), 1.0, atol=1e-6)
    assert (targets[:32].max(axis=1) == 1.0).all()  # digits: one-hot
    np.testing.assert_allclose(targets[32:], 0.1)  # non-digits: uniform
    # Every digit shown re-drawn (restroked=1.0), in the batch's order.
    picked = batches.order[:32]
    np.testing.assert_allclose(images[:32, :, :, 0], variants.restroked[picked] / 255, atol=1e-6)


def test_threshold_flags_the_chosen_share_of_validation_digits():
    from digit_recognizer.training.calibration import calibrate, choose_threshold

    top = np.linspace(0.0, 1.0, 1001)
    assert choose_threshold(top, 0.01) == pytest.approx(0.01)

    rng = np.random.default_rng(0)
    digits = {"sure": rng.integers(0, 256, (200, 28, 28)).astype(np.uint8)}

    def forward(x: np.ndarray) -> np.ndarray:
        # Ink-heavy images get a flat output; the rest a confident one.
        flat = x.reshape(len(x), -1).mean(axis=1) > 0.3
        out = np.full((len(x), 10), 0.01, np.float32)
        out[:, 3] = 0.91
        out[flat] = 0.1
        return out

    found = calibrate(forward, digits, share=0.005)
    assert found["not_a_digit_threshold"] == pytest.approx(0.1)
    report = found["not_a_digit_validation"]
    assert report["digits_flagged"] == {"sure": 0.0}
    assert 0.0 <= report["generated_non_digits_flagged"] <= 1.0


@pytest.mark.parametrize("choice", ["model1", "model2", "both"])
@pytest.mark.slow
def test_the_bundled_models_flag_non_digits_but_few_real_digits(choice, mnist_dir):
    """The recorded threshold, on the bundled files: generated non-digits of a seed neither
    training nor calibration used, and MNIST test digits."""
    from digit_recognizer.core.scoring import to_model_input
    from digit_recognizer.recognition.recognizer import Recognizer

    recognizer = Recognizer.from_choice(choice)
    threshold = recognizer.metadata["not_a_digit_threshold"]
    assert 0.3 < threshold < 0.9
    others = non_digits(300, np.random.default_rng(2026))
    digits = load_mnist(mnist_dir)[1][0][:2000]
    flagged = recognizer.predict(to_model_input(others)).max(axis=1) < threshold
    false_flags = recognizer.predict(to_model_input(digits)).max(axis=1) < threshold
    assert flagged.mean() >= 0.9
    assert false_flags.mean() <= 0.015


@pytest.mark.parametrize("option", ["--restroked=1.5", "--non-digits=-0.1", "--styled=x",
                                    "--rotation=200"])
def test_train_refuses_a_share_or_turn_out_of_range_in_one_line(option, capsys):
    from digit_recognizer.training.train_cli import main

    with pytest.raises(SystemExit) as stop:
        main([option])
    assert stop.value.code == 2
    assert option.split("=")[1] in capsys.readouterr().err


@pytest.mark.slow
def test_calibrate_records_the_bundled_thresholds_again(tmp_path, mnist_dir, capsys):
    """The command that chose the bundled thresholds, re-run on a copy: the same numbers."""
    import json
    import shutil

    from digit_recognizer.core.catalogue import MODELS_DIR
    from digit_recognizer.training.calibration import main

    folder = tmp_path / "models"
    shutil.copytree(MODELS_DIR, folder)
    metadata_files = [folder / name for name in ("digit_model.json", "digit_model1.json",
                                                 "both.json")]  # replay.json is no model's
    recorded = {p.name: json.loads(p.read_text())["not_a_digit_threshold"]
                for p in metadata_files}
    for path in metadata_files:
        metadata = json.loads(path.read_text())
        metadata.pop("not_a_digit_threshold", None)
        path.write_text(json.dumps(metadata))
    assert main(["--models-dir", str(folder), "--data-dir", str(mnist_dir)]) == 0
    again = {p.name: json.loads(p.read_text())["not_a_digit_threshold"]
             for p in metadata_files}
    assert again == pytest.approx(recorded, abs=2e-4)
    assert "not a digit below" in capsys.readouterr().out


def test_calibrate_refuses_models_that_held_out_different_digits(tmp_path, mnist_dir, capsys):
    import json
    import shutil

    from digit_recognizer.core.catalogue import MODELS_DIR
    from digit_recognizer.training.calibration import main

    folder = tmp_path / "models"
    shutil.copytree(MODELS_DIR, folder)
    path = folder / "digit_model.json"
    metadata = json.loads(path.read_text())
    metadata["config"]["seed"] = 5
    path.write_text(json.dumps(metadata))
    assert main(["--models-dir", str(folder), "--data-dir", str(mnist_dir)]) == 2
    assert "--seed" in capsys.readouterr().err
