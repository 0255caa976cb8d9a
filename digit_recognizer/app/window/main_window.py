"""The window's parts and their layout: menus, paper, answer, controls and status bar.

``MainWindow`` builds the parts and places them (the paper and the answer by ``layout``, as
the window's size changes); it keeps no state beyond what its widgets hold. What the controls
do comes from ``actions`` (the app), whose methods the menus, buttons and keys call by the
names used here.
"""

from __future__ import annotations

import argparse
import os
import re
import tkinter as tk
from functools import partial
from tkinter import font as tkfont
from tkinter import ttk
from typing import Callable

from digit_recognizer.app.window.answer_panel import AnswerPanel
from digit_recognizer.app.window.drawing_canvas import DrawingCanvas
from digit_recognizer.app.window.help_info import SHORTCUTS
from digit_recognizer.app.window.layout import PaperLayout
from digit_recognizer.app.window.model_menu import ModelMenu
from digit_recognizer.app.window.status_bar import StatusBar
from digit_recognizer.app.window.toolbar import Actions, TeachBar, Toolbar
from digit_recognizer.app.window.widgets import style_background
from digit_recognizer.core.strokes import PAPER_SIDE

__all__ = ["MainWindow", "MIN_CANVAS", "geometry_option"]

MIN_CANVAS = 220  # the paper's side at the window's minimum size (PAPER_SIDE: at its default)


class MainWindow:
    """Builds the window in ``root``; ``actions`` is the app that the controls call.

    ``model``, ``brush``, ``number_mode`` and ``live`` are what the controls show at first (the
    remembered settings).
    """

    def __init__(self, root: tk.Tk, actions: object, *, model: str, brush: int,
                 number_mode: bool, live: bool, models_dir: str | os.PathLike | None) -> None:
        self.root, self.actions = root, actions
        self.scale = max(1.0, float(root.tk.call("tk", "scaling")) * 72 / 96)
        self._style()
        self.model_var = tk.StringVar(root, value=model)
        root.configure(menu=self._menus(models_dir), background=style_background(root))
        main = ttk.Frame(root, padding=12)
        main.grid(row=0, column=0, sticky="nsew")
        for widget in (root, main):
            widget.columnconfigure(0, weight=1)
            widget.rowconfigure(0, weight=1)
        side = round(PAPER_SIDE * self.scale)
        self.paper = ttk.Frame(main)  # the room of the paper and the answer (``layout``)
        self.paper.grid(row=0, column=0, columnspan=2, sticky="nsew")
        self.canvas = DrawingCanvas(self.paper, side, brush=self._brush_fraction,
                                    on_change=actions.drawing_changed, font=self.mid_font)
        self.answer = AnswerPanel(self.paper, self.scale)
        self.layout = PaperLayout(self.paper, self.canvas, self.answer, self.scale)
        self.toolbar = Toolbar(main, self._toolbar_actions(), brush=brush,
                               number_mode=number_mode, live=live, scale=self.scale)
        self.toolbar.grid(row=1, column=0, columnspan=2, sticky="ew", pady=(10, 0))
        self.teach_bar = TeachBar(main, partial(self.run, "teach"))
        self.teach_bar.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(8, 0))
        self.status = StatusBar(root, self.scale, undo=self.undo)
        self.status.grid(row=1, column=0, sticky="ew")
        self._bind_keys()
        self._set_min_size(side)

    def _style(self) -> None:
        style = ttk.Style(self.root)
        if "clam" in style.theme_names():
            style.theme_use("clam")
        style.configure("Teach.TButton", padding=(2, 1), width=2)
        base = tkfont.nametofont("TkDefaultFont")
        self.mid_font = tkfont.Font(self.root, family=base.cget("family"), size=13)

    def _menus(self, models_dir: str | os.PathLike | None) -> tk.Menu:
        a, menubar = self.actions, tk.Menu(self.root)
        self.file_menu = tk.Menu(menubar, tearoff=False)
        self.file_menu.add_command(label="Open image…", accelerator="Ctrl+O",
                                   command=partial(self.run, "open_image"))
        self.file_menu.add_command(label="Save drawing…", accelerator="Ctrl+S",
                                   command=partial(self.run, "save_drawing"))
        self.file_menu.add_separator()
        self.file_menu.add_command(label="Quit", accelerator="Ctrl+Q", command=a.quit)
        menubar.add_cascade(label="File", menu=self.file_menu)
        self.model_menu = ModelMenu(menubar, self.model_var, models_dir=models_dir,
                                    choose=a.select_model, open_file=a.open_model_file,
                                    corrections=partial(self.run, "manage_corrections"))
        menubar.add_cascade(label="Model", menu=self.model_menu)
        self.help_menu = tk.Menu(menubar, tearoff=False)
        self.help_menu.add_command(label="Keyboard shortcuts", accelerator="F1",
                                   command=a.show_shortcuts)
        self.help_menu.add_command(label="Copy fine-tune command",
                                   command=partial(self.run, "copy_fine_tune"))
        self.help_menu.add_command(label="About", command=a.show_about)
        menubar.add_cascade(label="Help", menu=self.help_menu)
        return menubar

    def _toolbar_actions(self) -> Actions:
        a = self.actions
        return Actions(undo=self.undo, redo=self.redo, clear=self.clear, predict=a.predict,
                       brush_changed=a.brush_changed, number_mode_changed=a.number_mode_changed,
                       live_changed=a.live_changed)

    def run(self, name: str, *args: object) -> None:
        """Carry out the action called ``name``: the window's own (the paper's and the
        toolbar's), else the app's, else its files' (``user_files``)."""
        own = {"undo": self.undo, "redo": self.redo, "clear": self.clear,
               "toggle_number_mode": self.toolbar.toggle_number_mode,
               "toggle_live": self.toolbar.toggle_live}
        action = own.get(name) or getattr(self.actions, name, None)
        (action or getattr(self.actions.files, name))(*args)

    def _bind_keys(self) -> None:
        for sequences, _, _, method in SHORTCUTS:
            for sequence in sequences:
                self.root.bind(sequence, partial(_key, partial(self.run, method)))
        for digit in range(10):
            self.root.bind(f"<Control-Key-{digit}>", partial(_key, partial(self.run, "teach",
                                                                            digit)))

    def _set_min_size(self, side: int) -> None:
        """The smallest window that still shows every control: the paper at its minimum."""
        self.layout.ask_for(round(MIN_CANVAS * self.scale))
        # Measured with a count of corrections beside the teach buttons, which would
        # otherwise be cut off once there is one.
        self.teach_bar.count_label.configure(text="99 corrections saved")
        self.root.update_idletasks()
        self.root.minsize(self.root.winfo_reqwidth(), self.root.winfo_reqheight())
        self.teach_bar.count_label.configure(text="")
        self.layout.ask_for(side)
        self.canvas.resize(side)  # the measuring shrank it; it must first show at full size

    def undo(self) -> None:
        """Take back the last action: a teach, if it was one (the app's ``taking_back``),
        else the last stroke, Clear or opened image."""
        if not self.actions.taking_back.take_back():
            self.canvas.undo()

    def redo(self) -> None:
        """Put back what Undo took."""
        self.canvas.redo()

    def clear(self) -> None:
        """Empty the paper (Undo brings the drawing back)."""
        self.canvas.clear()

    def _brush_fraction(self) -> float:
        return self.toolbar.brush / PAPER_SIDE

    @property
    def number_mode(self) -> bool:
        return bool(self.toolbar.number_var.get())

    @property
    def live(self) -> bool:
        return bool(self.toolbar.live_var.get())


def _key(action: Callable[[], object], _event: tk.Event) -> str:
    action()
    return "break"


def geometry_option(text: str) -> str:
    """``--geometry``'s value, checked here: Tk would only refuse it once the window is up."""
    if not text or not re.fullmatch(r"(\d+x\d+)?([+-]\d+[+-]\d+)?", text):
        raise argparse.ArgumentTypeError(f"'{text}' is not WIDTHxHEIGHT, +X+Y or both "
                                         "(e.g. 1200x900 or 1200x900+0+0)")
    return text
