"""Numbers written as a person writes them in the window, stroke by stroke: ``write``.

    page = write("1945", height=90)             # strokes in paper pixels, in the order written
    page = write("3.14\n2026 317", height=70)   # a decimal point, a space, a second row
    image = page.image()                        # drawn with the app's brush

Each digit is a hand-made pen path (a 4 in two strokes, a 5 whose bar is written last, a 7
with a crossbar), drawn digit by digit from left to right on a baseline; ``touch`` lets one
digit's ink run into the next one's. For the tests and the benchmarks; the app never uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digit_recognizer.core.strokes import DEFAULT_PEN, PAPER_SIDE, Stroke, render_strokes

__all__ = ["DIGITS", "WrittenPage", "write", "digit_strokes"]

PEN = float(DEFAULT_PEN)  # the window's default brush, in pixels of the default paper


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float,
         count: int = 24) -> list[tuple[float, float]]:
    """Points along an ellipse's arc from angle ``start`` to ``end`` (degrees, 0 at the
    right, counting clockwise on the page, y down)."""
    angles = np.radians(np.linspace(start, end, count))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


# Each digit: its strokes in the order written, points in a box 1 tall (x right, y down), the
# way most people move the pen (the stroke model reads the path): a 6's loop and an 8's lower
# loop go round the bottom first, an 8 starts at its top right.
DIGITS: dict[str, list[list[tuple[float, float]]]] = {
    "0": [_arc(0.3, 0.5, 0.28, 0.48, -100, 265, 40)],
    "1": [[(0.12, 0.18), (0.34, 0.0), (0.34, 1.0)]],
    "2": [_arc(0.3, 0.28, 0.27, 0.26, 190, 380, 16) + [(0.02, 1.0), (0.62, 1.0)]],
    "3": [_arc(0.28, 0.26, 0.26, 0.24, 200, 450, 16)[:-1]
          + _arc(0.28, 0.74, 0.3, 0.26, -90, 150, 18)],
    "4": [[(0.42, 0.0), (0.0, 0.66), (0.62, 0.66)], [(0.44, 0.3), (0.44, 1.0)]],
    "5": [[(0.1, 0.02), (0.06, 0.46)] + _arc(0.28, 0.7, 0.3, 0.28, -125, 150, 18),
          [(0.1, 0.02), (0.56, 0.02)]],
    "6": [[(0.5, 0.0), (0.25, 0.2), (0.06, 0.55)] + _arc(0.3, 0.73, 0.25, 0.26, 180, -180, 30)],
    "7": [[(0.0, 0.02), (0.62, 0.02), (0.22, 1.0)], [(0.16, 0.52), (0.56, 0.52)]],
    "8": [_arc(0.3, 0.24, 0.22, 0.23, -30, -270, 18) + _arc(0.3, 0.73, 0.28, 0.26, -90, 270, 26)
          + _arc(0.3, 0.24, 0.22, 0.23, 90, -30, 10)],
    "9": [_arc(0.3, 0.28, 0.26, 0.27, -20, 340, 30) + [(0.56, 0.3), (0.5, 1.0)]],
}
DOT = [[(0.0, 0.96), (0.01, 0.97)]]  # a decimal point: a click on the baseline


@dataclass(frozen=True)
class WrittenPage:
    """What was written: the text, the strokes in paper pixels, the paper's size (H, W)."""

    text: str
    strokes: tuple[Stroke, ...]
    size: tuple[int, int]

    def image(self) -> np.ndarray:
        """The paper as the window draws it: uint8 (H, W), dark ink on white."""
        return np.asarray(render_strokes(self.strokes, self.size))

    def fractions(self) -> list[list[tuple[float, float]]]:
        """The strokes' points as fractions of a square paper as wide as this one (for the
        window driver, which draws on the window's square paper)."""
        side = max(self.size)
        return [[(x / side, y / side) for x, y in s.points] for s in self.strokes]


def digit_strokes(character: str, x: float, baseline: float, height: float,
                  pen: float = PEN) -> list[Stroke]:
    """One digit (or ".") written with its left edge at ``x`` and its foot on ``baseline``."""
    paths = DOT if character == "." else DIGITS[character]
    return [Stroke(pen, [(x + px * height, baseline - (1 - py) * height) for px, py in path])
            for path in paths]


def write(text: str, height: float = 80.0, gap: float = 0.3, touch: bool = False,
          pen: float = PEN, margin: float = 30.0, row_gap: float = 0.6) -> WrittenPage:
    """``text`` (digits, ".", " " and newlines) written with digits ``height`` px tall,
    ``gap`` heights apart (``touch``: their ink running into each other), a space a digit
    wide, rows ``row_gap`` heights apart; the paper is at least the window's default."""
    strokes: list[Stroke] = []
    right = margin
    for row, line in enumerate(text.split("\n")):
        x, baseline = margin, margin + height + row * height * (1 + row_gap)
        for character in line:
            if character == " ":
                x += 0.7 * height
                continue
            written = digit_strokes(character, x, baseline, height, pen)
            strokes += written
            width = max(p[0] for s in written for p in s.points) - x
            x += width + (0.8 * pen if touch else gap * height + pen)
            right = max(right, x)
    bottom = margin + height + (text.count("\n")) * height * (1 + row_gap) + margin
    size = (max(PAPER_SIDE, int(bottom)), max(PAPER_SIDE, int(right + margin)))
    return WrittenPage(text, tuple(strokes), size)
