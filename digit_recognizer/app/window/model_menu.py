"""The Model menu: one entry per model in the catalogue, the user's personal model, the files
the user opened, and Open; then the corrections and "Forget my corrections…".

Built from ``catalogue``, so a model added there appears here with nothing else to change.
Each bundled entry shows the test accuracy its metadata records.
"""

from __future__ import annotations

import os
import tkinter as tk
from functools import partial
from pathlib import Path
from typing import Callable

from digit_recognizer.core.catalogue import MODEL_CHOICES, choice_label, measured_accuracy

FORGET_LABEL = "Forget my corrections…"

__all__ = ["ModelMenu", "entry_label", "FORGET_LABEL"]


def entry_label(choice: str, models_dir: str | os.PathLike | None) -> str:
    """The menu text for ``choice``: its name, and its measured accuracy when known."""
    accuracy = measured_accuracy(choice, models_dir)
    label = choice_label(choice)
    return f"{label} ({accuracy:.1%})" if accuracy is not None else label


class ModelMenu(tk.Menu):
    """Radio entries for the bundled models, the average and opened files; then Open, and
    the saved corrections."""

    def __init__(self, parent: tk.Misc, variable: tk.StringVar, *,
                 models_dir: str | os.PathLike | None) -> None:
        """The entries' actions come with ``connect``."""
        super().__init__(parent, tearoff=False)
        self.variable = variable
        self.choose: Callable[[str], object] | None = None
        for choice in MODEL_CHOICES:
            self.add_radiobutton(label=entry_label(choice, models_dir), variable=variable,
                                 value=choice)
        self.add_separator()
        self.add_command(label="Open model file…")
        self.add_separator()
        self.add_command(label="Corrections…")

    def connect(self, choose: Callable[[str], object], open_file: Callable[[], object],
                corrections: Callable[[], object]) -> None:
        """Each model entry calls ``choose`` with its choice, Open ``open_file``,
        Corrections… ``corrections``; entries added before this get theirs now too."""
        self.choose = choose
        for index in self.radio_entries():
            self.entryconfigure(index, command=self._command(self.entrycget(index, "value")))
        self.entryconfigure("Open model file…", command=open_file)
        self.entryconfigure("Corrections…", command=corrections)

    def radio_entries(self) -> list[int]:
        """Indices of the radio entries (bundled models and opened files)."""
        return [i for i in range(self.index("end") + 1) if self.type(i) == "radiobutton"]

    def add_file(self, choice: str) -> None:
        """Give a model file its own entry (once), so the menu's mark can show it."""
        values = [self.entrycget(i, "value") for i in self.radio_entries()]
        if choice not in values:
            self.insert_radiobutton(len(values), label=Path(choice).name, value=choice,
                                    variable=self.variable, command=self._command(choice))

    def show_personal(self, choice: str, label: str) -> None:
        """Give the personal model its entry right after the bundled ones, or relabel it."""
        index = self._entry_for(choice)
        if index is None:
            self.insert_radiobutton(len(MODEL_CHOICES), label=label, value=choice,
                                    variable=self.variable, command=self._command(choice))
        else:
            self.entryconfigure(index, label=label)

    def hide_personal(self, choice: str) -> None:
        """Remove the personal model's entry (forgotten, or set aside)."""
        index = self._entry_for(choice)
        if index is not None:
            self.delete(index)

    def _command(self, choice: str) -> Callable[[], object] | str:
        # The personal model's entry may come before ``connect``, which then gives it this.
        return partial(self.choose, choice) if self.choose is not None else ""

    def add_forget(self, forget: Callable[[], object]) -> None:
        """Add "Forget my corrections…" after Corrections…."""
        self.add_command(label=FORGET_LABEL, command=forget)

    def _entry_for(self, choice: str) -> int | None:
        return next((i for i in self.radio_entries() if self.entrycget(i, "value") == choice),
                    None)

    def enable(self, on: bool) -> None:
        """Grey the entries out while a model loads."""
        for index in self.radio_entries():
            self.entryconfigure(index, state="normal" if on else "disabled")
