"""A drawing of a number -> one 28×28 input per digit, left to right: ``segment_digits``."""

from __future__ import annotations

import cv2
import numpy as np

from digit_recognizer.recognition.preprocess.errors import DrawingTooSmallError, EmptyDrawingError
from digit_recognizer.recognition.preprocess.images import ImageLike, grey_image
from digit_recognizer.recognition.preprocess.ink import ink_components, ink_map, select_ink
from digit_recognizer.recognition.preprocess.mnist_recipe import digit_to_mnist

__all__ = ["segment_digits", "group_by_overlap", "to_image_box"]

MERGE_OVERLAP = 0.3  # pieces overlapping horizontally by this share of the narrower are one digit


def segment_digits(image: ImageLike) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """A drawing of a number -> [(28×28 input, (x, y, w, h) box in ``image``'s pixels), ...]
    from left to right.

    Ink components that overlap horizontally are one digit (a 4 or 5 drawn in two strokes, a
    7's crossbar). Dots (a decimal point, a stray click) are skipped, and so are digits too small
    for their brush to read. Raises EmptyDrawingError when no digit is found (its subclass
    DrawingTooSmallError when only too-small ones are), ImageError when the image is unusable.
    """
    grey, size = grey_image(image)
    ink = ink_map(grey)
    labels, stats, ids = ink_components(ink)
    digits, too_small = [], False
    for group in group_by_overlap(stats, ids):
        crop, box = select_ink(ink, labels, stats, group)
        try:
            digits.append((digit_to_mnist(crop, box), to_image_box(box, grey.shape, size)))
        except DrawingTooSmallError:
            too_small = True  # skipped like a dot, but if nothing else is found, say why
        except EmptyDrawingError:
            continue  # a dot or speck between digits
    if not digits and too_small:
        raise DrawingTooSmallError()
    if not digits:
        raise EmptyDrawingError("no digit found: the image holds only dots or specks")
    return digits


def to_image_box(box: tuple[int, int, int, int], shape: tuple[int, int],
                 size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A box in the processed image of ``shape`` -> the caller's image of ``size`` (H, W)."""
    if shape == size:
        return box
    x, y, w, h = box
    sx, sy = size[1] / shape[1], size[0] / shape[0]
    left, top = int(x * sx), int(y * sy)
    right = min(int(np.ceil((x + w) * sx)), size[1])
    bottom = min(int(np.ceil((y + h) * sy)), size[0])
    return left, top, right - left, bottom - top


def group_by_overlap(stats: np.ndarray, ids: np.ndarray) -> list[np.ndarray]:
    """Group components whose horizontal extents overlap into digits, left to right."""
    order = ids[np.argsort(stats[ids, cv2.CC_STAT_LEFT], kind="stable")]
    groups: list[list[int]] = []
    span = (0, 0)
    for i in order:
        left = int(stats[i, cv2.CC_STAT_LEFT])
        right = left + int(stats[i, cv2.CC_STAT_WIDTH])
        overlap = min(right, span[1]) - max(left, span[0])
        narrower = min(right - left, span[1] - span[0])
        if groups and overlap >= MERGE_OVERLAP * narrower:
            groups[-1].append(i)
            span = (span[0], max(span[1], right))
        else:
            groups.append([i])
            span = (left, right)
    return [np.array(g) for g in groups]
