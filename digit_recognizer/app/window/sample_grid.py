"""A scrolling grid of 28x28 samples, one tile each, one of them highlighted: ``SampleGrid``,
the body of the corrections manager (``app.corrections_manager``).

Each tile shows a sample as the model sees it (28x28, light ink on black, enlarged with
nearest-neighbour so each pixel stays a sharp block) with its label under it. Up to
``VISIBLE_ROWS`` rows show at once; beyond them the grid scrolls, with the wheel or the
scrollbar, and the highlighted tile is scrolled into view.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

import numpy as np
from PIL import Image, ImageTk

from digit_recognizer.app.window.widgets import ACCENT, INK, PAPER

__all__ = ["SampleGrid", "COLUMNS", "TILE_SLOT"]

TILE_SIDE = 56  # a 28x28 sample enlarged 2x, in logical pixels
TILE_SLOT = TILE_SIDE + 12  # ... with its padding and the gap to the next
COLUMNS = 8  # tiles per row
VISIBLE_ROWS = 4  # beyond this the grid scrolls


class SampleGrid(ttk.Frame):
    """The tiles (``tiles``: one ``tk.Label`` per sample, its text the label), ``count`` of
    them; a click on one calls ``on_click(index)``."""

    def __init__(self, parent: tk.Misc, scale: float, background: str,
                 on_click: Callable[[int], None]) -> None:
        super().__init__(parent, name="grid")
        self.scale, self.background, self.on_click = scale, background, on_click
        self.tiles: list[tk.Label] = []
        self.photos: list[ImageTk.PhotoImage] = []  # Tk shows an image only while referenced
        self.count = 0
        self.columnconfigure(0, weight=1)
        self.rowconfigure(0, weight=1)
        self.canvas = tk.Canvas(self, name="canvas", background=background,
                                highlightthickness=0, borderwidth=0)
        self.canvas.grid(row=0, column=0, sticky="nsew")
        self.scrollbar = ttk.Scrollbar(self, orient="vertical", command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=self.scrollbar.set)
        self.scrollbar.grid(row=0, column=1, sticky="ns", padx=(4, 0))
        self.tile_frame = ttk.Frame(self.canvas, name="tiles")
        self.canvas.create_window(0, 0, window=self.tile_frame, anchor="nw")
        for widget in (self.canvas, self.tile_frame):
            self._bind_wheel(widget)

    def show(self, images: np.ndarray, labels: np.ndarray) -> None:
        """One tile per sample: ``images`` (N, 28, 28) uint8, ``labels`` (N,)."""
        for tile in self.tiles:
            tile.destroy()
        self.count = len(labels)
        side = round(TILE_SIDE * self.scale)
        self.photos = [ImageTk.PhotoImage(Image.fromarray(image).resize(
            (side, side), Image.Resampling.NEAREST), master=self) for image in images]
        self.tiles = [self._tile(i, photo, int(label))
                      for i, (photo, label) in enumerate(zip(self.photos, labels))]
        self._fit(side)

    def highlight(self, index: int | None) -> None:
        """Highlight tile ``index`` (None: none) and scroll it into view."""
        for i, tile in enumerate(self.tiles):
            chosen = i == index
            tile.configure(background=ACCENT if chosen else self.background,
                           foreground=PAPER if chosen else INK)
        if index is not None:
            self._scroll_to(index)

    def _bind_wheel(self, widget: tk.Misc) -> None:
        # X11 sends buttons 4 and 5; Windows and macOS send <MouseWheel> with a delta.
        widget.bind("<Button-4>", lambda _event: self.canvas.yview_scroll(-1, "units"))
        widget.bind("<Button-5>", lambda _event: self.canvas.yview_scroll(1, "units"))
        widget.bind("<MouseWheel>", lambda event: self.canvas.yview_scroll(
            -1 if event.delta > 0 else 1, "units"))

    def _tile(self, index: int, photo: ImageTk.PhotoImage, label: int) -> tk.Label:
        tile = tk.Label(self.tile_frame, name=f"tile{index}", image=photo, text=str(label),
                        compound="top", font="TkHeadingFont", background=self.background,
                        padx=round(4 * self.scale), pady=round(3 * self.scale))
        tile.grid(row=index // COLUMNS, column=index % COLUMNS, padx=1, pady=1)
        tile.bind("<Button-1>", lambda _event: self.on_click(index))
        self._bind_wheel(tile)
        return tile

    def _fit(self, side: int) -> None:
        """Size the canvas to the tiles, up to ``VISIBLE_ROWS`` rows; scroll beyond them."""
        self.tile_frame.update_idletasks()
        width = max(self.tile_frame.winfo_reqwidth(), round(COLUMNS * TILE_SLOT * self.scale))
        row_height = self.tiles[0].winfo_reqheight() + 2 if self.tiles else side  # + pady
        rows = self._rows()
        self.canvas.configure(width=width, height=min(rows, VISIBLE_ROWS) * row_height,
                              yscrollincrement=row_height,
                              scrollregion=(0, 0, width, self.tile_frame.winfo_reqheight()))
        if rows > VISIBLE_ROWS:
            self.scrollbar.grid()
        else:
            self.scrollbar.grid_remove()
            self.canvas.yview_moveto(0)

    def _scroll_to(self, index: int) -> None:
        rows, row = self._rows(), index // COLUMNS
        first = round(self.canvas.yview()[0] * rows)  # the first row in view
        if row < first:
            self.canvas.yview_moveto(row / rows)
        elif row >= first + VISIBLE_ROWS:
            self.canvas.yview_moveto((row - VISIBLE_ROWS + 1) / rows)

    def _rows(self) -> int:
        return -(-self.count // COLUMNS)  # ceiling division
