"""The window's file jobs, run on its file worker: open an image, save a drawing, save or count
the corrections, save the settings.

Each returns a ``job_results`` result (``ImageOpened``, ``Done`` or ``Failed``, whose message
says in one sentence what went wrong) for the window's poll; none touches a widget.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from digit_recognizer.app.background.job_results import Done, Failed, ImageOpened
from digit_recognizer.app.settings import Settings, save_settings
from digit_recognizer.app.teaching import TeachingError, read_corrections, save_correction
from digit_recognizer.app.window.wording import plural
from digit_recognizer.recognition.preprocess.errors import ImageError

__all__ = ["open_image_job", "save_png_job", "teach_job", "count_job", "save_settings_job"]


def open_image_job(path: Path, size: int) -> ImageOpened | Failed:
    """Read an image file for the canvas (on a worker: big photos take a while to decode);
    its preview is at most ``size`` pixels across: the largest the paper can grow to."""
    # It loads OpenCV, which the window's start path must not: imported at the first image.
    from digit_recognizer.recognition.preprocess.images import load_image

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
                label, saved.previous_label)


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
