"""A photo or scan of one digit on paper -> MNIST's 28×28: ``photo_to_mnist``.

The lighting is evened out first (the paper's brightness varies slowly, the strokes do not),
then the ink goes the way of a drawing's.
"""

from __future__ import annotations

import cv2
import numpy as np

from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError
from digit_recognizer.recognition.preprocess.images import ImageLike, grey_image, scaled_size
from digit_recognizer.recognition.preprocess.ink import (
    INK_LEVEL,
    MIN_CONTRAST,
    ink_components,
    select_ink,
)
from digit_recognizer.recognition.preprocess.mnist_recipe import digit_to_mnist

__all__ = ["photo_to_mnist"]

FAINT_SHARE = 0.7  # photo ink components fainter than this share of the darkest are not ink
PAPER_SIZE = 64  # px: a photo's lighting is estimated at this size (it varies slowly)
PAPER_WINDOW = 0.5  # median window for the paper, as a share of the image's shorter side


def photo_to_mnist(image: ImageLike) -> np.ndarray:
    """A photo or scan of one digit on paper -> float32 (28, 28) in [0, 1], ink high.

    Uneven light and grey paper are removed first: the paper's brightness is estimated with a
    large median blur (which ignores strokes much thinner than its window) and each pixel's
    ink is how much darker it is than the paper around it, relative to that paper; Otsu's
    threshold then separates ink from paper, and the rest is as ``canvas.canvas_to_mnist``.
    Light ink on a dark board works the same way. Raises EmptyDrawingError or ImageError as
    ``canvas_to_mnist`` does.
    """
    ink = _flatten_lighting(grey_image(image)[0])
    labels, stats, ids = ink_components(ink)
    return digit_to_mnist(*select_ink(ink, labels, stats, _drop_faint(ink, labels, stats, ids)))


def _drop_faint(ink: np.ndarray, labels: np.ndarray, stats: np.ndarray, ids: np.ndarray):
    """Keep the components ``ids`` whose mean ink is at least FAINT_SHARE of the darkest's.

    One pen makes strokes of one darkness; what only just passes Otsu's threshold (the edge of
    a shadow, a fold, the paper's texture) is far fainter than the writing.
    """
    sums = np.bincount(labels.ravel(), weights=ink.ravel(), minlength=len(stats))
    means = sums[ids] / stats[ids, cv2.CC_STAT_AREA]
    return ids[means >= FAINT_SHARE * means.max()]


def _paper(grey: np.ndarray) -> np.ndarray:
    """The paper's brightness (float32 [0, 1]) under uneven light, from uint8 ``grey``.

    A median blur with a window half the image wide, computed at 64 px (light varies slowly,
    and OpenCV's large-window median needs uint8) and enlarged back smoothly.
    """
    small = cv2.resize(grey, scaled_size(grey.shape, PAPER_SIZE / max(grey.shape)),
                       interpolation=cv2.INTER_AREA)
    window = max(3, int(min(small.shape) * PAPER_WINDOW) // 2 * 2 + 1)  # odd
    paper = cv2.medianBlur(small, window).astype(np.float32) * np.float32(1 / 255)
    return cv2.resize(paper, grey.shape[::-1], interpolation=cv2.INTER_LINEAR)


def _flatten_lighting(grey: np.ndarray) -> np.ndarray:
    """uint8 photo grey -> uint8 ink map, with Otsu's threshold between ink and paper at 128."""
    paper = _paper(grey)
    unit = grey.astype(np.float32) * np.float32(1 / 255)
    darker, lighter = np.maximum(paper - unit, 0), np.maximum(unit - paper, 0)
    if np.percentile(lighter, 99.5) > np.percentile(darker, 99.5):
        ink = lighter / np.maximum(1 - paper, 0.05)  # chalk on a board: light ink
    else:
        ink = darker / np.maximum(paper, 0.05)  # relative to the paper, so shadows cancel out
    ink_u8 = cv2.convertScaleAbs(ink, alpha=255)
    if int(ink_u8.max()) < MIN_CONTRAST * 255:
        raise EmptyDrawingError("no digit found: nothing on the paper stands out from it")
    threshold, _ = cv2.threshold(ink_u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    threshold = max(threshold, MIN_CONTRAST * 255)
    return cv2.convertScaleAbs(ink_u8, alpha=255 * INK_LEVEL / threshold)
