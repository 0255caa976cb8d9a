"""Number mode in the real window: numbers written with real pointer events (xdotool on the
virtual display) and with Tk's own events, read from the strokes as they were written; what
the status bar, the boxes and the charts say; Undo regroups; a digit chosen by a click on its
box is taught as a correction, and greyed teach buttons say why. The bundled models read them.

    MNIST_DIR=../shared/data/mnist python -m pytest tests/app/test_number_window.py -q
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

import numpy as np

from digit_recognizer.app.answering import PICK_A_DIGIT, WHY_NOT_TEACH
from digit_recognizer.app.gui import DigitRecognizerApp
from digit_recognizer.app.teaching import read_corrections, to_uint8_image
from digit_recognizer.app.window.answer_panel import CHOSEN_CHART, MAX_CHARTS
from digit_recognizer.devtools.handwriting import WrittenPage, write
from digit_recognizer.devtools.window_driver import draw, settle, shown
from digit_recognizer.devtools.window_driver import pump_until as wait_until
from digit_recognizer.devtools.xvfb import draw_with_pointer
from digit_recognizer.recognition.recognizer import Recognizer

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"

pytestmark = pytest.mark.usefixtures("collect_garbage_on_tk_thread")


@pytest.fixture(scope="module")
def loader():
    """The bundled models, each loaded once for the module (ONNX: no TensorFlow)."""
    cache, lock = {}, threading.Lock()

    def load(choice: str) -> Recognizer:
        with lock:
            if choice not in cache:
                cache[choice] = Recognizer.from_choice(choice, MODELS_DIR, runtime="onnx")
            return cache[choice]

    return load


@pytest.fixture
def app(open_window, loader, tmp_path, monkeypatch) -> DigitRecognizerApp:
    """A window in number mode, its model loaded and ready; it saves corrections in
    ``tmp_path / "corrections"`` (no personal model: none is fitted)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    window = open_window(loader, models_dir=MODELS_DIR, corrections=tmp_path / "corrections",
                         settings_file=tmp_path / "config" / "settings.json")
    wait_until(window, lambda: window.recognizer is not None and window.state == "ready")
    window.window.toolbar.number_check.invoke()
    return window


def boxes(app: DigitRecognizerApp) -> int:
    canvas = app.window.canvas
    return sum(canvas.type(item) == "rectangle" for item in canvas.find_withtag("box"))


def write_with_pointer(app: DigitRecognizerApp, page: WrittenPage) -> None:
    """Write ``page``'s strokes on the paper with xdotool, stroke after stroke, the window's
    event loop running meanwhile (as a person's hand and the app's loop run side by side)."""
    canvas = app.window.canvas
    app.root.update()
    x, y, side = canvas.winfo_rootx(), canvas.winfo_rooty(), canvas.side
    env = {**os.environ, "DISPLAY": os.environ["DISPLAY"]}
    for count, stroke in enumerate(page.fractions(), 1):
        corners = stroke if len(stroke) > 1 else stroke * 2
        done = threading.Event()

        def move(corners=corners) -> None:
            try:
                draw_with_pointer(corners, x, y, side, env)
            finally:
                done.set()

        threading.Thread(target=move, daemon=True).start()
        # until xdotool is done and the window has had the release: the stroke is down
        wait_until(app, lambda count=count: done.is_set() and not canvas.find_withtag("pen")
                   and len(canvas.drawing.strokes) == count, timeout=60)


def page_of(text: str, **options) -> WrittenPage:
    """``text`` written as the tests write it: digits 80 px tall on the default paper."""
    return write(text, height=80, **options)


@pytest.mark.parametrize("text, options", [
    ("1945", {}),  # a 4 in two strokes, the 5's bar written after its body
    ("00", {"touch": True}),  # two zeros touching
    ("72", {}),  # a crossed 7
    ("3.14", {}),  # a decimal point
])
def test_a_number_written_with_real_pointer_events_is_read_right(app, text, options):
    subprocess.run(["xdotool", "version"], check=True, capture_output=True)  # installed
    write_with_pointer(app, page_of(text, **options))
    settle(app)
    assert shown(app) == text
    assert boxes(app) == sum(c.isdigit() for c in text)
    assert text in app.window.status.text


def test_the_status_bar_says_the_numbers_and_their_rows(app):
    app.window.toolbar.brush_var.set(10)  # a thinner pen for digits written small
    page = write("12 34\n56", height=60, pen=10)
    draw(app, page.fractions())
    settle(app)
    assert shown(app) == "12 34\n56"
    assert app.window.status.text.startswith("Read the numbers 12 34 / 56 in 2 rows")


def test_undo_takes_back_the_last_stroke_and_regroups(app):
    draw(app, page_of("31", touch=True).fractions())  # the 1 touches the 3
    settle(app)
    assert shown(app) == "31" and boxes(app) == 2
    app.window.undo()  # Ctrl+Z
    settle(app)
    assert shown(app) == "3" and boxes(app) == 1


def test_the_boxes_follow_the_paper_when_it_grows(app):
    draw(app, write("72").fractions())
    settle(app)
    canvas = app.window.canvas
    frames = [i for i in canvas.find_withtag("box") if canvas.type(i) == "rectangle"]
    before = [canvas.coords(i) for i in frames]
    side = canvas.side
    canvas.resize(2 * side)  # the window made larger
    frames = [i for i in canvas.find_withtag("box") if canvas.type(i) == "rectangle"]
    assert shown(app) == "72" and len(frames) == 2
    for old, new in zip(before, [canvas.coords(i) for i in frames]):
        # the 4 px margin around each box stays 4 px: the box itself doubles
        assert new == pytest.approx([2 * (c + 4) - 4 if k < 2 else 2 * (c - 4) + 4
                                     for k, c in enumerate(old)])
    canvas.resize(side)
    draw(app, [[(0.9, 0.9), (0.92, 0.92)]])  # a new stroke: the old boxes go
    assert boxes(app) == 0


def test_a_digits_label_stays_on_the_paper_when_written_against_its_top(app):
    draw(app, write("7", margin=2.0).fractions())  # the 7's bar at the paper's top edge
    settle(app)
    canvas = app.window.canvas
    labels = canvas.find_withtag("pick")
    assert shown(app) == "7" and len(labels) == 1
    assert canvas.bbox(labels[0])[1] >= 0


def test_a_number_longer_than_the_charts_pages_on_a_click_of_their_caption(app):
    draw(app, write("31415926", height=40).fractions())
    settle(app)
    panel = app.window.answer
    assert len(shown(app)) == 8 and len(panel.number_bars) == MAX_CHARTS
    caption = panel.bars_caption
    assert str(caption.cget("text")).startswith("Digits 1–6 of 8")
    caption.event_generate("<Button-1>")
    app.root.update()
    assert str(caption.cget("text")).startswith("Digits 7–8 of 8")
    assert [chart.digit for chart in panel.number_bars] == [int(c) for c in shown(app)[6:]]
    caption.event_generate("<Button-1>")  # and round to the first again
    app.root.update()
    assert str(caption.cget("text")).startswith("Digits 1–6 of 8")


def test_the_empty_paper_invites_a_number_in_number_mode_and_a_digit_outside_it(app):
    canvas = app.window.canvas
    assert canvas.hint == "Write a number here"
    app.window.toolbar.toggle_number_mode()  # Ctrl+N
    assert canvas.hint == "Draw a digit here"
    app.window.toolbar.toggle_number_mode()
    assert canvas.hint == "Write a number here"


def test_f1_says_how_to_write_a_number(app):
    rows = dict(app_shortcut_rows(app))
    assert "Numbers" in rows and "decimal point" in " ".join(a for _, a in app_shortcut_rows(app))
    assert "To correct one digit, click its chart" in " ".join(a for _, a in app_shortcut_rows(app))


def app_shortcut_rows(app: DigitRecognizerApp) -> list[tuple[str, str]]:
    """(keys, action) of each row of the window F1 opens, closed again."""
    app.window.canvas.focus_force()
    app.root.update()
    app.window.canvas.event_generate("<F1>")
    app.root.update()
    [top] = [w for w in app.root.winfo_children() if w.winfo_class() == "Toplevel"]
    rows, i = [], 0
    while True:
        try:
            keys, action = (top.nametowidget(f"body.{part}{i}") for part in ("keys", "action"))
        except KeyError:
            break
        rows.append((str(keys.cget("text")), str(action.cget("text"))))
        i += 1
    top.destroy()
    return rows


# -- correcting one digit of a number ----------------------------------------------------------


def click_with_pointer(app: DigitRecognizerApp, widget, x: float, y: float,
                       click: bool = True) -> None:
    """A real click (xdotool) at (x, y) in ``widget`` (``click`` False: the pointer only moves
    there), the window's loop running meanwhile; its events may still be on their way when
    this returns."""
    app.root.update()
    screen = (str(round(widget.winfo_rootx() + x)), str(round(widget.winfo_rooty() + y)))
    done = threading.Event()

    def move() -> None:
        try:
            subprocess.run(["xdotool", "mousemove", *screen, *(["click", "1"] if click else [])],
                           check=True, timeout=30, env={**os.environ})
        finally:
            done.set()

    threading.Thread(target=move, daemon=True).start()
    wait_until(app, lambda: done.is_set(), timeout=30)


def box_label(app: DigitRecognizerApp, index: int) -> tuple[float, float]:
    """The middle of digit ``index``'s label (the digit written at its box's corner)."""
    canvas = app.window.canvas
    [label] = [item for item in canvas.find_withtag(f"digit{index}")
               if canvas.type(item) == "text"]
    x0, y0, x1, y1 = canvas.bbox(label)
    return (x0 + x1) / 2, (y0 + y1) / 2


def teach_buttons_on(app: DigitRecognizerApp) -> bool:
    return all(not button.instate(["disabled"]) for button in app.window.teach_bar.buttons)


def test_greyed_teach_buttons_say_why(app):
    bar = app.window.teach_bar
    assert not teach_buttons_on(app)
    assert bar.prompt.cget("text") == bar.reason == "Draw a digit first"
    draw(app, page_of("72").fractions())
    settle(app)
    assert shown(app) == "72" and not teach_buttons_on(app)
    assert bar.prompt.cget("text") == bar.reason == PICK_A_DIGIT
    bar.buttons[5].invoke()  # a disabled button does nothing; Ctrl+5 says how instead
    app.window.canvas.focus_force()
    app.window.canvas.event_generate("<Control-Key-5>")
    app.root.update()
    assert app.window.status.text == WHY_NOT_TEACH[PICK_A_DIGIT] == bar.tip
    button = bar.buttons[5]  # the pointer resting on a greyed button: the tooltip says it too
    click_with_pointer(app, button, button.winfo_width() / 2, button.winfo_height() / 2,
                       click=False)
    wait_until(app, lambda: bar.tooltip.top is not None, timeout=10)
    [tip] = bar.tooltip.top.winfo_children()
    assert tip.cget("text") == WHY_NOT_TEACH[PICK_A_DIGIT]
    assert read_corrections(app.corrections).labels.tolist() == []


def test_a_click_on_the_second_digits_box_teaches_that_digit(app):
    """Written and clicked with real pointer events; the correction is that digit's own
    28x28 input, the one the number reader classified, with the label taught."""
    write_with_pointer(app, page_of("72"))
    settle(app)
    assert shown(app) == "72"
    number = app.answering.number
    canvas, bar, panel = app.window.canvas, app.window.teach_bar, app.window.answer
    click_with_pointer(app, canvas, *box_label(app, 1))
    wait_until(app, lambda: app.answering.chosen == 1, timeout=10)
    assert teach_buttons_on(app)
    assert len(canvas.drawing.strokes) == len(page_of("72").fractions())  # no stroke added
    assert bar.prompt.cget("text") == "Digit 2 is really a"
    assert str(panel.confidence_label.cget("text")).startswith("Digit 2: a 2")
    assert panel.number_bars[1].cget("background") == CHOSEN_CHART
    [frame] = [item for item in canvas.find_withtag("digit1") if canvas.type(item) == "rectangle"]
    [mark] = canvas.find_withtag("chosen")  # the one being corrected: framed once more
    assert frame in canvas.find_enclosed(*canvas.bbox(mark))
    app.files.confirm_teach = lambda *question: True  # the model is sure it is a 2
    button = bar.buttons[3]
    click_with_pointer(app, button, button.winfo_width() / 2, button.winfo_height() / 2)
    wait_until(app, lambda: len(read_corrections(app.corrections)) == 1, timeout=30)
    saved = read_corrections(app.corrections)
    assert saved.labels.tolist() == [3]
    assert np.array_equal(saved.images[0], to_uint8_image(number.digits[1].input))
    wait_until(app, lambda: bar.count_label.cget("text") == "1 correction saved", timeout=30)


def test_a_digits_chart_chooses_it_and_a_new_stroke_ends_the_choice(app):
    draw(app, page_of("72").fractions())
    settle(app)
    chart = app.window.answer.number_bars[0]
    click_with_pointer(app, chart, chart.winfo_width() / 2, chart.winfo_height() / 2)
    wait_until(app, lambda: app.answering.chosen == 0, timeout=10)
    assert teach_buttons_on(app)
    assert app.window.teach_bar.prompt.cget("text") == "Digit 1 is really a"
    draw(app, [[(0.1, 0.9), (0.2, 0.9)]])  # a stroke under the number: another drawing
    settle(app)
    assert app.answering.chosen is None and not teach_buttons_on(app)
