"""Where the paper and the answer go as the window's size changes: ``PaperLayout``.

The paper stays square, as large as the room allows, and the answer panel takes the rest of
the room: beside the paper in a wide window, under it in a tall one, whichever leaves the
paper larger. So no wide grey band is left beside or under the paper, as there was when the
panel kept its own width in any window and a tall window could only lengthen the panel.
The two are placed, not gridded: their sizes follow the room, never the other way round.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

__all__ = ["BORDER", "GAP", "PaperLayout"]

BORDER = 2  # the canvas's highlight border, both sides together
GAP = 14  # between the paper and the answer panel, in logical pixels


class PaperLayout:
    """Keeps ``canvas`` (a ``DrawingCanvas``) and ``panel`` laid out in ``room``, a frame
    that holds both, at each change of its size."""

    def __init__(self, room: ttk.Frame, canvas: tk.Canvas, panel: tk.Widget,
                 scale: float) -> None:
        self.room, self.canvas, self.panel = room, canvas, panel
        self.gap = round(GAP * scale)
        self.under = False  # where the panel is now: beside the paper (False) or under it
        room.bind("<Configure>", self._arrange)

    def ask_for(self, side: int) -> None:
        """Ask for the room that a paper of ``side`` pixels and the panel beside it need."""
        self.room.update_idletasks()  # the panel's requested size, once its widgets are in
        self.room.configure(
            width=side + BORDER + self.gap + self.panel.winfo_reqwidth(),
            height=max(side + BORDER, self.panel.winfo_reqheight()))

    def arrangement(self, width: int, height: int) -> tuple[bool, int]:
        """(panel under the paper?, the paper's side) for a room of ``width`` x ``height``:
        whichever gives the larger paper, beside on a tie."""
        beside = min(width - self.panel.winfo_reqwidth() - self.gap, height) - BORDER
        under = min(width, height - self.panel.winfo_reqheight() - self.gap) - BORDER
        return (True, under) if under > beside else (False, beside)

    def _arrange(self, _event: tk.Event | None = None) -> None:
        # The room is read now, not from the event: sizing the window at start queues an
        # event for a size (the minimum) that is already gone.
        width, height = self.room.winfo_width(), self.room.winfo_height()
        self.under, side = self.arrangement(width, height)
        side = max(BORDER, side)
        paper = side + BORDER
        if self.under:  # centred over the panel, which has the whole width
            self.canvas.place(x=(width - paper) // 2, y=0)
            self.panel.place(x=0, y=paper + self.gap, width=width,
                             height=max(1, height - paper - self.gap))
        else:
            self.canvas.place(x=0, y=0)
            self.panel.place(x=paper + self.gap, y=0, width=max(1, width - paper - self.gap),
                             height=height)
        self.canvas.resize(side)
