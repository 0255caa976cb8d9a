"""The desktop app: draw a digit, see what the network sees and which digit it thinks it is.

    python main.py [--model model1|model2|both|PATH] [--models-dir DIR] [--geometry WxH]
    python -m digit_recognizer gui [same options]

The window is made of parts, each in its own module of ``app.window``: the paper
(``drawing_canvas``), the answer (``answer_panel``), the controls (``toolbar``), the Model menu
(``model_menu``), the status bar (``status_bar``) and the dialogs (``dialogs``); ``main_window``
lays them out, ``answering`` takes a drawing to its answer on screen and ``model_choice`` loads
the model chosen. ``DigitRecognizerApp`` keeps the state and carries out the user's actions.
It appears at once: its start path imports only tkinter, NumPy and Pillow. A background thread
then loads the bundled models from their ONNX copies, which OpenCV runs (``inference``;
milliseconds, no TensorFlow), and keeps them, so switching between them is instant. A model
file of the user's, or a bundled model whose ONNX copy is missing or out of date, loads with
TensorFlow in a child process (``model_process``), whose import would otherwise freeze the
window. Once the window is up, that child also imports TensorFlow ahead of time: teaching
(a digit button, Ctrl+<digit>) saves the correction, then fine-tunes the user's personal model
there in a few seconds (``user_files.PersonalTeaching``, ``personal_model``). Tk is not
thread-safe: the workers (``worker``) never touch a widget; they put results in a queue that
the Tk thread polls with ``after``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tkinter as tk
from dataclasses import replace
from functools import partial
from pathlib import Path
from tkinter import filedialog, messagebox
from typing import Callable

from digit_recognizer.app.action_table import window_actions
from digit_recognizer.app.answering import Answering, image_undo
from digit_recognizer.app.background.engine import Engine
from digit_recognizer.app.background.file_jobs import count_job, save_settings_job
from digit_recognizer.app.background.job_results import (
    Done,
    Failed,
    ImageOpened,
    Learned,
    Loaded,
    Predicted,
    Request,
    TookBack,
)
from digit_recognizer.app.background.model_loading import ModelLoader
from digit_recognizer.app.background.model_process import PersonaliseOptions
from digit_recognizer.app.background.worker import Worker
from digit_recognizer.app.model_choice import ModelChoice
from digit_recognizer.app.personal_model import personal_path
from digit_recognizer.app.settings import load_settings, save_settings, settings_path
from digit_recognizer.app.startup_trace import TRACE_ENV, StartupTrace
from digit_recognizer.app.taking_back import TakingBack
from digit_recognizer.app.teaching import corrections_dir
from digit_recognizer.app.terminal_log import log_details_to_terminal
from digit_recognizer.app.user_files import FILE_JOBS, PersonalTeaching, UserFiles
from digit_recognizer.app.window import dialogs
from digit_recognizer.app.window.help_info import about_lines, shortcut_rows
from digit_recognizer.app.window.main_window import MainWindow, geometry_option
from digit_recognizer.app.window.toolbar import ToolbarChanges
from digit_recognizer.app.window.wording import DRAW_FIRST
from digit_recognizer.core.catalogue import DEFAULT_CHOICE, MODELS_DIR
from digit_recognizer.training.fine_tuning.pool_cache import default_cache_dir

__all__ = ["DigitRecognizerApp", "build_parser", "main"]

TITLE = "Digit Recognizer"
PROG = "python -m digit_recognizer gui"  # __main__ calls main(argv) without a prog
POLL_MS = 20  # how often the Tk thread collects results from the workers
MAP_TIMEOUT_MS = 1000  # start loading the model by then even if the window is not mapped
IO_WAIT_S = 5.0  # on closing, how long a file being written may take to finish
STATES = ("loading", "ready", "predicting", "error")
READY = "Ready: draw a digit."
TEACHER_JOBS = ("learn", "warm", "export")  # their failures are the personal model's


class DigitRecognizerApp:
    """The main window's state and what the user's actions do; ``window`` holds the parts,
    ``answering`` takes drawings to answers, ``models`` loads the model chosen, ``files`` opens,
    saves and teaches, ``teaching`` fine-tunes the personal model.

    ``load_recognizer(choice)`` turns a model choice ('model1', 'model2', 'both' or a file
    path) into a recognizer on a worker thread; it raises ``ModelError`` for an unusable model.
    ``preload(choice)``, if given, loads a bundled choice without TensorFlow, so that switching
    to it is instant. ``teacher`` (a ``model_loading.ModelLoader``), if given, fine-tunes.
    """

    def __init__(self, root: tk.Tk, load_recognizer: Callable[[str], object], *,
                 preload: Callable[[str], object] | None = None, model: str | None = None,
                 models_dir: str | os.PathLike | None = None,
                 settings_file: str | os.PathLike | None = None,
                 corrections: str | os.PathLike | None = None,
                 trace: str | os.PathLike | None = None, teacher: object | None = None) -> None:
        self.root = root
        self.models_dir = Path(models_dir) if models_dir is not None else MODELS_DIR
        self.settings_file = Path(settings_file) if settings_file else settings_path()
        self.corrections = Path(corrections) if corrections else corrections_dir()
        self.settings = load_settings(self.settings_file)
        if model is not None:
            self.settings.model = model
        self.engine = Engine(load_recognizer, preload, getattr(teacher, "personalise", None))
        self.model_worker = Worker("digit-recognizer-model")
        self.io_worker = Worker("digit-recognizer-files")
        self.state, self.recognizer, self.active_choice = "loading", None, None
        self.closed = self._mapped = False
        root.title(TITLE)
        s = self.settings
        changes = ToolbarChanges(self.brush_changed, self.number_mode_changed, self.live_changed)
        self.window = MainWindow(root, drawing_changed=self.drawing_changed, changes=changes,
                                 model=s.model, brush=s.brush, number_mode=s.number_mode,
                                 live=s.live, models_dir=self.models_dir)
        self.models = ModelChoice(self)
        self.answering = Answering(self.window, self.model_worker, self.engine)
        self.teaching = PersonalTeaching(self, teacher)
        self.taking_back = TakingBack(self)  # Undo, right after a teach
        self.files = UserFiles(self.window, self.io_worker, self.answering, self.corrections,
                               self.say, lambda title, text: self.show_error(title, text),
                               self.teaching, self.taking_back)
        self.window.connect(window_actions(self))  # every part is there to act now
        self.trace = StartupTrace(root, trace, lambda: "ready" if self.recognizer else "loading")
        self.set_state("loading", "Loading the model… you can draw meanwhile.")
        root.protocol("WM_DELETE_WINDOW", self.quit)
        # The first <Expose>: the paper is on screen at its place (after <Map> a click may
        # still land on the frame behind), so the user can draw and the model may load.
        self.window.canvas.bind("<Expose>", self._on_first_expose, add=True)
        if self.trace.path is not None:  # the screenshot command finds the paper by it
            self.window.canvas.bind("<Configure>", lambda _: self._trace_paper("paper"), add=True)
        self._map_after = root.after(MAP_TIMEOUT_MS, self._start_loading)
        self._poll_after = root.after(POLL_MS, self._poll)
        self.io_worker.submit("count", partial(count_job, self.corrections))

    # -- one place that sets every widget for the app's state ----------------------------------

    def set_state(self, state: str | None = None, message: str | None = None, *,
                  details: str | None = None, tone: str = "info") -> None:
        """Enter ``state``, show ``message`` (None: keep it), bring the widgets up to date."""
        assert state is None or state in STATES, state
        self.state = state or self.state
        w = self.window
        if message is not None:
            w.status.show(message, details=details, tone=tone)
        w.status.busy(self.state == "loading" or self.teaching.learning)
        w.model_menu.enable(self.state != "loading")
        w.status.offer_undo(self.taking_back.available)  # a link: a teach is taken back
        w.toolbar.enable(undo=w.canvas.can_undo or self.taking_back.available,
                         redo=w.canvas.can_redo, clear=not w.canvas.drawing.empty)
        self.answering.offer_teaching(model_loaded=self.recognizer is not None)
        w.status.set_model(self.recognizer.name if self.recognizer else "no model")

    def say(self, message: str, details: str | None = None, tone: str = "info") -> None:
        self.set_state(message=message, details=details, tone=tone)

    def _resting_state(self) -> str:
        if self.state == "loading":
            return "loading"
        return "ready" if self.recognizer is not None else "error"

    # -- drawing -------------------------------------------------------------------------------

    def drawing_changed(self, kind: str) -> None:
        """The paper changed: ``kind`` is one of ``drawing_canvas.CHANGES``."""
        live = self.window.live
        if kind in ("start", "undo", "redo", "clear", "image"):
            self.taking_back.forget()  # the drawing is the last action now: Undo is its
        replaced = self.answering.replaced_image() if kind == "start" else None
        if replaced:
            self.answering.new_epoch()
            self.set_state(message=f"A new drawing: {image_undo(replaced)}")
        if kind in ("start", "move"):
            if live:
                self.answering.schedule_live()
            if kind == "start":  # Undo and Clear come alive; a moving pen changes no control
                self.set_state()
        elif kind == "end":
            if live:
                self._request(explicit=False)
        else:  # undo, redo, clear, image: another drawing, whose answer is still to come
            self.answering.new_epoch()
            drawing = self.window.canvas.drawing  # an image, opened or brought back, is answered
            if not drawing.empty and (live or drawing.image is not None):
                self._request(explicit=drawing.image is not None)
            else:
                self.set_state(self._resting_state(), READY if kind == "clear" else None)

    def brush_changed(self) -> None:
        if self.settings.brush != self.window.toolbar.brush:
            self.settings.brush = self.window.toolbar.brush
            self.remember()

    def number_mode_changed(self) -> None:
        self.settings.number_mode = self.window.number_mode
        self.remember()
        self.window.show_mode()
        self.window.canvas.remove_boxes()
        self.answer_again()

    def live_changed(self) -> None:
        self.settings.live = self.window.live
        self.remember()
        self.set_state(message="Live answers: the answer follows the pen." if self.settings.live
                       else "Live answers off: press Predict (or Enter) for an answer.")

    def answer_again(self) -> None:
        if not self.window.canvas.drawing.empty:
            self._request(explicit=False)
        else:
            self.set_state()

    # -- answers -------------------------------------------------------------------------------

    def predict(self) -> None:
        """Recognize the drawing now (Enter, and Predict when live answers are off)."""
        if self.window.canvas.drawing.empty:
            self.answering.show_nothing()
            self.set_state(self._resting_state(), DRAW_FIRST)
        else:
            self._request(explicit=True)

    def _request(self, explicit: bool) -> None:
        self.answering.request()
        if self.state == "loading":
            self.set_state(message="The answer appears as soon as the model is loaded.")
        elif explicit and self.recognizer is not None:
            self.set_state("predicting", "Recognizing…")
        else:
            self.set_state()

    def _poll(self) -> None:
        """Collect what the workers finished (Tk thread only) and show it."""
        # Rescheduled first, so that an error while showing one result stops nothing else.
        self._poll_after = self.root.after(POLL_MS, self._poll)
        for result in (self.model_worker.finished() + self.io_worker.finished()
                       + self.teaching.finished()):
            self._dispatch(result)

    def _dispatch(self, result: object) -> None:
        if isinstance(result, Failed) and result.kind.split("-")[0] in FILE_JOBS:
            self.files.on_failed(result)
            return
        handlers = {Loaded: self.models.on_loaded, Predicted: self._on_predicted,
                    ImageOpened: self.files.on_image_opened, Done: self.files.on_done,
                    Failed: self._on_failed, Learned: self.teaching.on_learned,
                    TookBack: self.taking_back.on_took_back}
        handlers[type(result)](result)

    def _on_predicted(self, predicted: Predicted) -> None:
        first = self.answering.shown_serial < 0
        if not self.answering.show(predicted):
            return
        if first:
            self.trace.event("shown")
        if self.state == "loading":  # another model is on its way: keep saying so
            self.set_state()
        elif self.state == "predicting" and not self.answering.up_to_date:
            self.set_state()  # the answer to Predict is still to come
        else:
            self.set_state("ready", self.answering.message(self.teaching.take_note(),
                                                           predicted.result))

    # -- models --------------------------------------------------------------------------------

    def _on_first_expose(self, _event: tk.Event) -> None:
        if not self._mapped:
            self._mapped = True
            self._trace_paper("mapped")
            self._start_loading()

    def _trace_paper(self, event: str) -> None:
        canvas = self.window.canvas  # where the paper is: first shown, then after each resize
        self.trace.event(event, canvas.winfo_rootx(), canvas.winfo_rooty(), canvas.side)

    def _start_loading(self) -> None:
        # Only once the window is up: loading would otherwise compete with building it.
        if not self.models.started and not self.closed:
            self.select_model(self.settings.model)

    def select_model(self, choice: str) -> None:
        """Load ``choice`` ('model1', 'model2', 'both' or a file path) in the background."""
        self.taking_back.forget()  # another model chosen: Undo no longer takes a teach back
        self.models.select(choice)

    def use_model(self, loaded: Loaded) -> None:
        """Make ``loaded`` the model in use: the menu's mark, the settings."""
        self.models.use(loaded)

    def _on_failed(self, failed: Failed) -> None:
        if failed.kind == "load":
            self.models.on_load_failed(failed)
        elif failed.kind in TEACHER_JOBS:
            self.teaching.on_failed(failed)
        elif failed.kind == "predict" and isinstance(failed.subject, Request):
            if self.answering.drop(failed.subject):
                self.set_state(self._resting_state(), failed.message)
        else:
            self.set_state(message=failed.message, tone="error")

    # -- settings, help, quitting --------------------------------------------------------------

    def remember(self) -> None:
        """Save the settings, on the file worker."""
        self.io_worker.submit("settings", partial(save_settings_job, replace(self.settings),
                                                  self.settings_file))

    def show_shortcuts(self) -> tk.Toplevel:
        return dialogs.shortcuts_dialog(self.root, shortcut_rows())

    def show_about(self) -> tk.Toplevel:
        lines = about_lines(str(self.root.tk.call("info", "patchlevel")), self.recognizer)
        return dialogs.about_dialog(self.root, f"About {TITLE}", lines)

    def quit(self) -> None:
        """File ▸ Quit, Ctrl+Q and the window's close button."""
        self.close()

    def close(self) -> None:
        """Stop the workers, save the settings and destroy the window."""
        if self.closed:
            return
        self.closed = True
        self.answering.cancel_live()
        for after_id in (self._poll_after, self._map_after):
            self.root.after_cancel(after_id)
        self.trace.stop()
        self.window.status.busy(False)
        self.model_worker.stop()  # a model still loading is not waited for
        self.teaching.close()
        # A settings or sample file still being written finishes first, so that the final
        # save below is the last word and no sample is cut short.
        self.io_worker.stop(wait=IO_WAIT_S)
        try:
            save_settings(self.settings, self.settings_file)
        except OSError as err:
            print(f"warning: could not save settings to {self.settings_file}: {err}",
                  file=sys.stderr)
        self.root.destroy()

    # -- dialogs: wrapped so that tests can replace them ---------------------------------------

    def ask_open_model(self) -> str:
        path = filedialog.askopenfilename(
            parent=self.root, title="Open a model file",
            filetypes=[("Keras models", "*.h5 *.keras"), ("All files", "*")])
        dialogs.return_focus(self.root)
        self.files.start_folder.chose(path)  # Export's chooser opens there next
        return path

    def show_error(self, title: str, message: str) -> None:
        messagebox.showerror(title, message, parent=self.root)
        dialogs.return_focus(self.root)


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The command line's options; ``prog`` is how the usage line says it was started."""
    parser = argparse.ArgumentParser(prog=prog,
                                     description="Draw a digit; a CNN says which one it is.")
    parser.add_argument("--model", help="model1, model2, both, or the path of a .h5/.keras "
                                        f"file (default: the last one used, else {DEFAULT_CHOICE})")
    parser.add_argument("--models-dir", default=str(MODELS_DIR),
                        help="folder with the bundled models (default: the repository's "
                             "models/)")
    parser.add_argument("--geometry", type=geometry_option, metavar="WIDTHxHEIGHT[+X+Y]",
                        help="the window's size in pixels, and where it opens, as X programs "
                             "take it (e.g. 1200x900); a size under the smallest that shows "
                             "every control gives that smallest")
    return parser


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    """Open the window and run it until it is closed; returns the exit code.

    ``prog`` names the command in usage and errors: ``main.py`` passes its own.
    """
    args = build_parser(prog).parse_args(argv)
    log_details_to_terminal()
    try:
        root = tk.Tk(className="DigitRecognizer")
    except tk.TclError as err:
        print(f"error: cannot open a window ({err}); is a display available?", file=sys.stderr)
        return 1
    # the base's pools, kept where the fine-tune command finds them too
    options = PersonaliseOptions(cache_dir=str(default_cache_dir()))
    loader = ModelLoader(args.models_dir, personal=personal_path(corrections_dir()),
                         options=options)
    DigitRecognizerApp(root, loader, preload=loader.in_process, model=args.model,
                       models_dir=args.models_dir, trace=os.environ.get(TRACE_ENV) or None,
                       teacher=loader)
    if args.geometry:
        root.geometry(args.geometry)  # after the window set its smallest size, which Tk keeps to
    try:
        root.mainloop()
    finally:
        loader.close()
    return 0
