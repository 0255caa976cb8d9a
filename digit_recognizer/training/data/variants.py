"""What training shows besides MNIST as it is: ``make_variants(x, y, seed, non_digit_count)``.

- Every training digit re-drawn once the way the app's canvas draws, with a round brush of
  one width along its centre line (``synthetic.render_drawn_digit``), then brought back by the
  app's own preprocessing: MNIST's pens vary in width and pressure, the canvas' brush does not.
- Digits of the classes MNIST writes in one way only given the other ways (``style_edits``):
  slashed 0s, continental 1s, crossed 7s, 5s with a detached bar; half of them re-drawn too.
- Every training digit made wider or narrower (0.5×–2× its width), as people write and as
  real sets store them (Semeion stretches each digit to fill its box), then preprocessed again;
  some of the stretched ones stored as such a form stores them, in a 16×16 box of black and
  white (``scanned_form``).
- Non-digits (``outliers``) for outlier exposure: trained towards a uniform output.

The written digits (``writer``) are not variants of a training digit: ``train`` adds them to
the training set itself, beside MNIST and USPS.

Making them takes a few milliseconds an image, so it is done once per run, in worker processes,
before TensorFlow is imported; each epoch then picks among them (``augment.make_batches``).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from multiprocessing import get_context

import cv2
import numpy as np

from digit_recognizer.core.datasets.usps import USPS_SIDE
from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist_uint8
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError
from digit_recognizer.training.data.outliers import non_digits
from digit_recognizer.training.data.style_edits import edit_digit
from digit_recognizer.training.data.synthetic import render_drawn_digit
from digit_recognizer.training.data.usps import usps_paper
from digit_recognizer.training.data.writer import write_digits

__all__ = ["TrainingVariants", "make_variants", "make_written", "reshape_width", "restroke",
           "scanned_form"]

CHUNK = 2000  # digits per worker task


@dataclass
class TrainingVariants:
    """Arrays aligned with the training digits they were made from, plus the non-digits."""

    restroked: np.ndarray  # uint8 (N, 28, 28): each digit re-drawn with the app's brush
    styled: np.ndarray  # uint8 (N, 28, 28): the digit in another style, where ``has_style``
    has_style: np.ndarray  # bool (N,)
    non_digits: np.ndarray  # uint8 (M, 28, 28)
    widened: np.ndarray  # uint8 (N, 28, 28): each digit made wider or narrower

    def subset(self, index: np.ndarray) -> TrainingVariants:
        """The variants of the digits ``index`` picks (the non-digits all kept)."""
        return TrainingVariants(self.restroked[index], self.styled[index],
                                self.has_style[index], self.non_digits, self.widened[index])


def make_variants(x: np.ndarray, y: np.ndarray, seed: int, non_digit_count: int,
                  workers: int | None = None, filled: float = 0.0,
                  scanned: float = 0.0) -> TrainingVariants:
    """Re-drawn and style-edited copies of uint8 (N, 28, 28) digits ``x``, and non-digits.

    ``filled`` is the share of the widened copies stretched to fill a square, and ``scanned``
    the share of those stored as a scanned form stores them (``reshape_width``).
    Deterministic for a given ``seed``, whatever the number of ``workers`` (default: one per
    CPU core).
    """
    starts = range(0, len(x), CHUNK)
    seeds = np.random.SeedSequence([seed, 1]).spawn(len(starts) + 1)
    nd_seeds = np.random.SeedSequence([seed, 2]).spawn(max(1, -(-non_digit_count // CHUNK)))
    nd_counts = [min(CHUNK, non_digit_count - i * CHUNK) for i in range(len(nd_seeds))]
    workers = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        digits = list(pool.map(_digit_chunk, [x[s:s + CHUNK] for s in starts],
                               [y[s:s + CHUNK] for s in starts], seeds, repeat(filled),
                               repeat(scanned)))
        others = list(pool.map(_non_digit_chunk, nd_counts, nd_seeds))
    if not digits:
        empty = np.empty((0, 28, 28), np.uint8)
        digits = [(empty, empty, np.empty(0, bool), empty)]
    restroked, styled, has_style, widened = (np.concatenate(part) for part in zip(*digits))
    return TrainingVariants(restroked, styled, has_style, np.concatenate(others), widened)


def make_written(count: int, seed: int, workers: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``count`` digits from the digit ``writer``, every class alike: uint8 images, labels.

    Deterministic for a given ``seed``, whatever the number of ``workers``.
    """
    labels = np.random.default_rng([seed, 3]).permutation(np.arange(count) % 10).astype(np.uint8)
    starts = range(0, count, CHUNK)
    seeds = np.random.SeedSequence([seed, 4]).spawn(len(starts))
    with ProcessPoolExecutor(workers or os.cpu_count() or 1,
                             mp_context=get_context("spawn")) as pool:
        parts = list(pool.map(_written_chunk, [labels[s:s + CHUNK] for s in starts], seeds))
    images = np.concatenate(parts) if parts else np.empty((0, 28, 28), np.uint8)
    return images, labels


def _written_chunk(labels: np.ndarray, seed: np.random.SeedSequence) -> np.ndarray:
    cv2.setNumThreads(1)
    return write_digits(labels, np.random.default_rng(seed))


def _digit_chunk(x: np.ndarray, y: np.ndarray, seed: np.random.SeedSequence, filled: float,
                 scanned: float):
    cv2.setNumThreads(1)  # the pool runs one worker per core already
    rng = np.random.default_rng(seed)
    restroked = np.stack([restroke(digit, rng) for digit in x]) if len(x) else x.copy()
    styled, has_style = x.copy(), np.zeros(len(x), bool)
    for i, (digit, label) in enumerate(zip(x, y)):
        edited = edit_digit(digit, int(label), rng)
        if edited is not None:
            styled[i] = restroke(edited, rng) if rng.random() < 0.5 else edited
            has_style[i] = True
    widened = (np.stack([reshape_width(digit, rng, filled=filled, scanned=scanned)
                        for digit in x]) if len(x)
               else x.copy())
    return restroked, styled, has_style, widened


def _non_digit_chunk(count: int, seed: np.random.SeedSequence) -> np.ndarray:
    cv2.setNumThreads(1)
    return non_digits(max(0, count), np.random.default_rng(seed))


def restroke(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``digit`` drawn on a canvas with the app's round brush and preprocessed back to 28×28.

    A digit the renderer cannot draw (too faint, too small for the brush) comes back as it was.
    """
    try:
        return canvas_to_mnist_uint8(render_drawn_digit(digit, rng, canvas=140))
    except EmptyDrawingError:
        return digit


def reshape_width(digit: np.ndarray, rng: np.random.Generator, low: float = 0.5,
                  high: float = 2.0, filled: float = 0.0, scanned: float = 0.0) -> np.ndarray:
    """``digit`` made ``low``–``high`` times as wide (log-uniform), preprocessed as a drawing;
    or, with probability ``filled``, stretched to a square, and then, with probability
    ``scanned``, stored as a scanned form stores it (``scanned_form``).

    The app keeps a drawing's proportions, so a wide digit reaches the network wide: MNIST's
    recipe scales the longer side to 20 px, and a digit twice as wide as usual comes out
    flatter and wider than any in MNIST. Scanned forms often go further and stretch every
    digit to fill its box (Semeion does), which makes a 1 as wide as it is tall.
    """
    ys, xs = np.nonzero(digit)
    if not len(xs):
        return digit
    crop = digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    height, width = crop.shape
    factor = np.exp(rng.uniform(np.log(low), np.log(high)))
    if filled and rng.random() < filled:  # drawn only when asked, so older streams stay the same
        factor = min(height / width, 4.0)  # beyond 4x, an upright 1 would become a block
        if scanned and rng.random() < scanned:
            return _or_as_it_was(digit, scanned_form, crop, factor, rng)
    return _or_as_it_was(digit, _stretched, crop, factor)


def _or_as_it_was(digit: np.ndarray, make, *args) -> np.ndarray:
    """``make(*args)``, or ``digit`` itself when that leaves too little ink to read."""
    try:
        return make(*args)
    except EmptyDrawingError:
        return digit


def _stretched(crop: np.ndarray, factor: float) -> np.ndarray:
    """The ink ``crop`` made ``factor`` times as wide, on paper, preprocessed as a drawing."""
    height, width = crop.shape
    size = (max(1, round(width * factor * 4)), height * 4)
    ink = cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)
    paper = cv2.copyMakeBorder(255 - ink, 16, 16, 16, 16, cv2.BORDER_CONSTANT, value=255)
    return canvas_to_mnist_uint8(paper)


def scanned_form(crop: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    """The ink ``crop`` made ``factor`` times as wide and stored as form scanners store digits:
    stretched into a 16×16 box and thresholded to black and white (Semeion; USPS keeps grey),
    then brought to 28×28 as the app reads those sets.

    At 16 px a stroke is one or two pixels wide, so the threshold (drawn per digit) decides
    whether thin strokes break or thick ones merge: both happen on real forms. The stretched
    1s lose most of what tells them from 4s and 7s there; the models must still read them.
    Raises EmptyDrawingError when too little ink is left to read.
    """
    height, width = crop.shape
    scale = USPS_SIDE / max(height, width * factor)
    size = (max(1, round(width * factor * scale)), max(1, round(height * scale)))
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    level = rng.uniform(0.25, 0.6) * small.max()
    grid = np.full((USPS_SIDE, USPS_SIDE), -1.0, np.float32)
    top, left = (USPS_SIDE - size[1]) // 2, (USPS_SIDE - size[0]) // 2
    grid[top:top + size[1], left:left + size[0]] = np.where(small > level, 1.0, -1.0)
    return canvas_to_mnist_uint8(usps_paper(grid))
