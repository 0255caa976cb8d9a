"""The personal model as it was before the last teach, kept on disk so that Undo is instant.

    my_model.keras, my_model.json, my_model.onnx                   the model in use
    my_model.previous.keras, my_model.previous.json, ...onnx       the one before the last teach

``keep_previous`` copies the personal model aside just before a teach's fine-tuning replaces
it; ``restore_previous`` moves it back in place (renames: nothing is refitted), or removes the
personal model when there was none before. The next teach replaces what was kept. Copies, not
links: the model's writer may rewrite a file in place, which would change a linked copy too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from digit_recognizer.app.personal_model import (
    SIDE_FILES,
    legacy_path,
    personal_file,
    remove_personal,
)
from digit_recognizer.core.files import atomic_path

__all__ = ["previous_path", "keep_previous", "restore_previous", "discard_previous"]


def previous_path(path: str | os.PathLike) -> Path:
    """Where the model before the last teach is kept: ``my_model.previous.keras`` beside it."""
    path = Path(path)
    return path.with_name(f"{path.stem}.previous{path.suffix}")


def _side_files(path: Path) -> list[Path]:
    return [path.with_suffix(suffix) for suffix in SIDE_FILES]


def keep_previous(path: str | os.PathLike) -> bool:
    """Copy the personal model at ``path`` and its side files aside; False if there is none.

    Without a personal model, what an older teach kept is removed, so that Undo then knows
    there was none. The model file is copied last: a kept model implies its side files.
    """
    discard_previous(path)
    current = personal_file(path)  # a model from before the .keras format keeps its name
    if not current.is_file():
        return False
    kept = previous_path(current)
    for source, target in [*zip(_side_files(current), _side_files(kept)), (current, kept)]:
        if source.is_file():
            with atomic_path(target) as temporary:
                shutil.copyfile(source, temporary)
    return True


def restore_previous(path: str | os.PathLike) -> bool:
    """Put the kept model back as the personal model at ``path``; False if none was kept, in
    which case the personal model is removed (there was none before the teach).

    A side file the kept model lacks (an ONNX copy not made yet) is removed, not left to
    describe the model being taken back.
    """
    path = Path(path)
    original = next((name for name in (path, legacy_path(path))
                     if previous_path(name).is_file()), None)
    if original is None:
        discard_previous(path)
        remove_personal(path)
        return False
    kept = previous_path(original)
    if original != path:  # an .h5 from before the .keras format: the new .keras must go
        path.unlink(missing_ok=True)
    os.replace(kept, original)
    for source, target in zip(_side_files(kept), _side_files(original)):
        if source.is_file():
            os.replace(source, target)
        else:
            target.unlink(missing_ok=True)
    return True


def discard_previous(path: str | os.PathLike) -> None:
    """Delete what ``keep_previous`` kept for the personal model at ``path``, if anything."""
    for original in (Path(path), legacy_path(path)):
        kept = previous_path(original)
        kept.unlink(missing_ok=True)  # first: side files without a model are never read
        for side in _side_files(kept):
            side.unlink(missing_ok=True)
