"""The window says "That doesn't look like a digit" for a drawing that is none, driven like a
person drives it: pointer events in a real Tk window on a virtual display (Xvfb).

The models are the bundled ones, loaded by the window's own loader, and the threshold is the
one their training recorded in their metadata.

    MNIST_DIR=../shared/data/mnist python -m pytest tests/test_not_a_digit_window.py -q
"""

from __future__ import annotations

import gc
import tkinter as tk
import tkinter.font as tkfont
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.app.background.model_loading import load_model_choice
from digit_recognizer.app.gui import DigitRecognizerApp
from digit_recognizer.core.catalogue import (
    DEFAULT_MODEL,
    ENSEMBLE,
    find_bundled,
    recorded_threshold,
)
from digit_recognizer.core.results import NOT_A_DIGIT
from digit_recognizer.devtools.window_driver import draw, pump_until

# The windows here load the bundled models only: two minutes is ample.
wait_until = partial(pump_until, timeout=120.0)

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_DIR = ROOT / "models"
# Drawings as a person makes them: strokes of points, as fractions of the canvas side.
CROSS = [[(0.35, 0.2), (0.65, 0.8)], [(0.65, 0.2), (0.35, 0.8)]]
SCRIBBLE = [[(0.3, 0.5), (0.38, 0.25), (0.45, 0.75), (0.52, 0.3), (0.6, 0.72), (0.68, 0.3),
             (0.34, 0.62), (0.66, 0.5), (0.3, 0.4)]]
STAR = [[(0.5, 0.2), (0.68, 0.78), (0.22, 0.42), (0.78, 0.42), (0.32, 0.78), (0.5, 0.2)]]
QUESTION_MARK = [[(0.34, 0.32), (0.38, 0.22), (0.48, 0.17), (0.6, 0.2), (0.66, 0.3), (0.62, 0.4),
                  (0.52, 0.48), (0.5, 0.58), (0.5, 0.64)],
                 [(0.495, 0.76), (0.505, 0.79)]]  # the dot, a short press of the pen
# A continental 1: its flag long and steep, reaching halfway down the stem.
CONTINENTAL_ONE = [[(0.36, 0.48), (0.46, 0.34), (0.56, 0.2), (0.55, 0.5), (0.54, 0.82)]]
# Continental 1s as people write them (issue 26): the flag reaching 60% down the stem, and a
# long flag at a wide angle to the stem, nearly level.
FLAG_TO_60_PERCENT = [[(0.33, 0.57), (0.44, 0.36), (0.56, 0.18), (0.56, 0.82)]]
WIDE_ANGLE_FLAG = [[(0.22, 0.30), (0.55, 0.16), (0.54, 0.82)]]
THREE = [[(0.32, 0.28), (0.45, 0.2), (0.6, 0.22), (0.66, 0.32), (0.6, 0.44), (0.48, 0.48),
          (0.62, 0.54), (0.68, 0.66), (0.6, 0.78), (0.45, 0.8), (0.32, 0.72)]]


# -- fixtures ----------------------------------------------------------------------------------


pytestmark = pytest.mark.usefixtures("collect_garbage_on_tk_thread")


@pytest.fixture
def app(display, tmp_path, monkeypatch):
    """A window with the default model loaded by the window's own loader, ready."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    gc.collect()
    window = DigitRecognizerApp(
        tk.Tk(), partial(load_model_choice, models_dir=BUNDLED_DIR),
        preload=partial(load_model_choice, models_dir=BUNDLED_DIR, in_child=False),
        models_dir=BUNDLED_DIR, settings_file=tmp_path / "config" / "settings.json",
        corrections=tmp_path / "corrections")
    window.show_error = lambda title, message: pytest.fail(f"{title}: {message}")
    wait_until(window, lambda: window.recognizer is not None and window.state == "ready")
    yield window
    window.close()


# -- helpers -----------------------------------------------------------------------------------


def settle(app: DigitRecognizerApp) -> None:
    """Wait until the workers are idle and the newest request's answer is on screen."""
    wait_until(app, lambda: not app.model_worker.busy and app.model_worker.results.empty()
               and app.answering.up_to_date)
    app.root.update()


def shown(app: DigitRecognizerApp) -> str:
    """What the answer panel shows in the digit's place."""
    return str(app.window.answer.digit_label.cget("text"))


# -- tests -------------------------------------------------------------------------------------


def test_the_models_used_record_a_threshold():
    for choice in (DEFAULT_MODEL, ENSEMBLE.key):
        model = find_bundled(choice)
        path = BUNDLED_DIR / (model.file if model else ENSEMBLE.metadata_file)
        assert recorded_threshold(path) is not None, choice


def test_drawn_cross_is_not_a_digit(app):
    draw(app, CROSS)
    settle(app)
    assert shown(app) == NOT_A_DIGIT
    assert app.recognizer.not_a_digit_threshold is not None
    closest = str(app.window.answer.confidence_label.cget("text"))
    # The closest digit, unless none stands out of a flat output.
    assert closest == "no digit comes close" or (closest.startswith("closest: ")
                                                 and closest.endswith("%"))
    assert max(app.window.answer.bars.heights()) > 0  # the bars still show the guesses
    assert app.window.status.text.startswith(NOT_A_DIGIT)


@pytest.mark.parametrize("drawing", [SCRIBBLE, STAR], ids=["scribble", "star"])
def test_drawn_scribble_and_star_are_not_digits(app, drawing):
    draw(app, drawing)
    settle(app)
    assert shown(app) == NOT_A_DIGIT
    # "closest: …" or "no digit comes close", whole: on one line or wrapped to its column.
    detail = app.window.answer.confidence_label
    width, font = detail.winfo_width(), tkfont.nametofont(str(detail.cget("font")))
    wrap = int(str(detail.cget("wraplength")))
    assert font.measure(detail.cget("text")) <= width or 0 < wrap <= width


def test_drawn_question_mark_is_not_a_digit(app):
    draw(app, QUESTION_MARK)
    settle(app)
    assert shown(app) == NOT_A_DIGIT


def test_drawn_continental_one_with_a_long_flag_is_a_one(app):
    draw(app, CONTINENTAL_ONE)
    settle(app)
    assert shown(app) == "1"


@pytest.mark.parametrize("drawing", [FLAG_TO_60_PERCENT, WIDE_ANGLE_FLAG],
                         ids=["flag to 60% of the stem", "wide-angle flag"])
def test_drawn_continental_ones_as_people_write_them_are_ones(app, drawing):
    draw(app, drawing)
    settle(app)
    assert shown(app) == "1"


def test_drawn_three_is_a_digit(app):
    draw(app, THREE)
    settle(app)
    assert shown(app) == "3"
    assert "not sure" not in str(app.window.answer.confidence_label.cget("text"))


def test_drawn_three_after_a_cross_replaces_the_message(app):
    draw(app, CROSS)
    settle(app)
    assert shown(app) == NOT_A_DIGIT
    app.window.canvas.focus_force()
    app.root.update()
    app.window.canvas.event_generate("<Escape>")  # Clear
    app.root.update()
    assert shown(app) == ""
    draw(app, THREE)
    settle(app)
    assert shown(app) == "3"


def test_number_mode_marks_the_cross_with_a_question_mark(app):
    app.window.toolbar.number_check.invoke()
    draw(app, THREE, dx=-0.22, scale=0.6)
    draw(app, CROSS, dx=0.2, scale=0.6)
    settle(app)
    assert shown(app) == "3?"
    canvas = app.window.canvas
    labels = [canvas.itemcget(i, "text") for i in canvas.find_withtag("box")
              if canvas.type(i) == "text"]
    assert sorted(labels) == ["3", "?"]
    assert [bool(np.any(b.heights())) for b in app.window.answer.number_bars] == [True, True]
