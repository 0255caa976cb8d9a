"""The square paper the user draws on: strokes, an opened image, undo and redo, resizing.

The drawing is kept in fractions of the canvas side, so it scales with the window: the canvas
stays square, at the size ``layout`` gives it, and an opened image is fitted to it anew. Every
change (a stroke, Clear, an opened image) is a step that Undo takes back and Redo puts again.
The widget knows nothing of models; it tells its owner what happened through
``on_change(kind)``.
"""

from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from PIL import Image, ImageTk

from digit_recognizer.app.window.widgets import ACCENT, BOX_COLOUR, INK, PAPER, WARN
from digit_recognizer.app.window.wording import DIGIT_HINT
from digit_recognizer.core.strokes import Stroke

__all__ = ["DrawingCanvas", "Drawing", "CHANGES"]

# What ``on_change`` is told: a stroke began, moved or ended, or the drawing was replaced.
CHANGES = ("start", "move", "end", "undo", "redo", "clear", "image")
JITTER = 2.0  # pixels: pointer moves shorter than this add points but no ink


@dataclass(frozen=True)
class Drawing:
    """One state of the paper: strokes in fractions of the side, or an opened image."""

    strokes: tuple[Stroke, ...] = ()
    image: np.ndarray | None = None  # the opened image, as read (it replaces the strokes)
    preview: Image.Image | None = field(default=None, compare=False)
    name: str | None = None  # the opened image's file name, for the status bar

    @property
    def empty(self) -> bool:
        return not self.strokes and self.image is None


class DrawingCanvas(tk.Canvas):
    """A canvas that records strokes with undo/redo and shows an opened image."""

    def __init__(self, parent: tk.Misc, side: int, *, brush: Callable[[], float],
                 on_change: Callable[[str], None], hint: str = DIGIT_HINT,
                 font: object = None) -> None:
        """``brush()`` gives the pen width in fractions of the side when a stroke starts."""
        super().__init__(parent, width=side, height=side, background=PAPER, cursor="pencil",
                         highlightthickness=1, highlightbackground="#b9b9b9")
        self.side = side
        self.brush = brush
        self.on_change = on_change
        self.drawing = Drawing()
        self._past: list[Drawing] = []
        self._future: list[Drawing] = []
        self._pen: Stroke | None = None  # the stroke being drawn, in fractions
        self._photo: ImageTk.PhotoImage | None = None
        self._hint = self.create_text(side / 2, side / 2, fill="#b0b0b0", text=hint, font=font)
        self.pick: Callable[[int], object] | None = None  # told of a click on digit i's box
        # the boxes shown (boxes, the shape they are in, font) and the digit marked: drawn
        # again when the paper changes size, until the drawing changes
        self._boxes: tuple[list, tuple[int, ...], object] | None = None
        self._chosen: int | None = None
        self.tag_bind("pick", "<Enter>", lambda _event: self.configure(cursor="hand2"))
        self.tag_bind("pick", "<Leave>", lambda _event: self.configure(cursor="pencil"))
        self.bind("<ButtonPress-1>", self._on_press)
        self.bind("<B1-Motion>", self._on_motion)
        self.bind("<ButtonRelease-1>", self._on_release)

    # -- what the owner reads ------------------------------------------------------------------

    def strokes_in_pixels(self) -> list[Stroke]:
        """The strokes at the canvas's current size (the one being drawn included)."""
        return [_scaled(s, self.side) for s in self.drawing.strokes]

    @property
    def previous(self) -> Drawing | None:
        """The drawing before the last change (what Undo would bring back), or None."""
        return self._past[-1] if self._past else None

    @property
    def can_undo(self) -> bool:
        return bool(self._past)

    @property
    def can_redo(self) -> bool:
        return bool(self._future)

    # -- changes -------------------------------------------------------------------------------

    def undo(self) -> bool:
        """Take the last change back (a stroke, Clear, an opened image); False if none."""
        return self._travel(self._past, self._future, "undo")

    def redo(self) -> bool:
        """Put back the change Undo took; False if none."""
        return self._travel(self._future, self._past, "redo")

    def clear(self) -> bool:
        """Empty the paper as one undoable step; False if it was empty already."""
        if self.drawing.empty:
            return False
        self._change(Drawing(), "clear")
        return True

    def show_image(self, image: np.ndarray, preview: Image.Image, name: str) -> None:
        """Put the opened image ``name`` on the paper, in place of the drawing (undoable);
        ``preview`` is shown fitted to the paper, however large the paper grows."""
        self._change(Drawing(image=image, preview=preview, name=name), "image")

    def resize(self, side: int) -> None:
        """Make the paper ``side`` pixels square; the drawing scales with it."""
        if side == self.side or side < 2:
            return
        self.side = side
        self.configure(width=side, height=side)
        shown, chosen = self._boxes, self._chosen
        self._redraw()
        if shown is not None:
            self._draw_boxes(*shown)
            self.mark_box(chosen)

    # -- number mode: boxes around the digits found --------------------------------------------

    def show_boxes(self, boxes: Sequence[tuple[tuple[int, int, int, int], str, bool]],
                   image_shape: tuple[int, ...] | None, font: object = None) -> None:
        """Frame each ``(box, label, sure)``; boxes are in the recognised image's pixels.

        A click on a box's label (the digit at its corner) is no stroke: it tells ``pick``
        which digit, to correct it. The frame and the inside stay paper: a digit's next stroke
        (a 4's second, a 5's bar) and a decimal point begin there.
        """
        self.remove_boxes()
        # boxes read from strokes are in the paper's pixels at its size now
        self._draw_boxes(list(boxes), image_shape or (self.side, self.side), font)

    def _draw_boxes(self, boxes: list, image_shape: tuple[int, ...], font: object) -> None:
        self._boxes = (boxes, image_shape, font)
        factor, dx, dy = self._image_to_canvas(image_shape)
        for index, ((x, y, w, h), label, sure) in enumerate(boxes):
            x, y, w, h = x * factor + dx, y * factor + dy, w * factor, h * factor
            colour, tags = BOX_COLOUR if sure else WARN, ("box", f"digit{index}")
            self.create_rectangle(x - 4, y - 4, x + w + 4, y + h + 4, outline=colour, width=2,
                                  dash=(4, 2), tags=tags)
            text = self.create_text(x - 2, y - 6, anchor="sw", text=label, fill=colour,
                                    font=font, tags=(*tags, "pick"))
            top = self.bbox(text)[1]
            if top < 0:  # a digit written against the paper's top: its label stays on it
                self.move(text, 0, -top)

    def mark_box(self, index: int | None) -> None:
        """Frame digit ``index``'s box once more, solid, in the accent colour: the digit being
        corrected (None: no digit)."""
        self._chosen = index
        self.delete("chosen")
        frames = [item for item in self.find_withtag(f"digit{index}")
                  if self.type(item) == "rectangle"]
        if frames:
            x0, y0, x1, y1 = self.coords(frames[0])
            self.create_rectangle(x0 - 3, y0 - 3, x1 + 3, y1 + 3, outline=ACCENT, width=2,
                                  tags="chosen")

    def picked_box(self, x: float, y: float) -> int | None:
        """The digit whose box's label is at (x, y), or None."""
        for item in self.find_overlapping(x, y, x, y):
            tags = self.gettags(item)
            if "pick" in tags:
                return next(int(tag[5:]) for tag in tags if tag.startswith("digit"))
        return None

    def remove_boxes(self) -> None:
        self._boxes, self._chosen = None, None
        self.delete("box", "chosen")
        self.configure(cursor="pencil")

    def _image_to_canvas(self, shape: tuple[int, ...]) -> tuple[float, float, float]:
        """(factor, dx, dy) from the recognised image's pixels to the canvas's."""
        h, w = shape[:2]
        factor = min(self.side / w, self.side / h)
        return factor, (self.side - w * factor) / 2, (self.side - h * factor) / 2

    # -- pointer events ------------------------------------------------------------------------

    def _on_press(self, event: tk.Event) -> None:
        picked = self.picked_box(event.x, event.y) if self.pick is not None else None
        if picked is not None:
            self.pick(picked)
            return
        self.remove_boxes()
        kept = self.drawing.strokes if self.drawing.image is None else ()
        self._pen = Stroke(self.brush(), [(event.x / self.side, event.y / self.side)])
        # An opened image gives way to a new drawing; Undo brings it back.
        self._change(Drawing(kept + (self._pen,)), "start")

    def _on_motion(self, event: tk.Event) -> None:
        if self._pen is None:
            return
        last_x, last_y = self._pen.points[-1]
        if abs(event.x - last_x * self.side) + abs(event.y - last_y * self.side) < JITTER:
            return
        self._pen.points.append((event.x / self.side, event.y / self.side))
        pixels = _scaled(self._pen, self.side)
        self.coords(self.find_withtag("pen")[-1], *[c for p in pixels.points for c in p])
        self.on_change("move")

    def _on_release(self, _event: tk.Event) -> None:
        if self._pen is not None:
            self._pen = None
            self.dtag("pen", "pen")
            self.on_change("end")

    # -- the history ---------------------------------------------------------------------------

    def _change(self, drawing: Drawing, kind: str) -> None:
        self._past.append(self.drawing)
        self._future.clear()
        self.drawing = drawing
        self._redraw()
        self.on_change(kind)

    def _travel(self, source: list[Drawing], target: list[Drawing], kind: str) -> bool:
        if not source:
            return False
        self._pen = None
        target.append(self.drawing)
        self.drawing = source.pop()
        self._redraw()
        self.on_change(kind)
        return True

    @property
    def hint(self) -> str:
        """What the empty paper says (it says nothing once drawn on)."""
        return str(self.itemcget(self._hint, "text"))

    def set_hint(self, text: str) -> None:
        self.itemconfigure(self._hint, text=text)

    def _redraw(self) -> None:
        """Draw the current state from scratch at the current size."""
        self.delete("stroke", "photo")
        self.remove_boxes()  # they framed the drawing before this change
        self._photo = None
        if self.drawing.image is not None and self.drawing.preview is not None:
            self._photo = ImageTk.PhotoImage(_fitted(self.drawing.preview, self.side))
            self.create_image(self.side / 2, self.side / 2, image=self._photo, tags="photo")
        for stroke in self.drawing.strokes:
            self._draw_stroke(_scaled(stroke, self.side), stroke is self._pen)
        self.coords(self._hint, self.side / 2, self.side / 2)
        self.itemconfigure(self._hint, state="normal" if self.drawing.empty else "hidden")

    def _draw_stroke(self, stroke: Stroke, pen: bool) -> None:
        points = [c for p in stroke.points for c in p]
        if len(points) == 2:
            points *= 2  # a dot: a line from the point to itself
        self.create_line(*points, fill=INK, width=stroke.width, capstyle=tk.ROUND,
                         joinstyle=tk.ROUND, smooth=True,
                         tags=("stroke", "pen") if pen else "stroke")


def _fitted(preview: Image.Image, side: int) -> Image.Image:
    """``preview`` scaled, up or down, to fit a square of ``side``: as ``_image_to_canvas``
    places the boxes on it."""
    factor = min(side / preview.width, side / preview.height)
    size = (max(1, round(preview.width * factor)), max(1, round(preview.height * factor)))
    return preview if size == preview.size else preview.resize(size, Image.Resampling.LANCZOS)


def _scaled(stroke: Stroke, side: float) -> Stroke:
    return Stroke(stroke.width * side, [(x * side, y * side) for x, y in stroke.points])
