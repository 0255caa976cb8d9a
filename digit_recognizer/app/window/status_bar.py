"""The line along the window's foot: what just happened, the model in use, and a busy sign.

A message shows whole: it wraps onto a second line at the bar's current width, and one too
long for two lines ends with "…" after its last whole word that fits, while a "Details…"
button opens the full text. Technical detail (an exception's text, a command) goes in
``details``, so the bar itself speaks plainly. Right after a teach, an "Undo" link beside the
message takes it back (``offer_undo``), as Ctrl+Z does.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import font as tkfont
from tkinter import ttk
from typing import Callable

from digit_recognizer.app.window.dialogs import details_dialog, wrap_lines
from digit_recognizer.app.window.widgets import ACCENT, INK

__all__ = ["TONES", "StatusBar", "fit_lines"]

# Text colours per tone: darker than widgets.WARN, which is too light for small text on the
# window's grey.
TONES = {"info": INK, "warning": "#9a5208", "error": "#b3261e"}
MODEL_TEXT = "#555"
MAX_LINES = 2
ELLIPSIS = "…"
PAD_X, PAD_Y = 8, 3  # around the message, in logical pixels


def fit_lines(text: str, font: tkfont.Font, width: int,
              max_lines: int = MAX_LINES) -> tuple[list[str], bool]:
    """``text`` wrapped at ``width`` pixels into at most ``max_lines`` lines.

    Returns the lines and whether some text did not fit: then the last line ends with "…"
    after the last whole word that fits (a single word wider than a line is cut, with "…").
    """
    lines = wrap_lines(text, font, width)
    overflow = len(lines) > max_lines
    lines = lines[:max_lines]
    for i, line in enumerate(lines):
        if font.measure(line) > width or (overflow and i == len(lines) - 1):
            lines[i] = _elide(line, font, width)
            overflow = True
    return lines, overflow


def _elide(line: str, font: tkfont.Font, width: int) -> str:
    """``line`` shortened to end in "…" within ``width``: whole words go first."""
    words = line.split(" ")
    while len(words) > 1 and font.measure(" ".join(words) + ELLIPSIS) > width:
        words.pop()
    line = " ".join(words).rstrip(",;:.")
    while line and font.measure(line + ELLIPSIS) > width:
        line = line[:-1]
    return line + ELLIPSIS


class StatusBar(ttk.Frame):
    """The message (wrapped, coloured by tone), a "Details…" button when needed, a progress
    bar while busy and the model's name on the right.

    Its height is two lines of text whatever the message, so the window never jumps when a
    message wraps.
    """

    def __init__(self, parent: tk.Misc, scale: float,
                 undo: Callable[[], object] | None = None) -> None:
        """``undo``: what the "Undo" link does when ``offer_undo`` shows it."""
        super().__init__(parent, relief="sunken", borderwidth=1)
        self.scale = scale
        self._text, self._details, self._tone = "", None, "info"
        self._fitted_room = 0  # the width the message was last fitted to
        self._dialog: tk.Toplevel | None = None
        self.font = tkfont.nametofont("TkDefaultFont")
        pad_x, pad_y = round(PAD_X * scale), round(PAD_Y * scale)
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, minsize=MAX_LINES * self.font.metrics("linespace") + 2 * pad_y)
        # width=1: the message never widens the window; it wraps in whatever width it gets
        self.message_label = ttk.Label(self, text="", anchor="w", justify="left", width=1,
                                       font=self.font, padding=(pad_x, pad_y))
        self.message_label.grid(row=0, column=0, sticky="ew")
        # What the label adds around its text (padding and the theme's border), measured, as
        # the label asks for one "0" (width=1) plus that.
        self._frame_width = self.message_label.winfo_reqwidth() - self.font.measure("0")
        self.message_label.bind("<Configure>", self._on_resize)
        self.undo_link = ttk.Label(self, text="Undo", foreground=ACCENT, cursor="hand2",
                                   font=tkfont.Font(self, **{**self.font.actual(),
                                                             "underline": True}))
        if undo is not None:
            self.undo_link.bind("<Button-1>", lambda _event: undo())
        self.details_button = ttk.Button(self, text="Details…", command=self.open_details,
                                         padding=(round(4 * scale), 0))
        self.progress = ttk.Progressbar(self, mode="indeterminate", length=round(90 * scale))
        self.model_label = ttk.Label(self, text="", foreground=MODEL_TEXT,
                                     padding=(pad_x, pad_y))
        self.model_label.grid(row=0, column=4, sticky="e")

    # -- what the window calls -----------------------------------------------------------------

    def show(self, text: str, details: str | None = None, tone: str = "info") -> None:
        """Show ``text`` (plain words); ``details`` (e.g. an error's own text) only on demand.

        ``tone`` is "info", "warning" or "error" and sets the text's colour.
        """
        if tone not in TONES:
            raise ValueError(f"tone must be one of {', '.join(TONES)}, not {tone!r}")
        self._text, self._details, self._tone = text, details or None, tone
        self.message_label.configure(foreground=TONES[tone])
        self._refit()

    def clear(self) -> None:
        """Empty the message and forget its details."""
        self.show("")

    @property
    def text(self) -> str:
        """The whole message, as given to ``show`` (the bar may show it shortened)."""
        return self._text

    @property
    def details(self) -> str | None:
        return self._details

    @property
    def tone(self) -> str:
        return self._tone

    def set_model(self, name: str) -> None:
        """Name the model in use, on the right."""
        self.model_label.configure(text=name)

    def offer_undo(self, on: bool) -> None:
        """Show the "Undo" link beside the message (``on``) or hide it."""
        if on and not self.undo_link.winfo_manager():
            self.undo_link.grid(row=0, column=1, padx=(0, round(8 * self.scale)))
        elif not on and self.undo_link.winfo_manager():
            self.undo_link.grid_remove()

    @property
    def offers_undo(self) -> bool:
        return bool(self.undo_link.winfo_manager())

    def busy(self, on: bool) -> None:
        """Show a moving progress bar (``on``) or hide it."""
        if on and not self.progress.winfo_manager():
            self.progress.grid(row=0, column=3, padx=round(6 * self.scale))
            self.progress.start(15)
        elif not on and self.progress.winfo_manager():
            self.progress.stop()
            self.progress.grid_remove()

    @property
    def is_busy(self) -> bool:
        return bool(self.progress.winfo_manager())

    def open_details(self) -> tk.Toplevel:
        """The whole message and its details in a small window (the "Details…" button).

        One at a time: a second click replaces the window, which may hold an older message.
        """
        if self._dialog is not None and self._dialog.winfo_exists():
            self._dialog.destroy()
        text = f"{self._text}\n\n{self._details}" if self._details else self._text
        self._dialog = details_dialog(self, "Details", text)
        return self._dialog

    # -- fitting the message -------------------------------------------------------------------

    def _room(self) -> int:
        """The message's width in pixels, inside the label's padding; 0 before layout."""
        width = self.message_label.winfo_width()
        return 0 if width <= 1 else max(1, width - self._frame_width)

    def _on_resize(self, _event: tk.Event) -> None:
        if self._room() not in (0, self._fitted_room):
            self._refit()

    def _refit(self) -> None:
        room = self._room()
        if room <= 0:  # not laid out yet: <Configure> fits it once it is
            self.message_label.configure(text=self._text)
            return
        self._fitted_room = room
        lines, overflow = fit_lines(self._text, self.font, room)
        # wraplength too: should Tk measure a line wider than we did, it wraps, not clips
        self.message_label.configure(text="\n".join(lines), wraplength=room)
        self._show_details_button(overflow or self._details is not None)

    def _show_details_button(self, wanted: bool) -> None:
        # Showing it narrows the message, whose <Configure> refits it. A text that would fit
        # only without the button keeps it (and is shortened): the two never chase each other.
        if wanted and not self.details_button.winfo_manager():
            self.details_button.grid(row=0, column=2, padx=(0, round(4 * self.scale)))
        elif not wanted and self.details_button.winfo_manager():
            self.details_button.grid_remove()

    @property
    def shows_details_button(self) -> bool:
        return bool(self.details_button.winfo_manager())
