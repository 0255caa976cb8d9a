"""The window's dialogs as a first-time user meets them, in a real window on Xvfb.

When a dialog closes, the keyboard goes back to the main window: its keys (Ctrl+Q…) work at
once, without a click first; for our own dialogs (About, shortcuts, a message's details, the
corrections manager) and Tk's (file choosers, questions). And what the dialogs offer before the
user does anything: the safe answer to "Forget my corrections?", readable facts in About,
where Export's folder chooser opens, and what File ▸ Open says of an empty file.

    MNIST_DIR=../shared/data/mnist python -m pytest tests/app/test_dialog_behaviour.py -q
"""

from __future__ import annotations

import time
import tkinter as tk
from datetime import datetime
from pathlib import Path

import pytest

from digit_recognizer.app import user_files
from digit_recognizer.app.window import folder_chooser
from digit_recognizer.app.gui import DigitRecognizerApp
from digit_recognizer.app.window.help_info import about_lines
from digit_recognizer.core.catalogue import MODELS_DIR
from digit_recognizer.devtools.window_driver import pump_until
from digit_recognizer.recognition.recognizer import Recognizer

pytestmark = pytest.mark.usefixtures("collect_garbage_on_tk_thread")

ANSWER_WITHIN_S = 20.0  # a Tk dialog not answered by then is closed, and the test fails


def load_bundled(choice: str) -> Recognizer:
    """The bundled models from their ONNX copies: loaded in milliseconds, no TensorFlow."""
    return Recognizer.from_choice(choice, MODELS_DIR, runtime="onnx")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty home folder for the test, and the app's settings and data inside it."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(folder / ".local" / "share"))
    return folder


@pytest.fixture
def app(open_window, home) -> DigitRecognizerApp:
    """A window on model 2 (the default), loaded, holding the keyboard focus, on its paper."""
    window = open_window(load_bundled, models_dir=MODELS_DIR,
                         settings_file=home / "settings.json", corrections=home / "corrections")
    pump_until(window, lambda: window.recognizer is not None and window.state == "ready",
               timeout=60)
    away_from(window)
    window.root.focus_force()
    window.window.canvas.focus_set()
    window.root.update()
    return window


def away_from(app: DigitRecognizerApp) -> None:
    """Put the window in the screen's top left corner and the mouse pointer in the opposite
    one, over no window of the app. (With no window manager, X hands the focus of a window
    that closes to whatever window is under the pointer: over the main window, that would
    hide what this tests.)"""
    root = app.root
    root.geometry("+0+0")
    root.update()
    corner_x, corner_y = root.winfo_screenwidth() - 2, root.winfo_screenheight() - 2
    assert root.winfo_reqwidth() < corner_x and root.winfo_reqheight() < corner_y
    root.event_generate("<Motion>", warp=True, x=corner_x - root.winfo_rootx(),
                        y=corner_y - root.winfo_rooty())
    root.update()


def focused_in(top: tk.Toplevel) -> tk.Misc:
    """The widget of dialog ``top`` that has the keyboard focus, as it does once shown."""
    top.update()
    widget = top.focus_get()
    assert widget is not None and widget.winfo_toplevel() is top, "the dialog has no focus"
    return widget


def press_in(top: tk.Toplevel, sequence: str) -> None:
    """Press a key in dialog ``top``, where its focus is."""
    focused_in(top).event_generate(sequence)


def ctrl_q_quits(app: DigitRecognizerApp) -> bool:
    """Press Ctrl+Q wherever the focus is; True if the window quit."""
    app.root.update()
    widget = app.root.focus_get()
    assert widget is not None, "no widget of the app has the keyboard focus"
    assert widget.winfo_toplevel() is app.root, f"the focus is on {widget}, not the window"
    widget.event_generate("<Control-q>")
    return app.closed


def answer_tk_dialog(root: tk.Tk, sequence: str) -> list[str]:
    """Press ``sequence`` in the Tk dialog (file chooser, question) about to open.

    Returns a list that gets the focused widget's name once pressed, or "timeout" if the
    dialog never took the key (it is then destroyed, so the test goes on and fails).
    """
    done: list[str] = []
    started = time.monotonic()

    def attempt() -> None:
        dialogs = [name for name in root.tk.splitlist(root.tk.call("winfo", "children", "."))
                   if "__tk" in name]
        focus = str(root.tk.call("focus"))
        if dialogs and focus.startswith(dialogs[0]):
            root.tk.call("event", "generate", focus, sequence)
            done.append(focus)
        elif time.monotonic() - started > ANSWER_WITHIN_S:
            for name in dialogs:
                root.tk.call("destroy", name)
            done.append("timeout")
        else:
            if dialogs:  # opened while the app held no focus: give it the focus, as a click
                root.tk.call("focus", "-force", root.tk.call("focus", "-lastfor", dialogs[0]))
            root.after(50, attempt)

    root.after(50, attempt)
    return done


def lose_focus(app: DigitRecognizerApp) -> None:
    """Leave the app without keyboard focus, as a window manager may after a window closes."""
    other = tk.Toplevel(app.root)
    button = tk.Button(other, text="OK")
    button.pack()
    other.update()
    button.focus_force()
    other.update()
    other.destroy()  # without return_focus: Tk gives the focus to nobody
    app.root.update()
    assert not app.root.tk.call("focus")


# -- our own dialogs -------------------------------------------------------------------------------


@pytest.mark.parametrize("close", ["<Escape>", "<Return>", "button", "title bar"])
@pytest.mark.parametrize("open_dialog", ["show_about", "show_shortcuts"])
def test_closing_a_help_dialog_gives_the_keys_back_to_the_window(app, open_dialog, close):
    top = getattr(app, open_dialog)()
    focused_in(top)
    if close == "button":
        top.nametowidget("body.close").invoke()
    elif close == "title bar":
        top.tk.call(top.protocol("WM_DELETE_WINDOW"))
    else:
        press_in(top, close)
    assert not top.winfo_exists()
    assert ctrl_q_quits(app)


def test_closing_the_details_of_a_message_gives_the_keys_back(app):
    app.say("Could not open seven.png.", details="seven.png is empty", tone="error")
    top = app.window.status.open_details()
    press_in(top, "<Escape>")
    assert ctrl_q_quits(app)


def test_closing_the_corrections_manager_gives_the_keys_back(app):
    top = app.files.manage_corrections()
    press_in(top, "<Escape>")
    assert not top.winfo_exists()
    assert ctrl_q_quits(app)


def test_focus_returns_to_the_widget_that_had_it(app):
    app.window.toolbar.focus_set()  # not the paper: where the user had tabbed to
    app.root.update()
    before = app.root.focus_get()
    press_in(app.show_about(), "<Escape>")
    app.root.update()
    assert app.root.focus_get() is before


# -- Tk's own dialogs ------------------------------------------------------------------------------


def test_keys_work_after_answering_the_forget_question(app):
    answered = answer_tk_dialog(app.root, "<Escape>")
    app.teaching.confirm_forget()
    assert answered and answered != ["timeout"]
    assert ctrl_q_quits(app)


def test_keys_work_after_a_file_chooser_even_if_the_app_had_lost_the_focus(app):
    lose_focus(app)
    answered = answer_tk_dialog(app.root, "<Escape>")
    assert not app.files.ask_open_image()
    assert answered and answered != ["timeout"]
    assert ctrl_q_quits(app)


# -- Model ▸ Forget my corrections… ----------------------------------------------------------------


def test_enter_on_the_forget_question_keeps_the_corrections(app):
    answered = answer_tk_dialog(app.root, "<Return>")  # Enter: the default button
    assert app.teaching.confirm_forget() is False
    assert answered and answered[0].endswith(".no")


# -- Help ▸ About ----------------------------------------------------------------------------------


def about_rows(top: tk.Toplevel) -> dict[str, str]:
    """About's rows: label -> value."""
    rows = {}
    for name, widget in top.nametowidget("body").children.items():
        if name.startswith("value"):
            label = top.nametowidget(f"body.label{name[len('value'):]}")
            rows[str(label.cget("text"))] = widget.get()
    return rows


def test_about_shows_the_training_date_as_a_date_and_the_optimizers_name(app):
    app.select_model("model2")  # a trained network (the default averages two)
    pump_until(app, lambda: app.active_choice == "model2" and app.state == "ready", 120)
    rows = about_rows(app.show_about())
    when = datetime.fromisoformat(app.recognizer.metadata["date"])
    assert rows["Trained on"] == f"{when.day} {when:%B} {when.year}"  # e.g. 28 November 2026
    assert rows["Optimizer"] == "RMSprop"
    assert not {"rmsprop", app.recognizer.metadata["date"]} & set(rows.values())


@pytest.mark.parametrize(("metadata", "shown"), [
    ({"architecture": "adadelta"}, "Adadelta"),  # older models record only the architecture
    ({"architecture": "rmsprop", "optimizer": "RMSprop"}, "RMSprop"),
    ({"optimizer": "rmsprop"}, "RMSprop"),
    ({"optimizer": "MyOwnOptimizer"}, "MyOwnOptimizer"),
])
def test_about_names_the_optimizer_as_its_authors_spell_it(metadata, shown):
    model = type("Model", (), {"name": "m", "path": None, "metadata": metadata})()
    assert dict(about_lines("8.6", model))["Optimizer"] == shown


@pytest.mark.parametrize(("date", "shown"), [
    ("2026-11-28T06:12:46+00:00", "28 November 2026"),
    ("2027-01-02T23:30:00-05:00", "2 January 2027"),  # the day where it was trained
    ("last Tuesday", "last Tuesday"),  # not a date: as it is
])
def test_about_shows_the_training_date_readably(date, shown):
    model = type("Model", (), {"name": "m", "path": None, "metadata": {"date": date}})()
    assert dict(about_lines("8.6", model))["Trained on"] == shown


# -- Model ▸ Corrections… ▸ Export -----------------------------------------------------------------


class FolderChooser:
    """Export's folder chooser, replaced: it records how it was opened (``calls``) and answers
    with the next of ``answers`` ('' when none are left, as Cancel does)."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.answers: list[str] = []

    def __call__(self, **options) -> str:
        self.calls.append(options)
        return self.answers.pop(0) if self.answers else ""

    @property
    def opened_in(self) -> Path:
        """The folder it last opened in."""
        return Path(self.calls[-1]["initialdir"])


@pytest.fixture
def chooser(monkeypatch) -> FolderChooser:
    replaced = FolderChooser()
    monkeypatch.setattr(folder_chooser.filedialog, "askdirectory", replaced)
    return replaced


def test_export_chooser_opens_in_the_home_folder(app, home, chooser):
    app.files.manage_corrections().ask_folder()
    assert chooser.opened_in == home


def test_export_chooser_opens_where_the_user_last_opened_a_file(app, home, chooser,
                                                                 monkeypatch):
    pictures = home / "Pictures"
    pictures.mkdir()
    monkeypatch.setattr(user_files.filedialog, "askopenfilename",
                        lambda **options: str(pictures / "seven.png"))
    app.files.ask_open_image()
    dialog = app.files.manage_corrections()
    dialog.ask_folder()
    assert chooser.opened_in == pictures


def test_export_chooser_opens_beside_the_last_export(app, home, chooser):
    (home / "exports").mkdir()
    chooser.answers.append(str(home / "exports" / "monday"))
    dialog = app.files.manage_corrections()
    assert dialog.ask_folder() == str(home / "exports" / "monday")
    dialog.ask_folder()
    assert chooser.opened_in == home / "exports"


# -- File ▸ Open image… ----------------------------------------------------------------------------


def test_opening_an_empty_file_says_it_is_empty(app, home):
    empty = home / "scan.png"
    empty.touch()
    app.files.ask_open_image = lambda: str(empty)
    app.files.open_image()
    pump_until(app, lambda: app.errors, timeout=30)
    (title, message), = app.errors
    assert title == "Cannot open this image"
    assert f"{empty} is empty" in message and "not an image" not in message
