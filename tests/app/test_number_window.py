"""Number mode in the real window: numbers written with real pointer events (xdotool on the
virtual display) and with Tk's own events, read from the strokes as they were written; what
the status bar, the boxes and the charts say; Undo regroups. The bundled models read them.

    MNIST_DIR=../shared/data/mnist python -m pytest tests/app/test_number_window.py -q
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from digit_recognizer.app.gui import DigitRecognizerApp
from digit_recognizer.app.window.answer_panel import MAX_CHARTS
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
    """A window in number mode, its model loaded and ready."""
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


def test_f1_says_how_to_write_a_number(app):
    rows = dict(app_shortcut_rows(app))
    assert "Numbers" in rows and "decimal point" in " ".join(a for _, a in app_shortcut_rows(app))


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
