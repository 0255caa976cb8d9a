"""Issue 19's window items, seen in the real window on Xvfb: the bar labels at the window's
minimum size, the status after Ctrl+Z brings an image back, the teach confirmation, and Undo
of a teach in a window without a model process (only the correction is taken back).

    MNIST_DIR=../shared/data/mnist python -m pytest tests/app/test_window_items.py -q
"""

from __future__ import annotations

import pytest

from digit_recognizer.app.gui import DigitRecognizerApp
from digit_recognizer.app.teaching import read_corrections
from digit_recognizer.core.strokes import Stroke, render_strokes
from digit_recognizer.devtools.window_driver import answered, draw, pump_until

pytestmark = pytest.mark.usefixtures("collect_garbage_on_tk_thread")

SEVEN = [[(0.28, 0.22), (0.72, 0.22), (0.46, 0.82)]]
ONE = [[(0.53, 0.18), (0.50, 0.50), (0.47, 0.82)]]
IMAGE_UNDO = "Ctrl+Z brings back the image seven.png."




def ctrl_z(app: DigitRecognizerApp) -> None:
    app.window.canvas.focus_force()
    app.window.canvas.event_generate("<Control-z>")
    app.root.update()


def test_the_bar_labels_show_whole_at_the_windows_minimum_size(app):
    root = app.root
    root.geometry("{}x{}".format(*root.minsize()))
    pump_until(app, lambda: root.winfo_width() == root.minsize()[0], 10)
    draw(app, SEVEN)
    answered(app)
    bars = app.window.answer.bars
    for label in bars.labels:
        left, top, right, bottom = bars.bbox(label)
        assert 0 <= left and right <= bars.winfo_width()
        assert 0 <= top and bottom <= bars.winfo_height(), "a digit under the bars is cut off"
    # and the chart itself is whole inside the window
    assert bars.winfo_rooty() + bars.winfo_height() <= root.winfo_rooty() + root.winfo_height()


def test_the_corrections_count_shows_whole_at_the_windows_minimum_size(app):
    root, count = app.root, app.window.teach_bar.count_label
    root.geometry("{}x{}".format(*root.minsize()))
    count.configure(text="12 corrections saved")
    pump_until(app, lambda: root.winfo_width() == root.minsize()[0], 10)
    root.update()
    assert count.winfo_width() >= count.winfo_reqwidth()
    assert count.winfo_rootx() + count.winfo_width() <= root.winfo_rootx() + root.winfo_width()


@pytest.mark.parametrize("live", [True, False])
def test_after_ctrl_z_brings_an_image_back_the_status_is_about_the_image(app, tmp_path, live):
    if not live:
        app.window.toolbar.live_check.invoke()
    picture = tmp_path / "seven.png"
    render_strokes([Stroke(20.0, [(x * 280, y * 280) for x, y in SEVEN[0]])], 280).save(picture)
    app.files.ask_open_image = lambda: str(picture)
    app.files.open_image()
    pump_until(app, lambda: app.window.canvas.drawing.image is not None, 30)
    assert answered(app) == "7"
    image_status = app.window.status.text
    draw(app, ONE)  # a new drawing in the image's place
    app.predict()
    answered(app)
    assert IMAGE_UNDO in app.window.status.text
    ctrl_z(app)
    assert app.window.canvas.drawing.image is not None
    assert answered(app) == "7"
    assert app.window.status.text == image_status  # not the stroke's text from before


def test_teaching_against_a_sure_answer_asks_first_and_no_keeps_it(app, tmp_path):
    draw(app, SEVEN)
    answered(app)
    asked = []
    app.files.confirm_teach = lambda *question: asked.append(question) or False
    app.window.teach_bar.buttons[1].invoke()
    answered(app)
    (read, confidence, digit), = asked
    assert (read, digit) == (7, 1) and confidence >= 0.99
    assert app.window.status.text == "Not taught: the model still reads it as a 7."
    assert not (tmp_path / "corrections").exists() or not len(
        read_corrections(tmp_path / "corrections"))


def test_teaching_what_the_model_reads_asks_nothing(app, tmp_path):
    draw(app, SEVEN)
    answered(app)
    app.files.confirm_teach = lambda *question: pytest.fail("asked")
    app.window.teach_bar.buttons[7].invoke()
    pump_until(app, lambda: len(read_corrections(tmp_path / "corrections")) == 1
               if (tmp_path / "corrections").exists() else False, 30)


def test_without_a_model_process_undo_takes_back_the_saved_correction(app, tmp_path):
    draw(app, SEVEN)
    answered(app)
    app.files.confirm_teach = lambda *question: True
    app.window.teach_bar.buttons[3].invoke()
    pump_until(app, lambda: app.taking_back.taught is not None, 30)
    assert app.window.status.offers_undo
    ctrl_z(app)
    pump_until(app, lambda: app.window.status.text.startswith("Took back"), 30)
    answered(app)
    assert app.window.status.text.startswith("Took back: this is a 3.")
    assert len(read_corrections(tmp_path / "corrections")) == 0
    assert app.window.canvas.strokes_in_pixels()  # the drawing is still there
    ctrl_z(app)  # the teach is taken back: Undo is the paper's again
    assert not app.window.canvas.strokes_in_pixels()


def test_no_answer_to_the_real_question_teaches_nothing(app, tmp_path):
    """The question itself (Tk's dialog): Enter picks No, and the keys work again after."""
    from test_dialog_behaviour import answer_tk_dialog, ctrl_q_quits

    draw(app, SEVEN)
    answered(app)
    answered_with = answer_tk_dialog(app.root, "<Return>")
    app.window.teach_bar.buttons[1].invoke()
    assert answered_with and answered_with[0].endswith(".no")
    assert app.window.status.text.startswith("Not taught")
    assert ctrl_q_quits(app)
