"""The window's table of actions, built from the app's parts once they all exist.

Every menu entry, shortcut and button of the window starts one of these (``MainWindow.connect``
looks each up by name): the window's own paper and toggles, the app's, its files'
(``user_files``) and Undo's (``taking_back``). One place says which part does what.
"""

from __future__ import annotations

from typing import Protocol

from digit_recognizer.app.model_choice import ModelChoice
from digit_recognizer.app.taking_back import TakingBack
from digit_recognizer.app.user_files import UserFiles
from digit_recognizer.app.window.actions import WindowActions
from digit_recognizer.app.window.main_window import MainWindow

__all__ = ["ActingApp", "window_actions"]


class ActingApp(Protocol):
    """The app (``gui.DigitRecognizerApp``) as its table of actions sees it."""

    window: MainWindow
    files: UserFiles
    taking_back: TakingBack
    models: ModelChoice

    def predict(self) -> None: ...
    def quit(self) -> None: ...
    def show_shortcuts(self) -> object: ...
    def show_about(self) -> object: ...
    def select_model(self, choice: str) -> None: ...


def window_actions(app: ActingApp) -> WindowActions:
    """What each of ``app``'s controls does."""
    window, files = app.window, app.files
    return WindowActions(
        predict=app.predict, clear=window.canvas.clear, undo=app.taking_back.undo,
        redo=window.canvas.redo, toggle_number_mode=window.toolbar.toggle_number_mode,
        toggle_live=window.toolbar.toggle_live, open_image=files.open_image,
        save_drawing=files.save_drawing, quit=app.quit, show_shortcuts=app.show_shortcuts,
        show_about=app.show_about, open_model_file=app.models.open_file,
        manage_corrections=files.manage_corrections, copy_fine_tune=files.copy_fine_tune,
        teach=files.teach, select_model=app.select_model, pick_digit=files.pick_digit)
