"""What crosses between the Tk thread and the workers: the requests the window makes, and the
results the jobs hand back through a ``Worker``'s queue.

Plain frozen dataclasses, so that a result can be read on the Tk thread while nothing else
holds it; the window tells them apart by type.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from digit_recognizer.core.conflicts import LeftOut
from digit_recognizer.core.results import NumberRecognition, Recognition
from digit_recognizer.core.strokes import Stroke

if TYPE_CHECKING:  # importing it loads OpenCV: the window's start path must not
    from digit_recognizer.recognition.recognizer import Recognizer

__all__ = ["Request", "Lesson", "Taught", "Loaded", "Predicted", "ImageOpened", "Done",
           "Failed", "Learned", "TookBack"]


# -- requests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A drawing to recognize, as the Tk thread saw it when asking."""

    serial: int  # increases with every request; older results never replace newer ones
    epoch: int  # increases on Clear and on a new image; results of an older epoch are dropped
    strokes: tuple[Stroke, ...]
    size: int
    photo: np.ndarray | None = None  # an opened image replaces the strokes
    number: bool = False


@dataclass(frozen=True)
class Lesson:
    """A fine-tuning of the personal model ``out`` on the corrections in ``folder``."""

    base: str  # the bundled model it starts from
    folder: Path
    out: Path
    label: int | None = None  # the digit just taught; None: the corrections were edited
    select: bool = True  # make it the model in use
    forget: bool = False  # instead: delete the corrections and the personal model
    # Set the personal model as it is now aside first, so that Undo can bring it back at once.
    keep_previous: bool = False


@dataclass(frozen=True)
class Taught:
    """One teach, as Undo needs it to take it back: the correction and the model before."""

    image: np.ndarray  # the 28x28 sample saved
    label: int
    previous_label: int | None  # None: a new sample; else the label the same drawing had
    choice: str  # the model in use before the teach
    personal: Path  # the personal model's file
    folder: Path  # the corrections
    # Bring back the personal model from before the teach (False: no fit happened, as when
    # the window has no model process or the fit failed; only the correction goes).
    restore_model: bool = True


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """A model finished loading."""

    choice: str
    recognizer: Recognizer
    seconds: float


@dataclass(frozen=True)
class Predicted:
    """The answer to ``request``."""

    request: Request
    result: Recognition | NumberRecognition


@dataclass(frozen=True)
class ImageOpened:
    """An image file, read and ready for the canvas."""

    path: Path
    image: np.ndarray
    preview: Image.Image  # fits the screen: the canvas scales it to its size


@dataclass(frozen=True)
class Done:
    """A job finished; ``message`` goes to the status bar."""

    kind: str
    message: str
    count: int | None = None  # corrections saved, for teaching jobs
    label: int | None = None  # the digit taught, for teaching jobs
    previous_label: int | None = None  # the label the same drawing had before, if any


@dataclass(frozen=True)
class Failed:
    """A job could not be done; ``message`` says why, in one sentence for the user."""

    kind: str  # the job kind: "load", "predict", "image", "teach-…", …
    message: str
    subject: Any = None  # the model choice or the Request that failed
    # The guard refused a fit: nothing broke, the previous model is kept on purpose.
    refused: bool = False


@dataclass(frozen=True)
class Learned:
    """A lesson is done: ``loaded`` is the new personal model, or None when it is gone (the
    corrections were forgotten, or none are left)."""

    lesson: Lesson
    loaded: Loaded | None
    count: int  # the corrections it knows
    left_out: tuple[LeftOut, ...] = ()  # those it was taught but left out, and why


@dataclass(frozen=True)
class TookBack:
    """A teach was taken back: ``loaded`` is the model in use again (as before the teach)."""

    taught: Taught
    loaded: Loaded
    count: int  # the corrections saved now
    refit: bool  # the model brought back does not match the corrections left: fit again
