"""Any image of a digit -> a 28×28 input that looks like MNIST: ``canvas_to_mnist(image)``.

MNIST's own recipe (LeCun, Cortes and Burges) is what a model trained on it expects:

1. Each digit's bounding box is scaled so its longer side is 20 px, keeping the aspect ratio, so
   a '1' stays a thin upright stroke instead of being stretched into a block.
2. The scaling is anti-aliased (grey edges), so edges are smooth, never jagged.
3. The 20-px box goes into a 28×28 field, shifted so that the ink's centre of mass, not the box's
   centre, is at pixel (14, 14); a '7' or an 'L' sits off-centre in its own box.
4. Ink is high (1.0) on a background of 0, strokes about 2–3 px wide.

A person's drawing differs from that in every way: dark ink on a light canvas, anywhere on the
canvas, at any size, with a brush whose width does not shrink with the digit. So
:func:`canvas_to_mnist` works out the polarity (the image's border is background), removes
specks (tiny ink components far smaller than the largest one), crops to the ink, brings the
stroke width to MNIST's (measured with a distance transform, then moved with a signed distance
field, so that a small digit drawn with a broad brush is not a blob), and then follows MNIST's
recipe. :func:`segment_digits` does the same for each digit of a number written side by side,
and :func:`photo_to_mnist` first evens out the lighting of a photo or scan of paper.

Only OpenCV and NumPy (and Pillow for files), never TensorFlow: the window imports this module
on its start path, and the same code serves the window, the ``predict`` command and the
benchmarks, so they cannot drift apart.

Decisions on bad input: an image that is not usable as an image (0×0, 5-D, complex, values out
of range, too large to decode) raises :class:`ImageError`; an image without a digit in it
(blank, almost blank, uniform — an all-ink image is uniform, so it has no background and no
digit —, a single pixel or a single dot of the brush) raises :class:`EmptyDrawingError`; ink
that may be a digit but is too small for the brush it was drawn with, so that its strokes and
loops run into one blob, raises :class:`DrawingTooSmallError` (an EmptyDrawingError whose
message asks the user to draw bigger).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Library error text goes here (the terminal), not into the sentences users see.
_log = logging.getLogger(__name__)

__all__ = [
    "DrawingTooSmallError",
    "EmptyDrawingError",
    "ImageError",
    "load_image",
    "canvas_to_mnist",
    "canvas_to_mnist_uint8",
    "segment_digits",
    "photo_to_mnist",
    "stroke_width",
]

SIZE = 28  # MNIST's field
BOX = 20  # the longer side of the digit's box inside it
CENTRE = 14.0  # where MNIST puts the centre of mass, in pixel-index coordinates
# Median stroke width of the MNIST training digits at 28×28 scale, measured with
# ``stroke_width`` on each digit's box scaled to WORK px (the tests compare outputs with MNIST).
MNIST_STROKE = 2.45
WORK = 80  # smallest working size of a digit's box: finer than 20 px, so widths can be adjusted
INK_LEVEL = 0.5  # ink map value above which a pixel is ink (its edge is half covered)
FAINT_INK = 0.1  # after shrinking, a thin line's pixels may hold this little ink
MIN_CONTRAST = 0.1  # darkest ink minus background, as a fraction of the full range
SPECK_FRACTION = 0.05  # components smaller than this share of the largest one are specks
MERGE_OVERLAP = 0.3  # pieces overlapping horizontally by this share of the narrower are one digit
MIN_EXTENT = 3  # px: ink no taller or wider than this is a stray mark, not a digit
# The ink's extent in widths of the pen that drew it: a click of the brush is 1, a digit whose
# strokes and loops can still be told apart about 2 or more.
READABLE_RATIO = 1.8  # ink shorter than this many pen widths is too small for its pen to read
PEN_SHARE = 0.9  # the pen is as wide as the widest discs that still cover this share of the ink
DOT_RATIO = 1.2  # too-small ink less than this many times its widest disc: a dot, not a digit
FAINT_SHARE = 0.7  # photo ink components fainter than this share of the darkest are not ink
PAPER_SIZE = 64  # px: a photo's lighting is estimated at this size (it varies slowly)
PAPER_WINDOW = 0.5  # median window for the paper, as a share of the image's shorter side
MAX_SIDE = 1024  # images are processed at most this large; finer detail does not change 20 px
LOAD_MAX_SIDE = 2048  # load_image returns images at most this large
MAX_DECODE_PIXELS = 50_000_000  # larger files are refused unless they can be decoded reduced


class EmptyDrawingError(ValueError):
    """The image holds no digit: blank, almost blank, uniform or a single dot."""


class DrawingTooSmallError(EmptyDrawingError):
    """Ink that may be a digit, drawn so small for its brush that its strokes ran together.

    An EmptyDrawingError, so callers that only know that one still treat it as "no digit";
    its message is a sentence for the user, who can fix it.
    """

    def __init__(self, message: str = "Draw it a little bigger, or with a thinner brush.") -> None:
        super().__init__(message)


class ImageError(ValueError):
    """The image is unusable: not an image, odd dtype or shape, or too large to decode."""


# ---------------------------------------------------------------------------------------------
# Files and arrays -> uint8 grey images
# ---------------------------------------------------------------------------------------------


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as uint8 (H, W), (H, W, 3) RGB or (H, W, 4) RGBA.

    The header is read first: JPEGs are decoded at reduced size when large, other files over
    ``MAX_DECODE_PIXELS`` are refused, and the result is at most ``LOAD_MAX_SIDE`` pixels on its
    longer side. Raises ImageError naming the file when it cannot be read as an image.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path} does not exist or is not a file")
    try:
        with warnings.catch_warnings():
            # Pillow warns (rather than fails) between 1× and 2× its limit; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image = _decode_reduced(image, path)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageError(f"{path} is too large to decode safely: {err}") from err
    except UnidentifiedImageError as err:
        raise ImageError(f"{path} is not an image file (PNG, JPEG, BMP, GIF, TIFF or WebP)") \
            from err
    except (OSError, SyntaxError, ValueError) as err:  # truncated or corrupt data
        _log.info("%s: %s", path, err)
        raise ImageError(f"{path} is damaged: it could not be decoded as an image") from err
    return _reduce(_to_uint8(_check_shape(_pil_to_array(image))), LOAD_MAX_SIDE)


def _decode_reduced(image: Image.Image, path: Path) -> Image.Image:
    """Decode ``image`` (only its header is read so far) at no more than LOAD_MAX_SIDE."""
    width, height = image.size
    # JPEG can decode at 1/2, 1/4 or 1/8 scale directly, so even a huge one costs little memory.
    image.draft(image.mode if image.mode in ("L", "RGB") else "RGB", (LOAD_MAX_SIDE,) * 2)
    if image.size[0] * image.size[1] > MAX_DECODE_PIXELS:
        raise ImageError(
            f"{path} is {width}×{height} pixels; images over {MAX_DECODE_PIXELS // 10**6} "
            "megapixels are refused because decoding them would need too much memory"
        )
    image.load()
    image = ImageOps.exif_transpose(image)  # photos from phones are often stored sideways
    if image.mode.startswith("I") or image.mode == "F":
        return image  # 16-bit and float: scaled to 8 bits as arrays, then reduced
    image = image.convert(_pil_target_mode(image))
    image.thumbnail((LOAD_MAX_SIDE, LOAD_MAX_SIDE), Image.Resampling.BOX)
    return image


def _pil_target_mode(image: Image.Image) -> str:
    """The mode among L, RGB and RGBA that keeps what ``image`` holds."""
    if image.mode in ("1", "L"):
        return "L"
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        return "RGBA"
    return "RGB"


def _pil_to_array(image: Image.Image) -> np.ndarray:
    """A PIL image as an array: 16-bit and float modes keep their values, the rest as L/RGB(A)."""
    if image.mode.startswith("I") or image.mode == "F":
        return np.asarray(image)
    return np.asarray(image.convert(_pil_target_mode(image)))


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """Any accepted image array -> uint8 with the same shape: one scale for every dtype."""
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * np.uint8(255)
    return cv2.convertScaleAbs(np.ascontiguousarray(_to_unit_float(array)), alpha=255)


def _check_shape(array: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, C) with C in 1–4 and H, W > 0; (H, W, 1) becomes (H, W)."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] > 4):
        raise ImageError(
            f"expected an image of shape (H, W) or (H, W, C) with 1–4 channels, "
            f"got shape {array.shape}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ImageError(f"the image is empty (shape {array.shape})")
    return array


def _to_unit_float(array: np.ndarray) -> np.ndarray:
    """Image values -> float32 in [0, 1]; dtypes with no sensible image meaning raise ImageError.

    Integer values up to 255 are 8-bit, up to 65535 16-bit; bool is 0 or 1; floats are
    [0, 1] when they fit, else [0, 255].
    """
    kind = array.dtype.kind
    if kind == "b":
        return array.astype(np.float32)
    if kind not in "uif":
        raise ImageError(f"image values of dtype {array.dtype} are not pixel values")
    if array.dtype == np.uint8:
        return array.astype(np.float32) * np.float32(1 / 255)
    low, high = float(array.min()), float(array.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ImageError("the image contains NaN or infinite values")
    if kind == "f" and low >= 0 and high <= 1:
        return array.astype(np.float32)
    if low < 0 or high > 65535 or (kind == "f" and high > 255):
        kinds = "[0, 1] or [0, 255]" if kind == "f" else "0–255 or 0–65535"
        raise ImageError(
            f"{array.dtype} image values must lie in {kinds}; got [{low:g}, {high:g}]"
        )
    scale = 255 if high <= 255 else 65535
    return array.astype(np.float32) * np.float32(1 / scale)


def _as_array(image) -> np.ndarray:
    """A numpy array or PIL image -> a checked (H, W) or (H, W, C) array."""
    if isinstance(image, Image.Image):
        try:
            image = _pil_to_array(image)
        except (OSError, ValueError) as err:
            raise ImageError(f"the PIL image could not be read: {err}") from err
    if not isinstance(image, np.ndarray):
        raise ImageError(f"expected a NumPy array or PIL image, got {type(image).__name__}")
    return _check_shape(image)


def _scaled_size(shape: tuple[int, ...], factor: float) -> tuple[int, int]:
    """OpenCV's (width, height) for an array of ``shape`` scaled by ``factor``, at least 1×1."""
    return max(1, round(shape[1] * factor)), max(1, round(shape[0] * factor))


def _reduce(image: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink ``image`` (INTER_AREA) so neither side exceeds ``max_side``."""
    factor = max_side / max(image.shape[:2])
    if factor >= 1:
        return image
    return cv2.resize(image, _scaled_size(image.shape, factor), interpolation=cv2.INTER_AREA)


def _grey(image) -> tuple[np.ndarray, tuple[int, int]]:
    """Any accepted image -> (uint8 grey (H, W) at most MAX_SIDE, the image's own (H, W)).

    Eight bits are plenty for a digit (MNIST has eight), and OpenCV is fastest on them.
    """
    array = _to_uint8(_as_array(image))
    size = array.shape[:2]
    array = _reduce(array, MAX_SIDE)
    if array.ndim == 2:
        return array, size
    channels = array.shape[2]
    if channels == 2:
        return _flatten_alpha(np.ascontiguousarray(array[:, :, 0]), array[:, :, 1]), size
    grey = cv2.cvtColor(array, cv2.COLOR_RGB2GRAY if channels == 3 else cv2.COLOR_RGBA2GRAY)
    return (_flatten_alpha(grey, array[:, :, 3]) if channels == 4 else grey), size


def _flatten_alpha(grey: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite ``grey`` over the background that contrasts with its opaque ink.

    Transparent pixels are background: white when the opaque ink is dark, black when it is
    light, so ink drawn on a transparent layer keeps its contrast whatever colour the
    transparent pixels happen to hold.
    """
    if alpha.min() == 255:
        return grey
    weight = alpha.astype(np.float32) * np.float32(1 / 255)
    if not weight.any():
        return np.zeros_like(grey)  # fully transparent: blank
    ink_tone = float((grey * weight).sum() / weight.sum())
    background = 255.0 if ink_tone < 128 else 0.0
    return np.round(grey * weight + background * (1 - weight)).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Grey image -> ink map and its digit components
# ---------------------------------------------------------------------------------------------


def _ink(grey: np.ndarray) -> np.ndarray:
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


def _components(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def _select(ink: np.ndarray, labels: np.ndarray, stats: np.ndarray, ids: np.ndarray):
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


def _group_by_overlap(stats: np.ndarray, ids: np.ndarray) -> list[np.ndarray]:
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


# ---------------------------------------------------------------------------------------------
# One digit's ink -> 28×28
# ---------------------------------------------------------------------------------------------


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
    size = _scaled_size(ink.shape, factor)
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
    return cv2.resize(crop, _scaled_size(crop.shape, BOX / max(w, h)),
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


def _digit_to_mnist(ink: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """One digit's cropped ink, whose components span ``box``, -> float32 (28, 28) in [0, 1]."""
    if max(box[2], box[3]) < MIN_EXTENT:
        raise EmptyDrawingError("no digit found: the ink is only a speck")
    return _centre(_fit_box(_normalise_stroke(_to_work_scale(ink))))


# ---------------------------------------------------------------------------------------------
# Public pipelines
# ---------------------------------------------------------------------------------------------


def canvas_to_mnist(image) -> np.ndarray:
    """A drawing of one digit -> float32 (28, 28) in [0, 1], ink high, as MNIST.

    ``image``: a NumPy array (H, W), (H, W, 3) RGB or (H, W, 4) RGBA of uint8, float ([0, 1] or
    [0, 255]), bool or 16-bit integers, or a PIL image; any size, either polarity. Raises
    EmptyDrawingError when there is no digit (blank, uniform — all ink included —, a speck, a
    single pixel or one dot of the brush), DrawingTooSmallError (an EmptyDrawingError) when the
    digit is too small for its brush to read, ImageError when the image is unusable.
    """
    ink = _ink(_grey(image)[0])
    return _digit_to_mnist(*_select(ink, *_components(ink)))


def canvas_to_mnist_uint8(image) -> np.ndarray:
    """``canvas_to_mnist`` stored as MNIST's files store digits: uint8 (28, 28), ink 255.

    For the data sets and the training images made from drawings; the networks take the floats.
    """
    return np.round(canvas_to_mnist(image) * 255).astype(np.uint8)


def segment_digits(image) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """A drawing of a number -> [(28×28 input, (x, y, w, h) box in ``image``'s pixels), ...]
    from left to right.

    Ink components that overlap horizontally are one digit (a 4 or 5 drawn in two strokes, a
    7's crossbar). Dots (a decimal point, a stray click) are skipped, and so are digits too small
    for their brush to read. Raises EmptyDrawingError when no digit is found (its subclass
    DrawingTooSmallError when only too-small ones are), ImageError when the image is unusable.
    """
    grey, size = _grey(image)
    ink = _ink(grey)
    labels, stats, ids = _components(ink)
    digits, too_small = [], False
    for group in _group_by_overlap(stats, ids):
        crop, box = _select(ink, labels, stats, group)
        try:
            digits.append((_digit_to_mnist(crop, box), _to_image_box(box, grey.shape, size)))
        except DrawingTooSmallError:
            too_small = True  # skipped like a dot, but if nothing else is found, say why
        except EmptyDrawingError:
            continue  # a dot or speck between digits
    if not digits and too_small:
        raise DrawingTooSmallError()
    if not digits:
        raise EmptyDrawingError("no digit found: the image holds only dots or specks")
    return digits


def _to_image_box(box, shape: tuple[int, int], size: tuple[int, int]):
    """A box in the processed image of ``shape`` -> the caller's image of ``size`` (H, W)."""
    if shape == size:
        return box
    x, y, w, h = box
    sx, sy = size[1] / shape[1], size[0] / shape[0]
    left, top = int(x * sx), int(y * sy)
    right = min(int(np.ceil((x + w) * sx)), size[1])
    bottom = min(int(np.ceil((y + h) * sy)), size[0])
    return left, top, right - left, bottom - top


def photo_to_mnist(image) -> np.ndarray:
    """A photo or scan of one digit on paper -> float32 (28, 28) in [0, 1], ink high.

    Uneven light and grey paper are removed first: the paper's brightness is estimated with a
    large median blur (which ignores strokes much thinner than its window) and each pixel's
    ink is how much darker it is than the paper around it, relative to that paper; Otsu's
    threshold then separates ink from paper, and the rest is as :func:`canvas_to_mnist`.
    Light ink on a dark board works the same way. Raises EmptyDrawingError or ImageError as
    :func:`canvas_to_mnist` does.
    """
    ink = _flatten_lighting(_grey(image)[0])
    labels, stats, ids = _components(ink)
    return _digit_to_mnist(*_select(ink, labels, stats, _drop_faint(ink, labels, stats, ids)))


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
    small = cv2.resize(grey, _scaled_size(grey.shape, PAPER_SIZE / max(grey.shape)),
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
