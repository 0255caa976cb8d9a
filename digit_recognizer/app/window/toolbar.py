"""The rows of controls under the canvas: the pen and the drawing's buttons, and teaching.

They hold no state of their own beyond their Tk variables; the window reads and sets those,
and passes the actions in.
"""

from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass
from functools import partial
from tkinter import ttk
from typing import Callable

from digit_recognizer.app.window.widgets import INK, style_background

__all__ = ["Actions", "Toolbar", "TeachBar", "BRUSH_MIN", "BRUSH_MAX"]

BRUSH_MIN, BRUSH_MAX = 6, 40  # pen width in logical pixels of the paper at its default size
PREVIEW = 44  # the pen preview's side, logical pixels


@dataclass(frozen=True)
class Actions:
    """What the toolbar's controls do."""

    undo: Callable[[], object]
    redo: Callable[[], object]
    clear: Callable[[], object]
    predict: Callable[[], object]
    brush_changed: Callable[[], object]
    number_mode_changed: Callable[[], object]
    live_changed: Callable[[], object]


class Toolbar(ttk.Frame):
    """Pen width, Undo/Redo/Clear, number mode, live prediction and Predict."""

    def __init__(self, parent: tk.Misc, actions: Actions, *, brush: int, number_mode: bool,
                 live: bool, scale: float) -> None:
        super().__init__(parent)
        self.actions, self.scale = actions, scale
        ttk.Label(self, text="Pen").pack(side="left")
        self.brush_var = tk.IntVar(self, value=min(BRUSH_MAX, max(BRUSH_MIN, brush)))
        self.brush_scale = ttk.Scale(self, from_=BRUSH_MIN, to=BRUSH_MAX, length=90,
                                     variable=self.brush_var, command=self._on_brush)
        self.brush_scale.pack(side="left", padx=(6, 2))
        self.brush_preview = tk.Canvas(self, width=PREVIEW, height=PREVIEW,
                                       highlightthickness=0, background=style_background(self))
        self.brush_preview.pack(side="left", padx=(0, 8))
        self.undo_button = self._button("Undo", actions.undo)
        self.redo_button = self._button("Redo", actions.redo)
        self.clear_button = self._button("Clear", actions.clear)
        self.number_var = tk.BooleanVar(self, value=number_mode)
        self.number_check = ttk.Checkbutton(self, text="Number", variable=self.number_var,
                                            command=actions.number_mode_changed)
        self.number_check.pack(side="left", padx=(10, 2))
        self.live_var = tk.BooleanVar(self, value=live)
        self.live_check = ttk.Checkbutton(self, text="Live", variable=self.live_var,
                                          command=self._on_live)
        self.live_check.pack(side="left", padx=2)
        # Only without live answers does the user need to ask for one.
        self.predict_button = ttk.Button(self, text="Predict", width=8, command=actions.predict)
        self._show_predict()
        self._draw_preview()

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
        self.actions.number_mode_changed()

    def toggle_live(self) -> None:
        """Turn live answers on or off, as the Live box does."""
        self.live_var.set(not self.live_var.get())
        self._on_live()

    def _button(self, text: str, command: Callable[[], object]) -> ttk.Button:
        button = ttk.Button(self, text=text, width=6, command=command)
        button.pack(side="left", padx=2)
        return button

    def _on_brush(self, _value: str) -> None:
        self._draw_preview()
        self.actions.brush_changed()

    def _on_live(self) -> None:
        self._show_predict()
        self.actions.live_changed()

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
    """"Wrong? It is really a 0 … 9": the user's correction, and how many are saved."""

    def __init__(self, parent: tk.Misc, teach: Callable[[int], object]) -> None:
        super().__init__(parent)
        ttk.Label(self, text="Wrong? It is really a").pack(side="left", padx=(0, 6))
        self.buttons = []
        for digit in range(10):
            button = ttk.Button(self, text=str(digit), style="Teach.TButton",
                                command=partial(teach, digit))
            button.pack(side="left", padx=1)
            self.buttons.append(button)
        self.count_label = ttk.Label(self, text="", foreground="#555")
        self.count_label.pack(side="right")

    def enable(self, on: bool) -> None:
        for button in self.buttons:
            button.state(["!disabled"] if on else ["disabled"])
