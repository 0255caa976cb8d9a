"""The personal model's files: where it lives, what the window calls it, and saving, setting
aside and forgetting it without losing the user's data.

    python -m pytest tests/test_personal_model.py -x -q
"""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pytest

from digit_recognizer.app.personal_model import (
    PersonalModel,
    base_for,
    is_personal,
    learned_message,
    legacy_path,
    menu_label,
    not_learned_message,
    personal_file,
    personal_path,
    read_personal,
    remove_personal,
    save_personal,
    set_aside,
)
from digit_recognizer.app.teaching import clear_corrections, read_corrections, save_correction
from digit_recognizer.core.conflicts import LeftOut


def write_personal(folder, base="model2", corrections=6, model=b"model v1"):
    path = folder / "my_model.keras"
    path.write_bytes(model)
    path.with_suffix(".json").write_text(json.dumps({"base_model": base,
                                                     "corrections": corrections}))
    path.with_suffix(".onnx").write_bytes(b"onnx v1")
    return path


# -- where it lives and what it is called --------------------------------------------------------


def test_the_personal_model_lives_beside_the_corrections(tmp_path):
    assert personal_path(tmp_path / "corrections") == tmp_path / "my_model.keras"
    assert is_personal(str(tmp_path / "my_model.keras"), tmp_path / "corrections")
    assert not is_personal("model2", tmp_path / "corrections")


def test_menu_label_names_the_base_and_the_corrections():
    assert menu_label("model2", 6) == "My model: Model 2 + 6 corrections"
    assert menu_label("model1", 1) == "My model: Model 1 + 1 correction"


def test_learned_message_says_what_was_learned():
    assert learned_message(1, 6, "model2", "model2") == \
        "Learned: this is a 1. Your model now knows 6 corrections."


def test_learned_message_names_the_corrections_left_out_in_the_commands_words():
    new, earlier = LeftOut(5, 9, 4, 4.67, lost_class=4), LeftOut(1, 8, 0)
    assert learned_message(9, 5, "model2", "model2", (new, earlier)) == (
        f"Saved as a 9. Your model now knows 5 corrections; 1 is left out. {new.sentence()} "
        "1 correction marked in Model ▸ Corrections… stays left out.")
    assert learned_message(1, 5, "model2", "model2", (earlier,)) == (
        "Learned: this is a 1. Your model now knows 5 corrections. 1 correction marked in "
        "Model ▸ Corrections… stays left out.")  # the one taught is not an earlier conflict
    assert learned_message(None, 5, "model2", "model2", (new,)).startswith(
        "Refitted your model: it now knows 5 corrections; 1 is left out. Correction 6, a 4 ")


def test_when_nothing_is_learned_the_message_says_why_and_names_a_few():
    left = tuple(LeftOut(k, 9, 4, 4.7, 4) for k in range(4))
    message = not_learned_message("none of the corrections can be learned", left)
    assert message.startswith("none of the corrections can be learned, so your model stays "
                              f"as it was. {left[0].sentence()} {left[1].sentence()} ")
    assert message.endswith(" 2 more corrections left out too (Model ▸ Corrections… marks "
                            "them).")


def test_learned_message_for_both_models_says_which_one_learned():
    message = learned_message(4, 1, "both", "model2")
    assert message.startswith("Learned: this is a 4. Your model now knows 1 correction. ")
    assert "It is Model 2 with your corrections" in message


def test_a_saved_personal_model_is_read_with_its_base_and_count(tmp_path):
    path = write_personal(tmp_path, base="model1", corrections=3)
    assert read_personal(path) == PersonalModel(path, "model1", 3)
    assert read_personal(path).label == "My model: Model 1 + 3 corrections"


def test_no_personal_model_reads_as_none(tmp_path):
    assert read_personal(tmp_path / "my_model.keras") is None


def test_unreadable_metadata_gives_the_default_base_and_no_count(tmp_path):
    path = write_personal(tmp_path)
    path.with_suffix(".json").write_text("{not json")
    with pytest.warns(UserWarning):
        assert read_personal(path) == PersonalModel(path, "model2", 0)


@pytest.mark.parametrize("selected, expected", [
    ("model1", "model1"), ("model2", "model2"), ("both", "model2"), ("/x/mine.h5", "model2"),
    (None, "model2")])
def test_fine_tuning_starts_from_the_selected_bundled_model(selected, expected):
    assert base_for(selected, None) == expected


def test_the_personal_model_is_refitted_from_its_own_base(tmp_path):
    personal = PersonalModel(tmp_path / "my_model.keras", "model1", 2)
    assert base_for(personal.choice, personal) == "model1"


# -- setting aside, forgetting, saving -----------------------------------------------------------


def test_set_aside_renames_the_model_and_its_side_files_and_deletes_nothing(tmp_path):
    path = write_personal(tmp_path)
    aside = set_aside(path, now=datetime(2024, 5, 1, 12, 30, 5))
    assert aside == tmp_path / "my_model.keras.corrupt-20240501-123005"
    assert aside.read_bytes() == b"model v1"
    assert (tmp_path / "my_model.onnx.corrupt-20240501-123005").read_bytes() == b"onnx v1"
    assert (tmp_path / "my_model.json.corrupt-20240501-123005").is_file()
    assert read_personal(path) is None


def test_remove_personal_deletes_the_model_and_its_side_files(tmp_path):
    path = write_personal(tmp_path)
    (tmp_path / "other.h5").write_bytes(b"keep")
    remove_personal(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.h5"]


def write_legacy(folder):
    """A personal model as the code before .keras saved it: my_model.h5 and its side files."""
    path = write_personal(folder)
    return path.rename(legacy_path(path))


def test_an_old_h5_personal_model_is_read_in_place_of_the_keras_one(tmp_path):
    legacy = write_legacy(tmp_path)
    path = personal_path(tmp_path / "corrections")
    assert personal_file(path) == legacy == tmp_path / "my_model.h5"
    assert read_personal(path) == PersonalModel(path, "model2", 6)  # its choice: the new name
    (tmp_path / "my_model.keras").write_bytes(b"model v2")  # the next fit saved it
    assert personal_file(path) == path


def test_set_aside_and_remove_take_an_old_h5_personal_model_too(tmp_path):
    legacy = write_legacy(tmp_path)
    path = personal_path(tmp_path / "corrections")
    aside = set_aside(path, now=datetime(2024, 5, 1, 12, 30, 5))
    assert aside == tmp_path / "my_model.h5.corrupt-20240501-123005" and not legacy.exists()
    write_legacy(tmp_path)
    remove_personal(path)
    assert not legacy.exists() and not path.with_suffix(".json").exists()


class KerasLike:
    """Stands in for a Keras model: ``save`` writes what it is given."""

    def save(self, path, **_options):
        with open(path, "wb") as file:
            file.write(b"keras v2")


def test_saving_the_personal_model_writes_keras_format_and_drops_the_old_h5(tmp_path):
    legacy = write_legacy(tmp_path)
    path = personal_path(tmp_path / "corrections")
    save_personal(KerasLike(), path, {"base_model": "model1", "corrections": 7})
    assert path.read_bytes() == b"keras v2" and not legacy.exists()
    assert read_personal(path) == PersonalModel(path, "model1", 7)


def test_clear_corrections_forgets_every_sample(tmp_path):
    for label in (1, 2):
        save_correction(np.full((28, 28), label * 40, np.uint8), label, tmp_path)
    clear_corrections(tmp_path)
    assert len(read_corrections(tmp_path)) == 0
    clear_corrections(tmp_path / "never-made")  # nothing saved: nothing to do


class BrokenModel:
    """A Keras-like model whose save is killed half-way through writing."""

    def save(self, path, **_options):
        with open(path, "wb") as file:
            file.write(b"half a mod")
        raise KeyboardInterrupt  # as a kill or Ctrl-C would interrupt it


def test_a_save_cut_short_leaves_the_previous_personal_model(tmp_path):
    path = write_personal(tmp_path, corrections=6)
    with pytest.raises(KeyboardInterrupt):
        save_personal(BrokenModel(), path, {"base_model": "model2", "corrections": 7})
    assert path.read_bytes() == b"model v1"
    assert read_personal(path).corrections == 6
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
