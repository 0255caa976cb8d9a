"""The app's remembered choices: a small JSON file in the user's config directory.

    $XDG_CONFIG_HOME/digit-recognizer/settings.json   (default ~/.config/digit-recognizer/...)

A missing, unreadable or corrupt file gives the defaults (the app must always start), and the
file is written atomically, so a crash while saving never leaves half a file behind.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from digit_recognizer.core.catalogue import DEFAULT_CHOICE
from digit_recognizer.core.files import atomic_write_text
from digit_recognizer.core.strokes import DEFAULT_PEN

__all__ = ["Settings", "settings_path", "load_settings", "save_settings"]

APP_DIR = "digit-recognizer"
FILE_NAME = "settings.json"


@dataclass
class Settings:
    """What the window remembers between runs."""

    model: str = DEFAULT_CHOICE  # "model1", "model2", "both" or the path of a model file
    # The pen's width in logical pixels of the paper at its default size (strokes.PAPER_SIDE).
    brush: int = DEFAULT_PEN
    number_mode: bool = False
    live: bool = True  # answer while the pen moves; off: only on Predict (Enter)


def settings_path() -> Path:
    """Where the settings live: ``$XDG_CONFIG_HOME`` (or ``~/.config``)/digit-recognizer/."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / APP_DIR / FILE_NAME


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read the settings; anything missing, unreadable or of the wrong type gives its default."""
    path = Path(path) if path is not None else settings_path()
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return Settings()
    if not isinstance(stored, dict):
        return Settings()
    defaults = Settings()
    values = {}
    for field in fields(Settings):
        value = stored.get(field.name)
        default = getattr(defaults, field.name)
        # bool is a subclass of int: compare exact types so `"brush": true` is refused too.
        if type(value) is type(default):
            values[field.name] = value
    return Settings(**values)


def save_settings(settings: Settings, path: str | os.PathLike | None = None) -> Path:
    """Write ``settings`` atomically (temporary file + rename); raises ``OSError`` on failure."""
    path = Path(path) if path is not None else settings_path()
    atomic_write_text(path, json.dumps(asdict(settings), indent=2) + "\n")
    return path
