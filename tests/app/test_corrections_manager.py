"""Model ▸ Corrections…: the grid of saved samples, and teaching's delete, relabel and export.

The dialog runs as real Tk on the session's virtual display (the ``display`` fixture); the
samples are saved with ``add_correction`` in a temporary folder, never the user's.

    python -m pytest tests/test_corrections_manager.py -q
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

import numpy as np
import pytest
from PIL import Image

from digit_recognizer.app.corrections_manager import EMPTY_TEXT, corrections_dialog
from digit_recognizer.app.teaching import (
    IMAGES_FILE,
    TeachingError,
    add_correction,
    delete_correction,
    export_corrections,
    read_corrections,
    relabel_correction,
    restore_correction,
)
from digit_recognizer.core.datasets.idx_folder import read_idx_pair

LABELS = [3, 1, 4, 1, 5]


def sample(k: int) -> np.ndarray:
    """A 28x28 uint8 image that tells sample ``k`` apart from the others."""
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 4 + k] = 200 + k
    return image


@pytest.fixture
def folder(tmp_path):
    """A corrections folder holding ``LABELS`` as samples 0-4."""
    path = tmp_path / "corrections"
    for k, label in enumerate(LABELS):
        add_correction(sample(k), label, path)
    return path


@pytest.fixture
def root(display):
    """A fresh Tk root, themed as the app's window, destroyed after the test."""
    window = tk.Tk()
    ttk.Style(window).theme_use("clam")
    window.geometry("680x400+0+0")
    yield window
    window.destroy()


@pytest.fixture
def changes():
    """A list that an ``on_change`` callback appends to, one item per call."""
    return []


@pytest.fixture
def dialog(root, folder, changes):
    opened = corrections_dialog(root, folder, on_change=lambda: changes.append(1))
    root.update()
    return opened


def saved_labels(folder) -> list[int]:
    return read_corrections(folder).labels.tolist()


def press(root: tk.Tk, top: tk.Toplevel, key: str) -> None:
    """Press ``key`` (a keysym) in ``top``, as a user would with the dialog focused."""
    top.focus_force()
    root.update()
    top.focus_get().event_generate(f"<KeyPress-{key}>")
    root.update()


# -- the dialog ----------------------------------------------------------------------------------


def test_grid_shows_one_tile_per_sample_with_its_label(dialog):
    assert [tile.cget("text") for tile in dialog.tiles] == [str(label) for label in LABELS]
    assert dialog.count_label.cget("text") == "5 corrections"
    assert all(tile.winfo_ismapped() for tile in dialog.tiles)


def test_click_selects_and_highlights_one_tile(root, dialog):
    dialog.tiles[2].event_generate("<Button-1>", x=5, y=5)
    root.update()
    assert dialog.selected == 2
    colours = [str(tile.cget("background")) for tile in dialog.tiles]
    assert len({colours[2], colours[0]}) == 2 and len(set(colours)) == 2


def test_delete_removes_that_sample_on_disk_and_calls_on_change(root, dialog, folder, changes):
    dialog.select(1)
    press(root, dialog, "Delete")
    saved = read_corrections(folder)
    assert saved.labels.tolist() == [3, 4, 1, 5]
    assert [int(image[10, 4:9].argmax()) for image in saved.images] == [0, 2, 3, 4]
    assert changes == [1]
    assert len(dialog.tiles) == 4 and dialog.count_label.cget("text") == "4 corrections"
    assert dialog.selected == 1  # the next one, ready for another Delete


def ctrl_z(root: tk.Tk, top: tk.Toplevel) -> None:
    top.focus_force()
    root.update()
    top.focus_get().event_generate("<Control-z>")
    root.update()


def folder_bytes(folder) -> list[bytes]:
    return [path.read_bytes() for path in sorted(folder.glob("*-ubyte"))]


def test_ctrl_z_brings_deleted_samples_back_exactly_last_first(root, dialog, folder, changes):
    before = folder_bytes(folder)
    assert not dialog.undo_button.instate(["!disabled"])  # nothing deleted yet
    dialog.select(1)
    press(root, dialog, "Delete")
    dialog.select(3)  # the 5, once the first 1 is gone
    press(root, dialog, "Delete")
    assert saved_labels(folder) == [3, 4, 1]
    ctrl_z(root, dialog)
    assert saved_labels(folder) == [3, 4, 1, 5] and dialog.selected == 3
    assert dialog.message.cget("text") == "Brought back a 5."
    ctrl_z(root, dialog)
    assert folder_bytes(folder) == before  # the same samples, labels and order, byte for byte
    assert dialog.selected == 1 and [t.cget("text") for t in dialog.tiles] == ["3", "1", "4",
                                                                                "1", "5"]
    assert changes == [1, 1, 1, 1]  # each change refits the model
    assert not dialog.undo_button.instate(["!disabled"])
    ctrl_z(root, dialog)  # nothing left to bring back: nothing changes
    assert changes == [1, 1, 1, 1] and folder_bytes(folder) == before


def test_the_undo_delete_button_brings_the_sample_back(root, dialog, folder, changes):
    dialog.select(0)
    dialog.delete_selected()
    assert dialog.undo_button.instate(["!disabled"])
    dialog.undo_button.invoke()
    assert saved_labels(folder) == LABELS
    assert dialog.tiles[0].cget("text") == "3"


def test_a_sample_taught_again_since_its_delete_is_not_brought_back_twice(folder):
    delete_correction(0, folder)
    add_correction(sample(0), 3, folder)  # the same drawing, taught again meanwhile
    assert restore_correction(0, sample(0), 3, folder) == 5
    assert saved_labels(folder) == [1, 4, 1, 5, 3]


def test_digit_key_relabels_the_selected_sample_on_disk(root, dialog, folder, changes):
    dialog.select(4)
    press(root, dialog, "7")
    assert saved_labels(folder) == [3, 1, 4, 1, 7]
    assert dialog.tiles[4].cget("text") == "7"
    assert changes == [1]


def test_relabel_menu_relabels_the_selected_sample(dialog, folder, changes):
    dialog.select(0)
    menu = dialog.relabel_button.nametowidget(dialog.relabel_button.cget("menu"))
    menu.invoke(9)
    assert saved_labels(folder) == [9, 1, 4, 1, 5]
    assert changes == [1]


def test_relabel_to_the_same_label_changes_nothing(dialog, folder, changes):
    dialog.select(0)
    dialog.relabel_selected(LABELS[0])
    assert saved_labels(folder) == LABELS and changes == []


def test_many_samples_scroll_and_the_selected_one_is_scrolled_into_view(root, tmp_path):
    for k in range(40):  # 5 rows of 8: more than fit
        add_correction(sample(k % 20) // (1 + k // 20), k % 10, tmp_path)  # 40 drawings
    many = corrections_dialog(root, tmp_path)
    root.update()
    assert many.samples.scrollbar.winfo_ismapped() and many.samples.canvas.yview()[0] == 0
    many.select(39)
    root.update()
    assert many.samples.canvas.yview()[1] == pytest.approx(1)


def test_export_as_png_writes_one_folder_per_label(dialog, folder, tmp_path):
    dialog.ask_folder = lambda: str(tmp_path / "png")
    menu = dialog.export_button.nametowidget(dialog.export_button.cget("menu"))
    menu.invoke(0)
    files = sorted(p.relative_to(tmp_path / "png").as_posix()
                   for p in (tmp_path / "png").rglob("*.png"))
    assert files == ["1/1.png", "1/3.png", "3/0.png", "4/2.png", "5/4.png"]
    assert np.array_equal(np.asarray(Image.open(tmp_path / "png" / "4" / "2.png")), sample(2))


def test_export_as_idx_reads_back_equal(dialog, folder, tmp_path, changes):
    assert dialog.export(tmp_path / "idx", as_png=False) == tmp_path / "idx"
    exported, saved = read_idx_pair(tmp_path / "idx"), read_corrections(folder)
    assert np.array_equal(exported.images, saved.images)
    assert exported.labels.tolist() == LABELS
    assert changes == []  # nothing saved changed: no refit


def test_export_into_a_folder_with_files_shows_one_sentence(dialog, folder):
    assert dialog.export(folder, as_png=False) is None
    assert "not an empty folder" in dialog.message.cget("text")
    assert "\n" not in dialog.message.cget("text")


def test_empty_folder_shows_how_to_add_some(root, tmp_path):
    empty = corrections_dialog(root, tmp_path / "none-yet")
    root.update()
    assert empty.tiles == []
    assert empty.count_label.cget("text") == "0 corrections"
    assert empty.empty_label.winfo_ismapped() and empty.empty_label.cget("text") == EMPTY_TEXT
    assert "Wrong? It is really a" in EMPTY_TEXT
    assert empty.export_button.instate(["disabled"])


def test_unreadable_folder_shows_one_sentence_and_no_traceback(root, folder):
    (folder / IMAGES_FILE).write_bytes(b"not an IDX file")
    broken = corrections_dialog(root, folder)
    root.update()
    text = broken.message.cget("text")
    assert "unreadable" in text and "Traceback" not in text and "\n" not in text
    assert broken.tiles == [] and not broken.empty_label.winfo_ismapped()


def test_change_that_fails_shows_one_sentence_and_calls_nothing(dialog, folder, changes):
    dialog.select(0)
    (folder / IMAGES_FILE).write_bytes(b"not an IDX file")
    dialog.delete_selected()
    assert "unreadable" in dialog.message.cget("text")
    assert changes == []


def test_escape_closes(root, dialog):
    press(root, dialog, "Escape")
    assert not dialog.winfo_exists()


# -- teaching's functions ------------------------------------------------------------------------


def test_delete_returns_how_many_are_left(folder):
    assert delete_correction(4, folder) == 4
    assert saved_labels(folder) == [3, 1, 4, 1]


@pytest.mark.parametrize("index", [5, -1, True, 1.0])
def test_index_out_of_range_is_refused(folder, index):
    with pytest.raises(TeachingError, match="no correction"):
        delete_correction(index, folder)
    with pytest.raises(TeachingError, match="no correction"):
        relabel_correction(index, 2, folder)
    assert saved_labels(folder) == LABELS


@pytest.mark.parametrize("label", [10, -1, "3", False])
def test_label_not_a_digit_is_refused(folder, label):
    with pytest.raises(TeachingError, match="0-9"):
        relabel_correction(0, label, folder)
    assert saved_labels(folder) == LABELS


def test_missing_folder_is_refused_and_not_created(tmp_path):
    with pytest.raises(TeachingError, match="no such folder"):
        delete_correction(0, tmp_path / "missing")
    assert not (tmp_path / "missing").exists()


def test_export_of_no_corrections_is_refused(tmp_path):
    with pytest.raises(TeachingError, match="no corrections"):
        export_corrections(tmp_path / "missing", tmp_path / "out", as_png=True)
