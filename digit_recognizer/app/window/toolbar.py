"""The rows of controls under the canvas: the pen and the drawing's buttons, and teaching.

They hold no state of their own beyond their Tk variables; the window reads and sets those.
What a setting's change means is the owner's (``ToolbarChanges``); what the buttons do comes
from the window's table of actions (``connect``).
"""

from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass
from functools import partial
from tkinter import ttk
from typing import Callable

from digit_recognizer.app.window.actions import WindowActions
from digit_recognizer.app.window.widgets import INK, Tooltip, style_background

__all__ = ["ToolbarChanges", "Toolbar", "TeachBar", "BRUSH_MIN", "BRUSH_MAX", "TEACH_PROMPT",
           "TOOLBAR_BUTTONS"]

BRUSH_MIN, BRUSH_MAX = 6, 40  # pen width in logical pixels of the paper at its default size
PREVIEW = 44  # the pen preview's side, logical pixels
TOOLBAR_BUTTONS = (("Undo", "undo"), ("Redo", "redo"), ("Clear", "clear"))  # (text, action)
TEACH_PROMPT = "Wrong? It is really a"
HINT_TEXT = "#777"  # the greyed teach buttons' reason


@dataclass(frozen=True)
class ToolbarChanges:
    """Whom the toolbar tells when the user changes a setting."""

    brush_changed: Callable[[], object]
    number_mode_changed: Callable[[], object]
    live_changed: Callable[[], object]


class Toolbar(ttk.Frame):
    """Pen width, Undo/Redo/Clear, number mode, live prediction and Predict."""

    def __init__(self, parent: tk.Misc, changes: ToolbarChanges, *, brush: int,
                 number_mode: bool, live: bool, scale: float) -> None:
        super().__init__(parent)
        self.changes, self.scale = changes, scale
        ttk.Label(self, text="Pen").pack(side="left")
        self.brush_var = tk.IntVar(self, value=min(BRUSH_MAX, max(BRUSH_MIN, brush)))
        self.brush_scale = ttk.Scale(self, from_=BRUSH_MIN, to=BRUSH_MAX, length=90,
                                     variable=self.brush_var, command=self._on_brush)
        self.brush_scale.pack(side="left", padx=(6, 2))
        self.brush_preview = tk.Canvas(self, width=PREVIEW, height=PREVIEW,
                                       highlightthickness=0, background=style_background(self))
        self.brush_preview.pack(side="left", padx=(0, 8))
        self.undo_button, self.redo_button, self.clear_button = (
            self._button(text) for text, _ in TOOLBAR_BUTTONS)
        self.number_var = tk.BooleanVar(self, value=number_mode)
        self.number_check = ttk.Checkbutton(self, text="Number", variable=self.number_var,
                                            command=changes.number_mode_changed)
        self.number_check.pack(side="left", padx=(10, 2))
        self.live_var = tk.BooleanVar(self, value=live)
        self.live_check = ttk.Checkbutton(self, text="Live", variable=self.live_var,
                                          command=self._on_live)
        self.live_check.pack(side="left", padx=2)
        # Only without live answers does the user need to ask for one.
        self.predict_button = ttk.Button(self, text="Predict", width=8)
        self._show_predict()
        self._draw_preview()

    def connect(self, actions: WindowActions) -> None:
        """Give the buttons their actions from the window's table."""
        buttons = (self.undo_button, self.redo_button, self.clear_button)
        for button, (_, name) in zip(buttons, TOOLBAR_BUTTONS):
            button.configure(command=actions.resolve(name))
        self.predict_button.configure(command=actions.predict)

    @property
    def brush(self) -> int:
        return int(round(self.brush_var.get()))

    def enable(self, *, undo: bool, redo: bool, clear: bool) -> None:
        for button, on in ((self.undo_button, undo), (self.redo_button, redo),
                           (self.clear_button, clear)):
            button.state(["!disabled"] if on else ["disabled"])

    def toggle_number_mode(self) -> None:
        """Turn number mode on or off, as the Number box does."""
        self.number_var.set(not self.number_var.get())
        self.changes.number_mode_changed()

    def toggle_live(self) -> None:
        """Turn live answers on or off, as the Live box does."""
        self.live_var.set(not self.live_var.get())
        self._on_live()

    def _button(self, text: str) -> ttk.Button:
        button = ttk.Button(self, text=text, width=6)
        button.pack(side="left", padx=2)
        return button

    def _on_brush(self, _value: str) -> None:
        self._draw_preview()
        self.changes.brush_changed()

    def _on_live(self) -> None:
        self._show_predict()
        self.changes.live_changed()

    def _show_predict(self) -> None:
        if self.live_var.get():
            self.predict_button.pack_forget()
        else:
            self.predict_button.pack(side="right")

    def _draw_preview(self) -> None:
        self.brush_preview.delete("all")
        middle = PREVIEW / 2
        r = self.brush * self.scale / 2 * PREVIEW / max(PREVIEW, BRUSH_MAX * self.scale)
        self.brush_preview.create_oval(middle - r, middle - r, middle + r, middle + r,
                                       fill=INK, outline="")


class TeachBar(ttk.Frame):
    """"Wrong? It is really a 0 … 9": the user's correction, and how many are saved.

    Greyed out, the buttons say why in the prompt's place ("Draw a digit first"), and at more
    length in a tooltip. The prompt keeps the width of ``TEACH_PROMPT`` whatever it says, so
    the buttons never move and the window is no wider than before: each reason fits in it.
    """

    def __init__(self, parent: tk.Misc) -> None:
        super().__init__(parent)
        holder = ttk.Frame(self)
        holder.pack(side="left", padx=(0, 6))
        self.prompt = ttk.Label(holder, text=TEACH_PROMPT, anchor="e")
        self.prompt.pack(fill="both", expand=True)
        holder.configure(width=self.prompt.winfo_reqwidth(),
                         height=self.prompt.winfo_reqheight())
        holder.pack_propagate(False)
        self.buttons = []
        for digit in range(10):
            button = ttk.Button(self, text=str(digit), style="Teach.TButton")
            button.pack(side="left", padx=1)
            self.buttons.append(button)
        self.count_label = ttk.Label(self, text="", foreground="#555")
        self.count_label.pack(side="right")
        self.reason = ""  # why the buttons are greyed out; "" when they are not
        self.tip = ""  # the tooltip over the prompt and the buttons
        self.tooltip = Tooltip([self.prompt, *self.buttons], lambda: self.tip)

    def connect(self, teach: Callable[[int], object]) -> None:
        """Each button teaches its digit through ``teach``."""
        for digit, button in enumerate(self.buttons):
            button.configure(command=partial(teach, digit))

    def enable(self, why_not: str | None, prompt: str = TEACH_PROMPT, tip: str = "") -> None:
        """Grey the buttons out if ``why_not`` (a few words, said in the prompt's place);
        else offer them under ``prompt``. ``tip``: the tooltip's longer sentence."""
        self.reason, self.tip = why_not or "", tip
        for button in self.buttons:
            button.state(["disabled"] if why_not else ["!disabled"])
        self.prompt.configure(text=why_not or prompt,
                              foreground=HINT_TEXT if why_not else "")
