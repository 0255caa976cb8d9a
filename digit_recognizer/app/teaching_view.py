"""What teaching sees of the app: the few parts ``user_files.PersonalTeaching`` works with.

``PersonalTeaching`` is handed the app (``gui.DigitRecognizerApp``, which has all of these) but
typed as a ``TeachingHost``, so that what it may reach is written down here and a type checker
holds it to that; ``tests/app/test_window_actions.py`` checks that it uses nothing else.
"""

from __future__ import annotations

import tkinter as tk
from pathlib import Path
from typing import Protocol, runtime_checkable

from digit_recognizer.app.background.engine import Engine
from digit_recognizer.app.background.job_results import Loaded
from digit_recognizer.app.background.worker import Worker
from digit_recognizer.app.settings import Settings
from digit_recognizer.app.taking_back import TakingBack
from digit_recognizer.app.window.main_window import MainWindow

__all__ = ["Recounting", "TeachingHost"]


class Recounting(Protocol):
    """The app's files (``user_files.UserFiles``), as teaching needs them."""

    def recount(self) -> None:
        """Bring the "N corrections saved" count up to date with the folder."""


@runtime_checkable
class TeachingHost(Protocol):
    """The app as teaching needs it: where the corrections are, the model in use and the
    worker that fine-tunes, the Model menu, the status bar, and Undo's record of the last teach.
    """

    root: tk.Tk  # for the ONNX copy's delayed start
    corrections: Path  # the corrections folder; the personal model is saved beside it
    settings: Settings  # the remembered model choice
    window: MainWindow  # its Model menu shows the personal model
    engine: Engine  # fine-tunes on ``model_worker``
    model_worker: Worker
    taking_back: TakingBack  # a lesson ends or confirms the last teach's Undo
    files: Recounting  # recounts the corrections when the model is gone
    active_choice: str | None  # the model in use

    def say(self, message: str, details: str | None = None, tone: str = "info") -> None:
        """Show ``message`` in the status bar."""

    def use_model(self, loaded: Loaded) -> None:
        """Make a freshly fitted model the one in use."""

    def select_model(self, choice: str) -> None:
        """Load ``choice`` in the background (back to a base model)."""

    def answer_again(self) -> None:
        """Re-read the drawing with the model as it is now."""
