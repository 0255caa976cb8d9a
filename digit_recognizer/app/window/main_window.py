"""The window's parts and their layout: menus, paper, answer, controls and status bar.

``MainWindow`` builds the parts and places them (the paper and the answer by ``layout``, as
the window's size changes); it keeps no state beyond what its widgets hold. What the controls
do comes from one table of callables (``actions.WindowActions``), which the app hands to
``connect`` once its parts exist: the menus, keys and buttons name their actions here
(``FILE_MENU``, ``HELP_MENU``, ``help_info.SHORTCUTS``, ``toolbar``'s buttons), and
``connect`` looks every name up at once, so a name the table lacks stops the window being built
instead of failing when a person presses the key.
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

from digit_recognizer.app.window.actions import WindowActions
from digit_recognizer.app.window.answer_panel import AnswerPanel
from digit_recognizer.app.window.drawing_canvas import DrawingCanvas
from digit_recognizer.app.window.help_info import SHORTCUTS
from digit_recognizer.app.window.layout import PaperLayout
from digit_recognizer.app.window.model_menu import ModelMenu
from digit_recognizer.app.window.status_bar import StatusBar
from digit_recognizer.app.window.toolbar import TeachBar, Toolbar, ToolbarChanges
from digit_recognizer.app.window.widgets import style_background
from digit_recognizer.app.window.wording import DIGIT_HINT, NUMBER_HINT
from digit_recognizer.core.strokes import PAPER_SIDE

__all__ = ["MainWindow", "MIN_CANVAS", "FILE_MENU", "HELP_MENU", "geometry_option"]

MIN_CANVAS = 220  # the paper's side at the window's minimum size (PAPER_SIDE: at its default)
# (label, accelerator, action) of each menu entry; None: a separator
MenuItems = tuple[tuple[str, str, str] | None, ...]
FILE_MENU: MenuItems = (("Open image…", "Ctrl+O", "open_image"),
                        ("Save drawing…", "Ctrl+S", "save_drawing"), None,
                        ("Quit", "Ctrl+Q", "quit"))
HELP_MENU: MenuItems = (("Keyboard shortcuts", "F1", "show_shortcuts"),
                        ("Copy fine-tune command", "", "copy_fine_tune"),
                        ("About", "", "show_about"))


class MainWindow:
    """Builds the window in ``root``; ``connect`` then gives its controls their actions.

    ``drawing_changed`` hears of each change to the paper and ``changes`` of each setting the
    toolbar changes. ``model``, ``brush``, ``number_mode`` and ``live`` are what the controls
    show at first (the remembered settings).
    """

    def __init__(self, root: tk.Tk, *, drawing_changed: Callable[[str], None],
                 changes: ToolbarChanges, model: str, brush: int, number_mode: bool,
                 live: bool, models_dir: str | os.PathLike | None) -> None:
        self.root = root
        self.actions: WindowActions | None = None  # until ``connect``
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
                                    on_change=drawing_changed, font=self.mid_font)
        self.answer = AnswerPanel(self.paper, self.scale)
        self.layout = PaperLayout(self.paper, self.canvas, self.answer, self.scale)
        self.toolbar = Toolbar(main, changes, brush=brush, number_mode=number_mode, live=live,
                               scale=self.scale)
        self.toolbar.grid(row=1, column=0, columnspan=2, sticky="ew", pady=(10, 0))
        self.show_mode()
        self.teach_bar = TeachBar(main)
        self.teach_bar.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(8, 0))
        self.status = StatusBar(root, self.scale, undo=self.undo)
        self.status.grid(row=1, column=0, sticky="ew")
        self._set_min_size(side)

    def _style(self) -> None:
        style = ttk.Style(self.root)
        if "clam" in style.theme_names():
            style.theme_use("clam")
        style.configure("Teach.TButton", padding=(2, 1), width=2)
        base = tkfont.nametofont("TkDefaultFont")
        self.mid_font = tkfont.Font(self.root, family=base.cget("family"), size=13)

    def _menus(self, models_dir: str | os.PathLike | None) -> tk.Menu:
        menubar = tk.Menu(self.root)
        self.file_menu = _menu(menubar, FILE_MENU)
        menubar.add_cascade(label="File", menu=self.file_menu)
        self.model_menu = ModelMenu(menubar, self.model_var, models_dir=models_dir)
        menubar.add_cascade(label="Model", menu=self.model_menu)
        self.help_menu = _menu(menubar, HELP_MENU)
        menubar.add_cascade(label="Help", menu=self.help_menu)
        return menubar

    def connect(self, actions: WindowActions) -> None:
        """Give every menu entry, shortcut and button its action from ``actions``.

        Raises ``actions.UnknownActionError`` if one of them names an action the table lacks.
        """
        for menu, items in ((self.file_menu, FILE_MENU), (self.help_menu, HELP_MENU)):
            for index, item in enumerate(items):
                if item is not None:
                    menu.entryconfigure(index, command=actions.resolve(item[2]))
        self.model_menu.connect(actions.select_model, actions.open_model_file,
                                actions.manage_corrections)
        self.toolbar.connect(actions)
        self.teach_bar.connect(actions.teach)
        self.canvas.pick = actions.pick_digit
        self.answer.pick = actions.pick_digit
        for sequences, _, _, name in SHORTCUTS:
            action = actions.resolve(name)
            for sequence in sequences:
                self.root.bind(sequence, partial(_key, action))
        for digit in range(10):
            self.root.bind(f"<Control-Key-{digit}>", partial(_key, partial(actions.teach, digit)))
        self.actions = actions

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
        """Take back the last action (the table's ``undo``: a teach, or the paper's last
        change)."""
        self._connected().undo()

    def clear(self) -> None:
        """Empty the paper (Undo brings the drawing back)."""
        self._connected().clear()

    def _connected(self) -> WindowActions:
        assert self.actions is not None, "MainWindow.connect comes first"
        return self.actions

    def _brush_fraction(self) -> float:
        return self.toolbar.brush / PAPER_SIDE

    @property
    def number_mode(self) -> bool:
        return bool(self.toolbar.number_var.get())

    def show_mode(self) -> None:
        """The empty paper invites what the mode reads: a digit, or a number."""
        self.canvas.set_hint(NUMBER_HINT if self.number_mode else DIGIT_HINT)

    @property
    def live(self) -> bool:
        return bool(self.toolbar.live_var.get())


def _menu(menubar: tk.Menu, items: MenuItems) -> tk.Menu:
    """A menu of ``items``, their actions still to come (``MainWindow.connect``)."""
    menu = tk.Menu(menubar, tearoff=False)
    for item in items:
        if item is None:
            menu.add_separator()
        else:
            menu.add_command(label=item[0], accelerator=item[1])
    return menu


def _key(action: Callable[[], object], _event: tk.Event) -> str:
    action()
    return "break"


def geometry_option(text: str) -> str:
    """``--geometry``'s value, checked here: Tk would only refuse it once the window is up."""
    if not text or not re.fullmatch(r"(\d+x\d+)?([+-]\d+[+-]\d+)?", text):
        raise argparse.ArgumentTypeError(f"'{text}' is not WIDTHxHEIGHT, +X+Y or both "
                                         "(e.g. 1200x900 or 1200x900+0+0)")
    return text
