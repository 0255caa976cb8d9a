"""Which model the window uses: loading the one chosen, and what a load that fails does.

``ModelChoice`` carries out the Model menu for ``gui.DigitRecognizerApp``: it asks the model
worker to load a choice, makes a loaded model the one in use (the menu's mark, the settings),
says when it is ready, and when one cannot be used keeps the model in use or falls back to the
default.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from digit_recognizer.app.background.job_results import Failed, Loaded
from digit_recognizer.core.catalogue import (
    DEFAULT_CHOICE,
    MODEL_CHOICES,
    choice_for_file,
    choice_label,
)

__all__ = ["ModelChoice"]


class ModelChoice:
    """The model in use for ``app``, the ``gui.DigitRecognizerApp``: this sets its
    ``recognizer`` and ``active_choice``, its state and the model it remembers."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.failed: set[str] = set()  # the choices that could not be loaded
        self.started = False  # a model was asked for
        self._preloaded = False

    def select(self, choice: str) -> None:
        """Load ``choice`` ('model1', 'model2', 'both' or a file path) in the background."""
        app = self.app
        self.started = True
        app.window.model_var.set(choice)
        app.model_worker.submit("load", partial(app.engine.load, choice))
        app.set_state("loading", f"Loading {choice_label(choice)}… you can draw meanwhile.")

    def open_file(self) -> None:
        """Ask for a .h5 or .keras file and load it."""
        path = self.app.ask_open_model()
        if path:  # the bundled file picked by hand is its own menu entry, not a new one
            self.select(choice_for_file(path, self.app.models_dir))

    def use(self, loaded: Loaded) -> None:
        """Make ``loaded`` the model in use: the menu's mark, the settings."""
        app = self.app
        app.recognizer, app.active_choice = loaded.recognizer, loaded.choice
        app.window.model_var.set(loaded.choice)
        if loaded.choice not in (*MODEL_CHOICES, app.teaching.choice):
            app.window.model_menu.add_file(loaded.choice)
        if app.settings.model != loaded.choice:
            app.settings.model = loaded.choice
            app.remember()

    def on_loaded(self, loaded: Loaded) -> None:
        """A model loaded: use it, say so, and answer the drawing with it."""
        app = self.app
        self.use(loaded)
        app.trace.event("ready")
        if app.model_worker.has_pending("load"):  # another model was asked for meanwhile
            return
        message, details, tone = _ready_message(loaded.recognizer, app.teaching.take_note())
        app.set_state("ready", message, details=details, tone=tone)
        app.answer_again()
        if not self._preloaded:
            self._preloaded = True
            app.model_worker.submit("preload", partial(app.engine.preload, MODEL_CHOICES))
            app.teaching.warm_up()  # TensorFlow loads now, not at the first teach

    def on_load_failed(self, failed: Failed) -> None:
        """A model could not be loaded: keep the one in use, else fall back to the default."""
        app = self.app
        if app.teaching.load_failed(failed):
            return  # the personal model: set aside, its base is on its way
        choice = str(failed.subject or app.window.model_var.get())
        self.failed.add(choice)
        app.window.model_var.set(app.active_choice or "")
        if app.model_worker.has_pending("load"):
            return
        kept = app.recognizer is not None
        app.set_state("ready" if kept else "error", f"Kept {app.recognizer.name}: "
                      f"{choice_label(choice)} could not be used." if kept else
                      "No model could be loaded.", details=failed.message,
                      tone="warning" if kept else "error")
        app.show_error("Cannot use this model", failed.message)
        if app.recognizer is None and DEFAULT_CHOICE not in self.failed:
            self.select(DEFAULT_CHOICE)  # e.g. a remembered model file that is gone


def _ready_message(recognizer, note: str | None) -> tuple[str, str | None, str]:
    """The status once a model is loaded: message, details and tone."""
    notices = getattr(recognizer, "notices", ())
    if note:  # e.g. the personal model was set aside and this is its base
        return note, None, "warning"
    if notices:
        return (f"{recognizer.name} runs on Keras: slower to start, same answers.",
                " ".join(notices), "warning")
    return f"{recognizer.name} is ready.", None, "info"
