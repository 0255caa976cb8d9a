"""A grey image -> its ink map, and the ink's components that are not specks.

The border's median is the background, so ink may be darker (paper, the app's canvas) or
lighter (MNIST, chalk on a board); components far smaller than the largest are specks.
"""

from __future__ import annotations

import cv2
import numpy as np

from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError

__all__ = ["ink_map", "ink_components", "select_ink", "INK_LEVEL", "MIN_CONTRAST"]

INK_LEVEL = 0.5  # ink map value above which a pixel is ink (its edge is half covered)
MIN_CONTRAST = 0.1  # darkest ink minus background, as a fraction of the full range
SPECK_FRACTION = 0.05  # components smaller than this share of the largest one are specks


def ink_map(grey: np.ndarray) -> np.ndarray:
    """uint8 grey -> uint8 ink map (ink high, background 0), whichever the polarity.

    The border's median is the background; the ink is whichever way the image strays further
    from it (darker: ink on paper or the app's canvas; lighter: MNIST, chalk on a board).
    Contrast is stretched so the strongest ink is 255.
    """
    border = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    background = float(np.median(border))
    low, high, _, _ = cv2.minMaxLoc(grey)
    darker, lighter = background - low, high - background
    contrast = max(darker, lighter)
    if contrast < MIN_CONTRAST * 255:
        raise EmptyDrawingError(
            "no digit found: the image is blank or uniform (no ink stands out from the background)"
        )
    # Arrays, not scalars: OpenCV reads a scalar beside an image of shape (4, 1) as an array.
    level = np.full_like(grey, round(background))
    ink = cv2.subtract(level, grey) if darker >= lighter else cv2.subtract(grey, level)
    return ink if contrast == 255 else cv2.convertScaleAbs(ink, alpha=255 / contrast)


def ink_components(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label the ink (uint8); return (labels, stats, ids of the components that are not specks)."""
    _, mask = cv2.threshold(ink, 255 * INK_LEVEL, 1, cv2.THRESH_BINARY)
    # 16-bit labels are faster and enough while 8-connected components (at most one per 2×2
    # pixels) cannot outnumber them.
    ltype = cv2.CV_16U if mask.size < 4 * 65535 else cv2.CV_32S
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=ltype)
    if count <= 1:
        raise EmptyDrawingError("no digit found: the image has no ink")
    areas = stats[1:, cv2.CC_STAT_AREA]
    ids = np.flatnonzero(areas >= SPECK_FRACTION * areas.max()) + 1
    return labels, stats, ids


def _union_box(stats: np.ndarray, ids: np.ndarray) -> tuple[int, int, int, int]:
    """The bounding box (x, y, w, h) of the components ``ids``."""
    x0 = stats[ids, cv2.CC_STAT_LEFT]
    y0 = stats[ids, cv2.CC_STAT_TOP]
    x1 = x0 + stats[ids, cv2.CC_STAT_WIDTH]
    y1 = y0 + stats[ids, cv2.CC_STAT_HEIGHT]
    return int(x0.min()), int(y0.min()), int(x1.max() - x0.min()), int(y1.max() - y0.min())


def select_ink(
    ink: np.ndarray, labels: np.ndarray, stats: np.ndarray, ids: np.ndarray
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The ink of components ``ids`` alone, cropped to them with their anti-aliased rim.

    Returns (float32 crop in [0, 1], (x, y, w, h) box of the components in ``ink``).
    """
    x, y, w, h = _union_box(stats, ids)
    x0, y0 = max(x - 1, 0), max(y - 1, 0)
    x1, y1 = min(x + w + 1, ink.shape[1]), min(y + h + 1, ink.shape[0])
    crop = labels[y0:y1, x0:x1]
    if len(ids) == len(stats) - 1:
        kept = (crop > 0).view(np.uint8)  # nothing dropped: no lookup needed
    else:
        lookup = np.zeros(len(stats), np.uint8)
        lookup[ids] = 1
        kept = lookup[crop]
    # The rim of grey edge pixels around kept components stays; faint haze and specks go.
    kept = cv2.dilate(kept, np.ones((3, 3), np.uint8))
    crop = cv2.multiply(ink[y0:y1, x0:x1], kept, dtype=cv2.CV_32F, scale=1 / 255)
    return crop, (x, y, w, h)
