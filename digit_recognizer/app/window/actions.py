"""The window's actions: one table of callables that its menus, keys and buttons all use.

The app builds a ``WindowActions`` once its parts exist (``app.action_table``) and hands it to
``MainWindow.connect``, which looks up every name its menus, shortcuts and toolbar use. A name
that the table lacks is refused there, while the window is being built, never when a person
presses the key; a table missing an action, or holding something that cannot be called, is
refused when it is made.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable

__all__ = ["UnknownActionError", "WindowActions", "action_names"]

Action = Callable[[], object]


class UnknownActionError(KeyError):
    """A menu, shortcut or button names an action that the window's table does not hold."""


@dataclass(frozen=True)
class WindowActions:
    """Everything a person can start from the window, each a callable."""

    predict: Action
    clear: Action
    undo: Action
    redo: Action
    toggle_number_mode: Action
    toggle_live: Action
    open_image: Action
    save_drawing: Action
    quit: Action
    show_shortcuts: Action
    show_about: Action
    open_model_file: Action
    manage_corrections: Action
    copy_fine_tune: Action
    teach: Callable[[int], object]  # the drawing (or the chosen digit of a number) is this
    select_model: Callable[[str], object]  # a model choice: 'model1', 'both', a file...
    pick_digit: Callable[[int], object]  # a number's digit (0-based), to correct it

    def __post_init__(self) -> None:
        for name in action_names():
            if not callable(getattr(self, name)):
                raise TypeError(f"the window's action {name!r} is not callable: "
                                f"{getattr(self, name)!r}")

    def resolve(self, name: str) -> Callable[..., object]:
        """The action called ``name``; ``UnknownActionError`` if the table has none."""
        if name not in action_names():
            raise UnknownActionError(f"the window has no action called {name!r}")
        return getattr(self, name)


def action_names() -> tuple[str, ...]:
    """The names of every action in the table."""
    return tuple(field.name for field in fields(WindowActions))
