"""What the window reads and writes for the user: opened images, saved drawings, corrections,
and the personal model that teaching fine-tunes.

The work runs on the window's file worker (``file_jobs``); the results come back through the
window's poll to ``on_image_opened``, ``on_done`` and ``on_failed`` here. ``PersonalTeaching``
turns each saved correction into a fine-tuning on the model worker, and shows its result in
the status bar and the Model menu. The file dialogs are methods, so tests can replace them.
"""

from __future__ import annotations

import sys
import tkinter as tk
from functools import partial
from pathlib import Path
from tkinter import filedialog
from typing import Any, Callable

from PIL import Image

from digit_recognizer.app.answering import PICK_A_DIGIT, WHY_NOT_TEACH, Answering
from digit_recognizer.app.background.file_jobs import (
    count_job,
    open_image_job,
    save_png_job,
    teach_job,
)
from digit_recognizer.app.background.job_results import Done, Failed, ImageOpened, Learned, Lesson
from digit_recognizer.app.background.worker import Worker
from digit_recognizer.app.corrections_manager import corrections_dialog
from digit_recognizer.app.personal_model import (
    PersonalModel,
    base_for,
    learned_message,
    legacy_path,
    personal_path,
    read_personal,
    set_aside,
)
from digit_recognizer.app.taking_back import TakingBack
from digit_recognizer.app.teaching import fine_tune_command
from digit_recognizer.app.teaching_view import TeachingHost
from digit_recognizer.app.window.dialogs import StartFolder, ask_yes_no, return_focus
from digit_recognizer.app.window.main_window import MainWindow
from digit_recognizer.app.window.wording import DRAW_FIRST, plural
from digit_recognizer.core.catalogue import DEFAULT_CHOICE, DEFAULT_MODEL, choice_label
from digit_recognizer.core.confidence import contradicts
from digit_recognizer.core.strokes import render_strokes

__all__ = ["UserFiles", "PersonalTeaching", "FILE_JOBS", "EXPORT_DELAY_MS"]

FILE_JOBS = ("image", "save", "teach", "count")  # the job kinds whose results come here
IMAGE_TYPES = [("Images", "*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp"),
               ("All files", "*")]

Say = Callable[..., None]  # say(message, details=None, tone="info"): the status bar
# The personal model's ONNX copy (a second of the model process's time) is made once teaching
# pauses this long, off the path from a press to the new answer.
EXPORT_DELAY_MS = 3000


class UserFiles:
    """Open image, Save drawing, and teaching: saving the user's corrections."""

    def __init__(self, window: MainWindow, worker: Worker, answering: Answering,
                 corrections: Path, say: Say, show_error: Callable[[str, str], None],
                 teaching: PersonalTeaching | None = None,
                 taking_back: TakingBack | None = None) -> None:
        """``teaching``: fine-tunes the personal model after each saved or edited correction;
        ``taking_back``: keeps the last teach for Undo."""
        self.window, self.worker, self.answering = window, worker, answering
        self.corrections, self.say, self.show_error = corrections, say, show_error
        self.teaching, self.taking_back = teaching, taking_back
        self._teach_serial = 0
        # Where the user last opened, saved or exported something: Export's chooser opens there.
        self.start_folder = StartFolder()

    def open_image(self) -> None:
        """File ▸ Open image…: a photo or scan of a handwritten digit."""
        path = self.ask_open_image()
        if path:
            root = self.window.root  # the paper never grows past the screen: nor the preview
            largest = max(root.winfo_screenwidth(), root.winfo_screenheight())
            self.worker.submit("image", partial(open_image_job, Path(path), largest))
            self.say(f"Opening {Path(path).name}…")

    def save_drawing(self) -> None:
        """File ▸ Save drawing…: the drawing as a PNG (what the recognizer reads)."""
        canvas = self.window.canvas
        if canvas.drawing.empty:
            self.say("Nothing to save yet: draw a digit first.")
            return
        path = self.ask_save_drawing()
        if path:
            image = (Image.fromarray(canvas.drawing.image) if canvas.drawing.image is not None
                     else render_strokes(canvas.strokes_in_pixels(), canvas.side))
            self.worker.submit("save", partial(save_png_job, image, Path(path)))

    def teach(self, digit: int) -> None:
        """Save the answer's 28x28 input as a sample of ``digit`` (the user's correction); in
        number mode, the input of the digit chosen by a click (``pick_digit``)."""
        answering = self.answering
        why_not = answering.why_not_teach(model_loaded=True)  # no model: no input either
        if why_not is not None:
            self.say(DRAW_FIRST if self.window.canvas.drawing.empty
                     else WHY_NOT_TEACH[PICK_A_DIGIT] if why_not == PICK_A_DIGIT
                     else "Wait for the answer, then teach.")
        elif self._confirmed(answering.current_result, digit):
            self._teach_serial += 1  # every sample counts: distinct job kinds never replace
            image = answering.current_input.copy()
            self.worker.submit(f"teach-{self._teach_serial}", partial(
                teach_job, image, digit, self.corrections))
            if self.taking_back is not None:
                self.taking_back.started(image)
            which = f" digit {answering.chosen + 1}" if answering.chosen is not None else ""
            self.say(f"Saving{which} as a {digit}…")

    def pick_digit(self, index: int) -> None:
        """A click on the chart, or the box's label, of digit ``index`` of the number shown:
        teaching corrects that digit now."""
        if self.answering.choose(index):
            read = self.answering.current_result
            what = "no digit" if read.not_a_digit else f"a {read.digit}"
            self.say(f"Digit {index + 1} reads as {what}. If it is another, press that digit "
                     "below (or Ctrl+digit).")

    def _confirmed(self, result: Any, digit: int) -> bool:
        """Whether to teach ``digit`` for the answer ``result``: asked first when the model is
        all but certain of another digit, since a mis-click is then the likelier story."""
        if not contradicts(result.probabilities, digit):
            return True
        if self.confirm_teach(result.digit, result.confidence, digit):
            return True
        self.say(f"Not taught: the model still reads it as a {result.digit}.")
        return False

    def manage_corrections(self) -> tk.Toplevel:
        """Model ▸ Corrections…: see, delete, relabel and export the saved samples."""
        return corrections_dialog(self.window.root, self.corrections, on_change=self.changed,
                                  start_folder=self.start_folder)

    def changed(self) -> None:
        """The corrections manager changed the samples: recount them, refit the model."""
        self.recount()
        if self.teaching is not None:
            self.teaching.refit()  # nothing to do without a personal model

    def recount(self) -> None:
        """Bring the "N corrections saved" count up to date with the folder."""
        self.worker.submit("count", partial(count_job, self.corrections))

    def copy_fine_tune(self) -> str:
        """The command that fine-tunes on the corrections, put on the clipboard."""
        command = fine_tune_command(self.corrections)
        self.window.root.clipboard_clear()
        self.window.root.clipboard_append(command)
        self.say("Copied the fine-tune command.", details=command)
        return command

    # -- results from the file worker ----------------------------------------------------------

    def on_image_opened(self, opened: ImageOpened) -> None:
        # Undo brings the drawing back; the answer's status names the image
        self.window.canvas.show_image(opened.image, opened.preview, opened.path.name)

    def on_done(self, done: Done) -> None:
        if done.count is not None:
            self.window.teach_bar.count_label.configure(
                text=f"{plural(done.count, 'correction')} saved" if done.count else "")
        if done.kind == "teach" and self.taking_back is not None:
            self.taking_back.saved(done)
        if done.kind == "teach" and self.teaching is not None and self.teaching.enabled \
                and done.label is not None:
            self.teaching.learn(done.label)
        elif done.message:
            self.say(done.message)

    def on_failed(self, failed: Failed) -> None:
        if failed.kind == "image":
            self.say(f"Could not open {Path(failed.subject).name}.", details=failed.message,
                     tone="error")
            self.show_error("Cannot open this image", failed.message)
        elif failed.kind == "count":
            self.window.teach_bar.count_label.configure(text="saved corrections unreadable")
            self.say(failed.message, tone="warning")
        else:
            self.say(failed.message, tone="error")

    # -- dialogs: methods, so that tests can replace them --------------------------------------

    def ask_open_image(self) -> str:
        return self._chosen(filedialog.askopenfilename(
            parent=self.window.root, filetypes=IMAGE_TYPES,
            title="Open a photo or scan of a digit"))

    def ask_save_drawing(self) -> str:
        return self._chosen(filedialog.asksaveasfilename(
            parent=self.window.root, title="Save the drawing", defaultextension=".png",
            filetypes=[("PNG images", "*.png")], initialfile="digit.png"))

    def confirm_teach(self, read: int, confidence: float, digit: int) -> bool:
        """"The model reads this as a 4 (100% sure). Teach it as a 9?"; No by default."""
        return ask_yes_no(self.window.root, "Teach it?", f"The model reads this as a {read} "
                          f"({confidence:.0%} sure). Teach it as a {digit}?")

    def _chosen(self, path: str) -> str:
        """What a file chooser returned; its folder is remembered, the focus given back."""
        return_focus(self.window.root)
        self.start_folder.chose(path)
        return path


class PersonalTeaching:
    """The personal model on the window's side: its menu entry, the fine-tuning after each
    correction, and "Forget my corrections…".

    ``app`` is the ``gui.DigitRecognizerApp``, seen through ``teaching_view.TeachingHost``;
    the fine-tuning runs on its model worker
    (``Engine.personalise``), and warming up and the ONNX copy on a worker of their own
    (``teacher``: ``model_loading.ModelLoader``), so drawing and answers go on meanwhile.
    """

    def __init__(self, app: TeachingHost, teacher: Any | None) -> None:
        """Without a ``teacher`` it does nothing: teaching only saves the corrections."""
        self.app, self.teacher, self.enabled = app, teacher, teacher is not None
        self.path = personal_path(app.corrections)
        self.choice = str(self.path)
        self.model: PersonalModel | None = None
        self.learning = False
        self.note: str | None = None  # what the next answer's status says instead
        self.worker = Worker("digit-recognizer-teacher") if self.enabled else None
        self._export_after: str | None = None
        if not self.enabled:
            return
        if app.settings.model == str(legacy_path(self.path)):  # remembered from its .h5 days
            app.settings.model = self.choice
        self.model = read_personal(self.path)
        menu = app.window.model_menu
        menu.add_forget(self.forget)
        if self.model is not None:
            menu.show_personal(self.choice, self.model.label)
        elif app.settings.model == self.choice:  # remembered, but gone since
            app.settings.model = DEFAULT_CHOICE

    def warm_up(self) -> None:
        """Start the model process and import TensorFlow there, before the first teach."""
        if self.enabled:
            self.worker.submit("warm", partial(self.teacher.warm_up, self._base()))

    def finished(self) -> list:
        """What warming up and the ONNX copies finished, for the window's poll."""
        return self.worker.finished() if self.enabled else []

    def learn(self, label: int) -> None:
        """A correction of ``label`` was saved: fine-tune the personal model on all of them."""
        self.submit(Lesson(self._base(), self.app.corrections, self.path, label,
                           keep_previous=True))
        self.app.say(f"Saved as a {label}; your model is learning it…")

    def refit(self) -> None:
        """The corrections were edited: fine-tune the personal model on them again."""
        if self.enabled and self.model is not None:
            self.submit(Lesson(self._base(), self.app.corrections, self.path, None,
                               select=self.app.active_choice == self.choice))
            self.app.say("Refitting your model to the edited corrections…")

    def forget(self) -> None:
        """Model ▸ Forget my corrections…: after a confirmation, delete them and the model."""
        if self.confirm_forget():
            self.submit(Lesson(self._base(), self.app.corrections, self.path, None,
                               select=False, forget=True))
            self.app.say("Forgetting your corrections…")

    def _base(self) -> str:
        return base_for(self.app.active_choice, self.model)

    def submit(self, lesson: Lesson) -> None:
        """Fine-tune (or forget) on the model worker, as ``lesson`` says."""
        if not lesson.keep_previous:  # an edit or a forgetting: the last teach is history
            self.app.taking_back.forget()
        self.learning = True  # a lesson still waiting is replaced: this one covers it
        self.app.model_worker.submit("learn", partial(self.app.engine.personalise, lesson))

    def take_note(self) -> str | None:
        """The message to show with the next answer or model, once."""
        note, self.note = self.note, None
        return note

    # -- results -------------------------------------------------------------------------------

    def on_learned(self, learned: Learned) -> None:
        """Show what a lesson did: the menu's entry, the status, the drawing's new answer."""
        self.learning = self.app.model_worker.has_pending("learn")
        lesson = learned.lesson
        self.app.taking_back.learned(lesson, fitted=learned.loaded is not None)
        if learned.loaded is None:
            self._gone(lesson)
            return
        self.model = PersonalModel(self.path, lesson.base, learned.count)
        self.app.window.model_menu.show_personal(self.choice, self.model.label)
        message = learned_message(lesson.label, learned.count, self.app.active_choice,
                                  lesson.base, learned.left_out)
        if lesson.select or self.app.active_choice == self.choice:
            self.app.use_model(learned.loaded)
        self.note = message  # the re-read drawing's answer keeps saying what happened
        self.app.say(message)
        self.app.answer_again()
        self._schedule_export()

    def _gone(self, lesson: Lesson) -> None:
        """The personal model was removed: no entry, and its base if it was in use."""
        self.model = None
        self.app.window.model_menu.hide_personal(self.choice)
        self.app.files.recount()
        message = ("Forgot your corrections and your model." if lesson.forget else
                   "No corrections are left, so your model is gone.")
        if self.app.active_choice == self.choice:
            self.app.select_model(lesson.base)
            message += f" Back to {choice_label(lesson.base)}."
            self.note = message
        self.app.say(message)

    def on_failed(self, failed: Failed) -> None:
        if failed.kind == "learn":
            self.learning = self.app.model_worker.has_pending("learn")
            lesson, reason = failed.subject, failed.message.rstrip(".")
            if lesson is not None:
                self.app.taking_back.learned(lesson, fitted=False)
            if lesson is not None and lesson.forget:
                self.app.say(f"Could not forget your corrections: {reason}.", tone="error")
                return
            done = f"Saved as a {lesson.label}, but y" if lesson and lesson.label is not None \
                else "Y"
            # A refusal protects the model: a warning to heed, not a failure.
            self.app.say(f"{done}our model could not learn it: {reason}.",
                         tone="warning" if failed.refused else "error")
        else:  # warming up or the ONNX copy: the next teach, or the next start, will do
            print(f"warning: {failed.message}", file=sys.stderr)

    def load_failed(self, failed: Failed) -> bool:
        """If the personal model could not be loaded, set it aside, say so and use its base.

        True if ``failed`` was the personal model's (the window then has nothing more to do).
        """
        if not self.enabled or str(failed.subject) != self.choice:
            return False
        base = self.model.base if self.model is not None else DEFAULT_MODEL
        self.model = None
        self.app.window.model_menu.hide_personal(self.choice)
        try:
            aside = set_aside(self.path).name
            self.note = (f"Your model could not be read, so it was set aside as {aside}; "
                         f"{choice_label(base)} is used instead.")
        except OSError as err:
            self.note = f"Your model could not be read nor set aside ({err.strerror})."
        self.app.select_model(base)
        self.app.say(self.note, details=failed.message, tone="warning")
        return True

    # -- the ONNX copy -------------------------------------------------------------------------

    def _schedule_export(self) -> None:
        root = self.app.root
        if self._export_after is not None:
            root.after_cancel(self._export_after)
        self._export_after = root.after(EXPORT_DELAY_MS, self._export)

    def _export(self) -> None:
        self._export_after = None
        if self.learning:  # another lesson is on its way: its own export follows it
            return
        self.worker.submit("export", partial(self.teacher.export, self.path))

    def close(self) -> None:
        if self._export_after is not None:
            self.app.root.after_cancel(self._export_after)
        if self.enabled:
            self.worker.stop()

    # -- dialogs: methods, so that tests can replace them --------------------------------------

    def confirm_forget(self) -> bool:
        # No is the default: Enter, pressed out of habit, must not delete anything.
        return ask_yes_no(self.app.root, "Forget my corrections?", "Delete every saved "
                          "correction and your model? The bundled models stay as they are.",
                          warning=True)
