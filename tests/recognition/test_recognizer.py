"""Tests of digit_recognizer.recognition.recognizer (and model_safety) on real model files
trained or built inside the tests."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import keras
import numpy as np
import pytest

from digit_recognizer.core.catalogue import BUNDLED_MODELS, ENSEMBLE, MODELS_DIR
from digit_recognizer.core.confidence import THRESHOLD_KEY
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.results import ModelError, Recognition
from digit_recognizer.recognition.model_safety import refuse_code
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError
from digit_recognizer.recognition.recognizer import (
    Recognizer,
    ensemble_accuracy,
    ensemble_threshold,
)
from digit_recognizer.training.data.synthetic import render_drawn_digit

# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def recognizer(small_model_path) -> Recognizer:
    return Recognizer.load(small_model_path)


@pytest.fixture(scope="session")
def mnist_test(mnist_dir):
    _, (x_test, y_test) = load_mnist(mnist_dir)
    return x_test, y_test


def save_tiny_model(path: Path, input_shape: tuple, classes: int = 10, softmax: bool = True):
    """An untrained Input -> Flatten -> Dense model: enough to test shape checks."""
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(classes, activation="softmax" if softmax else None),
        ]
    )
    model.save(path)
    return path


def save_lambda_model(path: Path, marker: Path) -> Path:
    """A model whose Lambda layer writes ``marker`` whenever its code runs."""
    # The path is a constant inside the lambda's code (Keras cannot reload lambda defaults).
    write_marker = eval(f"lambda t: (open({str(marker)!r}, 'w').close(), t)[1]")
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Lambda(write_marker)(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    keras.Model(inputs, outputs).save(path)
    marker.unlink(missing_ok=True)  # building the model ran the lambda once, here
    return path


def drawn_digits(x_test, count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [render_drawn_digit(x_test[i], rng) for i in range(count)]


# -- loading -----------------------------------------------------------------------------------


def test_h5_model_loads_with_name_from_metadata(small_model_path, recognizer):
    metadata = json.loads(small_model_path.with_suffix(".json").read_text())
    assert recognizer.name == metadata["name"]
    assert recognizer.metadata["test_accuracy"] == metadata["test_accuracy"]


def test_keras_format_model_gives_same_probabilities_as_h5(small_model_path, recognizer, tmp_path):
    path = tmp_path / "m.keras"
    keras.models.load_model(small_model_path, compile=False).save(path)
    x = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(Recognizer.load(path).predict(x), recognizer.predict(x), atol=1e-6)


def test_model_without_metadata_is_named_after_its_file(tmp_path):
    recognizer = Recognizer.load(save_tiny_model(tmp_path / "plain.keras", (28, 28, 1)))
    assert (recognizer.name, recognizer.metadata) == ("plain.keras", {})


def test_corrupt_metadata_is_ignored_with_a_warning(tmp_path):
    path = save_tiny_model(tmp_path / "plain.keras", (28, 28, 1))
    path.with_suffix(".json").write_text("{not json")
    with pytest.warns(UserWarning, match="plain.json"):
        assert Recognizer.load(path).metadata == {}


def test_wrong_input_shape_raises_model_error_naming_the_shape(tmp_path):
    path = save_tiny_model(tmp_path / "rgb.keras", (32, 32, 3))
    with pytest.raises(ModelError, match=r"\(None, 32, 32, 3\).*\(None, 28, 28, 1\)"):
        Recognizer.load(path)


def test_input_without_channel_axis_is_accepted(tmp_path):
    recognizer = Recognizer.load(save_tiny_model(tmp_path / "flat.keras", (28, 28)))
    probabilities = recognizer.predict(np.zeros((2, 28, 28, 1), np.float32))
    assert probabilities.shape == (2, 10)


def test_five_class_output_raises_model_error(tmp_path):
    path = save_tiny_model(tmp_path / "five.keras", (28, 28, 1), classes=5)
    with pytest.raises(ModelError, match=r"\(None, 5\)"):
        Recognizer.load(path)


def test_logits_output_raises_model_error(tmp_path):
    path = save_tiny_model(tmp_path / "logits.keras", (28, 28, 1), softmax=False)
    with pytest.raises(ModelError, match="softmax"):
        Recognizer.load(path)


@pytest.mark.parametrize("name", ["noise.h5", "noise.keras"])
def test_random_bytes_raise_model_error(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ModelError, match="not a readable"):
        Recognizer.load(path)


def test_truncated_model_raises_model_error(small_model_path, tmp_path):
    path = tmp_path / "truncated.h5"
    data = small_model_path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated.h5"):
        Recognizer.load(path)


def test_weights_only_file_raises_model_error(tmp_path):
    model = keras.models.load_model(save_tiny_model(tmp_path / "t.keras", (28, 28, 1)))
    path = tmp_path / "only.weights.h5"
    model.save_weights(path)
    with pytest.raises(ModelError, match="no model architecture"):
        Recognizer.load(path)


def test_missing_file_raises_model_error_naming_it(tmp_path):
    with pytest.raises(ModelError, match="absent.h5"):
        Recognizer.load(tmp_path / "absent.h5")


def test_unknown_suffix_raises_model_error(tmp_path):
    path = tmp_path / "model.txt"
    path.write_text("hello")
    with pytest.raises(ModelError, match=r"\.h5 or \.keras"):
        Recognizer.load(path)


# -- unsafe model files -------------------------------------------------------------------------


def test_lambda_fixture_runs_its_code_when_loaded_unsafely(tmp_path):
    # Proves the marker works, so the refusal tests below can fail.
    marker = tmp_path / "ran"
    model = keras.models.load_model(
        save_lambda_model(tmp_path / "lambda.keras", marker), safe_mode=False
    )
    model(np.zeros((1, 28, 28, 1), np.float32))
    assert marker.exists()


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_lambda_model_is_refused_and_its_code_never_runs(tmp_path, suffix):
    marker = tmp_path / "ran"
    path = save_lambda_model(tmp_path / f"lambda{suffix}", marker)
    with pytest.raises(ModelError, match="Lambda"):
        Recognizer.load(path)
    assert not marker.exists()


def test_lambda_of_a_keras_function_is_refused_too(tmp_path):
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Lambda(keras.ops.abs)(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    path = tmp_path / "abs.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(ModelError, match="Lambda"):
        Recognizer.load(path)


def test_object_from_a_foreign_module_is_refused():
    evil = {"module": "os", "class_name": "system", "config": {"command": "true"}}
    config = {"class_name": "Sequential", "config": {"layers": [evil]}}
    with pytest.raises(ModelError, match="'os'"):
        refuse_code(Path("evil.keras"), config)


# -- bundled models ----------------------------------------------------------------------------


def test_missing_bundled_model_error_says_how_to_train_it(tmp_path):
    with pytest.raises(ModelError, match="python -m digit_recognizer train --model rmsprop"):
        Recognizer.bundled("model2", models_dir=tmp_path)


def test_bundled_model_loads_from_models_dir(small_model_path, tmp_path):
    shutil.copy(small_model_path, tmp_path / "digit_model.h5")
    assert Recognizer.bundled("model1", models_dir=tmp_path).path == tmp_path / "digit_model.h5"


def test_unknown_bundled_name_raises_model_error(tmp_path):
    with pytest.raises(ModelError, match="model3"):
        Recognizer.bundled("model3", models_dir=tmp_path)


def test_choice_both_loads_the_ensemble_of_the_bundled_models(small_model_path, tmp_path):
    for name in ("digit_model.h5", "digit_model1.h5"):
        shutil.copy(small_model_path, tmp_path / name)
    assert Recognizer.from_choice("both", models_dir=tmp_path).name == ENSEMBLE.label


# -- prediction --------------------------------------------------------------------------------


def test_predict_with_and_without_channel_axis_gives_identical_rows(recognizer, mnist_test):
    x = mnist_test[0][:20] / np.float32(255)
    with_axis, without = recognizer.predict(x[..., None]), recognizer.predict(x)
    np.testing.assert_array_equal(with_axis, without)
    assert with_axis.shape == (20, 10)


def test_predict_rows_sum_to_one(recognizer, mnist_test):
    probabilities = recognizer.predict(mnist_test[0][:20] / np.float32(255))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_fast_path_matches_keras_predict(small_model_path, recognizer, mnist_test):
    x = (mnist_test[0][:64] / np.float32(255))[..., None]
    expected = keras.models.load_model(small_model_path, compile=False).predict(x, verbose=0)
    np.testing.assert_allclose(recognizer.predict(x), expected, atol=1e-5)


def test_batches_larger_than_one_slice_match_small_batches(recognizer, mnist_test):
    x = mnist_test[0][:1100] / np.float32(255)
    np.testing.assert_allclose(recognizer.predict(x)[-5:], recognizer.predict(x[-5:]), atol=1e-5)


def test_predict_refuses_unscaled_uint8_values(recognizer, mnist_test):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        recognizer.predict(mnist_test[0][:2])


def test_predict_accepts_values_rounded_just_above_one(recognizer):
    x = np.full((1, 28, 28), 1.0000001, np.float32)
    np.testing.assert_allclose(recognizer.predict(x), recognizer.predict(np.ones_like(x)))


def test_predict_refuses_not_a_number(recognizer):
    with pytest.raises(ValueError, match="nan"):
        recognizer.predict(np.full((1, 28, 28), np.nan, np.float32))


def test_predict_refuses_wrong_shape(recognizer):
    with pytest.raises(ValueError, match=r"\(2, 32, 32\)"):
        recognizer.predict(np.zeros((2, 32, 32), np.float32))


def test_predict_of_empty_batch_gives_no_rows(recognizer):
    assert recognizer.predict(np.zeros((0, 28, 28), np.float32)).shape == (0, 10)


def test_predictions_from_several_threads_match_serial_ones(recognizer, mnist_test):
    x = mnist_test[0][:8] / np.float32(255)
    expected = [recognizer.predict(x[i : i + 1]) for i in range(8)]
    results = [None] * 8

    def work(i: int) -> None:
        results[i] = recognizer.predict(x[i : i + 1])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    np.testing.assert_allclose(np.concatenate(results), np.concatenate(expected), atol=1e-6)


# -- recognition of drawings -------------------------------------------------------------------


def test_drawn_mnist_digits_are_mostly_recognised(recognizer, mnist_test):
    x_test, y_test = mnist_test
    digits = [recognizer.recognize(c).digit for c in drawn_digits(x_test, 50)]
    assert np.mean(np.array(digits) == y_test[:50]) >= 0.8


def test_recognition_reports_the_most_probable_digit(recognizer, mnist_test):
    result = recognizer.recognize(drawn_digits(mnist_test[0], 1)[0])
    assert result.digit == int(np.argmax(result.probabilities))
    assert result.confidence == pytest.approx(float(result.probabilities.max()))


def test_recognition_keeps_the_28x28_input_it_used(recognizer, mnist_test):
    result = recognizer.recognize(drawn_digits(mnist_test[0], 1)[0])
    assert result.input.shape == (28, 28)
    assert result.probabilities.shape == (10,)
    assert result.box is None


def test_photo_mode_reads_a_digit_on_unevenly_lit_grey_paper(recognizer, mnist_test):
    x_test, y_test = mnist_test
    drawing = drawn_digits(x_test, 1)[0].astype(np.float32)
    light = np.linspace(0.55, 0.95, drawing.shape[1], dtype=np.float32)[None, :]
    photo = np.round(drawing * light).astype(np.uint8)  # a shadow across grey paper
    assert recognizer.recognize(photo, photo=True).digit == y_test[0]


def test_blank_canvas_raises_empty_drawing_error(recognizer):
    with pytest.raises(EmptyDrawingError):
        recognizer.recognize(np.full((280, 280), 255, np.uint8))


def test_two_digits_side_by_side_are_read_left_to_right(recognizer, mnist_test):
    x_test, y_test = mnist_test
    left, right = drawn_digits(x_test, 2)  # test images 0 and 1: a 7 and a 2
    number = recognizer.recognize_number(np.hstack([left, right]))
    assert number.text == f"{y_test[0]}{y_test[1]}"
    assert number.digits[0].box[0] < number.digits[1].box[0]


def test_number_confidence_is_the_product_of_its_digits(recognizer, mnist_test):
    number = recognizer.recognize_number(np.hstack(drawn_digits(mnist_test[0], 2)))
    assert number.confidence == pytest.approx(np.prod([d.confidence for d in number.digits]))


# -- ensembles ---------------------------------------------------------------------------------


def test_ensemble_probabilities_are_the_mean_of_its_members(recognizer, tmp_path, mnist_test):
    other = Recognizer.load(save_tiny_model(tmp_path / "other.keras", (28, 28, 1)))
    both = Recognizer.ensemble([recognizer, other])
    x = mnist_test[0][:10] / np.float32(255)
    expected = (recognizer.predict(x) + other.predict(x)) / 2
    np.testing.assert_allclose(both.predict(x), expected, atol=1e-6)


def test_ensemble_names_its_members(recognizer):
    both = Recognizer.ensemble([recognizer, recognizer], test_accuracy=0.99)
    assert both.name == ENSEMBLE.label
    assert both.metadata == {"test_accuracy": 0.99, "members": [recognizer.name] * 2}



# -- "not a digit" -----------------------------------------------------------------------------


def fixed_recognizer(top: float, metadata: dict | None = None) -> Recognizer:
    """A recognizer whose network always gives 4 the probability ``top``, the rest evenly."""
    probabilities = np.full(10, (1 - top) / 9, np.float32)
    probabilities[4] = top
    return Recognizer(lambda x: np.tile(probabilities, (len(x), 1)), name="fixed", path=None,
                      metadata=metadata or {})


def ink(width: int = 280) -> np.ndarray:
    """Something drawn on a white canvas: a dark bar, ``width`` pixels of paper wide."""
    canvas = np.full((280, width), 255, np.uint8)
    canvas[60:220, width // 2 - 10 : width // 2 + 10] = 0
    return canvas


def test_best_guess_below_the_metadatas_threshold_is_not_a_digit():
    result = fixed_recognizer(0.6, {THRESHOLD_KEY: 0.7}).recognize(ink())
    assert result.not_a_digit
    assert (result.digit, result.confidence) == (4, pytest.approx(0.6))  # still the guess


def test_best_guess_at_the_threshold_is_a_digit():
    assert not fixed_recognizer(0.75, {THRESHOLD_KEY: 0.75}).recognize(ink()).not_a_digit


def test_model_without_a_threshold_never_flags():
    recognizer = fixed_recognizer(0.11)
    assert recognizer.not_a_digit_threshold is None
    assert not recognizer.recognize(ink()).not_a_digit


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.2, float("nan"), "0.5", True, [0.5], None])
def test_invalid_threshold_in_metadata_is_ignored(value, caplog):
    recognizer = fixed_recognizer(0.2, {THRESHOLD_KEY: value})
    assert recognizer.not_a_digit_threshold is None
    assert not recognizer.recognize(ink()).not_a_digit
    assert (THRESHOLD_KEY in caplog.text) == (value is not None)  # said once, in the log


def test_number_flags_each_part_and_writes_it_as_a_question_mark():
    probabilities = {1: [0.95, 0.05], 2: [0.5, 0.5]}  # the wide part is unsure

    def forward(x: np.ndarray) -> np.ndarray:
        out = np.zeros((len(x), 10), np.float32)
        for row, image in zip(out, x):
            wide = (image[..., 0].max(axis=0) > 0).sum() > 10
            row[[3, 8]] = probabilities[2 if wide else 1]
        return out

    recognizer = Recognizer(forward, name="f", path=None, metadata={THRESHOLD_KEY: 0.8})
    canvas = np.full((280, 560), 255, np.uint8)
    canvas[60:220, 120:140] = 0  # a bar: narrow in the model's view
    canvas[120:160, 300:500] = 0  # a slab: wide
    number = recognizer.recognize_number(canvas)
    assert [d.not_a_digit for d in number.digits] == [False, True]
    assert number.text == "3?"


def test_keras_file_reads_the_threshold_beside_it(small_model_path, tmp_path, mnist_test):
    path = tmp_path / "m.h5"
    shutil.copy(small_model_path, path)
    metadata = json.loads(small_model_path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**metadata, THRESHOLD_KEY: 0.999999}))
    recognizer = Recognizer.load(path)
    assert recognizer.not_a_digit_threshold == 0.999999
    results = [recognizer.recognize(d) for d in drawn_digits(mnist_test[0], 5)]
    assert [r.not_a_digit for r in results] == [r.confidence < 0.999999 for r in results]
    assert any(r.not_a_digit for r in results)  # a 2-epoch model is never that sure


def test_ensemble_uses_its_own_threshold_not_its_members():
    members = [fixed_recognizer(0.6, {THRESHOLD_KEY: 0.9})] * 2
    assert not Recognizer.ensemble(members).recognize(ink()).not_a_digit
    both = Recognizer.ensemble(members, not_a_digit_threshold=0.65)
    assert both.metadata[THRESHOLD_KEY] == 0.65
    assert both.recognize(ink()).not_a_digit


def bundled_copy(folder: Path, thresholds: dict[str, object]) -> Path:
    """The bundled models (linked) with metadata whose thresholds are ``thresholds``, by file."""
    for model in BUNDLED_MODELS:
        for suffix in (".h5", ".onnx"):
            source = model.path().with_suffix(suffix)
            (folder / source.name).symlink_to(source)
    for name, value in thresholds.items():
        source = MODELS_DIR / name
        metadata = json.loads(source.read_text()) if source.is_file() else {}
        (folder / name).write_text(json.dumps({**metadata, THRESHOLD_KEY: value}))
    return folder


def test_both_reads_its_threshold_from_the_ensembles_metadata(tmp_path):
    folder = bundled_copy(tmp_path, {ENSEMBLE.metadata_file: 0.75, "digit_model.json": 0.5})
    assert ensemble_threshold(folder) == 0.75
    both = Recognizer.from_choice("both", folder, runtime="onnx")
    assert both.not_a_digit_threshold == 0.75
    assert both.metadata["test_accuracy"] == ensemble_accuracy(folder)
    assert Recognizer.from_choice("model1", folder, runtime="onnx").not_a_digit_threshold == 0.5
    assert Recognizer.from_choice("model2", folder, runtime="onnx").not_a_digit_threshold is None


def test_both_ignores_an_invalid_threshold_in_the_ensembles_metadata(tmp_path):
    folder = bundled_copy(tmp_path, {ENSEMBLE.metadata_file: 2})
    assert Recognizer.from_choice("both", folder, runtime="onnx").not_a_digit_threshold is None


def test_recognizer_built_from_a_childs_metadata_flags_too():
    """``model_process.load_in_child`` builds the parent's recognizer from the metadata the
    child sends; the flag must come with it."""
    child = fixed_recognizer(0.3, {THRESHOLD_KEY: 0.5})
    parent = Recognizer(child._forward, name=child.name, path=None, metadata=child.metadata)
    assert parent.recognize(ink()).not_a_digit


def test_recognition_is_a_digit_unless_flagged():
    probabilities = np.eye(10, dtype=np.float32)[7] * 0.4 + 0.06
    image = np.zeros((28, 28), np.float32)
    assert not Recognition.from_probabilities(probabilities, image).not_a_digit
    assert Recognition.from_probabilities(probabilities, image, threshold=0.5).not_a_digit
    assert not Recognition(7, 0.46, probabilities, image).not_a_digit
