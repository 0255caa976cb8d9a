"""Semeion, real handwriting from Italy, read from its IDX files and measured by ``evaluate``;
never a training set (the evaluation layer, which training never imports, holds its reader)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.core.idx import write_idx
from digit_recognizer.core.datasets.errors import DatasetError
from digit_recognizer.core.datasets.semeion import SEMEION, SEMEION_FILES, load_semeion_grids
from digit_recognizer.evaluation.datasets import load_dataset
from digit_recognizer.evaluation.semeion import load_semeion

ROOT = Path(__file__).resolve().parents[2]
PER_CLASS = [161, 162, 159, 159, 161, 159, 161, 158, 155, 158]  # Semeion's README


@pytest.fixture(scope="module")
def semeion_dir() -> Path:
    folder = SEMEION.chosen()
    if not folder.is_dir():
        pytest.fail(f"Semeion must be at {folder} (../shared/data/semeion) or in $SEMEION_DIR")
    return folder


def run_command(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digit_recognizer", *args], cwd=ROOT,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
                          capture_output=True, text=True, timeout=300)


def test_semeion_holds_its_1593_digits_as_its_readme_counts_them(semeion_dir):
    grids, labels = load_semeion_grids(semeion_dir)
    assert grids.shape == (1593, 16, 16) and grids.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == PER_CLASS


def test_each_digit_comes_as_mnist_does_stretch_included(semeion_dir):
    images, labels = load_semeion(semeion_dir)
    assert images.shape == (1593, 28, 28) and images.dtype == np.uint8
    y, x = np.indices((28, 28))
    for image in images[::53].astype(float):
        rows, cols = np.nonzero(image > 127)
        # the digit's box fitted in MNIST's 20×20, its centre of mass at the middle
        assert np.ptp(rows) < 21 and np.ptp(cols) < 21
        mass = image.sum()
        assert abs((y * image).sum() / mass - 13.5) < 1 and abs((x * image).sum() / mass - 13.5) < 1
    wide = images[labels == 1].astype(float) > 127  # a 1 stretched to its box stays wide
    assert np.mean([np.ptp(np.nonzero(one)[1]) for one in wide]) > 10
    assert load_dataset("semeion", semeion_dir=semeion_dir).name == "Semeion"


def test_semeion_has_no_training_split(semeion_dir):
    with pytest.raises(DatasetError, match="semeion has no train split: it is for measuring only"):
        load_dataset("semeion", split="train", semeion_dir=semeion_dir)


def test_a_missing_folder_or_file_is_named(tmp_path, semeion_dir):
    with pytest.raises(DatasetError, match="does not exist; pass --semeion-dir or set SEMEION_DIR"):
        load_semeion_grids(tmp_path / "nowhere")
    shutil.copy(semeion_dir / SEMEION_FILES["images"][0], tmp_path)
    with pytest.raises(DatasetError, match="labels-idx1-ubyte.gz is missing"):
        load_semeion_grids(tmp_path)


def test_a_file_that_is_not_semeion_is_refused_before_it_is_read(tmp_path, semeion_dir):
    shutil.copy(semeion_dir / SEMEION_FILES["images"][0], tmp_path)
    labels = tmp_path / SEMEION_FILES["labels"][0]
    write_idx(tmp_path / "labels", np.zeros(1593, np.uint8))
    labels.write_bytes(gzip.compress((tmp_path / "labels").read_bytes()))
    with pytest.raises(DatasetError, match="does not match the SHA-256 in Semeion's README"):
        load_semeion_grids(tmp_path)


def test_evaluate_semeion_prints_each_digit_and_the_confusion_matrix(semeion_dir):
    result = run_command("evaluate", "--dataset", "semeion", "--model", "model2", "--json",
                         SEMEION_DIR=str(semeion_dir))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dataset"] == "Semeion" and report["images"] == 1593
    (model,) = report["models"]
    assert np.array(model["confusion_matrix"]).sum(axis=1).tolist() == PER_CLASS
    assert len(model["per_class_accuracy"]) == 10
    assert 0.8 < model["accuracy"] < 1.0


def test_evaluate_semeion_text_report_names_the_set_and_each_class(semeion_dir):
    result = run_command("evaluate", "--dataset", "semeion", "--model", "model1",
                         "--semeion-dir", str(semeion_dir))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Semeion: 1593 images")
    assert "confusion matrix (rows: true digit, columns: predicted digit)" in result.stdout
