"""From the drawing to the answer on screen: requests, live updates and stale answers.

Every request carries a serial number and the drawing's epoch. An answer is shown only if it
is newer than the one on screen and its drawing is still there (Clear, Undo, Redo and an
opened image start a new epoch), so a slow answer never replaces a newer one.

What teaching takes is here too: the answer's 28x28 input, or in number mode that of the digit
the user chose by clicking its chart or its box's label (``choose``); ``why_not_teach`` says,
in a few words, why there is nothing to teach yet.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from digit_recognizer.app.background.engine import Engine
from digit_recognizer.app.background.job_results import Predicted, Request
from digit_recognizer.app.background.worker import Worker
from digit_recognizer.app.window.answer_panel import closest_guess, describe, is_sure
from digit_recognizer.app.window.main_window import MainWindow
from digit_recognizer.app.window.toolbar import TEACH_PROMPT
from digit_recognizer.core.results import (
    NOT_A_DIGIT,
    NOT_A_DIGIT_MARK,
    NumberRecognition,
    Recognition,
)

__all__ = ["Answering", "LIVE_INTERVAL_MS", "PICK_A_DIGIT", "WHY_NOT_TEACH", "answer_message",
           "image_undo", "result_message"]

LIVE_INTERVAL_MS = 100  # answer refresh while the pen moves
# Why the teach buttons are greyed out: a few words in the prompt's place (each fits the room
# of "Wrong? It is really a"), and the tooltip's sentence.
PICK_A_DIGIT = "Click a digit's chart"  # number mode, before a digit is chosen
WHY_NOT_TEACH = {
    "Wait for the model": "Teaching waits until a model is loaded.",
    "Draw a digit first": "Draw a digit; if the answer is wrong, press the digit it really is "
                          "(or Ctrl+digit) to teach it.",
    "Wait for the answer": "Teaching saves the drawing as the model read it: wait for the "
                           "answer.",
    PICK_A_DIGIT: "In number mode, a teach corrects one digit: click its chart, or the digit "
                  "written at its box's corner on the paper, then press the digit it really is.",
}
TEACH_TIP = "Teach: {} really this digit (Ctrl+0 … Ctrl+9); Undo takes it back."


class Answering:
    """Sends the drawing to the model worker and shows what comes back."""

    def __init__(self, window: MainWindow, worker: Worker, engine: Engine) -> None:
        self.window, self.worker, self.engine = window, worker, engine
        self.serial = 0  # of the latest request
        self.epoch = 0  # of the drawing on the paper
        self.shown_serial = -1  # of the answer on screen
        # What a teach takes: the 28x28 input behind the answer (in number mode, the chosen
        # digit's) and that answer
        self.current_input: np.ndarray | None = None
        self.current_result: Recognition | None = None
        self.number: NumberRecognition | None = None  # the number shown, in number mode
        self.chosen: int | None = None  # the digit of it being corrected (0-based)
        self._chosen_on: object | None = None  # the drawing it was chosen on
        self._live_after: str | None = None

    @property
    def up_to_date(self) -> bool:
        """True when the answer on screen is for the drawing as it is now."""
        return self.shown_serial == self.serial

    def request(self) -> None:
        """Ask for the answer to the drawing as it is now."""
        self.cancel_live()
        self.serial += 1
        canvas = self.window.canvas
        request = Request(self.serial, self.epoch, tuple(canvas.strokes_in_pixels()),
                          canvas.side, canvas.drawing.image, self.window.number_mode)
        self.worker.submit("predict", partial(self.engine.predict, request))

    def schedule_live(self) -> None:
        """Ask again shortly: the pen is moving."""
        if self._live_after is None:
            self._live_after = self.window.root.after(LIVE_INTERVAL_MS, self._live_update)

    def cancel_live(self) -> None:
        if self._live_after is not None:
            self.window.root.after_cancel(self._live_after)
            self._live_after = None

    def new_epoch(self) -> None:
        """The drawing was replaced: answers on their way are for one that is gone."""
        self.epoch += 1
        self.cancel_live()
        self.show_nothing()

    def is_current(self, request: Request) -> bool:
        return request.epoch == self.epoch and request.serial > self.shown_serial

    def show(self, predicted: Predicted) -> bool:
        """Show ``predicted`` if it is still wanted; True if it was shown."""
        request, result = predicted.request, predicted.result
        if not self.is_current(request):
            return False
        self.shown_serial = request.serial
        self.window.canvas.remove_boxes()
        if isinstance(result, NumberRecognition):
            self.window.answer.show_number(result)
            boxes = [(d.box, NOT_A_DIGIT_MARK if d.not_a_digit else str(d.digit), is_sure(d))
                     for d in result.digits]
            shape = request.photo.shape if request.photo is not None else None
            self.window.canvas.show_boxes(boxes, shape, font=self.window.mid_font)
            chosen = self.chosen if self._choice_holds() else None
            self.number, self.current_input, self.current_result = result, None, None
            if chosen is None or not self.choose(chosen):
                self.chosen = None
        else:
            self.window.answer.show_digit(result)
            self.current_input, self.current_result = result.input, result
            self.number = self.chosen = None
        return True

    def choose(self, index: int) -> bool:
        """Make digit ``index`` (0-based) of the number shown the one a teach corrects: its
        box marked, its reading in the panel. False if there is no such digit."""
        if self.number is None or not 0 <= index < len(self.number.digits):
            return False
        digit = self.number.digits[index]
        self.chosen, self._chosen_on = index, self.window.canvas.drawing
        self.current_input, self.current_result = digit.input, digit
        self.window.canvas.mark_box(index)
        self.window.answer.show_chosen(index)
        return True

    def _choice_holds(self) -> bool:
        # A choice lasts while its drawing is on the paper: re-read after a teach, the same
        # digit stays chosen; a new stroke, Undo or Clear ends it.
        return self.chosen is not None and self.window.canvas.drawing is self._chosen_on

    def why_not_teach(self, model_loaded: bool) -> str | None:
        """Why the drawing cannot be taught now, in a few words; None when it can."""
        if not model_loaded:
            return "Wait for the model"
        if self.window.canvas.drawing.empty:
            return "Draw a digit first"
        if not self.up_to_date:
            return "Wait for the answer"
        if self.window.number_mode and not self._choice_holds():
            return PICK_A_DIGIT
        if self.current_input is None:
            return "Wait for the answer"
        return None

    def offer_teaching(self, model_loaded: bool) -> None:
        """Offer the teach buttons if there is something to teach, else grey them out and say
        why; for a number, they name the digit they correct."""
        why_not = self.why_not_teach(model_loaded)
        digit = f"digit {self.chosen + 1}" if self.chosen is not None else None
        prompt = f"{digit.capitalize()} is really a" if digit else TEACH_PROMPT
        tip = WHY_NOT_TEACH[why_not] if why_not else TEACH_TIP.format(
            f"{digit} is" if digit else "the drawing is")
        self.window.teach_bar.enable(why_not, prompt, tip)

    def drop(self, request: Request) -> bool:
        """A request that failed: clear its answer if it is the current one; True if so."""
        if not self.is_current(request):
            return False
        self.shown_serial = request.serial
        self.show_nothing()
        return True

    def show_nothing(self) -> None:
        self.window.answer.show_nothing()
        self.current_input, self.current_result = None, None
        self.number = self.chosen = None
        self.window.canvas.remove_boxes()

    def replaced_image(self) -> str | None:
        """The name of the opened image that the drawing replaced with one stroke, if so."""
        previous = self.window.canvas.previous
        return previous.name if previous is not None and previous.image is not None else None

    def message(self, note: str | None, result: Recognition | NumberRecognition) -> str:
        """The status for the answer just shown (``answer_message``), naming the images."""
        return answer_message(note, result, self.replaced_image(), self.window.canvas.drawing.name)

    def _live_update(self) -> None:
        self._live_after = None
        self.request()


def result_message(result: Recognition | NumberRecognition) -> str:
    """The status bar's sentence about an answer."""
    if isinstance(result, NumberRecognition):
        # on one line: rows apart by a slash, top to bottom
        text = " / ".join(result.text.split("\n"))
        strangers = sum(digit.not_a_digit for digit in result.digits)
        if strangers:
            which = ("the part marked {} doesn't look like a digit" if strangers == 1 else
                     "the parts marked {} don't look like digits").format(NOT_A_DIGIT_MARK)
            return f"Read {text}: {which}."
        several = any(separator in (" ", "\n") for separator in result.separators)
        rows = result.text.count("\n") + 1
        return (f"Read the number{'s' if several else ''} {text}"
                f"{f' in {rows} rows' if rows > 1 else ''} ({result.confidence:.0%} sure).")
    if result.not_a_digit:
        return f"{NOT_A_DIGIT} ({closest_guess(result)})."
    text, sure = describe(result.probabilities)
    return f"It looks like a {result.digit} ({text})." if sure else f"Hmm, {text}"


def image_undo(name: str | None) -> str:
    """The hint that Ctrl+Z brings back the opened image ``name`` (its file name)."""
    return f"Ctrl+Z brings back the image {name}." if name else "Ctrl+Z brings the image back."


def answer_message(note: str | None, result, replaced: str | None = None,
                   opened: str | None = None) -> str:
    """The status once an answer is shown: a teaching note, else a sentence about the answer.

    ``opened``: the answer is for the opened image of that name, which the sentence names, so
    that the status says what was opened and what was read. ``replaced``: the drawing replaced
    the opened image of that name with one stroke, which the answer's sentence would otherwise
    replace at once, so the hint that Ctrl+Z brings it back stays.
    """
    message = note or result_message(result)
    if opened:
        message = f"{opened}: {message}"
    return f"{message} {image_undo(replaced)}" if replaced else message
