"""The bundled stroke model: it reads pen paths, a number's digits read as picture and path
mixed where the strokes are known, and a missing or damaged stroke model costs only that."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.core.catalogue import MODELS_DIR, STROKE_MODEL_FILE
from digit_recognizer.core.datasets.unipen import load_unipen, writer_split
from digit_recognizer.core.results import ModelError
from digit_recognizer.evaluation.pen_numbers import write_number
from digit_recognizer.recognition.preprocess.written import strokes_to_mnist
from digit_recognizer.recognition.recognizer import Recognizer
from digit_recognizer.recognition.stroke_model import StrokeModel, mixed, stroke_model_path

STROKE_FILES = {Path(STROKE_MODEL_FILE).with_suffix(s).name for s in (".h5", ".onnx", ".json")}


@pytest.fixture(scope="module")
def validation():
    pen = load_unipen()
    return pen.subset(writer_split(pen)[1])


@pytest.fixture(scope="module")
def stroke_model() -> StrokeModel:
    model = StrokeModel.bundled()
    assert model is not None, f"{stroke_model_path()} is bundled"
    return model


def models_without_strokes(folder: Path) -> Path:
    """A models folder holding the bundled picture models (links) but no stroke model."""
    folder.mkdir()
    for item in MODELS_DIR.iterdir():
        if item.name not in STROKE_FILES:
            (folder / item.name).symlink_to(item)
    return folder


def test_the_bundled_stroke_model_reads_the_validation_writers_digits(stroke_model, validation):
    read = stroke_model.predict(validation.strokes).argmax(axis=1)
    # train-strokes recorded 97.9 % for the whole set; writers it never saw
    assert (read == validation.labels).mean() > 0.96


def test_a_numbers_digits_read_as_their_re_drawn_picture_and_path_mixed(stroke_model, validation):
    rng = np.random.default_rng(3)
    picks = rng.choice(len(validation), 4, replace=False)
    number = write_number([validation.strokes[i] for i in picks],
                          [int(validation.labels[i]) for i in picks], rng, touching=0.0)
    recognizer = Recognizer.from_choice("model2")
    assert recognizer.stroke_model is not None
    digits = recognizer.recognize_number(number.image(), strokes=number.strokes).digits
    assert len(digits) == 4
    for digit, part in zip(digits, number.parts):
        strokes = [np.asarray(number.strokes[i].points) for i in part]
        np.testing.assert_array_equal(digit.input, strokes_to_mnist(strokes))  # re-drawn
        picture = recognizer.predict(digit.input[None])
        path = stroke_model.predict([strokes])
        assert digit.probabilities == pytest.approx(mixed(picture, path)[0], abs=1e-5)


def test_an_image_alone_and_a_single_digit_read_from_the_picture(validation):
    with_paths, pictures_only = Recognizer.from_choice("both"), Recognizer.from_choice("both")
    pictures_only.stroke_model = None
    rng = np.random.default_rng(4)
    number = write_number(validation.strokes[:3], [int(x) for x in validation.labels[:3]], rng)
    image = number.image()
    assert (with_paths.recognize_number(image).text
            == pictures_only.recognize_number(image).text)
    single = write_number([validation.strokes[0]], [int(validation.labels[0])], rng).image()
    assert with_paths.recognize(single).probabilities == pytest.approx(
        pictures_only.recognize(single).probabilities)


def test_without_a_stroke_model_numbers_are_read_from_their_pictures(tmp_path, validation):
    folder = models_without_strokes(tmp_path / "models")
    recognizer = Recognizer.from_choice("both", folder)
    assert recognizer.stroke_model is None and recognizer.notices == ()
    rng = np.random.default_rng(5)
    number = write_number(validation.strokes[10:13], [int(x) for x in validation.labels[10:13]],
                          rng)
    assert recognizer.recognize_number(number.image(), strokes=number.strokes).text


def test_a_stale_stroke_model_copy_is_said_and_set_aside(tmp_path):
    folder = models_without_strokes(tmp_path / "models")
    source = stroke_model_path()
    (folder / source.name).write_bytes(source.read_bytes() + b"\0")  # not the file it was made of
    (folder / source.with_suffix(".onnx").name).symlink_to(source.with_suffix(".onnx"))
    recognizer = Recognizer.from_choice("model2", folder)
    assert recognizer.stroke_model is None
    assert len(recognizer.notices) == 1
    assert "digit_strokes.onnx is out of date" in recognizer.notices[0]
    assert recognizer.notices[0].endswith("Meanwhile numbers are read from their pictures alone.")


def test_a_picture_model_in_the_stroke_models_place_is_refused(tmp_path):
    folder = models_without_strokes(tmp_path / "models")
    picture = MODELS_DIR / "digit_model1.h5"
    for suffix in (".h5", ".onnx"):
        os.symlink(picture.with_suffix(suffix), folder / f"digit_strokes{suffix}")
    with pytest.raises(ModelError, match="digit_strokes.h5 does not read pen paths"):
        StrokeModel(folder / "digit_strokes.h5")
    recognizer = Recognizer.from_choice("model1", folder)
    assert recognizer.stroke_model is None
    assert "does not read pen paths" in recognizer.notices[0]
