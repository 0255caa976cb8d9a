"""Taking a teach back in the window: Ctrl+Z, the Undo link, and the model from before at once.

The real window on a virtual display (Xvfb) with the app's own loader and one model process,
warm for the module, as ``test_teaching_window``. The rule under test: Undo takes back the last
action; right after a teach that is the teach, after a new stroke it is the stroke.

    MNIST_DIR=../shared/data/mnist python -m pytest tests/app/test_take_back_window.py -x -q
"""

from __future__ import annotations

import json
import shutil
import time
from functools import partial
from pathlib import Path

import pytest

from digit_recognizer.app.gui import DigitRecognizerApp
from digit_recognizer.app.teaching import read_corrections, to_uint8_image
from digit_recognizer.devtools.handwriting import write
from digit_recognizer.devtools.window_driver import draw, pump_until

wait_until = partial(pump_until, timeout=120.0)

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / "models"
UNDO_WITHIN_S = 0.5  # issue 19's target: a wrong teach, Ctrl+Z, the previous answer is back
CONTINENTAL_ONE = [[(0.15, 0.30), (0.60, 0.15), (0.58, 0.85)]]  # model 2 reads a 7
STROKE = [[(0.10, 0.90), (0.30, 0.90)]]

pytestmark = pytest.mark.usefixtures("collect_garbage_on_tk_thread")


@pytest.fixture
def app(data, loader, tmp_path, open_window) -> DigitRecognizerApp:
    """A window on model 2 that teaches into ``data``; every teach is confirmed."""
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    window = open_window(loader, preload=loader.in_process, models_dir=MODELS_DIR,
                         corrections=data / "corrections",
                         settings_file=tmp_path / "settings.json", teacher=loader)
    window.files.confirm_teach = lambda *question: True
    wait_until(window, lambda: window.state == "ready" and not window.model_worker.busy)
    wait_until(window, lambda: not window.teaching.worker.busy)  # TensorFlow is in
    return window


def answered(app: DigitRecognizerApp) -> str:
    """Wait for the answer to the drawing as it is now; the digit shown."""
    wait_until(app, lambda: app.answering.up_to_date and not app.model_worker.busy)
    return shown(app)


def shown(app: DigitRecognizerApp) -> str:
    return str(app.window.answer.digit_label.cget("text"))


def teach(app: DigitRecognizerApp, digit: int, corrections: int) -> None:
    """Press the teach button ``digit``; wait until the model knowing ``corrections`` answers."""
    app.window.teach_bar.buttons[digit].invoke()
    wait_until(app, lambda: not app.teaching.learning and app.teaching.model is not None
               and app.teaching.model.corrections == corrections
               and app.answering.up_to_date and not app.model_worker.busy)


def ctrl_z(app: DigitRecognizerApp) -> None:
    app.window.canvas.focus_force()
    app.window.canvas.event_generate("<Control-z>")


def took_back(app: DigitRecognizerApp, answer: str) -> float:
    """Seconds until the status says it took back, and ``answer`` is shown for the drawing."""
    started = time.perf_counter()
    wait_until(app, lambda: app.window.status.text.startswith("Took back")
               and app.answering.up_to_date and shown(app) == answer)
    return time.perf_counter() - started


def test_ctrl_z_right_after_the_first_teach_brings_back_the_bundled_model(app, data):
    draw(app, CONTINENTAL_ONE)
    before = answered(app)
    assert before != "1"
    teach(app, 1, corrections=1)
    assert shown(app) == "1" and app.window.status.offers_undo
    ctrl_z(app)
    seconds = took_back(app, before)
    print(f"Ctrl+Z -> the bundled model's answer: {seconds:.3f} s")
    assert seconds <= UNDO_WITHIN_S
    assert app.window.status.text == (  # the window's default: both models
        "Took back: this is a 1. Back to Both models (average), as before.")
    assert app.active_choice == "both" and app.window.model_var.get() == "both"
    assert len(read_corrections(data / "corrections")) == 0
    assert not app.teaching.path.exists() and app.teaching.model is None
    assert app.window.canvas.strokes_in_pixels()  # the drawing stays
    assert not app.window.status.offers_undo


def test_ctrl_z_after_a_second_teach_brings_back_the_first_personal_model(app, data):
    draw(app, CONTINENTAL_ONE)
    answered(app)
    teach(app, 1, corrections=1)
    # As a user who teaches, looks, then goes on: the model's ONNX copy is made meanwhile.
    copy = app.teaching.path.with_suffix(".onnx")
    wait_until(app, lambda: copy.is_file() and not app.teaching.worker.busy)
    app.window.clear()
    draw(app, CONTINENTAL_ONE, scale=0.6, dx=0.1)  # another one, smaller
    before = answered(app)
    probabilities = app.answering.current_result.probabilities
    teach(app, 1, corrections=2)
    ctrl_z(app)
    seconds = took_back(app, before)
    print(f"Ctrl+Z -> the first personal model's answer: {seconds:.3f} s")
    assert seconds <= UNDO_WITHIN_S
    assert app.answering.current_result.probabilities == pytest.approx(probabilities, abs=1e-4)
    assert app.window.status.text == "Took back: this is a 1. Your model is as before."
    assert app.active_choice == str(app.teaching.path)
    assert app.window.status.model_label.cget("text") == "Model 2 + 1 correction"
    assert app.teaching.model.corrections == 1
    assert json.loads(app.teaching.path.with_suffix(".json").read_text())["corrections"] == 1
    assert read_corrections(data / "corrections").labels.tolist() == [1]
    assert app.recognizer.runtime == "onnx"  # from the kept copy: nothing refitted or loaded
    assert not app.teaching.learning


def test_the_status_bars_undo_link_takes_the_teach_back(app, data):
    draw(app, CONTINENTAL_ONE)
    before = answered(app)
    teach(app, 1, corrections=1)
    assert app.window.toolbar.undo_button.instate(["!disabled"])
    app.window.status.undo_link.event_generate("<Button-1>")
    took_back(app, before)
    assert len(read_corrections(data / "corrections")) == 0
    assert not app.window.status.offers_undo


def test_after_a_new_stroke_ctrl_z_takes_back_the_stroke_not_the_teach(app, data):
    draw(app, CONTINENTAL_ONE)
    answered(app)
    teach(app, 1, corrections=1)
    draw(app, STROKE)
    assert not app.window.status.offers_undo  # the stroke is the last action now
    ctrl_z(app)
    answered(app)
    assert len(app.window.canvas.strokes_in_pixels()) == 1
    assert len(read_corrections(data / "corrections")) == 1
    assert app.teaching.model is not None and app.teaching.model.corrections == 1


def test_in_number_mode_a_digit_is_taught_the_number_reread_and_ctrl_z_takes_it_back(app, data):
    """Issue 27: the digit chosen by a click on its chart is what is taught and learned; the
    number is read again by the model that learned it, the digit still chosen; Ctrl+Z takes
    the teach back as after a single digit's."""
    app.window.toolbar.number_check.invoke()
    draw(app, write("72", height=80).fractions())
    assert answered(app) == "72"
    app.window.answer.number_bars[1].event_generate("<Button-1>")  # the 2's chart
    app.root.update()
    assert app.answering.chosen == 1
    second = app.answering.number.digits[1].input
    read = app.answering.shown_serial
    app.window.canvas.focus_force()
    app.window.canvas.event_generate("<Control-Key-3>")  # it is really a 3, says the user
    wait_until(app, lambda: not app.teaching.learning and app.teaching.model is not None
               and app.teaching.model.corrections == 1
               and app.answering.up_to_date and not app.model_worker.busy)
    saved = read_corrections(data / "corrections")
    assert saved.labels.tolist() == [3]
    assert (saved.images[0] == to_uint8_image(second)).all()
    assert app.answering.shown_serial > read  # read again, by the model that learned it
    assert app.active_choice == str(app.teaching.path)
    assert app.answering.chosen == 1 and app.window.status.offers_undo
    ctrl_z(app)
    wait_until(app, lambda: app.window.status.text.startswith("Took back: this is a 3")
               and app.answering.up_to_date and not app.model_worker.busy)
    assert len(read_corrections(data / "corrections")) == 0
    assert app.teaching.model is None and app.active_choice != str(app.teaching.path)
    assert len(app.window.canvas.drawing.strokes) == len(write("72", height=80).fractions())
