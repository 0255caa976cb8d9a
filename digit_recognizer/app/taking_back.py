"""Undo for teaching: a correction taken back, and the model as it was before it, at once.

The rule: Undo (Ctrl+Z, the Undo button, the status bar's Undo link) takes back the last thing
the user did. Right after a teach that is the teach: its correction is removed (or, if the same
drawing had been taught before, it gets its old label back) and the personal model from before
it returns, kept on disk by the teach (``background.previous_model``), so nothing is refitted;
with no personal model before, the bundled model the user had returns. Any change to the
drawing, another model chosen, or the corrections edited makes that change the last action, and
Undo is the paper's again (strokes, Clear, an opened image). Only the last teach can be taken
back: Model ▸ Corrections… manages the older ones.

``TakingBack`` keeps the last teach on the Tk thread; the work runs on the model worker
(``Engine.take_back``), in order with the answers and fine-tunings.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from digit_recognizer.app.background.job_results import Done, Lesson, Taught, TookBack
from digit_recognizer.app.personal_model import PersonalModel, read_personal
from digit_recognizer.core.catalogue import choice_label

__all__ = ["TakingBack"]


class TakingBack:
    """The last teach while it is the user's last action; ``app`` is the
    ``gui.DigitRecognizerApp``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.taught: Taught | None = None  # the teach Undo takes back, once its model is in
        self._teaching: tuple[np.ndarray, str | None] | None = None  # pressed, not saved yet
        self._saved: Taught | None = None  # saved, its model still learning

    @property
    def available(self) -> bool:
        """Whether Undo would take a teach back (or say to wait for it) rather than a stroke."""
        return self.taught is not None or self._teaching is not None or self._saved is not None

    # -- the teach, step by step ---------------------------------------------------------------

    def started(self, image: np.ndarray) -> None:
        """A teach was pressed: ``image`` (the 28x28 input) is being saved."""
        self.forget()
        self._teaching = (image, self.app.active_choice)

    def saved(self, done: Done) -> None:
        """The teach's correction is saved; it can be taken back once its model is in."""
        if self._teaching is None or done.label is None:
            return
        (image, choice), self._teaching = self._teaching, None
        teaching = self.app.teaching
        self._saved = Taught(image, done.label, done.previous_label, choice or "",
                             teaching.path, self.app.corrections, restore_model=teaching.enabled)
        if not teaching.enabled:  # nothing to learn: only the correction to take back
            self.taught, self._saved = self._saved, None

    def learned(self, lesson: Lesson, fitted: bool) -> None:
        """A lesson ended (``fitted``: its model is in; else it failed). A teach's lesson makes
        the last teach undoable; any other (corrections edited, forgotten) ends it."""
        if not lesson.keep_previous:
            self.forget()
        elif self._saved is not None and not self.app.model_worker.has_pending("learn"):
            # A failed fit changed no model: only the correction is taken back.
            self.taught = self._saved if fitted else _without_model(self._saved)
            self._saved = None

    def forget(self) -> None:
        """Something else became the last action: Undo is the paper's again."""
        self.taught = self._teaching = self._saved = None

    # -- Undo ----------------------------------------------------------------------------------

    def undo(self) -> None:
        """Undo (Ctrl+Z, the Undo button, the status bar's link): the last teach if it was the
        last action, else the paper's last change (a stroke, Clear, an opened image)."""
        if not self.take_back():
            self.app.window.canvas.undo()

    def take_back(self) -> bool:
        """Undo, if the last action was a teach: take it back; False if it was not."""
        if not self.available:
            return False
        app = self.app
        if self.taught is None:
            app.say("Your model is still learning that; Undo takes it back once it has.")
            return True
        taught, self.taught = self.taught, None
        app.model_worker.submit("take-back", partial(app.engine.take_back, taught))
        app.say(f"Taking back: this is a {taught.label}…")
        return True

    def on_took_back(self, took: TookBack) -> None:
        """Show the model from before the teach, in the menu, the status and the answer."""
        app, teaching, taught = self.app, self.app.teaching, took.taught
        if taught.restore_model:
            teaching.model = read_personal(teaching.path)
            if teaching.model is not None:
                app.window.model_menu.show_personal(teaching.choice, teaching.model.label)
            else:
                app.window.model_menu.hide_personal(teaching.choice)
        app.use_model(took.loaded)
        app.files.recount()
        message = _took_back_message(taught, teaching.model, took.loaded.choice,
                                     teaching.choice)
        if took.refit and taught.restore_model:
            # The model kept does not know the corrections left (two teaches became one fit):
            # fit them, as after an edit in the corrections manager.
            teaching.submit(Lesson(took.loaded.choice if teaching.model is None else
                                   teaching.model.base, app.corrections, teaching.path, None,
                                   select=app.active_choice == teaching.choice))
            message += " Your model is refitting to the corrections left…"
        teaching.note = message  # the answer that follows keeps saying it
        app.say(message)
        app.answer_again()


def _without_model(taught: Taught) -> Taught:
    return Taught(taught.image, taught.label, taught.previous_label, taught.choice,
                  taught.personal, taught.folder, restore_model=False)


def _took_back_message(taught: Taught, model: PersonalModel | None, choice: str,
                       personal: str) -> str:
    """"Took back: this is a 9. Your model is as before." and the like."""
    what = f"Took back: this is a {taught.label}"
    if taught.previous_label is not None:
        what += f" (it is a {taught.previous_label} again)"
    if not taught.restore_model:
        return f"{what}."
    if Path(choice) == Path(personal) and model is not None:
        return f"{what}. Your model is as before."
    return f"{what}. Back to {choice_label(choice)}, as before."
