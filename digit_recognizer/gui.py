"""The desktop app: draw a digit, see what the network sees and which digit it thinks it is.

    python main.py [--model model1|model2|both|PATH] [--models-dir DIR]
    python -m digit_recognizer gui [same options]

The window appears at once: its start path imports only tkinter, NumPy and Pillow. A
background thread then loads the bundled models from their ONNX copies, which OpenCV runs
(``digit_recognizer.inference``; milliseconds, no TensorFlow), and keeps them loaded, so that
switching between them is instant. A model file of the user's, or a bundled model whose ONNX
copy is missing or out of date, loads with TensorFlow (~7 s to import) in a child process
(``digit_recognizer.model_process``), so that TensorFlow's import, which holds the GIL, never
freezes the window. Either way the user can draw while the model loads and the window never
waits for the network. Tk is not thread-safe: the workers
(``digit_recognizer.background``) never touch a widget; they put results in a queue that the
Tk thread polls with ``after``.

Set ``DIGIT_RECOGNIZER_TRACE=FILE`` to make the window append what ``benchmarks/bench_startup.py``
measures to FILE, one ``EVENT TIME [VALUES]`` line each (``time.time()``): ``mapped`` (with the
canvas's screen position and size), ``ready`` (a model is loaded), ``shown`` (the first
prediction is on screen) and ``stall PHASE MS`` (a new longest gap between event-loop turns).
"""

from __future__ import annotations

import argparse
import os
import platform
import queue
import sys
import time
import tkinter as tk
from dataclasses import replace
from functools import partial
from pathlib import Path
from tkinter import filedialog, messagebox, ttk
from tkinter import font as tkfont
from typing import Any, Callable

import numpy as np
from PIL import Image, ImageTk

from digit_recognizer import __version__
from digit_recognizer.background import (
    DRAW_FIRST,
    NO_MODEL,
    Done,
    Engine,
    Failed,
    ImageOpened,
    Loaded,
    Predicted,
    Request,
    Stroke,
    Worker,
    count_job,
    load_model_choice,
    open_image_job,
    plural,
    render_strokes,
    save_png_job,
    save_settings_job,
    teach_job,
)
from digit_recognizer.catalogue import (
    DEFAULT_MODEL,
    MODEL_CHOICES,
    MODELS_DIR,
    choice_label,
    measured_accuracy,
)
from digit_recognizer.settings import load_settings, save_settings, settings_path
from digit_recognizer.teaching import corrections_dir, fine_tune_command
from digit_recognizer.widgets import (
    ACCENT,
    BOX_COLOUR,
    INK,
    PAPER,
    WARN,
    ProbabilityBars,
    model_view_image,
    style_background,
)

__all__ = ["DigitRecognizerApp", "build_parser", "main"]

TITLE = "Digit Recognizer"
PROG = "python -m digit_recognizer gui"  # __main__ calls main(argv) without a prog
TRACE_ENV = "DIGIT_RECOGNIZER_TRACE"

# Sizes in logical pixels; multiplied by the screen's scale factor on HiDPI screens.
CANVAS_SIZE = 320
VIEW_SIZE = 140  # the 28x28 network input, enlarged 5x
ANSWER_WIDTH = 150  # room for the big digit, or a number in a smaller font
BRUSH_MIN, BRUSH_MAX = 6, 40

LIVE_INTERVAL_MS = 100  # prediction refresh while the pen moves
POLL_MS = 20  # how often the Tk thread collects results from the workers
MAP_TIMEOUT_MS = 1000  # start loading the model by then even if the window is not mapped
IO_WAIT_S = 5.0  # on closing, how long a file being written may take to finish
HEARTBEAT_MS = 10  # with tracing on, the event loop's pulse, to measure stalls
BIG_FONT_SIZE = 64
LOW_CONFIDENCE = 0.6  # below this the window says it is not sure...
CLOSE_CALL = 0.2  # ...and also when the runner-up is within this of the winner

STATES = ("loading", "ready", "predicting", "error")
STATUS_TEXT = {
    "loading": "Loading model… you can draw meanwhile.",
    "ready": "Ready: draw a digit.",
    "predicting": "Recognizing…",
    "error": NO_MODEL,
}


# (event sequences, keys as shown in Help, what they do, method name): bindings and help text.
SHORTCUTS = (
    (("<Return>", "<KP_Enter>"), "Enter", "Predict", "predict"),
    (("<Escape>", "<Delete>"), "Esc, Delete", "Clear the canvas", "clear"),
    (("<Control-z>", "<Control-Z>"), "Ctrl+Z", "Undo the last stroke", "undo"),
    (("<Control-n>",), "Ctrl+N", "Number mode on/off", "toggle_number_mode"),
    (("<Control-o>",), "Ctrl+O", "Open an image…", "open_image"),
    (("<Control-s>",), "Ctrl+S", "Save the drawing…", "save_drawing"),
    (("<Control-q>", "<Control-Q>"), "Ctrl+Q", "Quit", "quit"),
    (("<F1>",), "F1", "Keyboard shortcuts", "show_shortcuts"),
)
TEACH_SHORTCUT = ("Ctrl+0 … Ctrl+9", "Teach: the drawing is really this digit")

# (metadata key, label, formatter): what About shows of the active model's metadata.
ABOUT_FIELDS = (
    ("architecture", "Architecture", str),
    ("test_accuracy", "Test accuracy", lambda v: f"{float(v):.2%}"),
    ("epochs_run", "Epochs", str),
    ("training_seconds", "Training time", lambda v: f"{float(v):.0f} s"),
    ("members", "Averages", lambda v: ", ".join(map(str, v))),
    ("date", "Trained on", str),
)
# What runs the network (``Recognizer.runtime``), as About says it.
RUNTIME_LABELS = {
    "onnx": "OpenCV, from the model's ONNX copy",
    "keras": "Keras and TensorFlow, in a separate process",
    "mixed": "OpenCV and, for a model without a usable ONNX copy, Keras",
}
# Libraries About names only if something already imported them (it never imports them).
LOADED_LIBRARIES = (("tensorflow", "TensorFlow"), ("keras", "Keras"), ("cv2", "OpenCV"))


# -- what the window shows of a model and its answer ------------------------------------------


def describe(probabilities: np.ndarray) -> tuple[str, bool]:
    """The confidence line under the big digit, and whether the model is sure."""
    second, first = np.argsort(probabilities)[-2:]
    top, runner_up = float(probabilities[first]), float(probabilities[second])
    if top < LOW_CONFIDENCE or top - runner_up < CLOSE_CALL:
        return f"not sure: {first} or {second}?", False
    return f"{top:.0%} sure", True


# -- the window --------------------------------------------------------------------------------


class DigitRecognizerApp:
    """The main window: the canvas, the prediction, the model's view, teaching and menus.

    ``load_recognizer(choice)`` turns a model choice ('model1', 'model2', 'both' or a file
    path) into a recognizer; it runs on a worker thread and raises ``ModelError`` for an
    unusable model. Tests pass a small or slow one. ``preload(choice)``, if given, loads a
    bundled choice without TensorFlow: once the first model is up, the others are loaded
    with it, so that switching to them is instant.
    """

    def __init__(self, root: tk.Tk, load_recognizer: Callable[[str], Any], *,
                 preload: Callable[[str], Any] | None = None,
                 model: str | None = None, models_dir: str | os.PathLike | None = None,
                 settings_file: str | os.PathLike | None = None,
                 corrections: str | os.PathLike | None = None,
                 trace: str | os.PathLike | None = None) -> None:
        self.root = root
        self.models_dir = Path(models_dir) if models_dir is not None else MODELS_DIR
        self.settings_file = Path(settings_file) if settings_file else settings_path()
        self.corrections = Path(corrections) if corrections else corrections_dir()
        self.trace_file = Path(trace) if trace else None
        self.settings = load_settings(self.settings_file)
        if model is not None:
            self.settings.model = model
        self.scale = max(1.0, float(root.tk.call("tk", "scaling")) * 72 / 96)
        self.size = round(CANVAS_SIZE * self.scale)

        self.engine = Engine(load_recognizer, preload)
        self.model_worker = Worker("digit-recognizer-model")
        self.io_worker = Worker("digit-recognizer-files")
        self.state = "loading"
        self.recognizer = None  # the active one, for About (read-only here)
        self.active_choice: str | None = None
        self.failed_choices: set[str] = set()

        self.strokes: list[Stroke] = []
        self.stroke_items: list[int] = []
        self.photo: np.ndarray | None = None
        self.epoch = 0
        self.serial = 0
        self.shown_serial = -1
        self.current_input: np.ndarray | None = None  # the 28x28 input behind the shown digit
        self._live_after: str | None = None
        self._poll_after: str | None = None
        self._map_after: str | None = None
        self._beat_after: str | None = None
        self._worst_gap: dict[str, float] = {}
        self._load_started = False
        self._preloaded = False
        self._mapped = False
        self.closed = False
        self._images: dict[str, Any] = {}  # PhotoImages must outlive their widgets' use
        self._teach_serial = 0

        self._build()
        self._set_state("loading")
        root.protocol("WM_DELETE_WINDOW", self.quit)
        # First <Expose> of the canvas: on screen at its place and size (<Map> comes before the
        # geometry is final, when a click may still land on the frame behind).
        self.canvas.bind("<Expose>", self._on_first_expose)
        # in case the window is never mapped (e.g. started iconified)
        self._map_after = root.after(MAP_TIMEOUT_MS, self._start_loading)
        self._poll_after = root.after(POLL_MS, self._poll)
        if self.trace_file is not None:
            self._beat_after = root.after(HEARTBEAT_MS, self._heartbeat, time.monotonic())
        self.io_worker.submit("count", partial(count_job, self.corrections))

    # -- building the window -------------------------------------------------------------------

    def _build(self) -> None:
        root = self.root
        root.title(TITLE)
        style = ttk.Style(root)
        if "clam" in style.theme_names():
            style.theme_use("clam")
        base = tkfont.nametofont("TkDefaultFont")
        self.big_font = tkfont.Font(root, family=base.cget("family"), size=BIG_FONT_SIZE,
                                    weight="bold")
        self.mid_font = tkfont.Font(root, family=base.cget("family"), size=13)
        style.configure("Teach.TButton", padding=(2, 1), width=2)
        style.configure("Status.TLabel", padding=(8, 3))
        root.configure(background=style_background(root))
        self._build_menus()

        main = ttk.Frame(root, padding=12)
        main.grid(row=0, column=0, sticky="nsew")
        main.columnconfigure(1, weight=1)
        root.columnconfigure(0, weight=1)
        root.rowconfigure(0, weight=1)
        self._build_canvas(main).grid(row=0, column=0, sticky="nw")
        self._build_result_panel(main).grid(row=0, column=1, sticky="nsew", padx=(14, 0))
        self._build_toolbar(main).grid(row=1, column=0, columnspan=2, sticky="ew", pady=(10, 0))
        self._build_teach_bar(main).grid(row=2, column=0, columnspan=2, sticky="ew",
                                         pady=(8, 0))
        self._build_status_bar(root).grid(row=1, column=0, sticky="ew")
        for sequences, _, _, method in SHORTCUTS:
            for sequence in sequences:
                root.bind(sequence, partial(self._key, getattr(self, method)))
        for digit in range(10):
            root.bind(f"<Control-Key-{digit}>", partial(self._key, partial(self.teach, digit)))

    def _key(self, action: Callable[[], Any], _event: tk.Event) -> str:
        action()
        return "break"

    def _build_menus(self) -> None:
        menubar = tk.Menu(self.root)
        self.file_menu = tk.Menu(menubar, tearoff=False)
        self.file_menu.add_command(label="Open image…", accelerator="Ctrl+O",
                                   command=self.open_image)
        self.file_menu.add_command(label="Save drawing…", accelerator="Ctrl+S",
                                   command=self.save_drawing)
        self.file_menu.add_separator()
        self.file_menu.add_command(label="Quit", accelerator="Ctrl+Q", command=self.quit)
        menubar.add_cascade(label="File", menu=self.file_menu)

        self.model_var = tk.StringVar(self.root, value=self.settings.model)
        self.model_menu = tk.Menu(menubar, tearoff=False)
        for choice in MODEL_CHOICES:
            self.model_menu.add_radiobutton(label=self._choice_label(choice),
                                            variable=self.model_var, value=choice,
                                            command=partial(self.select_model, choice))
        self.model_menu.add_separator()
        self.model_menu.add_command(label="Open model file…", command=self.open_model_file)
        menubar.add_cascade(label="Model", menu=self.model_menu)

        self.help_menu = tk.Menu(menubar, tearoff=False)
        self.help_menu.add_command(label="Keyboard shortcuts", accelerator="F1",
                                   command=self.show_shortcuts)
        self.help_menu.add_command(label="Copy fine-tune command", command=self.copy_fine_tune)
        self.help_menu.add_command(label="About", command=self.show_about)
        menubar.add_cascade(label="Help", menu=self.help_menu)
        self.root.configure(menu=menubar)

    def _choice_label(self, choice: str) -> str:
        accuracy = measured_accuracy(choice, self.models_dir)
        label = choice_label(choice)
        return f"{label} ({accuracy:.1%})" if accuracy is not None else label

    def _build_canvas(self, parent: ttk.Frame) -> tk.Canvas:
        self.canvas = tk.Canvas(parent, width=self.size, height=self.size, background=PAPER,
                                highlightthickness=1, highlightbackground="#b9b9b9",
                                cursor="pencil")
        self.canvas.bind("<ButtonPress-1>", self._on_press)
        self.canvas.bind("<B1-Motion>", self._on_motion)
        self.canvas.bind("<ButtonRelease-1>", self._on_release)
        self.hint_item = self.canvas.create_text(self.size / 2, self.size / 2, fill="#b0b0b0",
                                                 text="Draw a digit here", font=self.mid_font)
        return self.canvas

    def _build_result_panel(self, parent: ttk.Frame) -> ttk.Frame:
        panel = ttk.Frame(parent)
        # the answer: the digit, large, and how sure the model is; width=1 and a fixed column
        # so that a long answer shrinks its font instead of moving everything else
        panel.columnconfigure(0, weight=1, minsize=round(ANSWER_WIDTH * self.scale))
        panel.rowconfigure(1, minsize=2 * self.mid_font.metrics("linespace") + 4)
        self.digit_label = ttk.Label(panel, text="", font=self.big_font, anchor="center",
                                     foreground=ACCENT, width=1)
        self.digit_label.grid(row=0, column=0, sticky="nsew")
        self.confidence_label = ttk.Label(panel, text="", font=self.mid_font, anchor="n",
                                          justify="center", width=1)
        self.confidence_label.grid(row=1, column=0, sticky="new")
        # what the network is given: the 28x28 input, enlarged
        view_size = round(VIEW_SIZE * self.scale)
        self._images["view"] = ImageTk.PhotoImage(Image.new("L", (view_size, view_size), 0))
        self.view_label = ttk.Label(panel, image=self._images["view"], relief="solid",
                                    borderwidth=1)
        self.view_label.grid(row=0, column=1, padx=(10, 0), sticky="ne")
        ttk.Label(panel, text="What the model sees", foreground="#555").grid(
            row=1, column=1, padx=(10, 0), sticky="n")
        ttk.Label(panel, text="Probabilities", foreground="#555").grid(
            row=2, column=0, columnspan=2, sticky="sw", pady=(8, 2))
        self.bars = ProbabilityBars(panel, self.scale)
        self.bars.grid(row=3, column=0, columnspan=2, sticky="nsew")
        panel.rowconfigure(3, weight=1)
        return panel

    def _build_toolbar(self, parent: ttk.Frame) -> ttk.Frame:
        bar = ttk.Frame(parent)
        ttk.Label(bar, text="Brush").pack(side="left")
        self.brush_var = tk.IntVar(self.root, value=min(BRUSH_MAX, max(BRUSH_MIN,
                                                                       self.settings.brush)))
        self.brush_scale = ttk.Scale(bar, from_=BRUSH_MIN, to=BRUSH_MAX, length=110,
                                     command=self._on_brush, variable=self.brush_var)
        self.brush_scale.pack(side="left", padx=(6, 2))
        self.brush_preview = tk.Canvas(bar, width=44, height=44, highlightthickness=0,
                                       background=style_background(self.root))
        self.brush_preview.pack(side="left", padx=(0, 12))
        self.undo_button = ttk.Button(bar, text="Undo", width=7, command=self.undo)
        self.undo_button.pack(side="left", padx=2)
        self.clear_button = ttk.Button(bar, text="Clear", width=7, command=self.clear)
        self.clear_button.pack(side="left", padx=2)
        self.number_var = tk.BooleanVar(self.root, value=self.settings.number_mode)
        self.number_check = ttk.Checkbutton(bar, text="Number mode", variable=self.number_var,
                                            command=self._on_number_mode)
        self.number_check.pack(side="left", padx=(12, 2))
        self.predict_button = ttk.Button(bar, text="Predict", width=9, command=self.predict)
        self.predict_button.pack(side="right")
        self._draw_brush_preview()
        return bar

    def _build_teach_bar(self, parent: ttk.Frame) -> ttk.Frame:
        bar = ttk.Frame(parent)
        ttk.Label(bar, text="Wrong? It is really a").pack(side="left", padx=(0, 6))
        self.teach_buttons = []
        for digit in range(10):
            button = ttk.Button(bar, text=str(digit), style="Teach.TButton",
                                command=partial(self.teach, digit))
            button.pack(side="left", padx=1)
            self.teach_buttons.append(button)
        self.samples_label = ttk.Label(bar, text="", foreground="#555")
        self.samples_label.pack(side="right")
        return bar

    def _build_status_bar(self, root: tk.Tk) -> ttk.Frame:
        bar = ttk.Frame(root, relief="sunken", borderwidth=1)
        self.status_var = tk.StringVar(root)
        # width=1: a long message is cut off rather than widening the window
        self.status_label = ttk.Label(bar, textvariable=self.status_var, style="Status.TLabel",
                                      anchor="w", width=1)
        self.status_label.pack(side="left", fill="x", expand=True)
        self.model_label = ttk.Label(bar, text="", style="Status.TLabel", foreground="#555")
        self.model_label.pack(side="right")
        self.progress = ttk.Progressbar(bar, mode="indeterminate", length=90)
        return bar

    # -- one place that sets every widget for the app's state ----------------------------------

    def _set_state(self, state: str | None = None, message: str | None = None) -> None:
        """Enter ``state`` and show ``message`` (None: the state's own text); with neither,
        keep the status text and bring the widgets up to date."""
        assert state is None or state in STATES, state
        if state is not None or message is not None:
            self.state = state or self.state
            self.status_var.set(message or STATUS_TEXT[self.state])
        loading = self.state == "loading"
        if loading and not self.progress.winfo_manager():
            self.progress.pack(side="right", padx=6, before=self.model_label)
            self.progress.start(15)
        elif not loading and self.progress.winfo_manager():
            self.progress.stop()
            self.progress.pack_forget()
        for index in self._radio_entries():
            self.model_menu.entryconfigure(index, state="disabled" if loading else "normal")
        has_model = self.recognizer is not None
        self.predict_button.state(["!disabled"] if has_model or loading else ["disabled"])
        drawn = bool(self.strokes) or self.photo is not None
        self.undo_button.state(["!disabled"] if self.strokes else ["disabled"])
        self.clear_button.state(["!disabled"] if drawn else ["disabled"])
        can_teach = (has_model and self.current_input is not None
                     and self.shown_serial == self.serial and not self.number_var.get())
        for button in self.teach_buttons:
            button.state(["!disabled"] if can_teach else ["disabled"])
        name = self.recognizer.name if has_model else "no model"
        self.model_label.configure(text=name)
        self.canvas.itemconfigure(self.hint_item, state="hidden" if drawn else "normal")

    # -- drawing -------------------------------------------------------------------------------

    @property
    def brush(self) -> int:
        return int(round(self.brush_var.get()))

    def _on_brush(self, _value: str) -> None:
        self._draw_brush_preview()
        if self.settings.brush != self.brush:
            self.settings.brush = self.brush
            self._remember()

    def _draw_brush_preview(self) -> None:
        self.brush_preview.delete("all")
        r = self.brush * self.scale / 2 * 44 / max(44, BRUSH_MAX * self.scale)
        self.brush_preview.create_oval(22 - r, 22 - r, 22 + r, 22 + r, fill=INK, outline="")

    def _on_press(self, event: tk.Event) -> None:
        if self.photo is not None:
            self.clear()  # drawing over an opened image starts a new drawing
        self._remove_boxes()
        stroke = Stroke(self.brush * self.scale, [(event.x, event.y)])
        self.strokes.append(stroke)
        item = self.canvas.create_line(event.x, event.y, event.x, event.y, fill=INK,
                                       width=stroke.width, capstyle=tk.ROUND,
                                       joinstyle=tk.ROUND, smooth=True, tags="stroke")
        self.stroke_items.append(item)
        self._set_state()
        self._schedule_live()

    def _on_motion(self, event: tk.Event) -> None:
        if not self.strokes or not self.stroke_items:
            return
        points = self.strokes[-1].points
        last_x, last_y = points[-1]
        if abs(event.x - last_x) + abs(event.y - last_y) < 2:
            return  # sub-pixel jitter adds points, not ink
        points.append((event.x, event.y))
        self.canvas.coords(self.stroke_items[-1], *[c for p in points for c in p])
        self._schedule_live()

    def _on_release(self, _event: tk.Event) -> None:
        if self.strokes:
            self._request(explicit=False)

    def undo(self) -> None:
        """Remove the last stroke."""
        if not self.strokes:
            return
        self.strokes.pop()
        self.canvas.delete(self.stroke_items.pop())
        if self.strokes:
            self._request(explicit=False)
        else:
            self.clear()

    def clear(self) -> None:
        """Empty the canvas and forget the prediction."""
        self.epoch += 1
        self.strokes.clear()
        self.stroke_items.clear()
        self.photo = None
        self.canvas.delete("stroke", "photo", "box")
        self._cancel_live()
        self._show_nothing()
        self._set_state(self._resting_state())

    def _resting_state(self) -> str:
        if self.state == "loading":
            return "loading"
        return "ready" if self.recognizer is not None else "error"

    def toggle_number_mode(self) -> None:
        self.number_var.set(not self.number_var.get())
        self._on_number_mode()

    def _on_number_mode(self) -> None:
        self.settings.number_mode = bool(self.number_var.get())
        self._remember()
        self._remove_boxes()
        if self.strokes or self.photo is not None:
            self._request(explicit=False)
        else:
            self._set_state()

    # -- predictions ---------------------------------------------------------------------------

    def predict(self) -> None:
        """Recognize the drawing now (the Predict button and Enter)."""
        if not self.strokes and self.photo is None:
            self._show_nothing()
            self._set_state(self._resting_state(), DRAW_FIRST)
            return
        self._request(explicit=True)

    def _schedule_live(self) -> None:
        if self._live_after is None:
            self._live_after = self.root.after(LIVE_INTERVAL_MS, self._live_update)

    def _live_update(self) -> None:
        self._live_after = None
        self._request(explicit=False)

    def _cancel_live(self) -> None:
        if self._live_after is not None:
            self.root.after_cancel(self._live_after)
            self._live_after = None

    def _request(self, explicit: bool) -> None:
        self._cancel_live()
        self.serial += 1
        strokes = tuple(Stroke(s.width, list(s.points)) for s in self.strokes)
        request = Request(self.serial, self.epoch, strokes, self.size, self.photo,
                          bool(self.number_var.get()))
        self.model_worker.submit("predict", partial(self.engine.predict, request))
        if self.state == "loading":
            self._set_state(message="Loading model… the prediction appears when it is ready.")
        elif explicit and self.recognizer is not None:
            self._set_state("predicting")
        else:
            self._set_state()

    def _poll(self) -> None:
        """Collect what the workers finished (Tk thread only) and show it."""
        # Rescheduled first, so that an error while showing one result stops nothing else.
        self._poll_after = self.root.after(POLL_MS, self._poll)
        for worker in (self.model_worker, self.io_worker):
            while True:
                try:
                    result = worker.results.get_nowait()
                except queue.Empty:
                    break
                self._dispatch(result)

    def _dispatch(self, result: Any) -> None:
        if isinstance(result, Loaded):
            self._on_loaded(result)
        elif isinstance(result, Predicted):
            self._on_predicted(result)
        elif isinstance(result, ImageOpened):
            self._on_image_opened(result)
        elif isinstance(result, Done):
            self._on_done(result)
        elif isinstance(result, Failed):
            self._on_failed(result)

    def _is_current(self, request: Request) -> bool:
        return request.epoch == self.epoch and request.serial > self.shown_serial

    def _on_predicted(self, predicted: Predicted) -> None:
        request, result = predicted.request, predicted.result
        if not self._is_current(request):
            return
        if self.shown_serial < 0:
            self._trace("shown")
        self.shown_serial = request.serial
        self._remove_boxes()
        if hasattr(result, "digits"):
            self._show_number(result, request)
        else:
            self._show_digit(result)
        if self.state == "loading":  # another model is on its way: keep saying so
            self._set_state()
        elif self.state == "predicting" and request.serial < self.serial:
            self._set_state()  # the answer to the Predict button is still to come
        else:
            self._set_state("ready", self._result_message(result))

    def _result_message(self, result: Any) -> str:
        if hasattr(result, "digits"):
            return f"Read the number {result.text} ({result.confidence:.0%} sure)."
        text, sure = describe(result.probabilities)
        return f"It looks like a {result.digit} ({text})." if sure else f"Hmm, {text}"

    def _show_answer(self, text: str, detail: str, sure: bool) -> None:
        """The answer, in the largest font that fits its column, and a line or two on it."""
        room = max(self.digit_label.winfo_width(), round(ANSWER_WIDTH * self.scale)) - 8
        size = BIG_FONT_SIZE
        self.big_font.configure(size=size)
        while size > 16 and self.big_font.measure(text) > room:
            size -= 4
            self.big_font.configure(size=size)
        self.digit_label.configure(text=text, foreground=ACCENT if sure else WARN)
        self.confidence_label.configure(text=detail, foreground="#222" if sure else WARN)

    def _show_digit(self, result: Any) -> None:
        text, sure = describe(result.probabilities)
        self._show_answer(str(result.digit), text.replace(": ", ":\n"), sure)
        self.bars.show(result.probabilities, sure)
        self._show_model_input([result.input])
        self.current_input = result.input

    def _show_number(self, number: Any, request: Request) -> None:
        sure = number.confidence >= LOW_CONFIDENCE
        count = len(number.digits)
        self._show_answer(number.text, f"{plural(count, 'digit')}\n"
                                       f"{number.confidence:.0%} sure", sure)
        self.bars.show(None)
        self._show_model_input([d.input for d in number.digits])
        self.current_input = None
        shrink = self._photo_scale(request)
        for digit in number.digits:
            self._draw_box(digit, shrink)

    def _photo_scale(self, request: Request) -> tuple[float, float, float]:
        """(factor, dx, dy) from image pixels to canvas pixels."""
        if request.photo is None:
            return 1.0, 0.0, 0.0
        h, w = request.photo.shape[:2]
        factor = min(self.size / w, self.size / h)
        return factor, (self.size - w * factor) / 2, (self.size - h * factor) / 2

    def _draw_box(self, digit: Any, shrink: tuple[float, float, float]) -> None:
        factor, dx, dy = shrink
        x, y, w, h = (v * factor for v in digit.box)
        x, y = x + dx, y + dy
        _, sure = describe(digit.probabilities)
        colour = BOX_COLOUR if sure else WARN
        self.canvas.create_rectangle(x - 4, y - 4, x + w + 4, y + h + 4, outline=colour,
                                     width=2, dash=(4, 2), tags="box")
        self.canvas.create_text(x - 2, y - 6, anchor="sw", text=str(digit.digit), fill=colour,
                                font=self.mid_font, tags="box")

    def _remove_boxes(self) -> None:
        self.canvas.delete("box")

    def _show_model_input(self, inputs: list[np.ndarray]) -> None:
        view = self._images["view"]
        view.paste(model_view_image(inputs, view.width()))

    def _show_nothing(self) -> None:
        self._show_answer("", "", True)
        self.bars.show(None)
        self._show_model_input([np.zeros((28, 28), np.float32)])
        self.current_input = None
        self._remove_boxes()

    # -- models --------------------------------------------------------------------------------

    def _on_first_expose(self, _event: tk.Event) -> None:
        """The canvas is on screen: the user can draw, and the model may start loading."""
        if not self._mapped:
            self._mapped = True
            self._trace("mapped", self.canvas.winfo_rootx(), self.canvas.winfo_rooty(),
                        self.size)
            self._start_loading()

    def _start_loading(self) -> None:
        # Only once the window is up: loading (OpenCV's import, or TensorFlow's for a Keras
        # file) would otherwise compete with building the window for the CPU and the GIL.
        if not self._load_started and not self.closed:
            self.select_model(self.settings.model)

    def select_model(self, choice: str) -> None:
        """Load ``choice`` ('model1', 'model2', 'both' or a file path) in the background."""
        self._load_started = True
        self.model_var.set(choice)
        self.model_worker.submit("load", partial(self.engine.load, choice))
        name = choice_label(choice)
        self._set_state("loading", f"Loading model: {name}… you can draw meanwhile.")

    def open_model_file(self) -> None:
        """Model ▸ Open model file…: any compatible .h5 or .keras file."""
        path = self.ask_open_model()
        if path:
            self.select_model(str(path))

    def _on_loaded(self, loaded: Loaded) -> None:
        self.recognizer = loaded.recognizer
        self.active_choice = loaded.choice
        self.model_var.set(loaded.choice)
        self._mark_custom_model(loaded.choice)
        if self.settings.model != loaded.choice:
            self.settings.model = loaded.choice
            self._remember()
        self._trace("ready")
        if self.model_worker.has_pending("load"):  # another model was asked for meanwhile
            return
        notices = getattr(loaded.recognizer, "notices", ())
        self._set_state("ready", " ".join(notices) or f"{loaded.recognizer.name} is ready.")
        if self.strokes or self.photo is not None:
            self._request(explicit=False)  # the new model's answer for what is drawn
        if not self._preloaded:
            self._preloaded = True
            self.model_worker.submit("preload", partial(
                self.engine.preload, MODEL_CHOICES))

    def _radio_entries(self) -> list[int]:
        """Indices of the Model menu's radio entries (bundled models and opened files)."""
        return [i for i in range(self.model_menu.index("end") + 1)
                if self.model_menu.type(i) == "radiobutton"]

    def _mark_custom_model(self, choice: str) -> None:
        """Give a model opened from a file its own radio entry, so the mark can show it."""
        values = [self.model_menu.entrycget(i, "value") for i in self._radio_entries()]
        if choice not in values:
            self.model_menu.insert_radiobutton(len(MODEL_CHOICES), label=Path(choice).name,
                                               variable=self.model_var, value=choice,
                                               command=partial(self.select_model, choice))

    def _on_failed(self, failed: Failed) -> None:
        if failed.kind == "load":
            self._on_load_failed(failed)
        elif failed.kind == "predict" and isinstance(failed.subject, Request):
            if self._is_current(failed.subject):
                self.shown_serial = failed.subject.serial
                self._show_nothing()
                self._set_state(self._resting_state(), failed.message)
        elif failed.kind == "image":
            self.show_error("Cannot open this image", failed.message)
        elif failed.kind == "count":
            self.samples_label.configure(text="saved corrections unreadable")
            self._set_state(message=failed.message)
        else:
            self._set_state(message=failed.message)

    def _on_load_failed(self, failed: Failed) -> None:
        self.failed_choices.add(str(failed.subject or self.model_var.get()))
        self.model_var.set(self.active_choice or "")
        if self.model_worker.has_pending("load"):
            return
        state = "ready" if self.recognizer is not None else "error"
        self._set_state(state, None if state == "error" else
                        f"Kept {self.recognizer.name}: the other model could not be used.")
        self.show_error("Cannot use this model", failed.message)
        if self.recognizer is None and DEFAULT_MODEL not in self.failed_choices:
            self.select_model(DEFAULT_MODEL)  # e.g. a remembered model file that is gone

    # -- files ---------------------------------------------------------------------------------

    def open_image(self) -> None:
        """File ▸ Open image…: a photo or scan of a handwritten digit."""
        path = self.ask_open_image()
        if path:
            self.io_worker.submit("image", partial(open_image_job, Path(path), self.size))
            self._set_state(message=f"Opening {Path(path).name}…")

    def _on_image_opened(self, opened: ImageOpened) -> None:
        self.clear()
        self.photo = opened.image
        self._images["photo"] = ImageTk.PhotoImage(opened.preview)
        self.canvas.create_image(self.size / 2, self.size / 2, image=self._images["photo"],
                                 tags="photo")
        self.canvas.tag_lower("photo")
        self._request(explicit=True)

    def save_drawing(self) -> None:
        """File ▸ Save drawing…: the drawing as a PNG (what the recognizer reads)."""
        if not self.strokes and self.photo is None:
            self._set_state(message="Nothing to save: " + DRAW_FIRST.lower())
            return
        path = self.ask_save_drawing()
        if not path:
            return
        image = (Image.fromarray(self.photo) if self.photo is not None
                 else render_strokes(self.strokes, self.size))
        self.io_worker.submit("save", partial(save_png_job, image, Path(path)))

    # -- teaching ------------------------------------------------------------------------------

    def teach(self, digit: int) -> None:
        """Save the current 28x28 input as a sample of ``digit`` (the user's correction)."""
        if self.number_var.get():
            self._set_state(message="Teaching works on one digit: turn number mode off.")
            return
        if self.current_input is None or self.shown_serial != self.serial:
            self._set_state(message=DRAW_FIRST if not self.strokes and self.photo is None
                            else "Wait for the prediction, then teach.")
            return
        self._teach_serial += 1  # every sample counts: distinct job kinds never replace
        self.io_worker.submit(f"teach-{self._teach_serial}",
                              partial(teach_job, self.current_input.copy(), digit,
                                      self.corrections))
        self._set_state(message=f"Saving as a {digit}…")

    def _on_done(self, done: Done) -> None:
        if done.count is not None:
            self.samples_label.configure(text=f"{plural(done.count, 'sample')} saved"
                                         if done.count else "")
        if done.message:
            self._set_state(message=done.message)

    def copy_fine_tune(self) -> None:
        """Help ▸ Copy fine-tune command: put the command on the clipboard."""
        command = fine_tune_command(self.corrections)
        self.root.clipboard_clear()
        self.root.clipboard_append(command)
        self._set_state(message="Copied: " + command)

    # -- settings, help, quitting --------------------------------------------------------------

    def _remember(self) -> None:
        snapshot = replace(self.settings)
        self.io_worker.submit("settings", partial(save_settings_job, snapshot,
                                                  self.settings_file))

    def show_shortcuts(self) -> None:
        lines = [f"{keys:<18}{what}" for _, keys, what, _ in SHORTCUTS]
        lines.append(f"{TEACH_SHORTCUT[0]:<18}{TEACH_SHORTCUT[1]}")
        self.show_info("Keyboard shortcuts", "\n".join(lines))

    def about_text(self) -> str:
        """Versions of everything involved and the active model's metadata."""
        versions = [f"Digit Recognizer {__version__}", f"Python {platform.python_version()}",
                    f"Tk {self.root.tk.call('info', 'patchlevel')}", f"NumPy {np.__version__}",
                    f"Pillow {Image.__version__}"]
        for module, name in LOADED_LIBRARIES:
            if module in sys.modules:
                versions.append(f"{name} {getattr(sys.modules[module], '__version__', '?')}")
        lines = versions + [""]
        if self.recognizer is None:
            return "\n".join(lines + ["No model loaded yet."])
        lines.append(f"Model: {self.recognizer.name}")
        if getattr(self.recognizer, "path", None):
            lines.append(f"File: {self.recognizer.path}")
        runtime = getattr(self.recognizer, "runtime", None)
        if runtime in RUNTIME_LABELS:
            lines.append(f"Runs on: {RUNTIME_LABELS[runtime]}")
        metadata = getattr(self.recognizer, "metadata", {}) or {}
        for key, label, show in ABOUT_FIELDS:
            if metadata.get(key) is not None:
                lines.append(f"{label}: {show(metadata[key])}")
        return "\n".join(lines)

    def show_about(self) -> None:
        self.show_info(f"About {TITLE}", self.about_text())

    def quit(self) -> None:
        """File ▸ Quit, Ctrl+Q and the window's close button."""
        self.close()

    def close(self) -> None:
        """Stop the workers, save the settings and destroy the window."""
        if self.closed:
            return
        self.closed = True
        for after_id in (self._live_after, self._poll_after, self._map_after, self._beat_after):
            if after_id is not None:
                self.root.after_cancel(after_id)
        self.progress.stop()
        self.model_worker.stop()  # a model still loading is not waited for
        # A settings or sample file still being written finishes first, so that the final
        # save below is the last word and no sample is cut short.
        self.io_worker.stop(wait=IO_WAIT_S)
        self._images.clear()  # PhotoImages are freed here, on the Tk thread
        try:
            save_settings(self.settings, self.settings_file)
        except OSError as err:
            print(f"warning: could not save settings to {self.settings_file}: {err}",
                  file=sys.stderr)
        self.root.destroy()

    def _trace(self, event: str, *values: object) -> None:
        if self.trace_file is not None:
            with open(self.trace_file, "a", encoding="utf-8") as out:
                out.write(" ".join([event, f"{time.time():.6f}", *map(str, values)]) + "\n")

    def _heartbeat(self, last: float) -> None:
        """While tracing: find the longest gap between event-loop turns, i.e. UI stalls."""
        now = time.monotonic()
        phase = "ready" if self.recognizer is not None else "loading"
        gap_ms = (now - last) * 1000 - HEARTBEAT_MS
        if gap_ms > self._worst_gap.get(phase, 0):
            self._worst_gap[phase] = gap_ms
            self._trace("stall", phase, f"{gap_ms:.0f}")
        self._beat_after = self.root.after(HEARTBEAT_MS, self._heartbeat, now)

    # -- dialogs: wrapped so that tests can replace them ---------------------------------------

    def ask_open_model(self) -> str:
        return filedialog.askopenfilename(
            parent=self.root, title="Open a model file",
            filetypes=[("Keras models", "*.h5 *.keras"), ("All files", "*")])

    def ask_open_image(self) -> str:
        return filedialog.askopenfilename(
            parent=self.root, title="Open a photo or scan of a digit",
            filetypes=[("Images", "*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp"),
                       ("All files", "*")])

    def ask_save_drawing(self) -> str:
        return filedialog.asksaveasfilename(
            parent=self.root, title="Save the drawing", defaultextension=".png",
            filetypes=[("PNG images", "*.png")], initialfile="digit.png")

    def show_error(self, title: str, message: str) -> None:
        messagebox.showerror(title, message, parent=self.root)

    def show_info(self, title: str, message: str) -> None:
        messagebox.showinfo(title, message, parent=self.root)


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The command line's options; ``prog`` is how the usage line says it was started."""
    parser = argparse.ArgumentParser(prog=prog,
                                     description="Draw a digit; a CNN says which one it is.")
    parser.add_argument("--model", help="model1, model2, both, or the path of a .h5/.keras "
                                        "file (default: the last one used, else model1)")
    parser.add_argument("--models-dir", default=str(MODELS_DIR),
                        help="folder with the bundled models (default: the repository's "
                             "models/)")
    return parser


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    """Open the window and run it until it is closed; returns the exit code.

    ``prog`` names the command in usage and errors: ``main.py`` passes its own.
    """
    args = build_parser(prog).parse_args(argv)
    try:
        root = tk.Tk(className="DigitRecognizer")
    except tk.TclError as err:
        print(f"error: cannot open a window ({err}); is a display available?", file=sys.stderr)
        return 1
    DigitRecognizerApp(root, partial(load_model_choice, models_dir=args.models_dir),
                       preload=partial(load_model_choice, models_dir=args.models_dir,
                                       in_child=False),
                       model=args.model, models_dir=args.models_dir,
                       trace=os.environ.get(TRACE_ENV) or None)
    root.mainloop()
    return 0
