"""Issue 27 item 8's rough edges, seen in the real window on Xvfb: an opened photo scales with
the paper, the status after opening names the photo and its answer, and Ctrl+Z's hint names
the image it brings back.

    MNIST_DIR=../shared/data/mnist python -m pytest tests/app/test_window_edges.py -q
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.app.gui import DigitRecognizerApp
from digit_recognizer.app.teaching import add_correction
from digit_recognizer.app.window import folder_chooser
from digit_recognizer.core.strokes import Stroke, render_strokes
from digit_recognizer.devtools.window_driver import answered, draw, pump_until

pytestmark = pytest.mark.usefixtures("collect_garbage_on_tk_thread")

SEVEN = [[(0.28, 0.22), (0.72, 0.22), (0.46, 0.82)]]
ONE = [[(0.53, 0.18), (0.50, 0.50), (0.47, 0.82)]]
CHOOSER_PATIENCE = 40  # steps of 50 ms after the last Enter before a chooser is cancelled




def open_seven(app: DigitRecognizerApp, folder: Path, side: int = 280) -> Path:
    """File ▸ Open image… on a ``side``-pixel picture of a 7 named seven.png."""
    picture = folder / "seven.png"
    render_strokes([Stroke(side / 14, [(x * side, y * side) for x, y in SEVEN[0]])],
                   side).save(picture)
    app.files.ask_open_image = lambda: str(picture)
    app.files.open_image()
    pump_until(app, lambda: app.window.canvas.drawing.image is not None, 30)
    return picture


def photo_width(app: DigitRecognizerApp) -> int:
    """How wide the opened image is drawn on the paper, in screen pixels."""
    left, _, right, _ = app.window.canvas.bbox("photo")
    return right - left


def test_an_opened_photo_grows_and_shrinks_with_the_paper(app, tmp_path):
    canvas = app.window.canvas
    open_seven(app, tmp_path, side=200)  # smaller than the paper: enlarged to fill it
    answered(app)
    assert photo_width(app) == pytest.approx(canvas.side, abs=2)
    before = canvas.side
    app.root.geometry("1100x900")
    pump_until(app, lambda: canvas.side > before * 1.4, 10)
    app.root.update()
    assert photo_width(app) == pytest.approx(canvas.side, abs=2)
    app.root.geometry("{}x{}".format(*app.root.minsize()))
    pump_until(app, lambda: canvas.side < before, 10)
    app.root.update()
    assert photo_width(app) == pytest.approx(canvas.side, abs=2)


def test_after_opening_a_photo_the_status_names_it_and_says_what_was_read(app, tmp_path):
    draw(app, ONE)
    assert answered(app) == "1"
    before = app.window.status.text
    open_seven(app, tmp_path)
    assert answered(app) == "7"
    text = app.window.status.text
    assert text != before
    assert text.startswith("seven.png: It looks like a 7 (")


def test_ctrl_z_s_hint_names_the_image_it_brings_back(app, tmp_path):
    open_seven(app, tmp_path)
    answered(app)
    draw(app, ONE)
    # "A new drawing: <hint>" until the answer comes, then the answer and the hint; a live
    # answer may already be there, so either may show now.
    assert app.window.status.text.endswith(": Ctrl+Z brings back the image seven.png.") or \
        app.window.status.text.startswith("It looks like a ")
    answered(app)
    assert app.window.status.text.endswith(" Ctrl+Z brings back the image seven.png.")


# -- Model ▸ Corrections… ▸ Export: the folder chooser ---------------------------------------


def type_in_chooser(dialog, lines: list[str], messages: list[str]) -> None:
    """Once the real folder chooser over ``dialog`` is up, type each of ``lines`` in its path
    entry and press Enter; a message box that opens meanwhile is read into ``messages`` and
    closed with its OK button. A chooser still open well after the last Enter is cancelled,
    so that a test of a chooser that ignores Enter fails instead of waiting for ever."""
    call, chooser = dialog.tk.call, folder_chooser.chooser_path(dialog)
    entry, box = f"{chooser}.{folder_chooser.ENTRY}", f"{chooser}.__tk__messagebox"
    queue, spare = list(lines), [CHOOSER_PATIENCE]

    def step() -> None:
        open_ = int(call("winfo", "exists", chooser)) and int(call("winfo", "ismapped", chooser))
        if not queue and not int(call("winfo", "exists", box)):
            spare[0] -= 1
            if open_ and not spare[0]:
                call(f"{chooser}.contents.f2.cancel", "invoke")
                return
        # the next step first: Enter on a file opens a message box, which waits in here
        dialog.after(50, step)
        if int(call("winfo", "exists", box)):
            messages.append(str(call(f"{box}.msg", "cget", "-text")))
            call(f"{box}.ok", "invoke")
        elif open_ and queue:
            call(entry, "delete", 0, "end")
            call(entry, "insert", 0, queue.pop(0))
            call("focus", "-force", entry)
            call("event", "generate", entry, "<Return>")

    dialog.after(50, step)


@pytest.fixture
def manager(app, tmp_path):
    add_correction(np.eye(28, dtype=np.uint8) * 200, 4, tmp_path / "corrections")
    dialog = app.files.manage_corrections()
    app.root.update()
    return dialog


def test_a_new_folder_typed_in_the_export_chooser_and_enter_chooses_it(manager, tmp_path):
    messages: list[str] = []
    type_in_chooser(manager, [str(tmp_path / "exports" / "monday")], messages)
    assert manager.ask_folder() == str(tmp_path / "exports" / "monday")
    assert messages == []


def test_an_existing_folder_typed_in_the_chooser_relative_to_the_shown_one_is_chosen(manager,
                                                                                    tmp_path):
    (tmp_path / "exports").mkdir()
    manager.start_folder.chose(tmp_path / "anything")  # the chooser shows tmp_path
    type_in_chooser(manager, ["exports"], [])
    assert manager.ask_folder() == str(tmp_path / "exports")


def test_a_file_typed_in_the_export_chooser_gets_a_message_and_the_chooser_stays(manager,
                                                                                 tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a folder")
    messages: list[str] = []
    type_in_chooser(manager, [str(notes), str(tmp_path / "out")], messages)
    assert manager.ask_folder() == str(tmp_path / "out")
    assert messages == [folder_chooser.not_a_folder_message(notes)]


# -- the layout: the paper square and as large as it can be, the answer in the rest ----------


def resize(app: DigitRecognizerApp, size: str) -> None:
    width, height = map(int, size.split("x"))
    app.root.geometry(size)
    pump_until(app, lambda: (app.root.winfo_width(), app.root.winfo_height()) == (width, height)
               and app.window.paper.winfo_height() > 1, 10)
    app.root.update()


def box(widget) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) on the screen."""
    x, y = widget.winfo_rootx(), widget.winfo_rooty()
    return x, y, x + widget.winfo_width(), y + widget.winfo_height()


def test_a_tall_window_puts_the_answer_under_a_larger_paper(app):
    w = app.window
    resize(app, "700x1000")
    room, paper, panel = box(w.paper), box(w.canvas), box(w.answer)
    assert w.layout.under
    assert panel[1] > paper[3] and (panel[0], panel[2]) == (room[0], room[2])  # under, all across
    assert abs((paper[0] - room[0]) - (room[2] - paper[2])) <= 1  # centred
    beside = room[2] - room[0] - w.answer.winfo_reqwidth()  # the most it could have beside
    assert w.canvas.side > beside * 1.2
    assert panel[3] == room[3]  # the panel takes the rest of the height
    draw(app, SEVEN)
    assert answered(app) == "7"


def test_a_wide_window_gives_the_answer_panel_the_spare_width(app):
    w = app.window
    resize(app, "1200x900")
    room, paper, panel = box(w.paper), box(w.canvas), box(w.answer)
    assert not w.layout.under
    assert paper[0] == room[0] and paper[3] - paper[1] == room[3] - room[1]  # full height
    assert panel[2] == room[2] and panel[0] - paper[2] == w.layout.gap  # the rest, no band
    assert w.answer.winfo_width() > w.answer.winfo_reqwidth()


def test_at_the_smallest_size_the_answer_stays_beside_the_paper(app):
    w = app.window
    resize(app, "{}x{}".format(*app.root.minsize()))
    assert not w.layout.under
    assert box(w.answer)[2] <= box(w.paper)[2]  # whole, inside the room
    draw(app, SEVEN)
    assert answered(app) == "7"
