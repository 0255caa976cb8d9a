"""The ``predict`` and ``evaluate`` commands, run as subprocesses on real image and model files."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from digit_recognizer.core.confidence import THRESHOLD_KEY
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.results import NOT_A_DIGIT
from digit_recognizer.recognition.preprocess.images import load_image
from digit_recognizer.recognition.recognizer import Recognizer
from digit_recognizer.training.data.synthetic import render_drawn_digit

ROOT = Path(__file__).resolve().parents[2]


def run_command(*args: str, mnist_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if mnist_dir is not None:
        env["MNIST_DIR"] = str(mnist_dir)
    return subprocess.run(
        [sys.executable, "-m", "digit_recognizer", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def json_lines(result: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    return load_mnist(mnist_dir)[1]


@pytest.fixture(scope="module")
def images(tmp_path_factory, mnist_test) -> dict[str, Path]:
    """Drawings of test digits 0 and 1 (a 7 and a 2), a blank canvas, a text file, both digits."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    seven, two = (render_drawn_digit(mnist_test[0][i], rng) for i in range(2))
    files = {
        "seven": (folder / "seven.png", seven),
        "two": (folder / "two.png", two),
        "blank": (folder / "blank.png", np.full((280, 280), 255, np.uint8)),
        "number": (folder / "number.png", np.hstack([seven, two])),
    }
    for path, image in files.values():
        cv2.imwrite(str(path), image)
    text = folder / "notes.png"
    text.write_text("not an image at all")
    return {"text": text, **{name: path for name, (path, _) in files.items()}}


@pytest.fixture(scope="module")
def predicted(small_model_path, images) -> subprocess.CompletedProcess:
    """One predict run over two drawings, a text file named .png and a blank canvas."""
    files = [images[name] for name in ("seven", "text", "two", "blank")]
    return run_command("predict", "--model", str(small_model_path), *map(str, files))


# -- predict -----------------------------------------------------------------------------------


def test_predict_prints_one_json_line_per_image_in_order(predicted, images):
    names = [Path(entry["file"]).name for entry in json_lines(predicted)]
    assert names == ["seven.png", "notes.png", "two.png", "blank.png"]


def test_predict_reports_digit_confidence_and_probabilities(predicted, mnist_test):
    seven = json_lines(predicted)[0]
    assert seven["digit"] == mnist_test[1][0]
    assert seven["confidence"] == max(seven["probabilities"])
    assert sum(seven["probabilities"]) == pytest.approx(1, abs=1e-3)


def test_predict_gives_non_image_an_error_entry(predicted):
    entry = json_lines(predicted)[1]
    assert set(entry) == {"file", "error"}
    assert "not an image" in entry["error"]


def test_predict_processes_files_after_a_failed_one(predicted, mnist_test):
    assert json_lines(predicted)[2]["digit"] == mnist_test[1][1]


def test_predict_reports_blank_drawing_as_no_digit_found(predicted):
    assert json_lines(predicted)[3]["error"] == "no digit found"


def test_predict_exits_non_zero_when_a_file_failed(predicted):
    assert predicted.returncode == 1


@pytest.fixture(scope="module")
def predicted_number(small_model_path, images) -> subprocess.CompletedProcess:
    """One predict run in number mode over a drawing of a 7 and a 2 side by side."""
    return run_command("predict", "--number", "--model", str(small_model_path),
                       str(images["number"]))


def test_predict_number_mode_reads_digits_left_to_right(predicted_number, mnist_test):
    (entry,) = json_lines(predicted_number)
    assert entry["number"] == f"{mnist_test[1][0]}{mnist_test[1][1]}"
    assert [len(d["box"]) for d in entry["digits"]] == [4, 4]


def test_predict_exits_zero_when_every_file_is_read(predicted_number):
    assert predicted_number.returncode == 0, predicted_number.stderr


def test_predict_without_a_threshold_flags_nothing(predicted, predicted_number):
    entries = [e for e in json_lines(predicted) if "error" not in e]
    entries += json_lines(predicted_number)[0]["digits"]
    assert [e["not_a_digit"] for e in entries] == [False] * 4
    assert not any("message" in e for e in entries)


@pytest.fixture(scope="module")
def split_by_threshold(small_model_path, images, tmp_path_factory) -> tuple[Path, dict]:
    """A copy of the small model whose metadata records a threshold between the seven's and
    the two's highest probability, and those two probabilities."""
    recognizer = Recognizer.load(small_model_path)
    confidence = {name: recognizer.recognize(load_image(images[name])).confidence
                  for name in ("seven", "two")}
    low, high = sorted(confidence.values())
    assert high - low > 1e-4, "the small model is equally sure of both: no threshold splits them"
    path = tmp_path_factory.mktemp("threshold") / "m.h5"
    shutil.copy(small_model_path, path)
    metadata = json.loads(small_model_path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**metadata, THRESHOLD_KEY: (low + high) / 2}))
    return path, {name: c == low for name, c in confidence.items()}


def test_predict_says_when_a_drawing_does_not_look_like_a_digit(split_by_threshold, images):
    path, flagged = split_by_threshold
    result = run_command("predict", "--model", str(path), *(str(images[n]) for n in flagged))
    assert result.returncode == 0, result.stderr
    for entry, name in zip(json_lines(result), flagged):
        assert entry["not_a_digit"] is flagged[name]
        assert entry.get("message") == (NOT_A_DIGIT if flagged[name] else None)
        assert entry["confidence"] == max(entry["probabilities"])  # the closest guess stays


def test_predict_number_writes_a_part_that_is_no_digit_as_a_question_mark(split_by_threshold,
                                                                        images, mnist_test):
    path, flagged = split_by_threshold
    result = run_command("predict", "--number", "--model", str(path), str(images["number"]))
    (entry,) = json_lines(result)
    expected = ["?" if flagged[name] else str(mnist_test[1][i])
                for i, name in enumerate(("seven", "two"))]
    assert entry["number"] == "".join(expected)
    assert [d["not_a_digit"] for d in entry["digits"]] == [flagged["seven"], flagged["two"]]


def test_predict_photo_mode_reads_the_digit(small_model_path, images, mnist_test):
    result = run_command("predict", "--photo", "--model", str(small_model_path),
                         str(images["seven"]))
    assert json_lines(result)[0]["digit"] == mnist_test[1][0]


def test_predict_missing_model_prints_one_line_and_exits_2(tmp_path, images):
    result = run_command("predict", "--model", str(tmp_path / "gone.h5"), str(images["seven"]))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "gone.h5" in result.stderr


def test_predict_missing_bundled_model_says_how_to_train_it(tmp_path, images):
    result = run_command("predict", "--models-dir", str(tmp_path), str(images["seven"]))
    assert result.returncode == 2
    # the default reads with both models: the first missing one, model 1, is named
    assert "python -m digit_recognizer train --model adadelta" in result.stderr


# -- evaluate ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evaluated(small_model_path, mnist_dir) -> dict:
    result = run_command("evaluate", "--model", str(small_model_path), "--json", "--limit", "2000",
                         mnist_dir=mnist_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_evaluate_json_reports_the_model_accuracy(evaluated):
    (model,) = evaluated["models"]
    assert model["accuracy"] > 0.8
    assert model["test_images"] == 2000


def test_evaluate_json_reports_accuracy_of_each_digit(evaluated):
    assert len(evaluated["models"][0]["per_class_accuracy"]) == 10


def test_evaluate_json_confusion_matrix_counts_every_image(evaluated):
    matrix = np.array(evaluated["models"][0]["confusion_matrix"])
    assert matrix.shape == (10, 10)
    assert matrix.sum() == 2000


def test_evaluate_default_reports_both_bundled_models_and_their_average(
    small_model_path, tmp_path, mnist_dir
):
    for name in ("digit_model.h5", "digit_model1.h5"):
        shutil.copy(small_model_path, tmp_path / name)
    result = run_command("evaluate", "--models-dir", str(tmp_path), "--limit", "500",
                         mnist_dir=mnist_dir)
    assert result.returncode == 0, result.stderr
    assert len(re.findall(r"^  accuracy \d", result.stdout, re.MULTILINE)) == 3
    assert "Both models (average)" in result.stdout


def test_evaluate_records_the_average_accuracy_for_the_app(small_model_path, tmp_path, mnist_dir):
    for name in ("digit_model.h5", "digit_model1.h5"):
        shutil.copy(small_model_path, tmp_path / name)
    result = run_command("evaluate", "--models-dir", str(tmp_path), "--json",
                         mnist_dir=mnist_dir)
    assert result.returncode == 0, result.stderr
    average = json.loads(result.stdout)["models"][-1]
    recorded = json.loads((tmp_path / "both.json").read_text())
    assert recorded["test_accuracy"] == average["accuracy"]
    both = Recognizer.from_choice("both", tmp_path)
    assert both.metadata["test_accuracy"] == average["accuracy"]


def test_evaluate_missing_bundled_model_exits_2_naming_the_train_command(tmp_path, mnist_dir):
    result = run_command("evaluate", "--models-dir", str(tmp_path), mnist_dir=mnist_dir)
    assert result.returncode == 2
    assert "python -m digit_recognizer train --model adadelta" in result.stderr


def test_evaluate_missing_data_prints_one_line_and_exits_2(small_model_path, tmp_path):
    result = run_command("evaluate", "--model", str(small_model_path), "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
