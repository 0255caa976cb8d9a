"""A drawing of one digit -> MNIST's 28×28: ``canvas_to_mnist``.

The polarity is worked out (the image's border is background), specks are removed, the ink is
cropped, its stroke width brought to MNIST's, and then MNIST's recipe is followed
(``mnist_recipe``).
"""

from __future__ import annotations

import numpy as np

from digit_recognizer.recognition.preprocess.images import ImageLike, grey_image
from digit_recognizer.recognition.preprocess.ink import ink_components, ink_map, select_ink
from digit_recognizer.recognition.preprocess.mnist_recipe import digit_to_mnist

__all__ = ["canvas_to_mnist", "canvas_to_mnist_uint8"]


def canvas_to_mnist(image: ImageLike) -> np.ndarray:
    """A drawing of one digit -> float32 (28, 28) in [0, 1], ink high, as MNIST.

    ``image``: a NumPy array (H, W), (H, W, 3) RGB or (H, W, 4) RGBA of uint8, float ([0, 1] or
    [0, 255]), bool or 16-bit integers, or a PIL image; any size, either polarity. Raises
    EmptyDrawingError when there is no digit (blank, uniform — all ink included —, a speck, a
    single pixel or one dot of the brush), DrawingTooSmallError (an EmptyDrawingError) when the
    digit is too small for its brush to read, ImageError when the image is unusable.
    """
    ink = ink_map(grey_image(image)[0])
    return digit_to_mnist(*select_ink(ink, *ink_components(ink)))


def canvas_to_mnist_uint8(image: ImageLike) -> np.ndarray:
    """``canvas_to_mnist`` stored as MNIST's files store digits: uint8 (28, 28), ink 255.

    For the data sets and the training images made from drawings; the networks take the floats.
    """
    return np.round(canvas_to_mnist(image) * 255).astype(np.uint8)
