"""What the window reads and writes for the user: opened images, saved drawings, corrections.

The work runs on the window's file worker (``background``); the results come back through the
window's poll to ``on_image_opened``, ``on_done`` and ``on_failed`` here. The file dialogs are
methods, so tests can replace them.
"""

from __future__ import annotations

import tkinter as tk
from functools import partial
from pathlib import Path
from tkinter import filedialog
from typing import Callable

from PIL import Image

from digit_recognizer.answering import Answering
from digit_recognizer.background import (
    DRAW_FIRST,
    Done,
    Failed,
    ImageOpened,
    Worker,
    count_job,
    open_image_job,
    plural,
    render_strokes,
    save_png_job,
    teach_job,
)
from digit_recognizer.corrections_manager import corrections_dialog
from digit_recognizer.teaching import fine_tune_command
from digit_recognizer.window import MainWindow

__all__ = ["UserFiles", "FILE_JOBS"]

FILE_JOBS = ("image", "save", "teach", "count")  # the job kinds whose results come here
IMAGE_TYPES = [("Images", "*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp"),
               ("All files", "*")]

Say = Callable[..., None]  # say(message, details=None, tone="info"): the status bar


class UserFiles:
    """Open image, Save drawing, and teaching: saving the user's corrections."""

    def __init__(self, window: MainWindow, worker: Worker, answering: Answering,
                 corrections: Path, say: Say, show_error: Callable[[str, str], None]) -> None:
        self.window, self.worker, self.answering = window, worker, answering
        self.corrections, self.say, self.show_error = corrections, say, show_error
        self._teach_serial = 0

    def open_image(self) -> None:
        """File ▸ Open image…: a photo or scan of a handwritten digit."""
        path = self.ask_open_image()
        if path:
            self.worker.submit("image", partial(open_image_job, Path(path),
                                                self.window.canvas.side))
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
        """Save the answer's 28x28 input as a sample of ``digit`` (the user's correction)."""
        answering = self.answering
        if self.window.number_mode:
            self.say("Teaching works on one digit: turn number mode off.")
        elif answering.current_input is None or not answering.up_to_date:
            self.say(DRAW_FIRST if self.window.canvas.drawing.empty
                     else "Wait for the answer, then teach.")
        else:
            self._teach_serial += 1  # every sample counts: distinct job kinds never replace
            self.worker.submit(f"teach-{self._teach_serial}", partial(
                teach_job, answering.current_input.copy(), digit, self.corrections))
            self.say(f"Saving as a {digit}…")

    def manage_corrections(self) -> tk.Toplevel:
        """Model ▸ Corrections…: see, delete, relabel and export the saved samples."""
        return corrections_dialog(self.window.root, self.corrections, on_change=self.recount)

    def recount(self) -> None:
        """Bring the "N samples saved" count up to date with the folder."""
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
        self.window.canvas.show_image(opened.image, opened.preview)  # Undo brings back

    def on_done(self, done: Done) -> None:
        if done.count is not None:
            self.window.teach_bar.count_label.configure(
                text=f"{plural(done.count, 'sample')} saved" if done.count else "")
        if done.message:
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
        return filedialog.askopenfilename(parent=self.window.root, filetypes=IMAGE_TYPES,
                                          title="Open a photo or scan of a digit")

    def ask_save_drawing(self) -> str:
        return filedialog.asksaveasfilename(
            parent=self.window.root, title="Save the drawing", defaultextension=".png",
            filetypes=[("PNG images", "*.png")], initialfile="digit.png")
