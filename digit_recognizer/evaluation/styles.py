"""A test set of the writing styles MNIST under-represents: ``build_styles()`` -> StyleSet.

    python -m digit_recognizer evaluate --dataset styles

Each style (a continental 1, a crossed 7, a slashed 0, ...) is written below as stroke paths,
ten or more variants of it, the way different people write it. Every rendering draws one
variant on a ``strokes.DRAWING_SIDE`` square with the app's own rasteriser (round brush,
``strokes.render_strokes``) at a random size, slant, place and pen width, and brings it to
28×28 with the app's own ``canvas_to_mnist``; the same seed gives the same digits.

This set only measures. Training never reads it, and nothing that training imports imports
this module (a test checks), so the styles cannot leak into a model through the code that
makes the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

from digit_recognizer.core.strokes import DRAWING_SIDE, Stroke, render_strokes
from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist_uint8

__all__ = ["STYLES", "Style", "StyleSet", "Pen", "RENDERINGS", "parse_variant", "render_variant",
           "variant_strokes", "style_canvases", "build_styles"]

RENDERINGS = 16  # renderings of each variant: 16 × 156 variants = 2,496 digits
HEIGHT = (0.3, 0.85)  # the digit's height, as a share of the canvas
PEN = (8.0, 30.0)  # pen width in canvas pixels (the app's slider spans 6-40, default 18)
PEN_SHARE = 0.14  # at most this share of the digit's height, or small loops and gaps fill in
SLANT = (-10.0, 20.0)  # degrees; people lean their digits right more often than left
TURN = 6.0  # ± degrees of rotation on top of the slant
ASPECT = (0.85, 1.15)  # width stretched by this factor
WOBBLE = 0.012  # s.d. of each written point's offset, as a share of the height
SAMPLES = 12  # points drawn along each curve segment, as dense as a mouse's motion events


@dataclass(frozen=True)
class Style:
    """One way of writing ``label``; ``variants`` in the notation of :func:`parse_variant`."""

    name: str
    label: int
    variants: tuple[str, ...]


class Pen(NamedTuple):
    """One stroke of a variant: points in unit coordinates (x right, y down, the digit 0 to 1
    tall), and the indices of the points where the pen turns sharply instead of curving."""

    points: tuple[tuple[float, float], ...]
    corners: frozenset[int]


@dataclass(frozen=True)
class StyleSet:
    """The rendered set: uint8 (N, 28, 28) images, ink high; (N,) labels; (N,) style names."""

    images: np.ndarray
    labels: np.ndarray
    styles: np.ndarray


# Notation: strokes separated by ';', points 'x,y' in hundredths of the digit's height (y down),
# a '*' before a point where the pen turns sharply (the pen curves through the others). A
# stroke that ends where it starts is a closed loop. Written by hand, one per line, so that
# the variants differ as people's writing does: proportions, where strokes start and end.
STYLES: tuple[Style, ...] = (
    Style("1 with a flag", 1, (
        "36,28 *56,3 56,100",
        "38,24 *58,2 55,100",
        "34,32 *55,4 54,100",
        "40,22 *56,2 54,99",
        "34,30 44,16 *56,3 55,100",
        "36,26 *54,2 52,100",
        "32,30 44,18 *58,4 56,100",
        "38,26 *56,2 58,100",
        "36,34 *55,5 55,100",
        "40,24 *57,2 54,98",
        "32,28 *50,3 52,100",
        "36,30 46,16 *55,2 55,100",
    )),
    Style("1 with a flag and a base", 1, (
        "36,26 *56,3 56,98; 36,99 76,99",
        "38,24 *57,2 55,98; 36,99 74,98",
        "34,32 *55,4 54,98; 32,98 76,99",
        "40,22 *56,2 54,97; 38,98 70,98",
        "34,30 44,16 *56,3 55,98; 35,98 76,99",
        "36,28 *53,2 51,98; 32,99 70,99",
        "32,30 44,18 *58,4 56,97; 38,98 76,97",
        "38,26 *56,2 57,98; 40,99 74,99",
        "36,34 *55,5 55,98; 34,97 74,99",
        "40,24 *57,2 54,98; 36,98 72,98",
        "32,28 *52,3 52,98; 32,98 72,99",
        "36,32 46,16 *55,2 55,98; 40,98 72,98",
    )),
    Style("7 crossed", 7, (
        "18,6 *80,5 42,100; 46,52 76,50",
        "20,10 *78,6 48,100; 50,54 80,52",
        "16,8 50,4 *82,6 44,100; 44,50 78,50",
        "22,4 *76,4 40,98; 42,55 74,52",
        "18,12 *80,8 52,100; 54,54 82,54",
        "20,6 *82,4 62,50 46,100; 48,52 78,50",
        "16,6 *78,4 40,100; 38,52 72,50",
        "22,8 *80,8 46,98; 48,56 78,54",
        "18,4 *80,2 70,40 50,100; 52,48 84,46",
        "20,10 *76,6 42,100; 44,50 74,52",
        "24,6 *84,6 50,100; 52,54 84,52",
        "18,8 *80,6 44,100; 40,54 80,50",
    )),
    Style("7 with a hooked top", 7, (
        "18,30 *20,6 *80,6 44,100",
        "16,26 *18,6 *78,4 42,100",
        "20,32 *22,8 *80,8 48,100",
        "12,28 16,12 *21,5 *82,6 46,100",
        "18,26 *20,4 *76,4 40,98",
        "20,30 *20,6 *80,6 66,40 50,100",
        "16,30 *19,8 *82,8 50,100",
        "22,26 *22,5 *78,5 44,98",
        "18,34 *21,8 *80,6 46,100",
        "13,26 *18,5 *80,4 60,50 48,100",
        "20,30 *24,6 *84,6 48,100",
        "15,28 17,14 *20,6 *79,6 42,100",
    )),
    Style("0 slashed", 0, (
        "50,2 28,12 20,50 30,90 50,98 70,88 80,50 72,12 50,2; 26,90 74,10",
        "50,3 30,14 22,52 32,90 52,98 72,86 78,48 70,12 50,3; 18,100 82,0",
        "48,2 26,14 18,50 28,88 50,98 72,88 82,50 72,12 48,2; 30,80 70,20",
        "52,2 32,10 24,48 30,86 48,98 68,90 76,52 70,14 52,2; 22,96 78,4",
        "50,2 24,16 18,54 30,92 54,98 76,84 82,46 70,10 50,2; 30,86 70,14",
        "46,4 28,16 24,52 34,92 54,98 70,84 76,44 66,10 46,4; 20,92 80,8",
        "50,2 30,10 22,46 28,84 46,98 66,92 78,56 74,16 50,2; 24,80 76,20",
        "50,2 28,12 20,50 30,90 50,98 70,88 80,50 72,12 50,2; 34,94 66,6",
        "54,2 34,8 24,44 28,82 44,98 64,94 78,62 78,20 54,2; 26,86 78,12",
        "50,2 26,10 16,48 26,88 50,98 74,88 84,50 74,10 50,2; 16,98 84,2",
        "50,2 30,14 24,50 32,88 50,98 68,88 76,50 70,14 50,2; 28,76 72,24",
        "48,3 28,12 20,50 28,88 48,98 70,88 80,52 70,14 48,3; 22,88 76,12",
    )),
    Style("4 with an open top", 4, (
        "28,4 *18,62 *86,62; 66,18 66,100",
        "30,2 *20,58 *84,58; 64,10 64,100",
        "24,6 *16,64 *82,64; 62,24 62,100",
        "32,4 *22,60 *88,60; 68,8 66,100",
        "26,2 *14,58 *80,60; 60,16 60,100",
        "30,6 22,40 *18,62 *84,62; 66,14 64,100",
        "28,2 *20,66 *86,64; 64,20 66,100",
        "34,4 *24,56 *86,56; 68,6 68,100",
        "26,4 *16,60 *82,58; 62,12 60,100",
        "30,2 *20,62 *78,60; 60,18 62,100",
        "28,6 *16,64 *84,64; 66,22 66,100",
        "32,2 *20,60 *86,60; 66,4 64,100",
    )),
    Style("4 closed", 4, (
        "60,2 *14,66 *86,66; 60,2 60,100",
        "62,4 *16,62 *84,62; 62,4 62,100",
        "58,2 *12,64 *82,64; 58,2 60,100",
        "64,2 *18,60 *88,60; 64,2 64,100",
        "60,100 *60,2 *12,66 *84,66",
        "56,4 *14,68 *80,68; 56,4 58,100",
        "62,2 *20,64 *86,64; 62,2 62,100",
        "60,2 *10,60 *84,62; 60,2 62,100",
        "64,4 *16,66 *88,64; 64,4 64,100",
        "62,100 *62,3 *14,62 *86,62",
        "58,2 *16,70 *82,70; 58,2 58,100",
        "60,2 *14,64 *80,64; 60,2 60,100",
    )),
    Style("5 with a detached bar", 5, (
        "28,24 *24,50 36,44 54,44 70,56 74,74 64,90 46,98 28,94 20,84; 46,6 82,4",
        "30,20 *26,48 40,42 58,44 72,58 74,76 62,92 42,98 24,90; 48,4 84,2",
        "26,26 *22,52 34,46 52,46 68,58 72,76 60,92 40,98 22,88; 44,8 80,8",
        "30,24 *24,52 38,44 56,44 70,54 76,72 66,88 48,98 30,96 18,86; 48,4 86,6",
        "28,26 *24,52 40,46 60,48 72,60 72,80 58,94 38,98 22,90; 46,10 80,6",
        "30,22 *28,48 42,42 62,46 74,60 72,80 56,96 34,96 20,86; 50,4 82,4",
        "26,24 *20,50 34,44 52,44 68,56 72,74 62,90 42,98 24,92; 42,6 76,8",
        "30,26 *26,52 38,46 58,46 72,58 74,78 62,92 44,98 26,94 16,84; 46,10 86,8",
        "28,22 *24,48 38,42 56,42 70,52 76,70 68,88 50,98 30,96 20,88; 46,4 80,2",
        "32,24 *28,50 42,44 60,46 72,58 72,78 58,94 38,98 20,90; 52,8 88,6",
        "28,30 *22,54 36,48 56,48 70,60 72,80 60,94 40,98 22,92; 42,12 80,10",
        "30,24 *26,50 40,44 58,46 70,58 72,76 60,92 42,98 26,94; 48,4 84,6",
    )),
    Style("9 with a straight stem", 9, (
        "72,20 62,4 42,4 28,14 26,30 38,44 56,46 70,36 72,20; 74,6 74,100",
        "70,18 60,4 40,4 26,16 26,32 40,44 58,44 70,32 70,18; 72,4 72,100",
        "74,22 64,6 44,2 30,10 24,26 34,42 54,46 72,36 74,22; 76,8 76,100",
        "68,20 58,6 40,6 28,18 28,34 42,44 58,42 68,32 68,20; 70,6 70,100",
        "72,24 64,6 44,2 28,12 24,30 36,46 56,48 70,38 72,24; 74,10 74,100",
        "70,16 60,2 40,4 26,14 26,30 40,40 58,40 70,30 70,16; 72,2 72,100",
        "74,20 66,6 48,2 32,10 28,28 40,42 58,44 72,34 74,20; 74,4 74,100",
        "70,22 60,6 40,6 24,18 24,34 38,46 58,46 70,36 70,22; 72,8 72,100",
        "72,18 62,4 44,4 30,14 28,32 42,44 60,42 72,30 72,18; 74,2 74,100",
        "66,20 58,6 40,4 26,14 24,30 36,42 54,44 66,34 66,20; 68,6 68,100",
        "74,20 62,2 40,2 24,14 24,32 38,44 60,44 74,34 74,20; 76,4 76,100",
        "72,20 60,4 42,4 30,14 30,30 42,42 58,42 72,32 72,20; 72,20 72,100",
    )),
    Style("2 with a loop", 2, (
        "22,24 30,8 50,2 70,8 76,22 70,38 52,56 36,70 24,84 10,90 4,78 12,64 28,64 38,76 "
        "40,90 50,98 86,96",
        "20,22 30,6 50,2 68,8 74,24 66,40 48,58 32,74 20,88 8,86 4,72 14,62 30,66 36,80 "
        "36,94 48,100 84,98",
        "24,20 34,4 54,2 72,10 76,26 68,42 50,60 34,74 22,86 10,88 6,76 14,64 30,64 40,76 "
        "40,90 46,98 80,98",
        "18,26 26,8 46,2 66,4 76,18 72,36 56,54 38,70 26,82 12,86 6,74 16,62 32,66 38,80 "
        "42,94 58,98 88,94",
        "22,24 30,8 50,2 70,8 76,22 70,38 52,56 36,70 22,84 12,92 4,84 8,68 22,64 34,72 "
        "38,86 44,98 84,98",
        "20,20 32,4 52,2 68,10 72,26 64,42 46,60 30,76 20,88 8,90 2,78 10,66 26,66 34,78 "
        "36,92 48,100 86,98",
        "24,26 32,10 50,4 68,8 76,22 72,38 56,54 40,68 26,82 12,88 6,76 14,64 30,66 38,78 "
        "40,92 54,98 90,96",
        "20,22 28,6 48,2 66,6 74,20 68,38 50,58 34,72 22,86 10,90 4,80 10,66 26,64 36,74 "
        "38,88 46,98 82,100",
        "22,18 34,4 56,2 74,12 76,30 66,46 48,62 32,76 20,88 8,88 4,74 14,64 30,68 36,82 "
        "38,96 56,100 86,96",
        "18,24 26,8 46,2 66,6 74,22 68,40 50,58 34,72 24,82 12,86 6,72 16,62 32,64 40,76 "
        "40,90 50,98 84,96",
        "24,22 34,6 54,2 72,10 76,26 70,42 52,58 36,72 24,84 12,92 4,82 10,68 24,64 36,74 "
        "38,88 48,98 88,98",
        "20,26 28,10 46,2 66,4 76,20 72,36 54,56 36,72 22,86 10,88 6,76 14,64 28,66 36,78 "
        "38,92 50,100 84,96",
    )),
    Style("6 with an open loop", 6, (
        "66,4 44,12 28,34 22,60 26,84 42,98 60,96 72,82 70,64 58,56 48,56",
        "70,2 48,10 30,30 22,56 24,80 38,96 58,98 72,86 72,68 62,58 50,58",
        "62,6 42,16 28,38 24,64 30,88 46,98 64,94 74,78 70,62 58,56 48,58",
        "68,4 50,8 34,24 24,48 22,74 32,92 50,98 68,92 74,74 66,60 54,56",
        "64,2 40,14 26,38 22,66 28,88 44,98 62,96 72,80 68,64 56,58 46,60",
        "72,6 52,6 34,20 24,44 20,72 30,92 48,100 66,94 72,76 66,62 52,56",
        "60,2 40,14 28,36 24,62 28,86 44,98 62,96 72,82 70,66 60,58 50,58",
        "70,4 50,10 32,28 24,52 22,78 34,94 52,98 68,90 72,72 64,60 52,58",
        "66,2 46,10 30,30 22,56 24,82 40,98 60,98 74,86 74,68 64,58 54,56",
        "62,4 44,12 30,32 24,58 26,82 40,96 58,98 70,86 70,70 60,60 50,60",
        "68,6 48,12 32,30 24,54 24,80 36,96 54,100 70,92 74,74 68,62 56,56",
        "64,4 44,14 28,36 22,62 26,86 42,98 62,96 72,80 68,64 58,58 46,58",
    )),
    Style("9 with an open loop", 9, (
        "70,14 58,4 40,4 26,16 26,32 36,42 48,44; 74,6 72,100",
        "66,12 56,2 38,4 24,16 24,34 34,44 46,46; 72,4 72,100",
        "72,18 60,6 42,4 28,14 26,30 34,42 50,44; 76,8 74,100",
        "68,14 54,4 36,6 22,20 24,36 34,46 48,46; 72,2 70,100",
        "70,20 62,6 44,2 30,10 24,26 30,40 44,46; 76,6 76,100",
        "66,16 54,4 36,4 24,14 22,30 30,42 44,44; 70,6 66,100",
        "70,16 60,4 42,2 28,12 24,28 32,42 46,46; 74,4 70,100",
        "68,12 56,2 38,4 26,14 24,30 32,42 48,44; 72,2 74,100",
        "72,16 60,4 40,4 26,16 24,34 34,44 50,46; 76,4 72,100",
        "66,14 54,4 38,4 26,14 26,30 36,42 48,42; 70,4 68,100",
        "70,18 58,6 40,6 26,18 26,34 36,44 50,46; 74,8 72,98",
        "68,16 58,4 40,2 26,12 22,28 30,42 46,46; 72,2 68,100",
    )),
    Style("3 with a flat top", 3, (
        "22,6 *76,6 *44,40 62,42 74,54 76,74 64,92 44,98 24,92",
        "20,4 *74,4 *40,42 60,42 74,56 74,76 62,92 42,98 22,90",
        "24,8 *78,6 *46,38 64,40 76,52 78,72 68,90 48,98 26,94",
        "18,6 *72,8 *42,40 58,44 72,58 72,78 58,94 38,98 20,88",
        "22,4 50,2 *78,4 *46,42 66,44 76,58 74,80 60,94 40,98 24,92",
        "20,8 *76,4 *44,36 62,38 76,52 76,74 64,92 44,98 22,94",
        "24,4 *80,4 *48,40 66,42 78,56 78,76 66,92 46,98 26,92",
        "22,6 *74,6 *40,38 58,40 72,52 74,74 62,92 40,98 20,90",
        "18,4 *76,2 *42,42 62,42 76,56 74,78 60,94 40,98 18,90",
        "24,6 *78,8 *46,40 64,44 74,58 74,78 62,94 44,98 26,94",
        "20,6 48,4 *76,6 *44,38 62,40 76,54 76,76 64,92 44,98 22,92",
        "22,8 *76,6 *42,42 60,44 72,58 72,78 60,94 42,98 22,90",
    )),
)


def parse_variant(text: str) -> list[Pen]:
    """A variant in the notation above -> its strokes, in unit coordinates."""
    pens = []
    for part in text.split(";"):
        points, corners = [], set()
        for token in part.split():
            if token.startswith("*"):
                corners.add(len(points))
                token = token[1:]
            x, y = token.split(",")
            points.append((float(x) / 100, float(y) / 100))
        pens.append(Pen(tuple(points), frozenset(corners)))
    return pens


def _catmull_rom(points: np.ndarray, closed: bool) -> np.ndarray:
    """A smooth curve through ``points`` (K, 2): centripetal Catmull-Rom, SAMPLES per segment.

    Centripetal, because unevenly spaced points then never make the curve loop or overshoot.
    """
    if len(points) < 3 and not closed:
        return points
    if closed:
        ring = points[:-1]
        padded = np.concatenate([ring[-1:], ring, ring[:2]])
    else:  # mirrored end points, so the curve leaves and arrives along the end segments
        padded = np.concatenate([2 * points[:1] - points[1:2], points,
                                 2 * points[-1:] - points[-2:-1]])
    t = np.linspace(0, 1, SAMPLES, endpoint=False)[:, None]
    out = []
    for p0, p1, p2, p3 in zip(padded, padded[1:], padded[2:], padded[3:]):
        k1, k2, k3 = (np.linalg.norm(b - a) ** 0.5 + 1e-9 for a, b in ((p0, p1), (p1, p2),
                                                                        (p2, p3)))
        # Barry and Goldman's pyramid, with knot intervals k1, k2, k3.
        s = t * k2
        a1 = p0 + (p1 - p0) * (s + k1) / k1
        a2 = p1 + (p2 - p1) * s / k2
        a3 = p2 + (p3 - p2) * (s - k2) / k3
        b1 = a1 + (a2 - a1) * (s + k1) / (k1 + k2)
        b2 = a2 + (a3 - a2) * s / (k2 + k3)
        out.append(b1 + (b2 - b1) * s / k2)
    out.append(points[-1:])
    return np.concatenate(out)


def _trace(pen: Pen, points: np.ndarray) -> np.ndarray:
    """The pen's path through ``points`` (its written points, moved): curves between corners."""
    if len(points) > 2 and not pen.corners and np.allclose(points[0], points[-1]):
        return _catmull_rom(points, closed=True)
    cuts = sorted({0, len(points) - 1} | set(pen.corners))
    pieces = [_catmull_rom(points[a : b + 1], closed=False) for a, b in zip(cuts, cuts[1:])]
    return np.concatenate([pieces[0]] + [p[1:] for p in pieces[1:]]) if pieces else points


def _wobble(pens: list[Pen], rng: np.random.Generator) -> list[np.ndarray]:
    """Each written point moved a little, as no two hands put it at the same place.

    Points written the same (where two strokes meet) move together, so a closed 4 stays closed.
    """
    moves: dict[tuple[float, float], np.ndarray] = {}
    for pen in pens:
        for point in pen.points:
            if point not in moves:
                moves[point] = rng.normal(0, WOBBLE, 2)
    return [np.array([np.add(p, moves[p]) for p in pen.points]) for pen in pens]


def render_variant(pens: list[Pen], rng: np.random.Generator,
                   canvas: int = DRAWING_SIDE) -> np.ndarray:
    """``variant_strokes`` drawn: uint8 (canvas, canvas), black ink on white."""
    return np.asarray(render_strokes(variant_strokes(pens, rng, canvas), canvas))


def variant_strokes(pens: list[Pen], rng: np.random.Generator,
                    canvas: int = DRAWING_SIDE) -> list[Stroke]:
    """One variant written on the app's canvas, in its pixels: random height, slant, turn,
    width and place, and a pen whose width the app's brush allows."""
    height = rng.uniform(*HEIGHT) * canvas
    pen_width = rng.uniform(PEN[0], max(PEN[0], min(PEN[1], PEN_SHARE * height)))
    slant, turn = np.radians(rng.uniform(*SLANT)), np.radians(rng.uniform(-TURN, TURN))
    aspect = rng.uniform(*ASPECT)
    paths = [_trace(pen, points) for pen, points in zip(pens, _wobble(pens, rng))]
    # Unit square -> centred, stretched, slanted (the top leans right), turned, scaled.
    shear = np.array([[aspect, -np.tan(slant)], [0.0, 1.0]])
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    matrix = height * rotation @ shear
    paths = [(path - 0.5) @ matrix.T for path in paths]
    every = np.concatenate(paths)
    low, high = every.min(axis=0), every.max(axis=0)
    # A wide slanted digit may not fit at its height: then it is drawn a little smaller.
    scale = min(1.0, (canvas - pen_width - 4) / float((high - low).max()))
    margin = pen_width / 2 + 2
    room = np.maximum(canvas - 2 * margin - scale * (high - low), 0)
    corner = margin + rng.uniform(0, 1, 2) * room
    return [Stroke(pen_width, [tuple(p) for p in (path - low) * scale + corner])
            for path in paths]


def render_groups(groups: Sequence, seed: int, renderings: int, draw=render_variant
                  ) -> Iterator[tuple[Any, Any]]:
    """(canvas, group) for ``renderings`` drawings of every variant of each group (anything
    with ``variants`` in this notation: a ``Style``, a family of ``nondigits``), in order; with
    ``draw=variant_strokes``, the same drawings as strokes."""
    rng = np.random.default_rng(seed)
    for group in groups:
        for text in group.variants:
            pens = parse_variant(text)
            for _ in range(renderings):
                yield draw(pens, rng), group


def style_canvases(seed: int = 0, renderings: int = RENDERINGS
                   ) -> Iterator[tuple[np.ndarray, int, str]]:
    """(canvas, label, style name) for ``renderings`` drawings of every variant, in order."""
    for canvas, style in render_groups(STYLES, seed, renderings):
        yield canvas, style.label, style.name


def build_styles(seed: int = 0, renderings: int = RENDERINGS) -> StyleSet:
    """The styles test set, each drawing brought to 28×28 by ``canvas_to_mnist``."""
    images, labels, names = [], [], []
    for canvas, label, name in style_canvases(seed, renderings):
        images.append(canvas_to_mnist_uint8(canvas))
        labels.append(label)
        names.append(name)
    return StyleSet(np.stack(images), np.array(labels, np.uint8), np.array(names))
