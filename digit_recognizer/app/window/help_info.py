"""What Help shows: the keyboard shortcuts (also what the window binds), how to write a
number, and About's facts."""

from __future__ import annotations

import platform
import sys
from datetime import datetime

import numpy as np
from PIL import Image

from digit_recognizer import __version__

__all__ = [
    "RUNTIME_LABELS",
    "SHORTCUTS",
    "NUMBER_HELP",
    "TEACH_SHORTCUT",
    "about_lines",
    "optimizer_name",
    "readable_date",
    "shortcut_rows",
]

# (event sequences, keys as Help shows them, what they do, the action in the window's table,
# ``actions.WindowActions``: checked when the window is built)
SHORTCUTS = (
    (("<Return>", "<KP_Enter>"), "Enter", "Recognize the drawing now", "predict"),
    (("<Escape>", "<Delete>"), "Esc, Delete", "Clear the canvas", "clear"),
    (("<Control-z>", "<Control-Z>"), "Ctrl+Z",
     "Undo the last action: a teach, a stroke, Clear or an image", "undo"),
    (("<Control-y>", "<Control-Y>"), "Ctrl+Y", "Redo what Undo took back", "redo"),
    (("<Control-n>",), "Ctrl+N", "Number mode on/off", "toggle_number_mode"),
    (("<Control-l>",), "Ctrl+L", "Live answers on/off", "toggle_live"),
    (("<Control-o>",), "Ctrl+O", "Open an image…", "open_image"),
    (("<Control-s>",), "Ctrl+S", "Save the drawing…", "save_drawing"),
    (("<Control-q>", "<Control-Q>"), "Ctrl+Q", "Quit", "quit"),
    (("<F1>",), "F1", "Keyboard shortcuts", "show_shortcuts"),
)
TEACH_SHORTCUT = ("Ctrl+0 … Ctrl+9", "Teach: the drawing is really this digit")
# How to write a number in number mode, under the shortcuts
NUMBER_HELP = (
    ("Numbers", "Ctrl+N, then write the digits left to right, each finished before the next"),
    ("", "A dot on the line between digits is a decimal point: 3.14"),
    ("", "A gap wider than a digit starts another number; a row below, another line"),
    ("", "To correct one digit, click its chart (or the digit at its box's corner), then teach"),
)

# What runs the network (``Recognizer.runtime``), as About says it.
RUNTIME_LABELS = {
    "onnx": "OpenCV, from the model's ONNX copy",
    "keras": "Keras and TensorFlow, in a separate process",
    "mixed": "OpenCV and, for a model without a usable ONNX copy, Keras",
}
# Optimizers as their authors spell them; metadata may hold the lower-case name that
# ``train --model`` takes ("rmsprop": the architecture trained with it).
OPTIMIZER_NAMES = {name.lower(): name for name in (
    "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl", "Lion", "Nadam", "RMSprop", "SGD")}
# English month names, not strftime's %B: that follows the locale, and the window is English.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def optimizer_name(value: object) -> str:
    """'rmsprop' or 'RMSprop' -> 'RMSprop'; a name it does not know, as it is."""
    return OPTIMIZER_NAMES.get(str(value).lower(), str(value))


def readable_date(value: object) -> str:
    """'2026-11-28T06:12:46+00:00' -> '28 November 2026' (the day where it was recorded);
    anything that is not an ISO date, as it is."""
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{when.day} {MONTHS[when.month - 1]} {when.year}"


# (metadata keys, label, formatter): what About shows of the active model's metadata, from the
# first key that it holds. Older models record only the architecture, named after its optimizer.
ABOUT_FIELDS = (
    (("optimizer", "architecture"), "Optimizer", optimizer_name),
    (("test_accuracy",), "Test accuracy", lambda v: f"{float(v):.2%}"),
    (("epochs_run",), "Epochs", str),
    (("training_seconds",), "Training time", lambda v: f"{float(v):.0f} s"),
    (("members",), "Averages", lambda v: ", ".join(map(str, v))),
    (("date",), "Trained on", readable_date),
)
# Libraries About names only if something already imported them (it never imports them).
LOADED_LIBRARIES = (("tensorflow", "TensorFlow"), ("keras", "Keras"), ("cv2", "OpenCV"))


def shortcut_rows() -> list[tuple[str, str]]:
    """(keys, what they do) for every shortcut, as the shortcuts window lists them, and how
    to write a number."""
    return [(keys, what) for _, keys, what, _ in SHORTCUTS] + [TEACH_SHORTCUT, *NUMBER_HELP]


def about_lines(tk_version: str, recognizer: object | None) -> list[tuple[str, str]]:
    """(label, value) rows: the versions involved, then the active model and its metadata."""
    lines = [("Digit Recognizer", __version__), ("Python", platform.python_version()),
             ("Tk", tk_version), ("NumPy", np.__version__), ("Pillow", Image.__version__)]
    for module, name in LOADED_LIBRARIES:
        if module in sys.modules:
            lines.append((name, getattr(sys.modules[module], "__version__", "?")))
    if recognizer is None:
        return lines + [("Model", "none loaded yet")]
    lines.append(("Model", recognizer.name))
    if getattr(recognizer, "path", None):
        lines.append(("File", str(recognizer.path)))
    runtime = getattr(recognizer, "runtime", None)
    if runtime in RUNTIME_LABELS:
        lines.append(("Runs on", RUNTIME_LABELS[runtime]))
    metadata = getattr(recognizer, "metadata", {}) or {}
    for keys, label, show in ABOUT_FIELDS:
        value = next((metadata[k] for k in keys if metadata.get(k) is not None), None)
        if value is not None:
            lines.append((label, show(value)))
    return lines
