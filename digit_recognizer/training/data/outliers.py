"""Non-digits for training: ``non_digits(count, rng)`` -> uint8 (count, 28, 28), ink high.

Outlier exposure (Hendrycks, Mazeika and Dietterich, 2019) trains a classifier towards a uniform
output on inputs of no class, so that a low top probability comes to mean "that is not a digit".
These are drawn procedurally, on a canvas the way the app's canvas is drawn on, and then brought
to 28×28 by the app's own preprocessing (``preprocess.canvas_to_mnist``), so the network sees
them exactly as it would see a user's drawing:

- dense scribbles (many turns, so that they rarely trace a digit by chance);
- crossings: ×, +, *, # and bundles of crossing lines;
- shapes: triangles, stars, hearts, arrows, squares with their diagonals, spirals, zig-zags;
- capital and small letters from OpenCV's Hershey fonts that resemble no digit (A, E, F, H, K,
  M, N, P, R, V, W, X; e, f, k, m, n, w, x). O, I, l, S, Z, B, G, q, g, b, h and the like are
  left out: people read them as digits too;
- marks (``marks``): question marks and exclamation marks with their dot (drawn again when
  preprocessing would drop the dot), and signs that read as digits (&, %, =, <, >, ~).

Nothing here may look like a digit: a circle (0), a lone stroke (1) or a circle with a slash
(the slashed 0 the network must read as 0) would teach it to doubt real digits. Smileys were
tried and dropped: preprocessing sets their eyes aside as specks, which leaves a 0 or a 6.

The project's non-digit *test* set (``nondigits``) is written by hand as stroke paths, in
another module that training never imports, so that it measures more than this generator.
Its own OpenCV rasteriser, not the test set's ``strokes.render_strokes``, is on purpose too.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist_uint8
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError
from digit_recognizer.training.data.marks import (
    DOTTED,
    exclamation_mark,
    keeps_every_part,
    question_mark,
    sign,
)

__all__ = ["non_digits", "FAMILIES", "LETTERS"]

CANVAS = 140  # px; the app's canvas is larger, but preprocessing brings all to 28×28 anyway
LETTERS = "AEFHKMNPRVWXefkmnwx"
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
         cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
         cv2.FONT_HERSHEY_SCRIPT_COMPLEX)

Polyline = np.ndarray  # (K, 2) float points in [0, 1]², x right, y down


def non_digits(count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` non-digits, uint8 (count, 28, 28), ink high, as the app's preprocessing makes.

    Each comes from a family chosen at random (``FAMILIES``), drawn with a random pen width,
    slant and size.
    """
    out = np.empty((count, 28, 28), np.uint8)
    made = 0
    while made < count:
        family = FAMILIES[rng.integers(len(FAMILIES))]
        canvas = draw(family, rng)
        if family in DOTTED and not keeps_every_part(canvas):
            continue  # a dot lost as a speck, or run into its stroke: no longer this mark
        try:
            out[made] = canvas_to_mnist_uint8(canvas)
        except EmptyDrawingError:  # too small for its pen: draw another
            continue
        made += 1
    return out


def draw(family: Callable[[np.random.Generator], list[Polyline] | str],
         rng: np.random.Generator) -> np.ndarray:
    """One drawing of ``family`` on a white canvas, black ink: uint8 (CANVAS, CANVAS)."""
    canvas = np.full((CANVAS, CANVAS), 255, np.uint8)
    pen = int(rng.integers(3, 12))
    shape = family(rng)
    if isinstance(shape, str):
        _put_letter(canvas, shape, pen, rng)
    else:
        matrix = _placement(rng)
        for line in shape:
            points = np.round((line @ matrix[:, :2].T + matrix[:, 2]) * 16).astype(np.int32)
            cv2.polylines(canvas, [points], False, 0, pen, cv2.LINE_AA, shift=4)
    return canvas


def _placement(rng: np.random.Generator) -> np.ndarray:
    """A (2, 3) affine map from the unit square to a random box on the canvas, slanted."""
    size = rng.uniform(0.4, 0.65) * CANVAS
    aspect = rng.uniform(0.7, 1.3)
    shear = rng.uniform(-0.3, 0.3)
    turn = np.radians(rng.uniform(-15, 15))
    rotate = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    linear = rotate @ np.array([[size * aspect, shear * size], [0, size]])
    # Part of a slanted shape may leave the canvas, as it may leave the app's.
    corner = rng.uniform(0.04, 0.96 - 1.3 * size / CANVAS, 2) * CANVAS
    return np.hstack([linear, corner[:, None]])


def _put_letter(canvas: np.ndarray, letter: str, pen: int, rng: np.random.Generator) -> None:
    font = FONTS[rng.integers(len(FONTS))] | (cv2.FONT_ITALIC if rng.random() < 0.3 else 0)
    thickness = max(1, pen // 2)
    (w, h), _ = cv2.getTextSize(letter, font, 1.0, thickness)
    scale = rng.uniform(0.4, 0.8) * CANVAS / max(w, h, 1)
    (w, h), base = cv2.getTextSize(letter, font, scale, thickness)
    x = int(rng.integers(0, max(1, CANVAS - w)))
    y = int(rng.integers(h, max(h + 1, CANVAS - base)))
    cv2.putText(canvas, letter, (x, y), font, scale, 0, thickness, cv2.LINE_AA)


def _jitter(points: list[tuple[float, float]], rng: np.random.Generator,
            amount: float = 0.04) -> Polyline:
    """The corner points, each moved a little, as a hand draws them."""
    array = np.asarray(points, float)
    return array + rng.normal(0, amount, array.shape)


def _curve(points: Polyline, steps: int = 12) -> Polyline:
    """A smooth curve through ``points`` (Catmull-Rom), for hand-like scribbles."""
    padded = np.vstack([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, steps, endpoint=False)[:, None]
    pieces = []
    for p0, p1, p2, p3 in zip(padded, padded[1:], padded[2:], padded[3:]):
        pieces.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                             + (3 * p1 - p0 - 3 * p2 + p3) * t ** 3))
    return np.vstack(pieces + [points[-1:]])


def scribble(rng: np.random.Generator) -> list[Polyline]:
    return [_curve(rng.uniform(0, 1, (int(rng.integers(9, 16)), 2)))]


def crossing(rng: np.random.Generator) -> list[Polyline]:
    """×, +, * or a bundle of three to five lines through one region."""
    lines = int(rng.integers(2, 6))
    start = rng.uniform(0, np.pi / lines)
    angles = start + np.arange(lines) * np.pi / lines + rng.normal(0, 0.08, lines)
    centre = 0.5 + rng.normal(0, 0.03, 2)
    return [np.array([centre - 0.5 * d, centre + 0.5 * d])
            for d in np.stack([np.cos(angles), np.sin(angles)], 1)]


def hash_sign(rng: np.random.Generator) -> list[Polyline]:
    a, b = rng.uniform(0.25, 0.4), rng.uniform(0.6, 0.75)
    return [_jitter(line, rng, 0.03) for line in (
        [(a, 0), (a - 0.1, 1)], [(b, 0), (b - 0.1, 1)], [(0, a), (1, a)], [(0, b), (1, b)])]


def triangle(rng: np.random.Generator) -> list[Polyline]:
    corners = _jitter([(0.5, 0), (1, 0.9), (0, 0.9)], rng, 0.05)
    return [np.vstack([corners, corners[:1]])]


def star(rng: np.random.Generator) -> list[Polyline]:
    turns = np.radians(-90 + 144 * np.arange(6))
    return [_jitter(list(zip(0.5 + 0.5 * np.cos(turns), 0.5 + 0.5 * np.sin(turns))), rng, 0.03)]


def heart(rng: np.random.Generator) -> list[Polyline]:
    t = np.linspace(0, 2 * np.pi, 40)
    x, y = 16 * np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t)
                                  - np.cos(4 * t))
    return [_jitter(list(zip((x + 17) / 34, (y + 18) / 34)), rng, 0.01)]


def arrow(rng: np.random.Generator) -> list[Polyline]:
    shaft = [(0, 0.5), (1, 0.5)]
    head = [(0.7, 0.2), (1, 0.5), (0.7, 0.8)]
    points = [_jitter(shaft, rng, 0.02), _jitter(head, rng, 0.03)]
    return [1 - p if rng.random() < 0.5 else p for p in points]  # either way round


def envelope(rng: np.random.Generator) -> list[Polyline]:
    """A square with both diagonals (a lone square could pass for a boxy 0)."""
    box = _jitter([(0, 0), (1, 0), (1, 1), (0, 1)], rng, 0.03)
    return [np.vstack([box, box[:1]]), box[[0, 2]], box[[1, 3]]]


def spiral(rng: np.random.Generator) -> list[Polyline]:
    turns = rng.uniform(2.2, 3.5)
    t = np.linspace(0, turns * 2 * np.pi, 80)
    radius = 0.5 * t / t[-1]
    return [np.stack([0.5 + radius * np.cos(t), 0.5 + radius * np.sin(t)], 1)]


def zigzag(rng: np.random.Generator) -> list[Polyline]:
    peaks = int(rng.integers(4, 8))
    x = np.linspace(0, 1, 2 * peaks + 1)
    y = np.where(np.arange(len(x)) % 2 == 0, 0.9, 0.1)
    return [_jitter(list(zip(x, y)), rng, 0.03)]


def letter(rng: np.random.Generator) -> str:
    return LETTERS[rng.integers(len(LETTERS))]


FAMILIES = (scribble, crossing, hash_sign, triangle, star, heart, arrow, envelope, spiral,
            zigzag, letter, letter, letter,  # letters: 19 kinds, so drawn more often
            question_mark, exclamation_mark, sign)  # marks: 3 of 16
