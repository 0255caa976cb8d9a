"""Pen-written digits drawn as the window draws them: ``pen_images(pen, copies, seed)``.

A tablet recorded each digit's path in its own units; here the path is scaled by the digit's own
box to a size people draw at on the window's paper, drawn with the app's round brush
(``strokes.render_strokes``) at a pen width from the brush slider's range, and brought to 28×28
by the app's own preprocessing. A continental 1's flag, a 4's two strokes and a 9's hook arrive
as written.

Given a random generator, each drawing is also slanted, turned, made wider or narrower, drawn
with another pen width, at another size and place, and its points drift a little, as one
person's digit differs from the next time they write it: training draws each training
writer's digit several times that way. Without one (the validation writers) a digit is drawn
once, as written, with the window's default brush at a typical size.

    images, labels = pen_images(pen.subset(train_index), copies=3, seed=0)
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import cv2
import numpy as np

from digit_recognizer.core.datasets.unipen import PenDigits
from digit_recognizer.core.strokes import PAPER_SIDE
from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist_uint8
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError
from digit_recognizer.recognition.preprocess.written import (
    draw_paths,
    drawn_as_written,
    place_strokes,
)
from digit_recognizer.training.data.writer import wobble

__all__ = ["draw_pen_digit", "draw_pen_digits", "pen_images", "varied"]

PENS = (8.0, 32.0)  # the pen widths people use, within the brush slider's 6-40
SIZES = (0.3, 0.85)  # a varied digit's longer side, as a share of the paper
CHUNK = 500  # digits per worker task


def varied(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """``strokes`` (any units) placed in a box 1 across at the origin, then slanted, turned,
    reshaped and drifting (the jitter and the wobble are in units of that box)."""
    strokes = place_strokes(strokes, 1.0, (0, 0))
    slant = np.tan(np.radians(rng.uniform(-15, 15)))
    turn = np.radians(rng.uniform(-10, 10))
    aspect = np.exp(rng.uniform(np.log(0.75), np.log(1.33)))
    rotate = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    jitter = rng.uniform(0.0, 0.006)
    moved = []
    for stroke in strokes:
        x, y = stroke[:, 0] * aspect, stroke[:, 1]
        points = np.stack([x - slant * y, y], axis=1) @ rotate.T
        points += wobble(len(points), rng) + rng.normal(0, jitter, points.shape)
        moved.append(points.astype(np.float32))
    return moved


def draw_pen_digit(strokes: list[np.ndarray], rng: np.random.Generator | None = None,
                   side: int = PAPER_SIDE) -> np.ndarray:
    """One digit's ``strokes`` drawn on a ``side``-px paper: uint8, dark ink on white.

    Without ``rng``, as written, at the window's default brush and a typical size; with it,
    varied (the module's docstring).
    """
    if rng is None:
        return drawn_as_written(strokes, side)
    size = rng.uniform(*SIZES) * side
    room = (side - size) / 2
    centre = tuple(side / 2 + rng.uniform(-room, room, 2) * 0.8)
    placed = place_strokes(varied(strokes, rng), size, centre)
    pen = np.exp(rng.uniform(*np.log(PENS))) * side / PAPER_SIDE  # in pixels of the default paper
    return draw_paths(placed, pen, side)


def draw_pen_digits(pen: PenDigits, rng: np.random.Generator | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Every digit of ``pen`` drawn (``draw_pen_digit``) and preprocessed as the app does:
    uint8 (N, 28, 28), ink high, and a bool (N,) mask of the digits the preprocessing read.

    A digit it refuses (a dot, a fragment too small for its pen) is a blank image, unmasked.
    """
    images = np.zeros((len(pen), 28, 28), np.uint8)
    read = np.zeros(len(pen), bool)
    for i, strokes in enumerate(pen.strokes):
        try:
            images[i] = canvas_to_mnist_uint8(draw_pen_digit(strokes, rng))
            read[i] = True
        except EmptyDrawingError:
            pass
    return images, read


def pen_images(pen: PenDigits, copies: float, seed: int | None, workers: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """``pen``'s digits drawn ``copies`` times each on average (each drawn ``floor(copies)``
    times, a random share once more), varied, or once as written when ``seed`` is None:
    uint8 (M, 28, 28) images and their labels. Digits the preprocessing refuses are left out
    of varied drawings and kept blank in the ones as written (every digit is then scored).

    Deterministic for a given ``seed``, whatever the number of ``workers``.
    """
    if seed is None:
        picks = np.arange(len(pen))
    else:
        rng = np.random.default_rng([seed, 5])
        extra = rng.random(len(pen)) < copies - int(copies)
        picks = np.sort(np.concatenate([np.repeat(np.arange(len(pen)), int(copies)),
                                        np.flatnonzero(extra)]))
    starts = range(0, len(picks), CHUNK)
    seeds = (np.random.SeedSequence([seed, 6]).spawn(len(starts)) if seed is not None
             else [None] * len(starts))
    with ProcessPoolExecutor(workers or os.cpu_count() or 1,
                             mp_context=get_context("spawn")) as pool:
        parts = list(pool.map(_pen_chunk, [pen.subset(picks[s:s + CHUNK]) for s in starts],
                              seeds))
    images = np.concatenate([p[0] for p in parts]) if parts else np.empty((0, 28, 28), np.uint8)
    read = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, bool)
    labels = pen.labels[picks]
    if seed is None:
        return images, labels
    return images[read], labels[read]


def _pen_chunk(pen: PenDigits, seed: np.random.SeedSequence | None):
    cv2.setNumThreads(1)  # the pool runs one worker per core already
    return draw_pen_digits(pen, None if seed is None else np.random.default_rng(seed))
