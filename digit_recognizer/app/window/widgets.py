"""Self-contained pieces of the window: its colours, the probability bar chart, the picture
of what the network is given, and tooltips.

They know nothing of the app's state; ``digit_recognizer.app.gui`` places and feeds them.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Callable

import numpy as np
from PIL import Image

__all__ = ["ProbabilityBars", "Tooltip", "model_view_image", "style_background"]

PAPER, INK = "#ffffff", "#1c1c22"
ACCENT, MUTED, WARN = "#2f6fde", "#a9bcdb", "#d9822b"
BOX_COLOUR = "#2f9e5a"

# In logical pixels; multiplied by the screen's scale factor on HiDPI screens.
BARS_WIDTH, BARS_HEIGHT = 300, 100
TOOLTIP_DELAY_MS = 400  # how long the pointer rests on a widget before its tooltip shows


class ProbabilityBars(tk.Canvas):
    """Ten bars, one per digit; updated in place (coords), so they never flicker."""

    def __init__(self, parent: tk.Misc, scale: float) -> None:
        super().__init__(parent, width=round(BARS_WIDTH * scale),
                         height=round(BARS_HEIGHT * scale), highlightthickness=0,
                         background=PAPER)
        self.scale = scale
        self.probabilities = np.zeros(10)
        self.sure = True
        self.closest = True  # colour the tallest bar as the answer
        self.bars = [self.create_rectangle(0, 0, 0, 0, width=0, fill=MUTED) for _ in range(10)]
        self.values = [self.create_text(0, 0, anchor="s", font="TkSmallCaptionFont")
                       for _ in range(10)]
        self.labels = [self.create_text(0, 0, anchor="n", text=str(digit))
                       for digit in range(10)]
        self.axis = self.create_line(0, 0, 0, 0, fill="#c8c8c8")
        self.bind("<Configure>", lambda _event: self._draw())

    def show(self, probabilities: np.ndarray | None, sure: bool = True,
             closest: bool = True) -> None:
        """Set the bars to ``probabilities`` (10 values in [0, 1]); None empties them.

        The tallest bar is coloured as the answer (``sure``: blue, else orange), unless
        ``closest`` is False: when no digit comes close, singling one out would mislead.
        """
        self.probabilities = np.zeros(10) if probabilities is None else probabilities
        self.sure, self.closest = sure, closest
        self._draw()

    def _draw(self) -> None:
        width, height = self.winfo_width(), self.winfo_height()
        if width <= 1:  # not laid out yet: <Configure> draws later
            width, height = int(self.cget("width")), int(self.cget("height"))
        slot = width / 10
        # Room under the axis for the digits, measured in their font: a larger font (another
        # screen, another theme) must not push them past the chart's bottom edge.
        base, top = height - self.label_room(), 16 * self.scale
        best = (int(np.argmax(self.probabilities))
                if self.closest and self.probabilities.any() else -1)
        for digit, p in enumerate(map(float, self.probabilities)):
            x0, x1 = (digit + 0.2) * slot, (digit + 0.8) * slot
            y = base - p * (base - top)
            self.coords(self.bars[digit], x0, y, x1, base)
            colour = (ACCENT if self.sure else WARN) if digit == best else MUTED
            self.itemconfigure(self.bars[digit], fill=colour)
            self.coords(self.values[digit], (x0 + x1) / 2, y - 1)
            self.itemconfigure(self.values[digit], text=f"{p:.0%}" if p >= 0.05 else "")
            self.coords(self.labels[digit], (x0 + x1) / 2, base + 2 * self.scale)
        self.coords(self.axis, 0, base, width, base)

    def label_room(self) -> float:
        """Pixels under the axis for the digit labels: their line and a gap each side."""
        font = self.itemcget(self.labels[0], "font")
        return int(self.tk.call("font", "metrics", font, "-linespace")) + 5 * self.scale

    def highlighted(self) -> list[int]:
        """The digits whose bar is coloured as the answer (none, or the tallest)."""
        return [digit for digit, bar in enumerate(self.bars)
                if self.itemcget(bar, "fill") != MUTED]

    def heights(self) -> list[float]:
        """Each bar's height in pixels (what the user sees)."""
        return [self.coords(bar)[3] - self.coords(bar)[1] for bar in self.bars]


def model_view_image(inputs: list[np.ndarray], side: int) -> Image.Image:
    """The 28x28 network inputs side by side on a black ``side`` x ``side`` square.

    Enlarged with nearest-neighbour, so each input pixel shows as a sharp block.
    """
    strip = np.hstack([np.clip(x, 0, 1) for x in inputs]) * 255  # (28, 28n), ink high
    image = Image.fromarray(strip.astype(np.uint8))
    k = side / max(image.width, image.height)
    image = image.resize((max(1, round(image.width * k)), max(1, round(image.height * k))),
                         Image.Resampling.NEAREST)
    canvas = Image.new("L", (side, side), 0)
    canvas.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    return canvas


def style_background(root: tk.Misc) -> str:
    """The ttk theme's frame colour, for plain Tk widgets that sit on ttk frames."""
    return ttk.Style(root).lookup("TFrame", "background") or root.cget("background")


class Tooltip:
    """A sentence shown under ``widgets`` while the pointer rests on one of them.

    ``text()`` is asked each time, so the tip follows the state (""; no tip). It works on
    disabled widgets too: that is where a reason is most wanted.
    """

    def __init__(self, widgets: list[tk.Misc], text: Callable[[], str]) -> None:
        self.text = text
        self.top: tk.Toplevel | None = None
        self._after: tuple[tk.Misc, str] | None = None  # the tip to come: (widget, after id)
        for widget in widgets:
            widget.bind("<Enter>", lambda _event, w=widget: self._schedule(w), add=True)
            widget.bind("<Leave>", lambda _event: self.hide(), add=True)

    def _schedule(self, widget: tk.Misc) -> None:
        self.hide()
        self._after = (widget, widget.after(TOOLTIP_DELAY_MS, lambda: self.show(widget)))

    def show(self, widget: tk.Misc) -> None:
        """Show the tip under ``widget`` now (if there is one to show)."""
        self._after = None
        text = self.text()
        if not text or not widget.winfo_exists() or not widget.winfo_viewable():
            return
        self.top = tk.Toplevel(widget)
        self.top.wm_overrideredirect(True)
        ttk.Label(self.top, text=text, background="#ffffe0", relief="solid", borderwidth=1,
                  padding=(6, 3), wraplength=360).pack()
        self.top.wm_geometry(f"+{widget.winfo_rootx()}"
                             f"+{widget.winfo_rooty() + widget.winfo_height() + 4}")

    def hide(self) -> None:
        """Take the tip away, or cancel it if it is still to come."""
        if self._after is not None:
            widget, after_id = self._after
            widget.after_cancel(after_id)
            self._after = None
        if self.top is not None:
            self.top.destroy()
            self.top = None
