"""Model ▸ Corrections…: the saved corrections as a grid, to delete, relabel or export them.

Each tile shows a sample as the model sees it, with its label under it
(``window.sample_grid``). A click or the arrow keys select one; Delete removes it, a digit key
(or the Relabel menu) gives it that label, and Export copies them all as PNG folders or an IDX
pair; Undo delete (Ctrl+Z) brings the deleted ones back, last first, each in its place. Every
change is written at once through ``teaching`` and then reported to ``on_change`` (the window
refits the personal model on it). A problem shows as one sentence in the dialog, never as a
traceback. It writes through ``teaching``, so it sits beside it in ``app``, above the window's
parts (``app.window``).

    dialog = corrections_dialog(root, corrections_dir(), on_change=app.refit)
"""

from __future__ import annotations

import os
import tkinter as tk
from collections.abc import Callable
from functools import partial
from pathlib import Path
from tkinter import ttk

import numpy as np
from digit_recognizer.app.teaching import (
    TeachingError,
    delete_correction,
    export_corrections,
    read_corrections,
    relabel_correction,
    restore_correction,
)

# centre: placed over the window as the app's other dialogs are, by the same code; closed
# as they are too, giving the keyboard focus back to the window
from digit_recognizer.app.window.dialogs import (
    MUTED_TEXT,
    StartFolder,
    centre,
    close_dialog,
    return_focus,
)
from digit_recognizer.app.window.folder_chooser import ask_folder
from digit_recognizer.app.window.sample_grid import COLUMNS, TILE_SLOT, SampleGrid
from digit_recognizer.app.window.status_bar import TONES
from digit_recognizer.app.window.widgets import style_background
from digit_recognizer.core.conflicts import marked

__all__ = ["CorrectionsDialog", "corrections_dialog"]

EMPTY_TEXT = ("No corrections yet. To add one, draw a digit and, when the answer is wrong, "
              "press the right digit under “Wrong? It is really a”.")
HINT_TEXT = ("Click a sample to select it; Delete removes it (Ctrl+Z brings it back), a digit "
             "key relabels it.")
CONFLICT_MARK = "⚠"  # beside the label of a correction the guard refused (``core.conflicts``)
CONFLICT_TEXT = (f"{CONFLICT_MARK}: conflicts with how most people write that digit, so your "
                 "model leaves it out. Delete it, or relabel it if it was a slip.")


def corrections_dialog(parent: tk.Misc, folder: str | os.PathLike,
                       on_change: Callable[[], None] | None = None,
                       start_folder: StartFolder | None = None) -> CorrectionsDialog:
    """Open the corrections manager for ``folder`` over ``parent`` and return it.

    ``on_change`` is called after every delete or relabel, once the files are written.
    ``start_folder``: where Export's folder chooser opens (the window shares its own, so it
    opens where the user last opened or saved a file; default: the home folder).
    """
    return CorrectionsDialog(parent, folder, on_change, start_folder)


class CorrectionsDialog(tk.Toplevel):
    """The grid of saved samples and the buttons that change them.

    For tests: ``tiles`` (one ``tk.Label`` per sample, its text the label), ``selected``
    (index or None), ``count_label``, ``message`` (the last error or result, one sentence),
    and ``ask_folder``, which may be replaced by a function returning a path or None.
    """

    def __init__(self, parent: tk.Misc, folder: str | os.PathLike,
                 on_change: Callable[[], None] | None = None,
                 start_folder: StartFolder | None = None) -> None:
        super().__init__(parent)
        self.withdraw()  # shown once placed, so it never flashes at the screen's corner
        self.folder, self.on_change = Path(folder), on_change
        self.start_folder = start_folder if start_folder is not None else StartFolder()
        self.scale = max(1.0, float(self.tk.call("tk", "scaling")) * 72 / 96)
        self.background = style_background(parent)
        self.selected: int | None = None
        self.images = np.zeros((0, 28, 28), np.uint8)  # the samples shown, as saved ...
        self.labels = np.zeros(0, np.uint8)  # ... and their labels
        self.deleted: list[tuple[int, np.ndarray, int]] = []  # (place, image, label): Undo's
        self.title("Corrections")
        self.transient(parent.winfo_toplevel())
        self.configure(background=self.background)
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        body = ttk.Frame(self, name="body", padding=14)
        body.grid(row=0, column=0, sticky="nsew")
        body.columnconfigure(0, weight=1)
        body.rowconfigure(2, weight=1)
        self._build_header(body)
        self._build_grid(body)
        self._build_buttons(body)
        self._bind_keys()
        self.refresh()
        centre(self)
        self.deiconify()
        self.focus_set()

    # -- building ------------------------------------------------------------------------------

    def _build_header(self, body: ttk.Frame) -> None:
        self.count_label = ttk.Label(body, name="count", text="", font="TkHeadingFont")
        self.count_label.grid(row=0, column=0, sticky="w")
        self.hint_label = ttk.Label(body, name="hint", text=HINT_TEXT, foreground=MUTED_TEXT)
        self.hint_label.grid(row=1, column=0, sticky="w", pady=(2, 8))

    def _build_grid(self, body: ttk.Frame) -> None:
        self.samples = SampleGrid(body, self.scale, self.background, on_click=self.select)
        self.samples.grid(row=2, column=0, sticky="nsew")
        self.empty_label = ttk.Label(body, name="empty", text=EMPTY_TEXT,
                                     wraplength=round(COLUMNS * TILE_SLOT * self.scale))

    def _build_buttons(self, body: ttk.Frame) -> None:
        self.message = ttk.Label(body, name="message", text="",
                                 wraplength=round(COLUMNS * TILE_SLOT * self.scale))
        self.message.grid(row=4, column=0, sticky="w", pady=(8, 0))
        row = ttk.Frame(body, name="buttons")
        row.grid(row=5, column=0, sticky="ew", pady=(14, 0))
        self.delete_button = ttk.Button(row, name="delete", text="Delete",
                                        command=self.delete_selected)
        self.delete_button.pack(side="left")
        self.undo_button = ttk.Button(row, name="undo", text="Undo delete",
                                      command=self.undo_delete, state="disabled")
        self.undo_button.pack(side="left", padx=(6, 0))
        self.relabel_button = ttk.Menubutton(row, name="relabel", text="Relabel", width=8)
        menu = tk.Menu(self.relabel_button, name="menu", tearoff=False)
        for digit in range(10):
            menu.add_command(label=f"It is a {digit}", accelerator=str(digit),
                             command=partial(self.relabel_selected, digit))
        self.relabel_button.configure(menu=menu)
        self.relabel_button.pack(side="left", padx=(6, 0))
        self.export_button = ttk.Menubutton(row, name="export", text="Export", width=8)
        menu = tk.Menu(self.export_button, name="menu", tearoff=False)
        menu.add_command(label="As PNG folders, one per digit…",
                         command=partial(self._ask_and_export, True))
        menu.add_command(label="As IDX files, for train --extra-data…",
                         command=partial(self._ask_and_export, False))
        self.export_button.configure(menu=menu)
        self.export_button.pack(side="left", padx=(6, 0))
        close = ttk.Button(row, name="close", text="Close", command=self.close,
                           default="active")
        close.pack(side="right")

    def _bind_keys(self) -> None:
        self.protocol("WM_DELETE_WINDOW", self.close)
        for sequence in ("<Escape>", "<Return>", "<KP_Enter>"):
            self.bind(sequence, lambda _event: self.close())
        for sequence in ("<Delete>", "<KP_Delete>"):
            self.bind(sequence, lambda _event: self.delete_selected())
        for sequence in ("<Control-z>", "<Control-Z>"):
            self.bind(sequence, lambda _event: self.undo_delete())
        self.bind("<Key>", self._on_key)  # digits, also from the keypad: relabel
        for key, step in (("Left", -1), ("Right", 1), ("Up", -COLUMNS), ("Down", COLUMNS)):
            self.bind(f"<{key}>", partial(self._move, step))

    # -- what the buttons and keys do ----------------------------------------------------------

    def delete_selected(self) -> None:
        """Delete the selected sample from disk, then show the rest and call ``on_change``."""
        if self.selected is None:
            return
        index, label = self.selected, self.tiles[self.selected].cget("text")
        image = self.images[index]
        try:
            left = delete_correction(index, self.folder)
        except TeachingError as err:
            self._show_message(str(err), "error")
            return
        self.deleted.append((index, image, int(self.labels[index])))
        self.selected = min(index, left - 1) if left else None  # the next, for another Delete
        self.refresh()
        self._report(f"Deleted a {label}.")
        self._changed()

    def undo_delete(self) -> None:
        """Bring back the last sample deleted, in its place, then select it (Ctrl+Z)."""
        if not self.deleted:
            return
        index, image, label = self.deleted[-1]
        try:
            restore_correction(index, image, label, self.folder)
        except TeachingError as err:
            self._show_message(str(err), "error")
            return
        self.deleted.pop()
        self.selected = index
        self.refresh()
        self._report(f"Brought back a {label}.")
        self._changed()

    def relabel_selected(self, label: int) -> None:
        """Give the selected sample ``label`` on disk, then show it and call ``on_change``."""
        if self.selected is None:
            return
        old = self.tiles[self.selected].cget("text")
        if old == str(label):
            return  # nothing changes: no write, no refit
        try:
            relabel_correction(self.selected, label, self.folder)
        except TeachingError as err:
            self._show_message(str(err), "error")
            return
        self.refresh()
        self._report(f"Relabelled a {old} as a {label}.")
        self._changed()

    def export(self, to: str | os.PathLike, as_png: bool) -> Path | None:
        """Copy every sample into the new or empty folder ``to``; return it, None on failure."""
        try:
            done = export_corrections(self.folder, to, as_png)
        except TeachingError as err:
            self._show_message(str(err), "error")
            return None
        what = "PNG folders" if as_png else "an IDX pair"
        self._show_message(f"Exported {self._counted()} as {what} to {done}.", "info")
        return done

    def ask_folder(self) -> str | None:
        """The folder to export into, from a file dialog; None if cancelled. Tests replace it.

        It opens in ``start_folder`` (not the folder the app runs in), which then remembers
        where the user went.
        """
        chosen = ask_folder(self, initialdir=str(self.start_folder),
                            title="Export into a new or empty folder")
        return_focus(self)
        self.start_folder.chose(chosen)
        return chosen or None

    def close(self) -> None:
        """Close, giving the keyboard focus back to the window (Close, Escape, Enter)."""
        close_dialog(self)

    def refresh(self) -> None:
        """Read the folder again and show what it holds now."""
        try:
            saved = read_corrections(self.folder)
        except (TeachingError, OSError) as err:
            self._show_samples(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8))
            self.count_label.configure(text="The corrections cannot be read")
            self.empty_label.grid_remove()
            self._show_message(_sentence(err), "error")
            return
        self._show_samples(saved.images, saved.labels)
        self._show_message(saved.note or "", "warning")
        self._mark_conflicts(saved.images, saved.labels)

    def _mark_conflicts(self, images: np.ndarray, labels: np.ndarray) -> None:
        """Mark the corrections the guard refused to learn (``core.conflicts``), and say why
        unless a reading problem is being shown."""
        flagged = np.flatnonzero(marked(self.folder, images, labels))
        for index in flagged:
            self.tiles[index].configure(text=f"{labels[index]} {CONFLICT_MARK}")
        if len(flagged) and not self.message.cget("text"):
            self._show_message(CONFLICT_TEXT, "warning")

    def _ask_and_export(self, as_png: bool) -> None:
        to = self.ask_folder()
        if to is not None:
            self.export(to, as_png)

    def _on_key(self, event: tk.Event) -> None:
        if len(event.char) == 1 and event.char in "0123456789":
            self.relabel_selected(int(event.char))

    def _move(self, step: int, _event: tk.Event | None = None) -> None:
        if self.selected is None:
            self.select(0 if self.count else None)
        else:
            self.select(max(0, min(self.count - 1, self.selected + step)))

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # -- showing -------------------------------------------------------------------------------

    @property
    def tiles(self) -> list[tk.Label]:
        return self.samples.tiles

    @property
    def count(self) -> int:
        return self.samples.count

    def select(self, index: int | None) -> None:
        """Highlight sample ``index`` (None: none) and scroll it into view."""
        self.selected = index
        self.samples.highlight(index)
        state = ["!disabled"] if index is not None else ["disabled"]
        self.delete_button.state(state)
        self.relabel_button.state(state)
        self.undo_button.state(["!disabled"] if self.deleted else ["disabled"])

    def _show_samples(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.samples.show(images, labels)
        self.images, self.labels = images, labels
        self.count_label.configure(text=self._counted())
        if self.count:  # the hint on selecting, or how to add some: only one applies
            self.empty_label.grid_remove()
            self.hint_label.grid()
        else:
            self.empty_label.grid(row=3, column=0, sticky="w", pady=(0, 4))
            self.hint_label.grid_remove()
        self.export_button.state(["!disabled"] if self.count else ["disabled"])
        if self.selected is not None and self.selected >= self.count:
            self.selected = self.count - 1 if self.count else None
        self.select(self.selected)

    def _show_message(self, text: str, tone: str) -> None:
        self.message.configure(text=text, foreground=TONES[tone])
        if text:
            self.message.grid()
        else:  # no blank line above the buttons
            self.message.grid_remove()

    def _report(self, text: str) -> None:
        """Say what was done, unless reading the folder again had something more to say."""
        if not self.message.cget("text"):
            self._show_message(text, "info")

    def _counted(self) -> str:
        return f"{self.count} correction{'' if self.count == 1 else 's'}"


def _sentence(err: Exception) -> str:
    """One sentence for ``err``: its own message, or for an OSError its file and reason."""
    if isinstance(err, OSError) and err.strerror:
        return f"{err.filename or 'the corrections folder'}: {err.strerror}"
    return str(err)
