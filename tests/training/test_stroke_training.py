"""``train-strokes``: the stroke model trained on the pen data's training writers, scored on its
validation writers alone and beside the picture models, and saved with its ONNX copy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.core.datasets.unipen import load_unipen, writer_split
from digit_recognizer.recognition.stroke_model import StrokeModel
from digit_recognizer.recognition.pen_paths import INPUT_SHAPE
from digit_recognizer.training.stroke_training import main, training_data

ROOT = Path(__file__).resolve().parents[2]
@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("strokes") / "strokes.h5"
    done = subprocess.run([sys.executable, "-m", "digit_recognizer", "train-strokes",
                           "--epochs", "1", "--copies", "1", "--limit", "200", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    return out, done


@pytest.mark.slow
def test_a_short_run_writes_the_model_its_onnx_copy_and_its_figures(trained):
    out, done = trained
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}: " in done.stdout
    assert "mixed with the picture models: model1 " in done.stdout
    metadata = json.loads(out.with_suffix(".json").read_text())
    pen = load_unipen()
    writers = len(set(pen.writers[writer_split(pen)[0][:200]]))
    assert metadata["trained_on"] == (f"pen data, {writers} training writers, 200 digits, "
                                      "each varied 1 time; and 15% as many non-digits")
    assert metadata["validated_on"] == "pen data, 26 validation writers, 1412 digits as written"
    assert 0 <= metadata["validation_accuracy"] <= 100 and metadata["epochs_run"] == 1
    assert set(metadata["mixed_validation_accuracy"]) == {"model1", "model2", "both"}
    # The picture models read 97 % of these digits: mixed with a barely trained path model
    # they still read most of them.
    assert min(metadata["mixed_validation_accuracy"].values()) > 80


@pytest.mark.slow
def test_the_model_written_reads_pen_paths_from_its_onnx_copy(trained):
    out, _ = trained
    pen = load_unipen()
    digits = pen.subset(writer_split(pen)[1][:20])
    probabilities = StrokeModel(out).predict(digits.strokes)
    assert probabilities.shape == (20, 10)
    assert probabilities.sum(axis=1) == pytest.approx(np.ones(20), abs=1e-4)


def test_an_output_keras_cannot_load_is_refused_before_training(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "strokes.keras")]) == 2
    assert "must end in .h5" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_missing_pen_data_folder_is_named(tmp_path, capsys):
    out = tmp_path / "strokes.h5"
    assert main(["--unipen-dir", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "pen data" in err and "nowhere" in err
    assert not out.exists()


@pytest.mark.parametrize("option", ["--epochs", "--copies", "--limit"])
def test_counts_below_one_are_refused(option, capsys):
    with pytest.raises(SystemExit) as stop:
        main([option, "0"])
    assert stop.value.code == 2
    assert "'0' is not a positive whole number" in capsys.readouterr().err


def test_training_paths_are_varied_digits_and_a_share_of_flat_non_digits():
    pen = load_unipen()
    train = pen.subset(writer_split(pen)[0][:50])
    x, targets = training_data(train, 2, np.random.default_rng(0))
    flat = np.all(targets == 0.1, axis=1)
    assert x.shape == (100 + 15, *INPUT_SHAPE) and flat.sum() == 15
    assert sorted(targets[~flat].argmax(axis=1).tolist()) == sorted(np.tile(train.labels, 2))
    assert np.isfinite(x).all()
