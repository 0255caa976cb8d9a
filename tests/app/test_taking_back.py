"""Taking a teach back, below the window: the correction (``teaching.take_back_correction``)
and the personal model kept before the teach (``background.previous_model``)."""

from __future__ import annotations

import numpy as np
import pytest

from digit_recognizer.app.background.previous_model import (
    keep_previous,
    previous_path,
    restore_previous,
)
from digit_recognizer.app.teaching import (
    TeachingError,
    read_corrections,
    save_correction,
    take_back_correction,
)
from digit_recognizer.core.confidence import contradicts


def drawing(grey: int) -> np.ndarray:
    return np.full((28, 28), grey, np.uint8)


def test_taking_back_a_new_correction_removes_only_it(tmp_path):
    save_correction(drawing(10), 4, tmp_path)
    saved = save_correction(drawing(20), 9, tmp_path)
    save_correction(drawing(30), 1, tmp_path)
    assert saved.new and saved.previous_label is None
    assert take_back_correction(drawing(20), saved.previous_label, tmp_path) == 2
    after = read_corrections(tmp_path)
    assert after.labels.tolist() == [4, 1]
    assert [int(image[0, 0]) for image in after.images] == [10, 30]


def test_taking_back_a_relabelling_gives_the_old_label_back(tmp_path):
    save_correction(drawing(10), 4, tmp_path)
    saved = save_correction(drawing(10), 9, tmp_path)
    assert not saved.new and saved.previous_label == 4
    assert take_back_correction(drawing(10), saved.previous_label, tmp_path) == 1
    assert read_corrections(tmp_path).labels.tolist() == [4]


def test_taking_back_a_correction_that_is_gone_says_so(tmp_path):
    save_correction(drawing(10), 4, tmp_path)
    with pytest.raises(TeachingError, match="no longer saved"):
        take_back_correction(drawing(99), None, tmp_path)
    with pytest.raises(TeachingError, match="label"):
        take_back_correction(drawing(10), 12, tmp_path)
    with pytest.raises(TeachingError, match="no such folder"):
        take_back_correction(drawing(10), None, tmp_path / "missing")
    assert read_corrections(tmp_path).labels.tolist() == [4]


def write_model(path, text: str, onnx: bool = True) -> None:
    path.write_text(text)
    path.with_suffix(".json").write_text(f'{{"name": "{text}"}}')
    if onnx:
        path.with_suffix(".onnx").write_text(f"copy of {text}")


def test_the_model_kept_before_a_teach_comes_back_whole(tmp_path):
    model = tmp_path / "my_model.keras"
    write_model(model, "first")
    assert keep_previous(model)
    write_model(model, "second", onnx=False)  # the teach's fit; its copy not made yet
    model.with_suffix(".onnx").unlink()
    assert restore_previous(model)
    assert model.read_text() == "first" and "first" in model.with_suffix(".json").read_text()
    assert model.with_suffix(".onnx").read_text() == "copy of first"
    assert not previous_path(model).exists()


def test_a_copy_the_kept_model_lacks_is_not_left_to_describe_it(tmp_path):
    model = tmp_path / "my_model.keras"
    write_model(model, "first", onnx=False)
    keep_previous(model)
    write_model(model, "second")
    restore_previous(model)
    assert model.read_text() == "first" and not model.with_suffix(".onnx").exists()


def test_undo_of_the_first_teach_after_an_upgrade_brings_back_the_old_h5_model(tmp_path):
    legacy, model = tmp_path / "my_model.h5", tmp_path / "my_model.keras"
    write_model(legacy, "from an older version")
    assert keep_previous(model)  # the teach asks for my_model.keras; the .h5 is what there is
    legacy.unlink()  # the teach's fit writes my_model.keras and drops the .h5
    write_model(model, "fitted")
    assert restore_previous(model)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_model.h5", "my_model.json",
                                                          "my_model.onnx"]
    assert legacy.read_text() == "from an older version"
    assert "older" in legacy.with_suffix(".json").read_text()
    assert legacy.with_suffix(".onnx").read_text() == "copy of from an older version"


def test_with_no_model_before_the_teach_undo_removes_the_new_one(tmp_path):
    model = tmp_path / "my_model.keras"
    write_model(model, "older")
    keep_previous(model)  # an older teach kept this...
    model.unlink()
    assert not keep_previous(model)  # ...but this teach had no model before it
    write_model(model, "new")
    assert not restore_previous(model)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("read", "p", "taught", "asks"), [
    (4, 0.999, 9, True), (4, 0.99, 9, True), (4, 0.989, 9, False), (4, 1.0, 4, False)])
def test_a_teach_against_an_answer_99_percent_sure_asks_first(read, p, taught, asks):
    probabilities = np.full(10, (1 - p) / 9)
    probabilities[read] = p
    assert contradicts(probabilities, taught) is asks


def test_contradicts_wants_ten_probabilities():
    with pytest.raises(ValueError, match="10 probabilities"):
        contradicts(np.ones(3) / 3, 1)
