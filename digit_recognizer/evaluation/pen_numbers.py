"""Numbers written with a pen, digit by digit, by one writer: ``write_numbers(pen, count, rng)``.

    pen = load_unipen()
    writers = pen.subset(writer_split(pen)[1])     # the validation writers, never training's
    for number in write_numbers(writers, 100, np.random.default_rng(0)):
        number.text, number.strokes, number.image()  # "3.14", the pen's strokes, the paper

Each number takes the digits of one writer of the pen data, in the order they were written, and
places them side by side on a baseline the way a person writes a number on the window's paper: a
little smaller than a single digit, each a little taller or shorter, a little above or below the
line, with the window's default brush. About a fifth of neighbouring pairs touch or overlap a
little, as hurried writing does, and some numbers have a decimal point: a short dot stroke on
the baseline. The paper is the window's default (``PAPER_SIDE`` square), made wider when a
number does not fit, as a user writing many digits would make the window wider.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digit_recognizer.core.datasets.unipen import PenDigits
from digit_recognizer.core.strokes import DEFAULT_PEN, PAPER_SIDE, Stroke, render_strokes
from digit_recognizer.recognition.preprocess.written import place_strokes

__all__ = ["WrittenNumber", "write_number", "write_numbers", "written_smaller", "DIGITS",
           "TOUCHING", "POINTED"]

DIGITS = (2, 6)  # digits per number, both included
HEIGHTS = (75.0, 115.0)  # px: how tall a number's digits are written on the default paper
TOUCHING = 0.2  # share of neighbouring pairs that touch or overlap a little
POINTED = 0.2  # share of numbers with a decimal point
GAPS = (0.12, 0.4)  # between the ink of two digits, in digit heights, when they do not touch
OVERLAPS = (-0.1, 0.0)  # ... and when they do: negative is an overlap
WIDEST = 1.1  # a digit wider than this many heights is written narrower
MARGIN = 24  # px of paper left beside a number that made the paper wider


@dataclass(frozen=True)
class WrittenNumber:
    """A number as written: its text, the pen's strokes in paper pixels, the paper's size."""

    text: str  # the digits, with "." for a decimal point
    strokes: tuple[Stroke, ...]  # in the order written: digit by digit, left to right
    size: tuple[int, int]  # the paper, (height, width) in pixels
    # for each character of ``text``, the indices of its strokes in ``strokes``
    parts: tuple[tuple[int, ...], ...] = ()

    def image(self) -> np.ndarray:
        """The paper as the window draws it: uint8 (height, width), dark ink on white."""
        return np.asarray(render_strokes(self.strokes, self.size))


def write_numbers(pen: PenDigits, count: int, rng: np.random.Generator) -> list[WrittenNumber]:
    """``count`` numbers of 2–6 digits, each by one writer of ``pen`` chosen at random."""
    writers = sorted(set(pen.writers))
    by_writer = {w: np.flatnonzero(pen.writers == w) for w in writers}
    numbers = []
    for _ in range(count):
        digits = by_writer[writers[rng.integers(len(writers))]]
        length = int(rng.integers(DIGITS[0], DIGITS[1] + 1))
        picks = rng.choice(digits, length, replace=len(digits) < length)
        point = int(rng.integers(1, length)) if rng.random() < POINTED else None
        numbers.append(write_number([pen.strokes[i] for i in picks],
                                    [int(pen.labels[i]) for i in picks], rng, point))
    return numbers


def write_number(digits: list[list[np.ndarray]], labels: list[int], rng: np.random.Generator,
                 point: int | None = None, pen: float = DEFAULT_PEN,
                 touching: float = TOUCHING) -> WrittenNumber:
    """The digits' strokes (as the pen data holds them) written side by side on a baseline,
    with a decimal point before digit ``point`` (None: none); ``touching``: the share of
    neighbouring pairs that touch."""
    height = rng.uniform(*HEIGHTS)
    placed, parts, x, text = [], [], 0.0, ""
    for index, (strokes, label) in enumerate(zip(digits, labels)):
        if index:
            if index == point:
                dot, x = _dot(x, height, pen, rng)
                parts.append((len(placed),))
                placed.append(dot)
                text += "."
            else:
                x += height * rng.uniform(*(OVERLAPS if rng.random() < touching else GAPS))
        digit = _digit(strokes, height * rng.uniform(0.92, 1.08), pen)
        left = min(float(s[:, 0].min()) for s in digit) - pen / 2
        bottom = max(float(s[:, 1].max()) for s in digit) + pen / 2
        shift = np.float32([x - left, rng.normal(0, 0.03) * height - bottom])
        parts.append(tuple(range(len(placed), len(placed) + len(digit))))
        placed += [s + shift for s in digit]
        x = max(float(s[:, 0].max()) for s in placed) + pen / 2
        text += str(label)
    return _on_paper(placed, text, pen, rng, tuple(parts))


def _digit(strokes: list[np.ndarray], height: float, pen: float) -> list[np.ndarray]:
    """One digit's strokes scaled to ``height`` px of ink (brush included), at most WIDEST
    heights wide, their box's centre at the origin."""
    points = np.concatenate(strokes)
    w, h = np.ptp(points, axis=0)
    inner = max(height - pen, 1.0)  # the path's height, the brush adding half a pen each side
    scale = min(inner / max(h, 1e-6), (WIDEST * height - pen) / max(w, 1e-6))
    return place_strokes(strokes, float(max(w, h) * scale), (0.0, 0.0))


def _dot(x: float, height: float, pen: float, rng: np.random.Generator
         ) -> tuple[np.ndarray, float]:
    """A decimal point after ink ending at ``x``: (its stroke, where the next digit begins)."""
    centre = x + height * rng.uniform(0.08, 0.25) + pen / 2
    flick = rng.uniform(-0.15, 0.15, 2) * pen  # a dot is a click, or a tiny flick of the pen
    y = -pen / 2 - rng.uniform(0, 0.05) * height  # on the baseline
    dot = np.float32([[centre, y], [centre + flick[0], y + flick[1]]])
    return dot, float(dot[:, 0].max()) + pen / 2 + height * rng.uniform(0.08, 0.25)


def _on_paper(placed: list[np.ndarray], text: str, pen: float, rng: np.random.Generator,
              parts: tuple[tuple[int, ...], ...]) -> WrittenNumber:
    """The strokes moved onto the paper: the default one, or one wide enough for them."""
    points = np.concatenate(placed)
    low, high = points.min(axis=0) - pen / 2, points.max(axis=0) + pen / 2
    width = max(PAPER_SIDE, int(np.ceil(high[0] - low[0])) + 2 * MARGIN)
    room = np.float32([width, PAPER_SIDE]) - (high - low)
    corner = room * np.float32([0.5, 1]) * rng.uniform(0.25, 0.75, 2).astype(np.float32)
    corner[0] = max(corner[0], 0)
    shift = corner - low
    strokes = tuple(Stroke(pen, [(float(px), float(py)) for px, py in s + shift])
                    for s in placed)
    return WrittenNumber(text, strokes, (PAPER_SIDE, width), parts)


def written_smaller(number: WrittenNumber, width: int = PAPER_SIDE) -> WrittenNumber:
    """``number`` written smaller, with the same pen, to fit a paper ``width`` px square (the
    window's default): as a user writes when the paper is too narrow for the number."""
    height, wide = number.size
    points = np.concatenate([np.asarray(s.points, np.float32) for s in number.strokes])
    pen = max(s.width for s in number.strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = min(1.0, (width - 2 * MARGIN - pen) / float(high[0] - low[0]))
    middle = (low + high) / 2
    centre = np.float32([width / 2, min(height, width) / 2])
    strokes = tuple(Stroke(s.width, [tuple(map(float, (np.float32(p) - middle) * scale + centre))
                                     for p in s.points]) for s in number.strokes)
    return WrittenNumber(number.text, strokes, (width, width), number.parts)
