"""What preprocessing raises for bad input, one exception for each thing the user can be told.

An image that is not usable as an image (0×0, 5-D, complex, values out of range, too large to
decode) raises :class:`ImageError`; an image without a digit in it (blank, almost blank,
uniform — an all-ink image is uniform, so it has no background and no digit —, a single pixel
or a single dot of the brush) raises :class:`EmptyDrawingError`; ink that may be a digit but is
too small for the brush it was drawn with, so that its strokes and loops run into one blob,
raises :class:`DrawingTooSmallError` (an EmptyDrawingError whose message asks the user to draw
bigger).
"""

from __future__ import annotations

__all__ = ["DrawingTooSmallError", "EmptyDrawingError", "ImageError"]


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
