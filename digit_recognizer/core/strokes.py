"""The drawing as data: pen strokes, the one rasteriser for them, and the sizes they are drawn at.

    from digit_recognizer.core.strokes import DRAWING_SIDE, Stroke, render_strokes
    image = render_strokes([Stroke(18.0, [(80, 60), (200, 60), (130, 230)])], DRAWING_SIDE)

The window's paper records strokes; the window and every generator meant to draw as the app
draws (the styles and non-digit test sets, the benchmarks) turn them into pixels here, so they
cannot drift apart. Only Pillow: the window imports this on its start path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from PIL import Image, ImageDraw

__all__ = ["Stroke", "render_strokes", "PAPER_SIDE", "DRAWING_SIDE", "DEFAULT_PEN"]

# The window's paper at the window's default size, in logical pixels. Pen widths (the brush
# setting and its slider) are in pixels of it: the pen scales with the paper when it is resized.
PAPER_SIDE = 320
# The window's pen until a person moves the brush slider, in pixels of the paper at PAPER_SIDE;
# the generators that draw as a new user draws use it too.
DEFAULT_PEN = 18
# The side of the square a drawing is rasterised on away from the window (the drawn test sets,
# re-drawn MNIST digits): ten times MNIST's 28. Preprocessing brings any size to 28x28; the window
# itself rasterises at its paper's current size.
DRAWING_SIDE = 280


@dataclass
class Stroke:
    """One pen stroke: its width and the points it went through, in canvas pixels."""

    width: float
    points: list[tuple[float, float]] = field(default_factory=list)


def render_strokes(strokes: Sequence[Stroke], size: int | tuple[int, int]) -> Image.Image:
    """Draw ``strokes`` as dark ink on white, the same geometry as on the canvas.

    Round joins and round caps, like the canvas lines; returns a greyscale ``size`` x ``size``
    image, or one of ``size`` = (height, width). This, not a screen grab, is what the
    recognizer reads.
    """
    height, width = size if isinstance(size, tuple) else (size, size)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        radius = stroke.width / 2
        if len(stroke.points) > 1:
            draw.line(stroke.points, fill=0, width=round(stroke.width), joint="curve")
        for x, y in (stroke.points[0], stroke.points[-1]):  # round caps
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    return image
