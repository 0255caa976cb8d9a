"""Corrections the guard refused (``core.conflicts``): recorded beside the corrections by the
window's loader, left out of later fits, marked in Model ▸ Corrections…."""

from __future__ import annotations

import json
import tkinter as tk
from tkinter import ttk

import numpy as np
import pytest

from digit_recognizer.app.background.model_loading import ModelLoader
from digit_recognizer.app.corrections_manager import (
    CONFLICT_MARK,
    CONFLICT_TEXT,
    corrections_dialog,
)
from digit_recognizer.app.teaching import add_correction, read_corrections, relabel_correction
from digit_recognizer.core.conflicts import (
    CONFLICTS_FILE,
    CorrectionConflict,
    conflict_key,
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


def test_the_conflict_sentence_names_the_correction_and_what_was_kept():
    error = CorrectionConflict(2, 9, 4, 1.04)
    assert isinstance(error, ModelError)
    assert str(error) == ("Correction 3, a 4 taught as a 9, conflicts with how most people "
                          "write: learning it would cost 1.0 points on other people's digits, "
                          "so the previous model is kept.")
    assert CorrectionConflict(*error.args_for_pipe()).args == error.args
    assert str(CorrectionConflict(0, 3, 3, 0.5, together=True)).startswith(
        "Your corrections together would cost 0.5 points")


class FakeChild:
    """The model process, as far as the loader's ``personalise`` uses it."""

    def __init__(self, refuse: int | None) -> None:
        self.refuse, self.taught = refuse, []

    def personalise(self, base, images, labels, out, *options):
        self.taught.append(labels.tolist())
        if self.refuse is not None:
            raise CorrectionConflict(self.refuse, int(labels[self.refuse]), 4, 0.9)


def test_a_refused_fit_records_the_conflict_and_later_fits_leave_it_out(data, monkeypatch):
    loader = ModelLoader(personal=data / "my_model.keras")
    saved = read_corrections(data / "corrections")
    first = FakeChild(refuse=1)
    monkeypatch.setattr(loader, "_child", lambda: first)
    with pytest.raises(CorrectionConflict, match="^Correction 2, a 4 taught as a 9"):
        loader.personalise("model2", saved.images, saved.labels, data / "my_model.keras")
    assert list(read_conflicts(data / "corrections")) == [conflict_key(sample(1), 9)]

    later = FakeChild(refuse=1)  # the 7, now second of those fitted, is refused in its turn
    monkeypatch.setattr(loader, "_child", lambda: later)
    with pytest.raises(CorrectionConflict, match="^Correction 3, a 4 taught as a 7"):
        loader.personalise("model2", saved.images, saved.labels, data / "my_model.keras")
    assert later.taught == [[1, 7]]  # the 9 marked before was left out


def test_when_every_correction_conflicts_nothing_is_fitted(data, monkeypatch):
    folder = data / "corrections"
    saved = read_corrections(folder)
    for image, label in zip(saved.images, saved.labels):
        record_conflict(folder, image, label, "…")
    loader = ModelLoader(personal=data / "my_model.keras")
    child = FakeChild(refuse=None)
    monkeypatch.setattr(loader, "_child", lambda: child)
    with pytest.raises(ModelError, match="every correction left conflicts"):
        loader.personalise("model2", saved.images, saved.labels, data / "my_model.keras")
    assert child.taught == []


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
    (CorrectionConflict(1, 9, 4, 0.9), "warning"),  # the guard kept the model on purpose
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
