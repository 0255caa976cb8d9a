"""What Help shows: the keyboard shortcuts (also what the window binds) and About's facts."""

from __future__ import annotations

import platform
import sys

import numpy as np
from PIL import Image

from digit_recognizer import __version__

__all__ = ["SHORTCUTS", "TEACH_SHORTCUT", "shortcut_rows", "about_lines", "RUNTIME_LABELS"]

# (event sequences, keys as Help shows them, what they do, the window's method)
SHORTCUTS = (
    (("<Return>", "<KP_Enter>"), "Enter", "Recognize the drawing now", "predict"),
    (("<Escape>", "<Delete>"), "Esc, Delete", "Clear the canvas", "clear"),
    (("<Control-z>", "<Control-Z>"), "Ctrl+Z", "Undo: the last stroke, Clear or image", "undo"),
    (("<Control-y>", "<Control-Y>"), "Ctrl+Y", "Redo what Undo took back", "redo"),
    (("<Control-n>",), "Ctrl+N", "Number mode on/off", "toggle_number_mode"),
    (("<Control-l>",), "Ctrl+L", "Live answers on/off", "toggle_live"),
    (("<Control-o>",), "Ctrl+O", "Open an image…", "open_image"),
    (("<Control-s>",), "Ctrl+S", "Save the drawing…", "save_drawing"),
    (("<Control-q>", "<Control-Q>"), "Ctrl+Q", "Quit", "quit"),
    (("<F1>",), "F1", "Keyboard shortcuts", "show_shortcuts"),
)
TEACH_SHORTCUT = ("Ctrl+0 … Ctrl+9", "Teach: the drawing is really this digit")

# What runs the network (``Recognizer.runtime``), as About says it.
RUNTIME_LABELS = {
    "onnx": "OpenCV, from the model's ONNX copy",
    "keras": "Keras and TensorFlow, in a separate process",
    "mixed": "OpenCV and, for a model without a usable ONNX copy, Keras",
}
# (metadata key, label, formatter): what About shows of the active model's metadata.
ABOUT_FIELDS = (
    ("architecture", "Architecture", str),
    ("test_accuracy", "Test accuracy", lambda v: f"{float(v):.2%}"),
    ("epochs_run", "Epochs", str),
    ("training_seconds", "Training time", lambda v: f"{float(v):.0f} s"),
    ("members", "Averages", lambda v: ", ".join(map(str, v))),
    ("date", "Trained on", str),
)
# Libraries About names only if something already imported them (it never imports them).
LOADED_LIBRARIES = (("tensorflow", "TensorFlow"), ("keras", "Keras"), ("cv2", "OpenCV"))


def shortcut_rows() -> list[tuple[str, str]]:
    """(keys, what they do) for every shortcut, as the shortcuts window lists them."""
    return [(keys, what) for _, keys, what, _ in SHORTCUTS] + [TEACH_SHORTCUT]


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
    for key, label, show in ABOUT_FIELDS:
        if metadata.get(key) is not None:
            lines.append((label, show(metadata[key])))
    return lines
