"""The answer side of the window: the digit or number, how sure the model is, what it saw and
its probabilities.

``AnswerPanel`` only shows what it is given (a ``Recognition``, a ``NumberRecognition``, a
short message or nothing); the app decides when. ``describe`` words the model's certainty for
the panel and for the status bar alike. A drawing the model flags as not a digit gets the words
"That doesn't look like a digit" instead of a digit, its best guess only small beneath.
"""

from __future__ import annotations

import math
import tkinter as tk
from functools import partial
from tkinter import font as tkfont
from tkinter import ttk
from typing import Callable

import numpy as np
from PIL import Image, ImageTk

from digit_recognizer.app.window.widgets import (
    ACCENT,
    BARS_WIDTH,
    INK,
    PAPER,
    WARN,
    ProbabilityBars,
    model_view_image,
)
from digit_recognizer.app.window.wording import plural
from digit_recognizer.core import confidence
from digit_recognizer.core.confidence import NO_CLOSEST, top_two
from digit_recognizer.core.results import NOT_A_DIGIT, NumberRecognition, Recognition

__all__ = ["AnswerPanel", "DigitChart", "chart_grid",
           "closest_guess", "describe", "is_sure"]


# Sizes in logical pixels (multiplied by the screen's scale) and font sizes in points.
VIEW_SIZE = 140  # the 28x28 network input, enlarged 5x
ANSWER_WIDTH = 150  # the answer's column: room for the big digit, or a number in a smaller font
CHARTS_HEIGHT = 128  # the probabilities' area: one chart, or two rows of per-digit charts
BIG_FONT_SIZE, SMALLEST_FONT_SIZE = 64, 14  # the answer's size in the smallest window, and
LARGEST_FONT_SIZE = 200  # ...the most a taller window gives it
# How the panel's spare height is shared when the window grows: mostly to the answer, a
# quarter to the probabilities, whose bars would otherwise stretch into a tall empty chart.
ANSWER_GROWTH, CHARTS_GROWTH = 3, 1
MID_FONT_SIZE = 13  # the confidence line
MESSAGE_FONT_SIZE = 18  # a word in the digit's place
MAX_CHARTS = 6  # per-digit charts shown at once for a number; a click on the caption pages on
CAPTION_TEXT = "#555"
CHOSEN_CHART = "#e4edfb"  # the background of the chart of the digit being corrected


def describe(probabilities: np.ndarray) -> tuple[str, bool]:
    """How sure the model is ("97% sure", "not sure: 4 or 9?"), and whether it is sure."""
    first, second = top_two(probabilities)
    if not confidence.is_sure(probabilities):
        return f"not sure: {first} or {second}?", False
    return f"{float(probabilities[first]):.0%} sure", True


def closest_guess(result: Recognition) -> str:
    """The best guess for a drawing flagged as not a digit, e.g. "closest: 4, 31%"."""
    if result.confidence < NO_CLOSEST:  # ten bars of about 10%: naming one would mislead
        return "no digit comes close"
    return f"closest: {result.digit}, {result.confidence:.0%}"


def is_sure(result: Recognition) -> bool:
    """Whether ``result`` names a digit with confidence (never when it is not a digit)."""
    return not result.not_a_digit and describe(result.probabilities)[1]


def chart_grid(count: int) -> tuple[int, int]:
    """(rows, columns) for ``count`` (1 to ``MAX_CHARTS``) per-digit charts: up to three in
    one row, then two rows, as even as they go (4 as 2+2, 5 as 3+2)."""
    columns = count if count <= 3 else math.ceil(count / 2)
    return math.ceil(count / columns), columns


class DigitChart(ProbabilityBars):
    """A small ``ProbabilityBars`` for one digit of a number, captioned with that digit.

    Its percentages are hidden: over bars this narrow they would overlap. (``_draw`` moves
    them but never shows them again.) The caption takes their place at the top.
    """

    def __init__(self, parent: tk.Misc, scale: float) -> None:
        super().__init__(parent, scale)
        for item in self.values:
            self.itemconfigure(item, state="hidden")
        for item in self.labels:  # ten digits across a third of the width: a smaller font
            self.itemconfigure(item, font="TkSmallCaptionFont")
        self.caption = self.create_text(round(4 * scale), 0, anchor="nw", text="",
                                        font="TkSmallCaptionFont")
        self.digit: int | None = None

    def show_recognition(self, recognition: Recognition) -> None:
        """Bars for ``recognition``'s probabilities; the caption says the digit, the two it
        hesitates between, or "?" and its closest guess when it is not a digit."""
        first, second = top_two(recognition.probabilities)
        sure = is_sure(recognition)
        caption = (f"?  ({first}, {recognition.confidence:.0%})" if recognition.not_a_digit
                   else f"{first}  {recognition.confidence:.0%}" if sure
                   else f"{first} or {second}?")
        self.itemconfigure(self.caption, text=caption, fill=ACCENT if sure else WARN)
        self.digit = recognition.digit
        self.show(recognition.probabilities, sure)


class AnswerPanel(ttk.Frame):
    """The answer (large, its font shrinking to fit its column), the confidence, the model's
    28x28 view and the probabilities: one chart for a digit, one per digit for a number."""

    def __init__(self, parent: tk.Misc, scale: float) -> None:
        super().__init__(parent)
        self.scale = scale
        self._answer, self._is_message = "", False
        self._make_fonts()
        self._build_answer()
        self._build_view()
        self._build_probabilities()
        self.show_nothing()

    # -- building ------------------------------------------------------------------------------

    def _make_fonts(self) -> None:
        family = tkfont.nametofont("TkDefaultFont").cget("family")
        self.big_font = tkfont.Font(self, family=family, size=BIG_FONT_SIZE, weight="bold")
        # the big font's twin, never shown: trial sizes are measured with it
        self._probe_font = tkfont.Font(self, family=family, size=BIG_FONT_SIZE, weight="bold")
        self.mid_font = tkfont.Font(self, family=family, size=MID_FONT_SIZE)
        self.message_font = tkfont.Font(self, family=family, size=MESSAGE_FONT_SIZE,
                                        weight="bold")

    def _build_answer(self) -> None:
        # width=1 and a column of fixed minimum width: a long answer shrinks its font
        # instead of widening the panel and moving everything else
        self.columnconfigure(0, weight=1, minsize=round(ANSWER_WIDTH * self.scale))
        self.rowconfigure(0, weight=ANSWER_GROWTH)
        self.rowconfigure(1, minsize=2 * self.mid_font.metrics("linespace") + 4)
        # The box asks for one line of the answer at BIG_FONT_SIZE, whatever font the answer
        # has now: the font follows the box (a larger window, a larger answer), never the
        # other way round, which would grow the window to fit its own answer.
        self.answer_box = ttk.Frame(self, height=self.big_font.metrics("linespace"), width=1)
        self.answer_box.grid(row=0, column=0, sticky="nsew")
        # On the box's floor, and the view too (``_build_view``): in a tall window each stays
        # on its caption, and the spare room gathers above them.
        self.digit_label = ttk.Label(self.answer_box, text="", font=self.big_font,
                                     anchor="s", justify="center", foreground=ACCENT)
        self.digit_label.place(relx=0, rely=0, relwidth=1, relheight=1)
        self.digit_label.bind("<Configure>", lambda _event: self._fit_answer())
        self.confidence_label = ttk.Label(self, text="", font=self.mid_font, anchor="n",
                                          justify="center", width=1)
        self.confidence_label.grid(row=1, column=0, sticky="new")

    def _build_view(self) -> None:
        side = round(VIEW_SIZE * self.scale)
        self.view_image = ImageTk.PhotoImage(Image.new("L", (side, side), 0), master=self)
        self.view_label = ttk.Label(self, image=self.view_image, relief="solid", borderwidth=1)
        self.view_label.grid(row=0, column=1, padx=(10, 0), sticky="se")
        ttk.Label(self, text="What the model sees", foreground=CAPTION_TEXT).grid(
            row=1, column=1, padx=(10, 0), sticky="n")

    def _build_probabilities(self) -> None:
        self.bars_caption = ttk.Label(self, text="Probabilities", foreground=CAPTION_TEXT)
        self.bars_caption.grid(row=2, column=0, columnspan=2, sticky="sw", pady=(8, 2))
        self.bars_caption.bind("<Button-1>", lambda _event: self.next_charts())
        # One cell for both kinds of chart, of one height, so switching never resizes it.
        self.rowconfigure(3, weight=CHARTS_GROWTH, minsize=round(CHARTS_HEIGHT * self.scale))
        self.bars = ProbabilityBars(self, self.scale)
        self.bars.grid(row=3, column=0, columnspan=2, sticky="nsew")
        self.charts_frame = ttk.Frame(self)
        self.charts_frame.grid(row=3, column=0, columnspan=2, sticky="nsew")
        self.charts_frame.grid_remove()
        self._charts = [DigitChart(self.charts_frame, self.scale) for _ in range(MAX_CHARTS)]
        for place, chart in enumerate(self._charts):
            chart.bind("<Button-1>", partial(self._on_chart_click, place))
        self.pick: Callable[[int], object] | None = None  # told of a click on digit i's chart
        self._shown_number: NumberRecognition | None = None  # the number charted
        self.number_bars: list[DigitChart] = []
        self._charts_gridded = 0
        self._first_chart = 0  # the index of its digit in the first chart

    # -- what the window calls -----------------------------------------------------------------

    def show_digit(self, result: Recognition) -> None:
        """One digit: the digit, how sure, what the model saw and its ten probabilities.

        A drawing flagged as not a digit gets the words instead, and its closest digit small.
        """
        if result.not_a_digit:
            self._show_answer(NOT_A_DIGIT, closest_guess(result), False, message=True)
            # "no digit comes close": then no bar is coloured as the closest either
            self._show_single_bars(result.probabilities, False,
                                   closest=result.confidence >= NO_CLOSEST)
        else:
            text, sure = describe(result.probabilities)
            self._show_answer(str(result.digit), text.replace(": ", ":\n"), sure)
            self._show_single_bars(result.probabilities, sure)
        self._show_view([result.input])

    def show_number(self, number: NumberRecognition) -> None:
        """A number: its digits, how sure, each digit's input and a chart per digit."""
        if not number.digits:
            self.show_nothing()
            return
        previous, self._shown_number = self._shown_number, number
        count = len(number.digits)
        strangers = sum(digit.not_a_digit for digit in number.digits)
        if strangers:  # the "?" in the number says which parts
            self._show_answer(number.text, f"{plural(count, 'part')}\n"
                                           f"{strangers} not a digit", False)
        else:
            self._show_answer(number.text, f"{plural(count, 'digit')}\n"
                                           f"{number.confidence:.0%} sure",
                              number.confidence >= confidence.LOW_CONFIDENCE)
        # a live answer of as many digits as the last keeps the same digits charted
        same = previous is not None and len(previous.digits) == count
        self._show_charts(self._first_chart if same else 0)
        self._show_view([digit.input for digit in number.digits])

    def show_chosen(self, index: int | None) -> None:
        """Single out digit ``index`` (0-based) of the number shown, the one being corrected:
        its chart tinted, its reading under the number, only its input in the model's view.
        None: back to the whole number."""
        number = self._shown_number
        if number is None or index is None or not 0 <= index < len(number.digits):
            if number is not None and number.digits:
                self.show_number(number)
            return
        digit = number.digits[index]
        if digit.not_a_digit:
            reading, sure = f"not a digit\n{closest_guess(digit)}", False
        else:
            words, sure = describe(digit.probabilities)
            reading = f"a {digit.digit}\n{words}"
        self.confidence_label.configure(text=f"Digit {index + 1}: {reading}",
                                        foreground="#222" if sure else WARN)
        for place, chart in enumerate(self.number_bars):
            chosen = self._first_chart + place == index
            chart.configure(background=CHOSEN_CHART if chosen else PAPER)
        self._show_view([digit.input])

    def _on_chart_click(self, place: int, _event: tk.Event) -> None:
        if self.pick is not None and place < len(self.number_bars):
            self.pick(self._first_chart + place)

    def show_message(self, text: str) -> None:
        """A short word or two in the digit's place (e.g. "blank"), and nothing else."""
        self._show_answer(text, "", True, message=True)
        self._show_single_bars(None, True)
        self._show_view([np.zeros((28, 28), np.float32)])

    def show_nothing(self) -> None:
        """Empty: no answer, no confidence, a black view and empty bars."""
        self._show_answer("", "", True)
        self._show_single_bars(None, True)
        self._show_view([np.zeros((28, 28), np.float32)])

    # -- the answer and its confidence ---------------------------------------------------------

    def _show_answer(self, text: str, detail: str, sure: bool, message: bool = False) -> None:
        self._answer, self._is_message = text, message
        self.digit_label.configure(text=text, foreground=INK if message else
                                   ACCENT if sure else WARN)
        self.confidence_label.configure(text=detail, foreground="#222" if sure else WARN)
        self._fit_answer()

    def _answer_room(self) -> int:
        """The answer column's width in pixels, less a margin; its minimum before layout."""
        return max(self.digit_label.winfo_width(), round(ANSWER_WIDTH * self.scale)) - 8

    def _answer_height(self) -> int:
        """The answer box's height in pixels; what it asks for before layout."""
        return max(self.digit_label.winfo_height(), int(self.answer_box.cget("height")))

    def _fit_answer(self) -> None:
        """The answer in the largest font that fits its column (a message wraps instead), and
        the line under it wrapped to the column ("no digit comes close" is wider than some)."""
        room = self._answer_room()
        self.confidence_label.configure(wraplength=room)
        if self._is_message:
            self.digit_label.configure(font=self.message_font, wraplength=room)
            return
        size = self._fitting_size(self._answer, room, self._answer_height())
        # Only on a change: reconfiguring a font relays out every widget that uses it, and
        # live answers come ten times a second.
        if self.big_font.cget("size") != size:
            self.big_font.configure(size=size)
        self.digit_label.configure(font=self.big_font, wraplength=0)

    def _fitting_size(self, text: str, room: int, height: int) -> int:
        """The largest size of the big font at which ``text`` fits ``room`` pixels across and
        ``height`` down: from ``BIG_FONT_SIZE`` (or less, down to the smallest, for a long
        number) up to ``LARGEST_FONT_SIZE`` in a tall window."""
        probe = self._probe_font
        probe.configure(size=BIG_FONT_SIZE)
        # width and height grow about linearly with the size: guess once, then step down
        tallest = BIG_FONT_SIZE * height // probe.metrics("linespace")
        size = min(LARGEST_FONT_SIZE, max(BIG_FONT_SIZE, tallest),
                   BIG_FONT_SIZE * room // max(1, probe.measure(text)))
        size = max(SMALLEST_FONT_SIZE, size)
        probe.configure(size=size)
        while size > SMALLEST_FONT_SIZE and probe.measure(text) > room:
            size -= 1
            probe.configure(size=size)
        return size

    # -- the model's view and the probabilities ------------------------------------------------

    def _show_view(self, inputs: list[np.ndarray]) -> None:
        self.view_image.paste(model_view_image(inputs, self.view_image.width()))

    def _show_single_bars(self, probabilities: np.ndarray | None, sure: bool,
                          closest: bool = True) -> None:
        self.bars.show(probabilities, sure, closest)
        self.bars.grid()
        self.charts_frame.grid_remove()
        self.number_bars, self._shown_number = [], None
        self.bars_caption.configure(text="Probabilities", cursor="")

    def next_charts(self) -> None:
        """The charts of the next digits of a number too long to chart at once (a click on
        the caption), after the last ones the first again."""
        count = 0 if self._shown_number is None else len(self._shown_number.digits)
        if count > MAX_CHARTS:
            after = self._first_chart + MAX_CHARTS
            self._show_charts(after if after < count else 0)

    def _show_charts(self, first: int) -> None:
        """Charts of the number shown from its digit ``first`` on, as many as fit."""
        if self._shown_number is None:
            return
        digits, self._first_chart = self._shown_number.digits, first
        shown = digits[first:first + MAX_CHARTS]
        self._layout_charts(len(shown))
        for chart, digit in zip(self._charts, shown):
            chart.show_recognition(digit)
            chart.configure(background=PAPER, cursor="hand2")
        self.number_bars = self._charts[:len(shown)]
        self.bars.grid_remove()
        self.charts_frame.grid()
        if len(digits) <= MAX_CHARTS:
            self.bars_caption.configure(text="Probabilities, digit by digit", cursor="")
        else:  # the caption says how to see the rest, and is the way to
            self.bars_caption.configure(
                text=f"Digits {first + 1}–{first + len(shown)} of {len(digits)}: "
                     "click here for more", cursor="hand2")

    def _layout_charts(self, count: int) -> None:
        """Grid the first ``count`` charts in rows of equal cells (only when the shape or
        the count changes: live answers come ten times a second)."""
        rows, columns = chart_grid(count)
        if self._charts_gridded == count:
            return
        self._charts_gridded = count
        gap = round(2 * self.scale)
        width = round(BARS_WIDTH * self.scale / columns) - 2 * gap
        height = round(CHARTS_HEIGHT * self.scale / rows) - 2 * gap
        frame = self.charts_frame
        for index in range(MAX_CHARTS):
            frame.columnconfigure(index, weight=int(index < columns),
                                  uniform="chart" if index < columns else "")
            frame.rowconfigure(index, weight=int(index < rows),
                               uniform="chart" if index < rows else "")
        for index, chart in enumerate(self._charts):
            if index >= count:
                chart.grid_remove()
                continue
            chart.configure(width=width, height=height)
            chart.grid(row=index // columns, column=index % columns, sticky="nsew",
                       padx=gap, pady=gap)
