"""One digit's ink -> MNIST's 28×28 field: ``digit_to_mnist``.

MNIST's own recipe (LeCun, Cortes and Burges) is what a model trained on it expects:

1. Each digit's bounding box is scaled so its longer side is 20 px, keeping the aspect ratio, so
   a '1' stays a thin upright stroke instead of being stretched into a block.
2. The scaling is anti-aliased (grey edges), so edges are smooth, never jagged.
3. The 20-px box goes into a 28×28 field, shifted so that the ink's centre of mass, not the box's
   centre, is at pixel (14, 14); a '7' or an 'L' sits off-centre in its own box.
4. Ink is high (1.0) on a background of 0, strokes about 2–3 px wide.

A drawing's brush does not shrink with the digit, so before that the stroke width is brought to
MNIST's (measured with a distance transform, then moved with a signed distance field), so that a
small digit drawn with a broad brush is not a blob; ink too small for its brush to read is
refused.
"""

from __future__ import annotations

import cv2
import numpy as np

from digit_recognizer.recognition.preprocess.errors import DrawingTooSmallError, EmptyDrawingError
from digit_recognizer.recognition.preprocess.images import scaled_size
from digit_recognizer.recognition.preprocess.ink import INK_LEVEL

__all__ = ["digit_to_mnist", "stroke_width", "MNIST_STROKE"]

SIZE = 28  # MNIST's field
BOX = 20  # the longer side of the digit's box inside it
CENTRE = 14.0  # where MNIST puts the centre of mass, in pixel-index coordinates
# Median stroke width of the MNIST training digits at 28×28 scale, measured with
# ``stroke_width`` on each digit's box scaled to WORK px (the tests compare outputs with MNIST).
MNIST_STROKE = 2.45
WORK = 80  # smallest working size of a digit's box: finer than 20 px, so widths can be adjusted
FAINT_INK = 0.1  # after shrinking, a thin line's pixels may hold this little ink
MIN_EXTENT = 3  # px: ink no taller or wider than this is a stray mark, not a digit
# The ink's extent in widths of the pen that drew it: a click of the brush is 1, a digit whose
# strokes and loops can still be told apart about 2 or more.
READABLE_RATIO = 1.8  # ink shorter than this many pen widths is too small for its pen to read
PEN_SHARE = 0.9  # the pen is as wide as the widest discs that still cover this share of the ink
DOT_RATIO = 1.2  # too-small ink less than this many times its widest disc: a dot, not a digit


def stroke_width(mask: np.ndarray, inside: np.ndarray | None = None) -> float:
    """Typical stroke width in pixels of binary uint8 ``mask`` (0 when it is empty).

    Twice the distance transform along the strokes' ridge (pixels no farther from the edge than
    any neighbour) is the width there. The mean over the ridge varies more smoothly with the
    width than the median, whose steps follow the pixel grid. ``inside``: the mask's distance
    transform, when already computed.
    """
    if inside is None:
        inside = cv2.distanceTransform(mask, cv2.DIST_L2, cv2.DIST_MASK_5)
    ridge = (inside > 0) & (inside >= cv2.dilate(inside, np.ones((3, 3), np.uint8)))
    if not ridge.any():
        return 0.0
    return 2 * float(inside[ridge].mean()) - 0.5


def _signed_distance(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Distance to the ink's edge: positive inside the ink, negative outside; the distance
    transform inside alone), in pixels, the edge lying half-way between pixels."""
    inside = cv2.distanceTransform(mask, cv2.DIST_L2, cv2.DIST_MASK_5)
    outside = cv2.distanceTransform(1 - mask, cv2.DIST_L2, cv2.DIST_MASK_5)
    return inside - outside + (np.float32(0.5) - mask), inside


def _to_work_scale(ink: np.ndarray) -> np.ndarray:
    """Scale a digit's crop so its longer side is WORK px; return its binary mask (uint8 0/1)
    with a 1-px empty border.

    Small crops are enlarged smoothly (bilinear) and cut at half ink. Large ones are shrunk
    with INTER_AREA, whose averaging makes a line much thinner than a work pixel faint rather
    than absent: there a pixel is ink when it holds half the strongest ink near it.
    """
    factor = WORK / max(ink.shape)
    size = scaled_size(ink.shape, factor)
    if factor >= 1:
        mask = cv2.resize(ink, size, interpolation=cv2.INTER_LINEAR) >= INK_LEVEL
    else:
        work = cv2.resize(ink, size, interpolation=cv2.INTER_AREA)
        level = np.minimum(cv2.dilate(work, np.ones((3, 3), np.uint8)) * INK_LEVEL, INK_LEVEL)
        mask = (work >= level) & (work >= FAINT_INK)
    # A clear border, or distance transforms would not see where ink at the edge ends.
    return cv2.copyMakeBorder(mask.view(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)


def _normalise_stroke(mask: np.ndarray) -> np.ndarray:
    """Re-draw the ink with the stroke width that becomes MNIST_STROKE px once scaled to BOX.

    A wider stroke also widens the box, so the change ``delta`` solves
    (width + delta) / (extent + delta) = MNIST_STROKE / BOX. Thinning takes off at most 65 %
    of the typical width, so that the thinner parts of uneven strokes are not erased.
    """
    # Room for the widest stroke this can ask for (a 1-px line in a WORK-px box) to grow into.
    pad = int(MNIST_STROKE * WORK / (BOX - MNIST_STROKE)) // 2 + 2
    mask = cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    distance, inside = _signed_distance(mask)
    width = stroke_width(mask, inside)
    _, _, w, h = cv2.boundingRect(mask)
    extent = max(w, h)
    _check_readable(mask, inside, extent, width)
    delta = (MNIST_STROKE * extent - BOX * width) / (BOX - MNIST_STROKE)
    delta = max(delta, -0.65 * width)
    # Moving the edge outward by delta/2 and giving it a 1-px ramp is a dilation (or erosion)
    # by a disc of any real radius, anti-aliased, at a cost that does not grow with the radius.
    return np.clip(distance + (delta / 2 + 0.5), 0, 1)


def _check_readable(mask: np.ndarray, inside: np.ndarray, extent: int, width: float) -> None:
    """Raise unless the ink, ``extent`` px long, is long enough for its pen to be read.

    Two estimates of the pen's width, each too wide in its own way: ``width`` (the mean over
    the distance transform's ridge) where a broad pen filled corners and crossings in, so that
    on small digits it swings from one drawing to the next; ``_thicker_than`` (an opening)
    where the pen filled loops in. Ink is refused only when both find it too short:
    EmptyDrawingError for a dot (a click of the brush), DrawingTooSmallError for longer ink, a
    digit drawn too small, which the user can fix. ``inside``: the binary ``mask``'s distance
    transform; ``width``: its ``stroke_width``.
    """
    if width > 0 and (extent >= READABLE_RATIO * width
                      or not _thicker_than(mask, inside, extent / READABLE_RATIO)):
        return  # the ridge is enough for nearly every drawing: the opening is rarely needed
    # The widest disc in the ink is 2 * max(inside) - 1 px across (the edge lies half-way
    # between pixels); a click of the brush is about one such disc.
    if width <= 0 or extent < DOT_RATIO * (2 * float(inside.max()) - 1):
        raise EmptyDrawingError("no digit found: the ink is a single dot, too small for a digit")
    raise DrawingTooSmallError()


def _thicker_than(mask: np.ndarray, inside: np.ndarray, width: float) -> bool:
    """Whether discs ``width`` px across, put wherever they fit in the ink, cover PEN_SHARE of it.

    That is a morphological opening: the strokes of a digit drawn with a thinner pen vanish
    from it, while a dot, or a digit so small for its pen that its strokes and loops ran into
    one blob, stays. ``inside``: the binary ``mask``'s distance transform.
    """
    radius = width / 2
    no_centre = (inside < radius).view(np.uint8)  # 0 where a disc of that radius fits
    reach = cv2.distanceTransform(no_centre, cv2.DIST_L2, cv2.DIST_MASK_5)
    covered = cv2.countNonZero(((reach <= radius) & (mask > 0)).view(np.uint8))
    return covered >= PEN_SHARE * cv2.countNonZero(mask)


def _fit_box(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink and scale (INTER_AREA) so its longer side is BOX px, keeping the aspect."""
    x, y, w, h = cv2.boundingRect((ink > 0).view(np.uint8))
    crop = ink[y : y + h, x : x + w]
    return cv2.resize(crop, scaled_size(crop.shape, BOX / max(w, h)),
                      interpolation=cv2.INTER_AREA)


def _centre(digit: np.ndarray) -> np.ndarray:
    """Place ``digit`` in the 28×28 field with its centre of mass within ½ px of (14, 14).

    The shift is a whole number of pixels, as MNIST's: a fractional one would blur the digit,
    and models trained on MNIST lose accuracy on blurred strokes. A shape so lopsided that
    centring would push ink out of the field stops at the field's edge instead.
    """
    # Not cv2.moments: it reads an image one or two pixels wide (a thin '1') as a point list.
    total = float(digit.sum())
    cx = float(digit.sum(axis=0) @ np.arange(digit.shape[1])) / total
    cy = float(digit.sum(axis=1) @ np.arange(digit.shape[0])) / total
    dx = min(max(round(CENTRE - cx), 0), SIZE - digit.shape[1])
    dy = min(max(round(CENTRE - cy), 0), SIZE - digit.shape[0])
    field = cv2.warpAffine(digit, np.float32([[1, 0, dx], [0, 1, dy]]), (SIZE, SIZE),
                           flags=cv2.INTER_NEAREST)
    return np.clip(field, 0, 1, out=field)  # INTER_AREA may overshoot 1 by a rounding error


def digit_to_mnist(ink: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """One digit's cropped ink, whose components span ``box``, -> float32 (28, 28) in [0, 1]."""
    if max(box[2], box[3]) < MIN_EXTENT:
        raise EmptyDrawingError("no digit found: the ink is only a speck")
    return _centre(_fit_box(_normalise_stroke(_to_work_scale(ink))))
