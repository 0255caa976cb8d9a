"""Files, arrays and PIL images -> uint8 grey images: ``load_image`` and ``grey_image``.

Every accepted dtype is brought to eight bits on one scale, transparency is flattened onto the
background that contrasts with the ink, and large images are shrunk first (finer detail does
not change a 20-px digit). What cannot be used as an image raises ``ImageError``.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digit_recognizer.recognition.preprocess.errors import ImageError

# Library error text goes here (the terminal), not into the sentences users see.
_log = logging.getLogger(__name__)

__all__ = ["ImageLike", "load_image", "grey_image", "scaled_size", "MAX_SIDE", "LOAD_MAX_SIDE"]

# What the pipelines take: a NumPy array (H, W), (H, W, 3) or (H, W, 4), or a PIL image.
ImageLike = np.ndarray | Image.Image

MAX_SIDE = 1024  # images are processed at most this large; finer detail does not change 20 px
LOAD_MAX_SIDE = 2048  # load_image returns images at most this large
MAX_DECODE_PIXELS = 50_000_000  # larger files are refused unless they can be decoded reduced


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as uint8 (H, W), (H, W, 3) RGB or (H, W, 4) RGBA.

    The header is read first: JPEGs are decoded at reduced size when large, other files over
    ``MAX_DECODE_PIXELS`` are refused, and the result is at most ``LOAD_MAX_SIDE`` pixels on its
    longer side. Raises ImageError naming the file when it cannot be read as an image (it is
    missing, empty, not an image, damaged or too large).
    """
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path} does not exist or is not a file")
    if path.stat().st_size == 0:  # Pillow would call it "not an image", which misleads
        raise ImageError(f"{path} is empty (0 bytes): there is no image in it")
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


def _as_array(image: ImageLike) -> np.ndarray:
    """A numpy array or PIL image -> a checked (H, W) or (H, W, C) array."""
    if isinstance(image, Image.Image):
        try:
            image = _pil_to_array(image)
        except (OSError, ValueError) as err:
            raise ImageError(f"the PIL image could not be read: {err}") from err
    if not isinstance(image, np.ndarray):
        raise ImageError(f"expected a NumPy array or PIL image, got {type(image).__name__}")
    return _check_shape(image)


def scaled_size(shape: tuple[int, ...], factor: float) -> tuple[int, int]:
    """OpenCV's (width, height) for an array of ``shape`` scaled by ``factor``, at least 1×1."""
    return max(1, round(shape[1] * factor)), max(1, round(shape[0] * factor))


def _reduce(image: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink ``image`` (INTER_AREA) so neither side exceeds ``max_side``."""
    factor = max_side / max(image.shape[:2])
    if factor >= 1:
        return image
    return cv2.resize(image, scaled_size(image.shape, factor), interpolation=cv2.INTER_AREA)


def grey_image(image: ImageLike) -> tuple[np.ndarray, tuple[int, int]]:
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
