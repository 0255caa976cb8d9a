"""A digit writer for training: ``write_digits(labels, rng)`` -> uint8 (N, 28, 28), ink high.

MNIST was written by American clerks and students, and it barely holds the ways people
elsewhere write: continental 1s with a long flag (and sometimes a base), open 4s and 4s in one
curved stroke, 9s with a hooked or curved stem, crossed 7s, 2s with a loop, and digits much
wider or narrower than usual. Here each digit is written as a few pen strokes from parametric
curves whose style parameters come from wide ranges, then slanted, leant, wobbled, made
0.5×–2× its natural width, and drawn as the app draws (``strokes.render_strokes``: round brush,
one pen width) before the app's own preprocessing brings it to 28×28.

The styles *test* set (``evaluation.styles``) is written as fixed stroke paths in a module that
training never imports; nothing here is shared with it, so that it still measures something.

    from digit_recognizer.training.data.writer import write_digits
    images = write_digits(np.arange(10).repeat(100), np.random.default_rng(0))
"""

from __future__ import annotations

from math import comb
from typing import Callable

import numpy as np

from digit_recognizer.core.strokes import DRAWING_SIDE, Stroke, render_strokes
from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist_uint8
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError

__all__ = ["WRITERS", "write_digit", "write_digits", "digit_paths", "wobble"]

Path = np.ndarray  # (K, 2) points of one pen stroke in the unit box: x right, y down, height 1
Rng = np.random.Generator


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Path:
    """Points along an ellipse from angle ``start`` to ``end`` (degrees, 90 = up)."""
    count = max(8, int(abs(end - start) / 6))
    angles = np.radians(np.linspace(start, end, count))
    return np.stack([cx + rx * np.cos(angles), cy - ry * np.sin(angles)], axis=1)


def bezier(*controls: tuple[float, float], count: int = 24) -> Path:
    """A Bézier curve through ``controls`` (its first and last points are the ends)."""
    points = np.asarray(controls, float)
    n = len(points) - 1
    t = np.linspace(0, 1, count)[:, None]
    weights = [comb(n, k) * t**k * (1 - t) ** (n - k) for k in range(n + 1)]  # Bernstein
    return sum(w * p for w, p in zip(weights, points))


def line(*corners: tuple[float, float]) -> Path:
    """A polyline through ``corners``, with points along it so that wobble can bend it."""
    parts = [np.linspace(a, b, 10, endpoint=False) for a, b in zip(corners[:-1], corners[1:])]
    return np.concatenate([*parts, [corners[-1]]])


def join(*paths: Path) -> Path:
    """One pen stroke through ``paths`` in turn, without lifting the pen between them."""
    return np.concatenate(paths)


def _zero(r: Rng) -> list[Path]:
    w, start = r.uniform(0.25, 0.45), r.uniform(60, 130)
    loop = arc(0, 0.5, w, 0.5, start, start + 360 + r.uniform(-15, 25))
    if r.random() < 0.25:  # slashed, as in Scandinavia and on keyboards
        return [loop, line((-w * 1.1, 0.95), (w * 1.1, 0.05))]
    return [loop]


def _one(r: Rng) -> list[Path]:
    top, bottom = (0.0, 0.0), (r.uniform(-0.05, 0.05), 1.0)
    style = r.random()
    if style < 0.25:  # a plain stroke
        return [line(top, bottom)]
    length = r.uniform(0.15, 0.6)  # the flag, as a share of the height
    angle = np.radians(r.uniform(15, 75))  # below the horizontal
    flag_end = (-length * np.cos(angle), length * np.sin(angle))
    start = (0.0, r.uniform(0.0, 0.12)) if r.random() < 0.3 else top  # the flag meets lower
    stem = [line(flag_end, start, top, bottom)] if start == top else [
        line(flag_end, start), line(top, bottom)]
    if r.random() < 0.25:  # a base
        half = r.uniform(0.15, 0.35)
        stem.append(line((bottom[0] - half, 1.0), (bottom[0] + half, 1.0)))
    return stem


def _two(r: Rng) -> list[Path]:
    w = r.uniform(0.25, 0.4)
    top = arc(0, 0.27, w, 0.27, r.uniform(150, 200), r.uniform(-40, -10))
    corner = (-w * r.uniform(0.8, 1.1), 1.0)
    if r.random() < 0.3:  # a loop where the diagonal meets the base
        turn = join(bezier(top[-1], (0.0, 0.8), corner), arc(corner[0] + 0.08, 0.92, 0.08, 0.08,
                                                            200, -90))
    else:
        turn = bezier(top[-1], (w * 0.2, 0.7), corner)
    return [join(top, turn, line(tuple(turn[-1]), (w * r.uniform(0.9, 1.3), 1.0)))]


def _three(r: Rng) -> list[Path]:
    w, middle = r.uniform(0.22, 0.38), r.uniform(0.4, 0.52)
    if r.random() < 0.25:  # a flat top, as a Z runs into the lower bowl
        upper = line((-w, 0.0), (w, 0.0), (-0.05, middle))
    else:
        upper = arc(0, middle / 2, w, middle / 2, r.uniform(140, 190), -90)
    lower = arc(0, (1 + middle) / 2, w * 1.1, (1 - middle) / 2, 90, r.uniform(-200, -150))
    return [join(upper, lower)]


def _four(r: Rng) -> list[Path]:
    bar, stem_x, w = r.uniform(0.55, 0.75), r.uniform(0.05, 0.2), r.uniform(0.3, 0.45)
    stem = line((stem_x, r.uniform(0.0, 0.3)), (stem_x + r.uniform(-0.05, 0.05), 1.0))
    style = r.random()
    if style < 0.35:  # closed: a diagonal down to the bar
        return [line((stem_x, 0.0), (-w, bar), (w, bar)), stem]
    if style < 0.75:  # open at the top, the left side upright
        return [line((-w + r.uniform(-0.1, 0.1), 0.0), (-w, bar), (w, bar)), stem]
    # one stroke: down, along the bar, back up to the top of the stem and down it
    return [join(line((-w, 0.0), (-w, bar - 0.1)), bezier((-w, bar - 0.1), (-w, bar), (w, bar)),
                 line((w, bar), (stem_x, 0.0), (stem_x, 1.0)))]


def _five(r: Rng) -> list[Path]:
    w, waist = r.uniform(0.25, 0.4), r.uniform(0.35, 0.5)
    radius = (1 - waist) / 2
    belly = arc(0, waist + radius, w * 1.1, radius, r.uniform(130, 160), r.uniform(-160, -125))
    down = line((-w, 0.0), tuple(belly[0]))
    cap = line((-w, 0.0), (w * r.uniform(0.8, 1.2), r.uniform(-0.05, 0.05)))
    if r.random() < 0.4:  # the bar first, in one stroke
        return [join(cap[::-1], down, belly)]
    return [join(down, belly), cap]


def _six(r: Rng) -> list[Path]:
    w, loop = r.uniform(0.25, 0.4), r.uniform(0.2, 0.32)
    centre = 1 - loop
    fall = bezier((w * 1.1, 0.0), (-w * 0.3, 0.05), (-w * 1.1, centre - 0.25), (-w, centre))
    return [join(fall, arc(0, centre, w, loop, 180, 180 + r.uniform(330, 370)))]


def _seven(r: Rng) -> list[Path]:
    w = r.uniform(0.25, 0.45)
    bend = (r.uniform(-0.1, 0.2), 0.5)
    foot = (r.uniform(-0.25, 0.05), 1.0)
    head = [(-w, 0.15)] if r.random() < 0.3 else []  # a hooked top
    strokes = [join(line(*head, (-w, 0.0), (w, 0.0)), bezier((w, 0.0), bend, foot))]
    if r.random() < 0.4:  # crossed, as in much of Europe
        half = r.uniform(0.15, 0.3)
        strokes.append(line((bend[0] - half, 0.5), (bend[0] + half, 0.5)))
    return strokes


def _eight(r: Rng) -> list[Path]:
    waist, upper_w, lower_w = r.uniform(0.4, 0.5), r.uniform(0.2, 0.35), r.uniform(0.25, 0.42)
    if r.random() < 0.2:  # two circles, one on top of the other
        return [arc(0, waist / 2, upper_w, waist / 2, 0, 360),
                arc(0, (1 + waist) / 2, lower_w, (1 - waist) / 2, 90, 450)]
    t = np.linspace(0, 2 * np.pi, 120) + r.uniform(-0.3, 0.3)
    y = (1 - np.cos(t)) / 2
    y = np.where(y < 0.5, y * 2 * waist, waist + (y - 0.5) * 2 * (1 - waist))
    x = np.sin(2 * t) / 2 * np.where(y < waist, upper_w, lower_w) * 2
    return [np.stack([x, y], axis=1)]


def _nine(r: Rng) -> list[Path]:
    w, size = r.uniform(0.22, 0.4), r.uniform(0.28, 0.5)
    centre = size / 2
    closes = r.uniform(330, 370) if r.random() < 0.75 else r.uniform(290, 320)  # open loop
    loop = arc(0, centre, w, centre, r.uniform(-10, 30), closes)
    joint = (w, centre)
    style = r.random()
    if style < 0.4:  # straight
        stem = line(joint, (w * r.uniform(0.2, 1.0), 1.0))
    elif style < 0.7:  # curved
        stem = bezier(joint, (w * 1.2, 0.7), (w * r.uniform(-0.2, 0.5), 1.0))
    else:  # hooked at the foot
        stem = bezier(joint, (w, 0.85), (w * 0.6, 1.02), (-w * r.uniform(0.3, 1.0), 0.9))
    if closes < 325:  # the pen comes back to the joint along the open side
        return [loop, stem]
    return [join(loop, stem)]


WRITERS: dict[int, Callable[[Rng], list[Path]]] = {
    0: _zero, 1: _one, 2: _two, 3: _three, 4: _four,
    5: _five, 6: _six, 7: _seven, 8: _eight, 9: _nine,
}


def digit_paths(label: int, rng: Rng) -> list[Path]:
    """Pen strokes of one ``label`` in the unit box, in a random style, width and slant."""
    paths = WRITERS[label](rng)
    width = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))  # × the natural width
    slant = np.tan(np.radians(rng.uniform(-20, 20)))
    turn = np.radians(rng.uniform(-6, 6))
    rotate = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    moved = []
    for path in paths:
        x, y = path[:, 0] * width, path[:, 1]
        points = np.stack([x - slant * (y - 0.5), y], axis=1) @ rotate.T
        moved.append(points + wobble(len(points), rng))
    return moved


def wobble(count: int, rng: Rng) -> np.ndarray:
    """A hand's unsteadiness: a slow random drift along a stroke, ~1–3 % of the height."""
    t = np.linspace(0, 1, count)[:, None]
    waves = rng.uniform(0.5, 2.5, (1, 2, 2))
    phases = rng.uniform(0, 2 * np.pi, (1, 2, 2))
    sizes = rng.uniform(0.0, 0.02, (1, 2, 2))
    return (sizes * np.sin(2 * np.pi * waves * t[:, :, None] + phases)).sum(axis=2)


def write_digit(label: int, rng: Rng, side: int = DRAWING_SIDE) -> np.ndarray:
    """One ``label`` written and drawn on a ``side``-px canvas: uint8, ink dark on white."""
    paths = digit_paths(label, rng)
    points = np.concatenate(paths)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = rng.uniform(0.4, 0.85) * side / max(1.0, *(high - low))
    room = side - (high - low) * scale
    offset = rng.uniform(0.1, 0.9, 2) * np.maximum(room, 0) - low * scale
    pen = rng.uniform(0.03, 0.1) * scale
    strokes = [Stroke(pen, [tuple(p) for p in path * scale + offset]) for path in paths]
    return np.asarray(render_strokes(strokes, side))


def write_digits(labels: np.ndarray, rng: Rng) -> np.ndarray:
    """``labels`` written by ``write_digit`` and preprocessed as the app does: uint8 (N, 28, 28).

    A drawing the preprocessing refuses (rarely: a tiny digit under a broad pen) is written again.
    """
    images = np.empty((len(labels), 28, 28), np.uint8)
    for i, label in enumerate(labels):
        images[i] = _written(int(label), rng)
    return images


def _written(label: int, rng: Rng) -> np.ndarray:
    for _ in range(9):
        try:
            return canvas_to_mnist_uint8(write_digit(label, rng))
        except EmptyDrawingError:
            continue
    return canvas_to_mnist_uint8(write_digit(label, rng))  # nine refusals: a bug; let it raise
