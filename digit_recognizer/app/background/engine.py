"""The recognizer and the work done with it, on the model worker's thread: ``Engine``.

It loads models and keeps them, recognizes drawings and opened images, and fine-tunes the
user's personal model (through its ``teacher``, a ``model_loading.ModelLoader``), so that the
answer that follows a lesson is the new model's; it takes the last teach back too
(``take_back``), bringing back the model from before it without refitting. Each method returns
one of the results in ``job_results`` for the window's poll.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from digit_recognizer.app.background.job_results import (
    Done,
    Failed,
    Learned,
    Lesson,
    Loaded,
    Predicted,
    Request,
    Taught,
    TookBack,
)
from digit_recognizer.app.background.previous_model import keep_previous, restore_previous
from digit_recognizer.app.personal_model import left_out_records, remove_personal
from digit_recognizer.app.teaching import (
    Corrections,
    TeachingError,
    clear_corrections,
    read_corrections,
    take_back_correction,
)
from digit_recognizer.app.window.wording import DRAW_FIRST, NO_MODEL
from digit_recognizer.core.catalogue import read_metadata
from digit_recognizer.core.conflicts import CorrectionConflict
from digit_recognizer.core.datasets.sources import dataset_sha256
from digit_recognizer.core.results import ModelError
from digit_recognizer.core.strokes import render_strokes
from digit_recognizer.recognition.preprocess.errors import DrawingTooSmallError, EmptyDrawingError

__all__ = ["Engine"]


class Engine:
    """The recognizer and the work done with it; used on the model worker's thread only.

    Models stay loaded once loaded (in this process, or in the model process for Keras
    files), so switching back to one is instant. One whose process stopped is dropped, and
    loaded again when chosen again.
    """

    def __init__(self, load_recognizer: Callable[[str], Any],
                 load_in_process: Callable[[str], Any] | None = None,
                 teacher: Callable[..., Any] | None = None) -> None:
        """``load_in_process``: a loader that never starts a child, for ``preload``;
        ``teacher(base, images, labels, out)``: fine-tunes and returns the recognizer."""
        self.load_recognizer = load_recognizer
        self.load_in_process = load_in_process
        self.teacher = teacher
        self.recognizer = None
        self._kept: dict[str, Any] = {}
        # The personal model's recognizer before the last teach, when it runs in this process
        # (ONNX): still valid once the teach replaced the file. One run by the model process is
        # not kept: that process keeps one model per file name, and the teach replaced it.
        self._previous: Any = None

    def load(self, choice: str) -> Loaded | Failed:
        """Load ``choice`` and make it the recognizer for the predictions that follow."""
        start = time.monotonic()
        try:
            recognizer = self._get(choice)
        except ModelError as err:
            return Failed("load", str(err), choice)
        self.recognizer = recognizer
        return Loaded(choice, recognizer, time.monotonic() - start)

    def preload(self, choices: Sequence[str]) -> Done:
        """Load ``choices`` ahead of use if they run in this process; quietly skip the rest."""
        if self.load_in_process is None:
            return Done("preload", "")
        for choice in choices:
            try:
                self._get(choice, self.load_in_process)
            except ModelError:
                pass  # the user hears about it if they choose that model
        return Done("preload", "")

    @property
    def kept(self) -> dict[str, Any]:
        """The recognizers kept loaded, by choice."""
        return dict(self._kept)

    def _get(self, choice: str, load: Callable[[str], Any] | None = None):
        if choice in self._kept:
            return self._kept[choice]
        recognizer = (load or self.load_recognizer)(choice)
        self._kept[choice] = recognizer
        return recognizer

    def personalise(self, lesson: Lesson) -> Learned | Failed:
        """Fine-tune the personal model on every saved correction, or forget them all."""
        choice, started = str(lesson.out), time.monotonic()
        try:
            if lesson.forget:
                clear_corrections(lesson.folder)
            saved = read_corrections(lesson.folder)
            if not len(saved):  # nothing left to learn: the personal model is the base again
                remove_personal(lesson.out)
                self._kept.pop(choice, None)
                return Learned(lesson, None, 0)
            if self.teacher is None:
                raise ModelError("This window has no model process to fine-tune in.")
            if lesson.keep_previous:
                keep_previous(lesson.out)
                kept = self._kept.get(choice)
                self._previous = kept if getattr(kept, "runtime", None) == "onnx" else None
            recognizer = self.teacher(lesson.base, saved.images, saved.labels, lesson.out)
        except CorrectionConflict as err:
            return Failed("learn", str(err), lesson, refused=True)
        except (TeachingError, OSError, ModelError) as err:
            return Failed("learn", str(err), lesson)
        self._kept[choice] = recognizer
        if lesson.select or self.recognizer is not None and self.recognizer.path == lesson.out:
            self.recognizer = recognizer
        metadata = recognizer.metadata or {}
        left_out = left_out_records(metadata)
        return Learned(lesson, Loaded(choice, recognizer, time.monotonic() - started),
                       metadata.get("corrections", len(saved) - len(left_out)), left_out)

    def take_back(self, taught: Taught) -> TookBack | Failed:
        """Take the teach ``taught`` back: remove its correction (or give it back its old
        label), bring back the personal model kept before it (or none, if there was none) and
        make the model in use before it the recognizer again."""
        choice, out, started = str(taught.personal), taught.personal, time.monotonic()
        try:
            count = take_back_correction(taught.image, taught.previous_label, taught.folder)
            refit = False
            if taught.restore_model:
                # The teach's fit kept the model before it, or nothing if there was none:
                # then the personal model goes, and the bundled model the user had returns.
                restored = restore_previous(out)
                previous, self._previous = self._previous, None
                self._kept.pop(choice, None)
                if restored and previous is not None:
                    self._kept[choice] = previous
                refit = not _knows(out, read_corrections(taught.folder))
            recognizer = self._get(taught.choice)
        except (TeachingError, OSError, ModelError) as err:
            return Failed("take-back", f"Could not take it back: {err}", taught)
        self.recognizer = recognizer
        return TookBack(taught, Loaded(taught.choice, recognizer, time.monotonic() - started),
                        count, refit)

    def predict(self, request: Request) -> Predicted | Failed:
        """Recognize the drawing or image in ``request`` with the current recognizer."""
        if self.recognizer is None:
            return Failed("predict", NO_MODEL, request)
        photo = request.photo is not None
        image = request.photo if photo else np.asarray(render_strokes(request.strokes,
                                                                      request.size))
        try:
            if request.number:  # the strokes tell the digits apart, as they were written
                result = self.recognizer.recognize_number(
                    image, strokes=None if photo else request.strokes)
            else:
                result = self.recognizer.recognize(image, photo=photo)
        except DrawingTooSmallError as err:  # something is drawn: say how to fix it
            return Failed("predict", str(err), request)
        except EmptyDrawingError:
            return Failed("predict", DRAW_FIRST, request)
        except ModelError as err:  # its process stopped: the next choice of it loads anew
            self._kept = {k: r for k, r in self._kept.items() if r is not self.recognizer}
            return Failed("predict", str(err), request)
        return Predicted(request, result)


def _knows(model: Path, saved: Corrections) -> bool:
    """Whether the personal model at ``model`` (or its absence) was fitted to exactly ``saved``:
    its metadata records the SHA-256 of the corrections it learned."""
    if not model.is_file():
        return not len(saved)
    recorded = read_metadata(model).get("corrections_sha256")
    return recorded is None or recorded == dataset_sha256(saved.images, saved.labels)
