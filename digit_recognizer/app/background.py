"""The window's background side: the drawing as data, the jobs run off the Tk thread, the
results they hand back, and the worker threads that run them.

Nothing here touches a widget (Tk is not thread-safe): a ``Worker`` puts each job's result,
one of the result classes below, in its ``results`` queue, which the window polls from the Tk
thread. OpenCV is imported inside the jobs, on the workers, never at import time, so that
importing this module keeps the window's start fast; TensorFlow is imported only by the model's
child process (``model_process``), never in the window's process. Teaching fine-tunes the
user's personal model there too (``Engine.personalise``), on the model worker, so the answer
that follows is the new model's.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw

from digit_recognizer.core.catalogue import is_bundled_choice
from digit_recognizer.core.results import ModelError, NumberRecognition, Recognition
from digit_recognizer.app.settings import Settings, save_settings
from digit_recognizer.app.personal_model import remove_personal
from digit_recognizer.app.teaching import (
    TeachingError,
    clear_corrections,
    read_corrections,
    save_correction,
)

if TYPE_CHECKING:  # importing them loads OpenCV: the start path must not
    from digit_recognizer.app.model_process import ModelProcess
    from digit_recognizer.recognition.recognizer import Recognizer

__all__ = [
    "Stroke",
    "render_strokes",
    "Request",
    "Loaded",
    "Predicted",
    "ImageOpened",
    "Done",
    "Failed",
    "Lesson",
    "Learned",
    "Worker",
    "Engine",
    "load_model_choice",
    "open_image_job",
    "save_png_job",
    "teach_job",
    "count_job",
    "save_settings_job",
    "plural",
    "DRAW_FIRST",
    "NO_MODEL",
]

# Messages that reach the status bar from here as well as from the window.
DRAW_FIRST = "Draw a digit first."
NO_MODEL = "No model loaded: choose one in the Model menu."


# -- strokes: the drawing as data -------------------------------------------------------------


@dataclass
class Stroke:
    """One pen stroke: its width and the points it went through, in canvas pixels."""

    width: float
    points: list[tuple[float, float]] = field(default_factory=list)


def render_strokes(strokes: Sequence[Stroke], size: int) -> Image.Image:
    """Draw ``strokes`` as dark ink on white, the same geometry as on the canvas.

    Round joins and round caps, like the canvas lines; returns a greyscale ``size`` x ``size``
    image. This, not a screen grab, is what the recognizer reads.
    """
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        radius = stroke.width / 2
        if len(stroke.points) > 1:
            draw.line(stroke.points, fill=0, width=round(stroke.width), joint="curve")
        for x, y in (stroke.points[0], stroke.points[-1]):  # round caps
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    return image


# -- what crosses between the threads: requests and results ----------------------------------


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
    preview: Image.Image  # fits the canvas


@dataclass(frozen=True)
class Done:
    """A file job finished; ``message`` goes to the status bar."""

    kind: str
    message: str
    count: int | None = None  # corrections saved, for teaching jobs
    label: int | None = None  # the digit taught, for teaching jobs


@dataclass(frozen=True)
class Failed:
    """A job could not be done; ``message`` says why, in one sentence for the user."""

    kind: str  # the job kind: "load", "predict", "image", "teach-…", …
    message: str
    subject: Any = None  # the model choice or the Request that failed


@dataclass(frozen=True)
class Lesson:
    """A fine-tuning of the personal model ``out`` on the corrections in ``folder``."""

    base: str  # the bundled model it starts from
    folder: Path
    out: Path
    label: int | None = None  # the digit just taught; None: the corrections were edited
    select: bool = True  # make it the model in use
    forget: bool = False  # instead: delete the corrections and the personal model


@dataclass(frozen=True)
class Learned:
    """A lesson is done: ``loaded`` is the new personal model, or None when it is gone (the
    corrections were forgotten, or none are left)."""

    lesson: Lesson
    loaded: Loaded | None
    count: int  # the corrections it knows


# -- the threads and the jobs they run --------------------------------------------------------


class Worker:
    """One background thread that runs jobs in order and puts their results in ``results``.

    A job submitted under the same ``kind`` as a pending one replaces it: only the latest
    drawing matters, so stale predictions are never computed.
    """

    def __init__(self, name: str) -> None:
        self.results: queue.Queue = queue.Queue()
        self._pending: dict[str, Callable[[], Any]] = {}
        self._running: str | None = None
        self._stopping = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, kind: str, job: Callable[[], Any]) -> None:
        """Run ``job`` after the jobs already waiting, replacing a waiting one of ``kind``."""
        with self._cond:
            self._pending.pop(kind, None)  # re-inserted last: runs after jobs asked for before
            self._pending[kind] = job
            self._cond.notify()

    @property
    def busy(self) -> bool:
        """True while a job runs or waits."""
        with self._cond:
            return bool(self._pending) or self._running is not None

    def has_pending(self, kind: str) -> bool:
        """True if a job of ``kind`` waits (not counting one that runs)."""
        with self._cond:
            return kind in self._pending

    def finished(self) -> list[Any]:
        """The results that are ready, oldest first, without waiting."""
        done = []
        while True:
            try:
                done.append(self.results.get_nowait())
            except queue.Empty:
                return done

    def stop(self, wait: float = 0.0) -> None:
        """Drop pending jobs; the thread ends after the running job, waited for up to ``wait`` s."""
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._cond.notify()
        self._thread.join(wait)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                kind = next(iter(self._pending))
                job = self._pending.pop(kind)
                self._running = kind
            try:
                result = job()
            except Exception as err:  # the thread's edge: a failed job must reach the window
                traceback.print_exc()
                result = Failed(kind, f"{type(err).__name__}: {err}")
            with self._cond:
                self._running = None
            self.results.put(result)


def load_model_choice(choice: str, models_dir: str | os.PathLike | None = None,
                      in_child: bool = True,
                      child: Callable[[], ModelProcess] | None = None) -> Recognizer:
    """Load the recognizer for ``choice``: 'model1', 'model2', 'both' or a model file's path.

    A bundled model runs from its ONNX copy in this process (milliseconds, no TensorFlow).
    A Keras file, or a bundled model whose ONNX copy cannot be used, loads and runs in a child
    process (``model_process``; the one ``child()`` gives, asked only then, or one of its
    own): importing TensorFlow holds the GIL, which would freeze the window if it happened in
    this process; that takes seconds, so call this on a worker thread. ``in_child=False``
    raises ``ModelError`` instead of using a child.
    """
    from digit_recognizer.recognition.inference import OnnxCopyError
    from digit_recognizer.app.model_process import load_in_child
    from digit_recognizer.recognition.recognizer import Recognizer

    if is_bundled_choice(choice):
        try:
            return Recognizer.from_choice(choice, models_dir, runtime="onnx")
        except OnnxCopyError:
            if not in_child:
                raise
            # The child falls back to Keras and says why in the recognizer's notices.
    elif not in_child:
        raise ModelError(f"{choice} needs TensorFlow, which loads in a child process.")
    return load_in_child(choice, models_dir, child() if child else None)


class ModelLoader:
    """The window's loader: ``load_model_choice`` with one model process for all Keras files.

    The child starts with the first model that needs it and keeps every model it loads, so
    coming back to one is instant and another loads without importing TensorFlow again.

    It is also the window's teacher: the same child fine-tunes the personal model at
    ``personal`` (``personalise``), and that model runs from its ONNX copy in this process
    when the copy is up to date, as the bundled ones do.
    """

    def __init__(self, models_dir: str | os.PathLike | None = None, *,
                 personal: str | os.PathLike | None = None, options: Any = None) -> None:
        """``options``: a ``model_process.PersonaliseOptions`` (MNIST folder, replay size)."""
        self.models_dir = models_dir
        self.personal = str(personal) if personal is not None else None
        self.options = options
        self._process: ModelProcess | None = None
        self._lock = threading.Lock()

    def __call__(self, choice: str) -> Recognizer:
        if choice == self.personal:
            from digit_recognizer.recognition.inference import OnnxCopyError
            from digit_recognizer.recognition.recognizer import Recognizer

            try:
                return Recognizer.load_onnx(choice)
            except OnnxCopyError:
                pass  # not made yet, or a kill cut it short: the child loads the .h5
        return load_model_choice(choice, self.models_dir, child=self._child)

    def warm_up(self, base: str) -> Done | Failed:
        """Import TensorFlow, ``base`` and MNIST in the child before the first teach."""
        try:
            self._child().warm_up(base, *self._options())
        except ModelError as err:
            return Failed("warm", str(err))
        return Done("warm", "")

    def personalise(self, base: str, images: np.ndarray, labels: np.ndarray,
                    out: Path) -> Recognizer:
        """Fine-tune ``base`` on the corrections into ``out``; the recognizer that runs it in
        the child. Raises ``ModelError``."""
        from digit_recognizer.app.model_process import load_in_child

        child = self._child()
        child.personalise(base, images, labels, out, *self._options())
        return load_in_child(str(out), process=child)  # the child has it: no loading

    def export(self, path: Path) -> Done | Failed:
        """Make the ONNX copy of ``path``, so the next start runs it without TensorFlow."""
        try:
            self._child().export(path)
        except ModelError as err:
            return Failed("export", str(err))
        return Done("export", "")

    def _options(self) -> tuple:
        return () if self.options is None else (self.options,)

    def in_process(self, choice: str) -> Recognizer:
        """A bundled model without TensorFlow, or ``ModelError``: for preloading."""
        return load_model_choice(choice, self.models_dir, in_child=False)

    def close(self) -> None:
        with self._lock:
            if self._process is not None:
                self._process.close()
                self._process = None

    def _child(self) -> ModelProcess:
        from digit_recognizer.app.model_process import ModelProcess

        with self._lock:
            if self._process is None or not self._process.process.is_alive():
                self._process = ModelProcess(self.models_dir)  # quick: it loads nothing yet
            return self._process


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
            recognizer = self.teacher(lesson.base, saved.images, saved.labels, lesson.out)
        except (TeachingError, OSError, ModelError) as err:
            return Failed("learn", str(err), lesson)
        self._kept[choice] = recognizer
        if lesson.select or self.recognizer is not None and self.recognizer.path == lesson.out:
            self.recognizer = recognizer
        return Learned(lesson, Loaded(choice, recognizer, time.monotonic() - started),
                       len(saved))

    def predict(self, request: Request) -> Predicted | Failed:
        """Recognize the drawing or image in ``request`` with the current recognizer."""
        from digit_recognizer.recognition.preprocess import DrawingTooSmallError, EmptyDrawingError

        if self.recognizer is None:
            return Failed("predict", NO_MODEL, request)
        photo = request.photo is not None
        image = request.photo if photo else np.asarray(render_strokes(request.strokes,
                                                                      request.size))
        try:
            if request.number:
                result = self.recognizer.recognize_number(image)
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


def open_image_job(path: Path, size: int) -> ImageOpened | Failed:
    """Read an image file for the canvas (on a worker: big photos take a while to decode)."""
    from digit_recognizer.recognition.preprocess import ImageError, load_image

    try:
        image = load_image(path)
    except ImageError as err:
        return Failed("image", str(err), path)
    preview = Image.fromarray(image)
    preview.thumbnail((size, size), Image.Resampling.LANCZOS)
    return ImageOpened(path, image, preview)


def save_png_job(image: Image.Image, path: Path) -> Done | Failed:
    """Write ``image`` to ``path`` as a PNG."""
    try:
        image.save(path, format="PNG")
    except (OSError, ValueError) as err:
        return Failed("save", f"Could not save {path}: {err}", path)
    return Done("save", f"Saved the drawing to {path}.")


def teach_job(image: np.ndarray, label: int, folder: Path) -> Done | Failed:
    """Add the 28x28 ``image`` to the corrections in ``folder`` as a sample of ``label``."""
    try:
        saved = save_correction(image, label, folder)
    except (TeachingError, OSError) as err:
        return Failed("teach", f"Could not save the sample: {err}")
    done = "Saved as" if saved.new else "Already saved: now it counts as"
    return Done("teach", f"{done} a {label}; {plural(saved.count, 'correction')} saved. To "
                         "fine-tune on them: Help ▸ Copy fine-tune command.", saved.count,
                label)


def count_job(folder: Path) -> Done | Failed:
    """Count the corrections in ``folder``; only reads (the next save rewrites a cut-short one)."""
    try:
        saved = read_corrections(folder)
    except (TeachingError, OSError) as err:
        return Failed("count", f"Saved corrections: {err}")
    return Done("count", f"Saved corrections: {saved.note}." if saved.note else "", len(saved))


def save_settings_job(settings: Settings, path: Path) -> Done | Failed:
    """Write ``settings`` to ``path``."""
    try:
        save_settings(settings, path)
    except OSError as err:
        return Failed("settings", f"Could not save the settings to {path}: {err}")
    return Done("settings", "")


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless the count is 1: "1 sample", "3 samples"."""
    return f"{count} {noun}{'s' if count != 1 else ''}"

