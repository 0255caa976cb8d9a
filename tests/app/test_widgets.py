"""The window's parts on their own: status bar, answer panel and dialogs, as real Tk widgets.

They run on the session's virtual display (the ``display`` fixture) in a small window of the
main window's default width; layout is checked with Tk's own geometry and font measures.

    python -m pytest tests/test_widgets.py -q
"""

from __future__ import annotations

import tkinter as tk
from tkinter import font as tkfont
from tkinter import ttk

import numpy as np
import pytest
from PIL import ImageTk

from digit_recognizer.app.window import dialogs
from digit_recognizer.app.window.answer_panel import (
    BIG_FONT_SIZE,
    MAX_CHARTS,
    AnswerPanel,
    chart_grid,
    describe,
)
from digit_recognizer.app.window.status_bar import TONES, StatusBar, fit_lines
from digit_recognizer.core.results import NumberRecognition, Recognition

WINDOW_WIDTH = 680  # the main window's default width
LONG_PATH = "/home/someone/projects/digit-recognizer/models/a_model_with_a_long_name_v2.h5"


# -- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def root(display):
    """A fresh Tk root, themed as the app's window, destroyed after the test."""
    window = tk.Tk()
    ttk.Style(window).theme_use("clam")
    window.geometry(f"{WINDOW_WIDTH}x400+0+0")
    window.columnconfigure(0, weight=1)
    yield window
    window.destroy()


@pytest.fixture
def bar(root):
    """A status bar across the foot of the window, as the app places it."""
    status = StatusBar(root, 1.0)
    status.grid(row=1, column=0, sticky="ew")
    status.set_model("Model 2 — RMSProp CNN")
    root.update()
    return status


@pytest.fixture
def panel(root):
    """An answer panel in the room the window gives it: beside a 320 px canvas."""
    tk.Canvas(root, width=320, height=320).grid(row=0, column=0, sticky="nw")
    answer = AnswerPanel(root, 1.0)
    answer.grid(row=0, column=1, sticky="nsew", padx=(14, 0))
    root.update()
    return answer


def recognition(digit: int, confidence: float = 0.9, runner_up: int | None = None) -> Recognition:
    """A recognised ``digit``; with ``runner_up`` (at 0.4), a close call between the two."""
    close = 0.4 if runner_up is not None else 0.0
    probabilities = np.full(10, (1 - confidence - close) / (8 if close else 9), np.float32)
    probabilities[digit] = confidence
    if runner_up is not None:
        probabilities[runner_up] = close
    ink = np.zeros((28, 28), np.float32)
    ink[6:22, 12:16] = 1.0
    return Recognition.from_probabilities(probabilities, ink, (0, 0, 10, 20))


def number(text: str) -> NumberRecognition:
    return NumberRecognition([recognition(int(c)) for c in text])


def line_height(label: ttk.Label) -> int:
    """The required height of a one-line label with the same font, style and padding."""
    probe = ttk.Label(label.master, text="Xg", font=label.cget("font") or "TkDefaultFont",
                      padding=label.cget("padding"), style=label.cget("style"))
    height = probe.winfo_reqheight()
    probe.destroy()
    return height


def words(text: str) -> list[str]:
    return text.split()


def press_escape(root: tk.Tk, top: tk.Toplevel) -> None:
    top.focus_force()
    root.update()
    top.focus_get().event_generate("<Escape>")
    root.update()


# -- the status bar ----------------------------------------------------------------------------


def test_long_message_at_default_width_is_whole_on_two_lines_or_behind_details(root, bar):
    text = ("Kept Model 2: the other model could not be used because its file was saved by a "
            "newer Keras than this one, or it is not a Keras model at all; choose another one "
            "in the Model menu, or open a model file")
    assert len(text) == 200
    bar.show(text, tone="warning")
    root.update()
    label = bar.message_label
    two_lines = line_height(label) + bar.font.metrics("linespace")
    assert label.winfo_reqheight() <= two_lines <= label.winfo_height()
    wraplength = int(str(label.cget("wraplength")))
    assert 0 < wraplength <= label.winfo_width()
    shown = str(label.cget("text"))
    assert all(bar.font.measure(line) <= wraplength for line in shown.split("\n"))
    if words(shown) != words(text):
        assert bar.shows_details_button
        details = bar.open_details()
        assert text in details.nametowidget("body.text").get("1.0", "end")


def test_message_that_fits_two_lines_shows_whole_without_details(root, bar):
    text = "Loading model: Model 2 — RMSProp CNN… you can draw meanwhile."
    bar.show(text)
    root.update()
    shown = str(bar.message_label.cget("text"))
    assert words(shown) == words(text)
    assert all(bar.font.measure(line) <= bar.message_label.winfo_width()
               for line in shown.split("\n"))
    assert not bar.shows_details_button


def test_message_too_long_for_two_lines_ends_at_a_whole_word_and_offers_details(root, bar):
    text = " ".join(f"word{i}" for i in range(80))
    bar.show(text)
    root.update()
    shown = words(str(bar.message_label.cget("text")))
    assert shown[-1].endswith("…")
    assert shown[:-1] + [shown[-1].rstrip("…")] == words(text)[:len(shown)]
    assert len(str(bar.message_label.cget("text")).split("\n")) == 2
    assert bar.shows_details_button
    details = bar.open_details()
    assert details.nametowidget("body.text").get("1.0", "end-1c") == text


def test_details_window_is_one_at_a_time(root, bar):
    bar.show("Cannot open this image.", details="cannot identify image file 'x.png'")
    first = bar.open_details()
    second = bar.open_details()
    root.update()
    assert not first.winfo_exists() and second.winfo_exists()


def test_details_button_appears_only_with_details(root, bar):
    bar.show("Ready: draw a digit.")
    root.update()
    assert not bar.shows_details_button
    bar.show("Cannot open this image.", details="cannot identify image file 'x.png'",
             tone="error")
    root.update()
    assert bar.shows_details_button
    shown = bar.open_details().nametowidget("body.text").get("1.0", "end")
    assert "Cannot open this image." in shown and "cannot identify image file" in shown


def test_wraplength_follows_the_bar_width(root, bar):
    bar.show("A message long enough to wrap when the window is made narrow enough for it.")
    root.update()
    root.geometry("420x400")
    root.update()
    label = bar.message_label
    assert int(str(label.cget("wraplength"))) < label.winfo_width() <= 420
    assert all(bar.font.measure(line) <= label.winfo_width()
               for line in str(label.cget("text")).split("\n"))


def test_clear_empties_the_message_and_its_details(root, bar):
    bar.show("Cannot open this image.", details="OSError: …", tone="error")
    bar.clear()
    root.update()
    assert bar.text == "" and bar.details is None
    assert str(bar.message_label.cget("text")) == ""
    assert not bar.shows_details_button


def test_busy_shows_and_hides_the_progress_bar(root, bar):
    bar.busy(True)
    root.update()
    assert bar.progress.winfo_ismapped() and bar.is_busy
    bar.busy(False)
    root.update()
    assert not bar.progress.winfo_ismapped() and not bar.is_busy


def test_tone_sets_the_text_colour_and_unknown_tones_are_refused(bar):
    bar.show("Cannot use this model.", tone="error")
    assert str(bar.message_label.cget("foreground")) == TONES["error"]
    with pytest.raises(ValueError, match="tone"):
        bar.show("x", tone="loud")


def test_model_name_shows_on_the_right(root, bar):
    bar.set_model("Model 1 — Adadelta CNN")
    root.update()
    assert bar.model_label.cget("text") == "Model 1 — Adadelta CNN"
    assert bar.model_label.winfo_x() > bar.message_label.winfo_x()


def test_word_wider_than_the_line_is_elided_and_reported(root):
    font = tkfont.nametofont("TkDefaultFont")
    lines, overflow = fit_lines(f"Opening {LONG_PATH}", font, 200)
    assert overflow
    assert all(font.measure(line) <= 200 for line in lines)
    assert lines[0] == "Opening" and lines[1].endswith("…")


# -- the answer panel --------------------------------------------------------------------------


def test_describe_says_how_sure_or_which_two():
    assert describe(recognition(7, 0.97).probabilities) == ("97% sure", True)
    assert describe(recognition(4, 0.45, runner_up=9).probabilities) == (
        "not sure: 4 or 9?", False)


def test_show_digit_sets_the_label_and_the_tallest_bar(root, panel):
    panel.show_digit(recognition(7))
    root.update()
    assert panel.digit_label.cget("text") == "7"
    assert "sure" in str(panel.confidence_label.cget("text"))
    heights = panel.bars.heights()
    assert int(np.argmax(heights)) == 7 and heights[7] > 0
    assert panel.bars.winfo_ismapped() and panel.number_bars == []


def test_show_digit_shows_what_the_model_saw(root, panel):
    panel.show_digit(recognition(1))
    root.update()
    view = np.asarray(ImageTk.getimage(panel.view_image).convert("L"))
    assert view.max() == 255 and view.min() == 0


def test_unsure_digit_names_both_candidates(root, panel):
    panel.show_digit(recognition(4, 0.45, runner_up=9))
    assert " ".join(str(panel.confidence_label.cget("text")).split()) == "not sure: 4 or 9?"


def test_show_number_shows_one_chart_per_digit_whose_tallest_bar_is_that_digit(root, panel):
    panel.show_number(number("407"))
    root.update()
    assert panel.digit_label.cget("text") == "407"
    assert [chart.digit for chart in panel.number_bars] == [4, 0, 7]
    for chart, digit in zip(panel.number_bars, (4, 0, 7)):
        assert chart.winfo_ismapped()
        assert int(np.argmax(chart.heights())) == digit
    assert not panel.bars.winfo_ismapped()


@pytest.mark.parametrize("count", range(1, MAX_CHARTS + 1))
def test_up_to_six_charts_fit_the_probabilities_area(root, panel, count):
    panel.show_number(number("123456"[:count]))
    root.update()
    rows, columns = chart_grid(count)
    assert rows * columns >= count and rows <= 2 and columns <= 3
    left, right = panel.winfo_rootx(), panel.winfo_rootx() + panel.winfo_width()
    bottom = panel.winfo_rooty() + panel.winfo_height()
    for chart in panel.number_bars:
        assert chart.winfo_ismapped()
        assert left <= chart.winfo_rootx() and chart.winfo_rootx() + chart.winfo_width() <= right
        assert chart.winfo_rooty() + chart.winfo_height() <= bottom
        assert max(chart.heights()) > 0  # room left for the bars themselves


def test_more_than_six_digits_show_six_charts_and_a_note(root, panel):
    panel.show_number(number("12345678"))
    root.update()
    assert len(panel.number_bars) == MAX_CHARTS
    assert "6 of 8" in str(panel.bars_caption.cget("text"))
    assert panel.bars_caption.winfo_reqwidth() <= panel.winfo_width()


def test_six_digit_number_fits_its_column_in_a_smaller_font(root, panel):
    width = panel.digit_label.winfo_width()
    panel.show_number(number("123456"))
    root.update()
    assert panel.big_font.actual("size") < BIG_FONT_SIZE
    assert panel.big_font.measure("123456") <= panel.digit_label.winfo_width()
    assert panel.digit_label.winfo_width() == width  # the column did not grow


def test_single_digit_after_a_number_is_large_again(root, panel):
    panel.show_digit(recognition(3))
    root.update()
    single = panel.big_font.actual("size")
    panel.show_number(number("123456"))
    panel.show_digit(recognition(3))
    root.update()
    assert panel.big_font.actual("size") == single >= BIG_FONT_SIZE


def test_the_answer_grows_with_the_window_and_the_bars_keep_a_sensible_height(root, panel):
    panel.show_digit(recognition(7))
    root.update()
    size, bars = panel.big_font.actual("size"), panel.bars.winfo_height()
    root.rowconfigure(0, weight=1)  # as the window's frame: the panel gets the height
    root.geometry(f"{WINDOW_WIDTH}x900")
    root.update()
    assert panel.big_font.actual("size") > size * 1.5  # the answer takes most of the room
    assert panel.bars.winfo_height() < 2.5 * bars  # the chart grows a little, not to 500 px
    label = panel.digit_label
    assert panel.big_font.metrics("linespace") <= label.winfo_height()  # and it all shows
    assert panel.big_font.measure("7") <= label.winfo_width()


def test_when_no_digit_comes_close_no_bar_is_coloured_as_the_closest(root, panel):
    flat = Recognition(digit=8, confidence=0.11, probabilities=np.full(10, 0.1),
                       input=np.zeros((28, 28), np.float32), not_a_digit=True)
    panel.show_digit(flat)
    root.update()
    assert str(panel.confidence_label.cget("text")) == "no digit comes close"
    assert panel.bars.highlighted() == []
    panel.show_digit(recognition(4))  # a digit: its bar is the answer's again
    assert panel.bars.highlighted() == [4]


def test_show_nothing_empties_everything(root, panel):
    panel.show_number(number("42"))
    panel.show_nothing()
    root.update()
    assert panel.digit_label.cget("text") == ""
    assert panel.confidence_label.cget("text") == ""
    assert max(panel.bars.heights()) == 0 and panel.bars.winfo_ismapped()
    assert panel.number_bars == []
    assert np.asarray(ImageTk.getimage(panel.view_image).convert("L")).max() == 0


def test_show_message_takes_the_digits_place_in_a_smaller_font(root, panel):
    panel.show_digit(recognition(5))
    panel.show_message("No digit found")
    root.update()
    label = panel.digit_label
    assert label.cget("text") == "No digit found"
    assert str(label.cget("font")) == str(panel.message_font)
    assert int(str(label.cget("wraplength"))) <= label.winfo_width()
    assert panel.confidence_label.cget("text") == "" and max(panel.bars.heights()) == 0


# -- dialogs -----------------------------------------------------------------------------------


SHORTCUT_ROWS = [("Enter", "Recognize the drawing now"), ("Esc, Delete", "Clear the canvas"),
                 ("Ctrl+Z", "Undo: the last stroke, Clear or image"),
                 ("Ctrl+0 … Ctrl+9", "Teach: the drawing is really this digit")]


def test_every_shortcut_row_is_on_one_line_in_aligned_columns(root):
    top = dialogs.shortcuts_dialog(root, SHORTCUT_ROWS)
    root.update()
    keys = [top.nametowidget(f"body.keys{i}") for i in range(len(SHORTCUT_ROWS))]
    actions = [top.nametowidget(f"body.action{i}") for i in range(len(SHORTCUT_ROWS))]
    for label, (key, action) in zip(zip(keys, actions), SHORTCUT_ROWS):
        assert (label[0].cget("text"), label[1].cget("text")) == (key, action)
        for widget in label:
            assert widget.winfo_reqheight() == line_height(widget)
            assert widget.winfo_width() >= widget.winfo_reqwidth()  # nothing cut off
    assert len({key.winfo_x() for key in keys}) == 1
    assert len({action.winfo_x() for action in actions}) == 1
    assert max(k.winfo_x() + k.winfo_width() for k in keys) < actions[0].winfo_x()
    assert str(top.transient()) == str(root)


def test_about_shows_a_long_path_whole_on_one_line(root):
    lines = [("Digit Recognizer", "1.0.0"), ("", ""), ("Model", "Model 2 — RMSProp CNN"),
             ("File", LONG_PATH)]
    top = dialogs.about_dialog(root, "About Digit Recognizer", lines)
    root.update()
    value = top.nametowidget("body.value3")
    assert value.get() == LONG_PATH
    assert value.winfo_width() >= tkfont.nametofont("TkDefaultFont").measure(LONG_PATH)
    assert value.xview() == (0.0, 1.0)  # the entry shows all of its text
    label = top.nametowidget("body.label3")
    assert label.winfo_reqheight() == line_height(label)


def test_details_dialog_holds_the_whole_text_read_only(root):
    text = "Cannot use this model.\n\n" + "OSError: unable to open file. " * 20
    top = dialogs.details_dialog(root, "Details", text)
    root.update()
    view = top.nametowidget("body.text")
    assert view.get("1.0", "end-1c") == text
    assert str(view.cget("state")) == "disabled"


@pytest.mark.parametrize("open_dialog", [
    lambda parent: dialogs.shortcuts_dialog(parent, SHORTCUT_ROWS),
    lambda parent: dialogs.about_dialog(parent, "About", [("File", LONG_PATH)]),
    lambda parent: dialogs.details_dialog(parent, "Details", "Everything went wrong."),
], ids=["shortcuts", "about", "details"])
def test_escape_closes_each_dialog(root, open_dialog):
    top = open_dialog(root)
    root.update()
    assert top.winfo_ismapped()
    press_escape(root, top)
    assert not top.winfo_exists()


def test_close_button_closes_the_dialog(root):
    top = dialogs.details_dialog(root, "Details", "Something.")
    root.update()
    top.nametowidget("body.close").invoke()
    root.update()
    assert not top.winfo_exists()
