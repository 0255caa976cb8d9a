"""Marks for training non-digits: question marks, exclamation marks and signs, for ``outliers``.

The bundled models read a drawn "?" as 3 or 7 and a "!" as 1, all with high confidence, and
Hershey-font signs the same: "&" as 2, ">" as 7, "%" as 8, "=" as 5, "~" as 7. These families
join ``outliers.FAMILIES`` so that the networks learn to doubt them.

A question mark or an exclamation mark is drawn with its dot: a filled round dot or a short dash,
as a pen makes it. The dot is what keeps a "!" from being a 1, so it must survive preprocessing,
which sets aside components under 5% of the largest one as specks (``preprocess.ink``): the dot
grows with the mark, and ``keeps_every_part`` refuses a drawing whose dot would be set aside,
has run into the stroke above it, or whose hook left the canvas. A lone stroke without its dot
is never drawn here: it is a 1.
Signs that people read as digits (S, $, a lone dash) stay out.
"""

from __future__ import annotations

import numpy as np

from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError
from digit_recognizer.recognition.preprocess.ink import ink_components, ink_map

__all__ = ["DOTTED", "SIGNS", "exclamation_mark", "keeps_every_part", "question_mark", "sign"]

SIGNS = "&%=<>~"  # measured: each reads as a digit with the bundled models, none is one

Polyline = np.ndarray  # (K, 2) float points in [0, 1]², x right, y down


def _dot(x: float, y: float, rng: np.random.Generator) -> Polyline:
    """A pen's dot at (x, y): a tight spiral that fills in, or a short dash at any angle."""
    if rng.random() < 0.7:
        radius = rng.uniform(0.035, 0.07)
        t = np.linspace(0, rng.uniform(2.5, 4) * 2 * np.pi, 40)
        r = radius * t / t[-1]
        return np.stack([x + r * np.cos(t), y + r * np.sin(t)], 1)
    length, angle = rng.uniform(0.07, 0.15), rng.uniform(-np.pi / 2, np.pi / 2)
    half = 0.5 * length * np.array([np.cos(angle), np.sin(angle)])
    return np.array([[x, y] - half, [x, y] + half])


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float,
         steps: int = 24) -> Polyline:
    """An elliptic arc, angles in degrees counter-clockwise from the right (y down)."""
    t = np.radians(np.linspace(start, end, steps))
    return np.stack([cx + rx * np.cos(t), cy - ry * np.sin(t)], 1)


def _curly_hook(rng: np.random.Generator, bottom: float) -> Polyline:
    """The round top of a "?" and its stem down to ``bottom``."""
    rx, ry = rng.uniform(0.28, 0.45), rng.uniform(0.18, 0.28)
    cx, cy = 0.5 + rng.normal(0, 0.03), ry + 0.02
    hook = _arc(cx, cy, rx, ry, rng.uniform(160, 215), rng.uniform(-95, -40))
    stem_x = cx + rng.uniform(-0.08, 0.06)
    bend = [stem_x + rng.uniform(-0.04, 0.08), 0.5 * (hook[-1, 1] + bottom)]
    return np.vstack([hook, [bend, [stem_x, bottom]]])


def _angular_hook(rng: np.random.Generator, bottom: float) -> Polyline:
    """The top of a "?" made of straight strokes: down on the left, over, back and down."""
    left, right = rng.uniform(0.05, 0.25), rng.uniform(0.75, 0.95)
    stem_x = rng.uniform(0.42, 0.58)
    corners = [(left, rng.uniform(0.3, 0.45)), (left + 0.1, 0.0), (right - 0.1, 0.0),
               (right, rng.uniform(0.15, 0.3)), (stem_x, rng.uniform(0.42, 0.52)),
               (stem_x, bottom)]
    points = np.asarray(corners, float) + rng.normal(0, 0.02, (len(corners), 2))
    if rng.random() < 0.4:  # one slanting top; never from the left end, that is a 1's flag
        points = np.delete(points, 2, axis=0)
    return points


def question_mark(rng: np.random.Generator) -> list[Polyline]:
    """A "?": curly or angular, its stem short or long, with a dot or dash below; sometimes
    upside down ("¿")."""
    bottom = rng.uniform(0.58, 0.74)
    hook = _curly_hook(rng, bottom) if rng.random() < 0.65 else _angular_hook(rng, bottom)
    dot_y = bottom + rng.uniform(0.17, 0.26)
    mark = [hook, _dot(hook[-1, 0] + rng.normal(0, 0.02), min(dot_y, 0.96), rng)]
    return [1 - line for line in mark] if rng.random() < 0.1 else mark


def exclamation_mark(rng: np.random.Generator) -> list[Polyline]:
    """A "!" with its dot (straight, leaning or a wedge), or "!!", or "?!"."""
    kind = rng.random()
    if kind < 0.12:  # "!!": two narrower marks side by side
        return [p * [0.5, 1] + [shift, 0] for shift in (0.0, 0.5) for p in _one_bang(rng, 0.5)]
    if kind < 0.22:  # "?!"
        question = [p * [0.6, 1] for p in question_mark(rng)]
        return question + [p * [0.4, 1] + [0.6, 0] for p in _one_bang(rng, 0.5)]
    return _one_bang(rng, 0.5 + rng.normal(0, 0.05))


def _one_bang(rng: np.random.Generator, x: float) -> list[Polyline]:
    bottom = rng.uniform(0.62, 0.78)
    top = (x + rng.normal(0, 0.04), rng.uniform(0.0, 0.05))
    if rng.random() < 0.25:  # a wedge: wide at the top, to a point
        half = rng.uniform(0.05, 0.1)
        stem = np.array([(top[0] - half, top[1]), (x, bottom), (top[0] + half, top[1]),
                         (top[0] - half, top[1])])
    else:
        stem = np.array([top, (x + rng.normal(0, 0.02), bottom)])
    return [stem, _dot(x + rng.normal(0, 0.02), bottom + rng.uniform(0.15, 0.24), rng)]


def sign(rng: np.random.Generator) -> str:
    return SIGNS[rng.integers(len(SIGNS))]


def keeps_every_part(canvas: np.ndarray) -> bool:
    """Whether the drawing stays on the canvas, has two parts or more, and preprocessing keeps
    every part.

    False when a dot would be set aside as a speck, has run into its stroke, or part of the mark
    left the canvas: a "!" or a cut "?" that preprocessing makes a lone stroke would teach the
    networks to doubt 1s.
    """
    if min(canvas[0].min(), canvas[-1].min(), canvas[:, 0].min(), canvas[:, -1].min()) < 128:
        return False
    try:
        _, stats, kept = ink_components(ink_map(canvas))
    except EmptyDrawingError:
        return False
    return len(kept) == len(stats) - 1 >= 2


DOTTED = (question_mark, exclamation_mark)  # families whose drawings ``keeps_every_part`` checks
