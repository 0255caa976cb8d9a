"""Corrections that conflict with common writing (``core.conflicts``): which one a refused fit
blames, what is said of it, and its mark in Model ▸ Corrections…. Leaving them out of a real
fit is tested with the command (``tests/training/test_guard.py``) and the window
(``tests/app/test_one_fine_tuning.py``)."""

from __future__ import annotations

import json
import tkinter as tk
from tkinter import ttk

import numpy as np
import pytest

from digit_recognizer.app.corrections_manager import (
    CONFLICT_MARK,
    CONFLICT_TEXT,
    corrections_dialog,
)
from digit_recognizer.app.teaching import add_correction, read_corrections, relabel_correction
from digit_recognizer.app.personal_model import left_out_records
from digit_recognizer.core.conflicts import (
    CONFLICTS_FILE,
    CorrectionConflict,
    LeftOut,
    marked,
    read_conflicts,
    record_conflict,
)
from digit_recognizer.core.results import ModelError


def sample(k: int) -> np.ndarray:
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 4 + k] = 200 + k
    return image


@pytest.fixture
def data(tmp_path):
    """A user's data folder with three corrections: a 1, a 9 and a 7."""
    for k, label in enumerate((1, 9, 7)):
        add_correction(sample(k), label, tmp_path / "corrections")
    return tmp_path


def test_a_recorded_conflict_marks_that_correction_and_no_other(data):
    folder = data / "corrections"
    record_conflict(folder, sample(1), 9, "Correction 2, a 4 taught as a 9, conflicts …")
    saved = read_corrections(folder)
    assert marked(folder, saved.images, saved.labels).tolist() == [False, True, False]
    assert list(read_conflicts(folder).values()) == ["Correction 2, a 4 taught as a 9, conflicts …"]


def test_relabelling_a_conflicting_correction_clears_its_mark(data):
    folder = data / "corrections"
    record_conflict(folder, sample(1), 9, "…")
    relabel_correction(1, 4, folder)
    saved = read_corrections(folder)
    assert not marked(folder, saved.images, saved.labels).any()


def test_an_unreadable_conflicts_file_marks_nothing(data):
    folder = data / "corrections"
    (folder / CONFLICTS_FILE).write_text("{not json")
    assert read_conflicts(folder) == {}
    (folder / CONFLICTS_FILE).write_text(json.dumps([1, 2]))
    assert read_conflicts(folder) == {}


def test_a_left_out_correction_says_which_it_is_and_what_learning_it_would_cost():
    by_class = LeftOut(2, 9, 4, 4.67, lost_class=4)
    assert by_class.sentence() == ("Correction 3, a 4 taught as a 9, conflicts with how most "
                                   "people write: learning it would cost 4.7 points on other "
                                   "people's 4s.")
    assert LeftOut(0, 8, 0, 1.04).sentence() == (
        "Correction 1, a 0 taught as an 8, conflicts with how most people write: learning it "
        "would cost 1.0 points on other people's digits.")
    assert LeftOut(4, 1, 7).sentence() == ("Correction 5, a 7 taught as a 1, conflicts with "
                                           "how most people write, as an earlier fit found.")
    record = by_class.record()
    assert record["sentence"] == by_class.sentence()
    assert LeftOut.from_record(json.loads(json.dumps(record))) == by_class
    with pytest.raises(ValueError, match="not a left-out correction's record"):
        LeftOut.from_record({"index": 1})


def test_after_a_refused_fit_the_surest_misreading_and_its_kind_are_blamed():
    from digit_recognizer.training.fine_tuning.pipeline import blame

    labels = np.array([1, 9, 9, 9, 7, 9])
    read = np.full((6, 10), 0.01)
    for row, (digit, sure) in enumerate([(1, .9), (4, .6), (4, .95), (7, .9), (7, .9),
                                         (4, .5)]):
        read[row, digit] = sure
    read[3, 9] = 0.001  # the 7 taught as a 9: the one least read as taught
    keep = np.ones(6, bool)
    assert blame(read, labels, keep).tolist() == [3]
    assert blame(read, labels, keep, lost_class=4).tolist() == [1, 2, 5]  # every 4 taught as 9
    keep[[1, 2, 3, 5]] = False
    assert blame(read, labels, keep).tolist() == []  # each kept one is read as taught


@pytest.mark.parametrize("metadata, count", [
    ({"left_out": [LeftOut(1, 9, 4, 2.5, 4).record()]}, 1),
    ({}, 0),
    ({"left_out": [{"index": "what"}]}, 0),  # another version's form: none read, no error
], ids=["one", "none recorded", "unreadable"])
def test_the_window_reads_what_its_model_left_out_from_the_metadata(metadata, count):
    assert len(left_out_records(metadata)) == count


def test_the_corrections_manager_marks_a_conflicting_correction(display, data):
    folder = data / "corrections"
    record_conflict(folder, sample(1), 9, "…")
    root = tk.Tk()
    try:
        ttk.Style(root).theme_use("clam")
        dialog = corrections_dialog(root, folder)
        root.update()
        assert [tile.cget("text") for tile in dialog.tiles] == ["1", f"9 {CONFLICT_MARK}", "7"]
        assert dialog.message.cget("text") == CONFLICT_TEXT
    finally:
        root.destroy()


@pytest.mark.parametrize("error, tone", [
    (CorrectionConflict("none of the corrections can be learned, so your model stays as it "
                        "was."), "warning"),  # the guard kept the model on purpose
    (ModelError("The model process stopped."), "error"),
], ids=["refused", "broken"])
def test_a_refused_fit_is_a_warning_and_a_broken_one_an_error(error, tone, data):
    from types import SimpleNamespace

    from digit_recognizer.app.background.engine import Engine
    from digit_recognizer.app.background.job_results import Lesson
    from digit_recognizer.app.user_files import PersonalTeaching

    def teacher(*args):
        raise error

    lesson = Lesson("model2", data / "corrections", data / "my_model.keras", label=9)
    failed = Engine(load_recognizer=lambda choice: None, teacher=teacher).personalise(lesson)
    assert failed.refused == isinstance(error, CorrectionConflict)

    said = []
    app = SimpleNamespace(
        corrections=data / "corrections",
        model_worker=SimpleNamespace(has_pending=lambda kind: False),
        taking_back=SimpleNamespace(learned=lambda lesson, fitted: None),
        say=lambda message, details=None, tone="info": said.append((message, tone)))
    PersonalTeaching(app, teacher=None).on_failed(failed)
    assert said == [(f"Saved as a 9, but your model could not learn it: "
                     f"{str(error).rstrip('.')}.", tone)]
