"""The user's personal model: a bundled model fine-tuned on their corrections, in their data.

    $XDG_DATA_HOME/digit-recognizer/          (default ~/.local/share/digit-recognizer/)
        corrections/     the taught samples (``teaching``), and ``conflicts.json``: those the
                         guard refused to learn (``core.conflicts``)
        my_model.keras   the personal model, refitted after every change to the corrections
        my_model.json    its metadata, as ``fine-tune`` writes it (``training.fine_tuning.
                         pipeline``): base model, corrections learned and left out, guard
        my_model.onnx    its ONNX copy, so the window can run it without TensorFlow

It is saved in Keras' own format; a ``my_model.h5`` written before that (Keras calls HDF5
legacy, and warns on every save) is still read in its place (``personal_file``) until the
next fit replaces it with ``my_model.keras``.

The window fine-tunes it in its model process (``model_process``), through the ``fine-tune``
command's pipeline, and asks this module where it lives, what the menu and the status bar say
of it, and how to save, set aside and forget it. Each file is
written atomically (``files``), the model first and its metadata after, so a kill during a
save leaves the previous personal model. This module imports neither TensorFlow nor OpenCV:
the window reads it while it starts; only ``save_personal`` imports Keras, in the child.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from digit_recognizer.app.teaching import LEGACY_PERSONAL_MODEL, PERSONAL_MODEL
from digit_recognizer.app.window.wording import plural
from digit_recognizer.core.catalogue import (
    DEFAULT_MODEL,
    ENSEMBLE,
    find_bundled,
    fine_tuned_name,
    read_metadata,
    short_label,
)
from digit_recognizer.core.conflicts import LeftOut

__all__ = [
    "PersonalModel",
    "personal_path",
    "personal_file",
    "legacy_path",
    "corrections_for",
    "is_personal",
    "read_personal",
    "base_for",
    "menu_label",
    "learned_message",
    "not_learned_message",
    "left_out_records",
    "set_aside",
    "remove_personal",
    "save_personal",
    "SIDE_FILES",
]

SIDE_FILES = (".json", ".onnx")  # what lives beside the .h5 and goes with it


@dataclass(frozen=True)
class PersonalModel:
    """What the menu and the next fine-tuning need to know of a saved personal model."""

    path: Path
    base: str  # the bundled model it was fine-tuned from: 'model1' or 'model2'
    corrections: int  # how many corrections it learned

    @property
    def choice(self) -> str:
        """Its model choice, as the settings and the Model menu name it: its path."""
        return str(self.path)

    @property
    def label(self) -> str:
        return menu_label(self.base, self.corrections)


def personal_path(corrections: str | os.PathLike) -> Path:
    """Where the personal model lives: beside the ``corrections`` folder, in the user's data."""
    return Path(corrections).parent / PERSONAL_MODEL


def legacy_path(path: str | os.PathLike) -> Path:
    """Where the personal model at ``path`` was saved before it moved to Keras' own format."""
    return Path(path).with_name(LEGACY_PERSONAL_MODEL)


def personal_file(path: str | os.PathLike) -> Path:
    """The file that holds the model at ``path``: ``path``, or for a personal model not yet
    saved as ``.keras``, the ``my_model.h5`` an earlier version saved."""
    path = Path(path)
    if path.name == PERSONAL_MODEL and not path.exists() and legacy_path(path).is_file():
        return legacy_path(path)
    return path


def corrections_for(path: str | os.PathLike) -> Path:
    """The corrections folder of the personal model at ``path`` (``personal_path``'s inverse)."""
    return Path(path).parent / "corrections"


def is_personal(choice: str | None, corrections: str | os.PathLike) -> bool:
    """True if the model choice ``choice`` is the personal model of ``corrections``."""
    return choice is not None and Path(choice) == personal_path(corrections)


def read_personal(path: str | os.PathLike) -> PersonalModel | None:
    """The personal model at ``path``, or None if there is none.

    Reads only its metadata (a missing or unreadable one gives the default base and 0
    corrections): whether the model itself can be used shows when it is loaded.
    """
    path = Path(path)
    if not personal_file(path).is_file():
        return None
    metadata = read_metadata(path)  # my_model.json: the same name beside either file
    base = metadata.get("base_model")
    count = metadata.get("corrections")
    return PersonalModel(path, base if find_bundled(str(base)) else DEFAULT_MODEL,
                         count if isinstance(count, int) and not isinstance(count, bool) else 0)


def base_for(selected: str | None, personal: PersonalModel | None) -> str:
    """The bundled model a fine-tuning starts from when ``selected`` is the model in use.

    The personal model starts again from its own base (it is refitted on every correction,
    never trained on top of itself); the average of both models cannot be fine-tuned as one
    network, so model 2, the more accurate, is personalised; a file of the user's too.
    """
    if personal is not None and selected == personal.choice:
        return personal.base
    return selected if selected is not None and find_bundled(selected) else DEFAULT_MODEL


def menu_label(base: str, corrections: int) -> str:
    """The Model menu's entry: "My model: Model 2 + 6 corrections"."""
    return f"My model: {fine_tuned_name(base, corrections)}"


def learned_message(label: int | None, count: int, selected: str | None, base: str,
                    left_out: tuple[LeftOut, ...] = ()) -> str:
    """The status after a fine-tuning (``label``: the digit just taught; None: a refit after
    an edit): what was learned, what was left out and why (in the ``fine-tune`` command's
    words), and from which model if not obvious."""
    known = plural(count, "correction")
    new = tuple(one for one in left_out if one.points is not None)  # found by this fit
    earlier = len(left_out) - len(new)
    if label is None:
        text = f"Refitted your model: it now knows {known}"
    elif new:  # perhaps the one just taught: say only what is sure
        text = f"Saved as a {label}. Your model now knows {known}"
    else:
        text = f"Learned: this is a {label}. Your model now knows {known}"
    text += f"; {len(new)} {'is' if len(new) == 1 else 'are'} left out. {_summary(new)}" \
        if new else "."
    if earlier:
        text += (f" {plural(earlier, 'correction')} marked in Model ▸ Corrections… "
                 f"{'stays' if earlier == 1 else 'stay'} left out.")
    if label is not None and selected == ENSEMBLE.key:
        text += (f" It is {short_label(base)} with your corrections: the average of both "
                 "models cannot learn as one.")
    return text


def not_learned_message(refusal: str, left_out: tuple[LeftOut, ...]) -> str:
    """Why a fine-tuning learned nothing: ``refusal`` (``FineTuned.refusal``) and the
    corrections left out."""
    text = f"{refusal}, so your model stays as it was."
    return f"{text} {_summary(left_out)}" if left_out else text


def left_out_records(metadata: dict) -> tuple[LeftOut, ...]:
    """The corrections a personal model's ``metadata`` says were left out; none if it
    records none, or records them in a form this version does not read."""
    try:
        return tuple(LeftOut.from_record(record) for record in metadata.get("left_out") or ())
    except (TypeError, ValueError):
        return ()


def _summary(left_out: tuple[LeftOut, ...], shown: int = 2) -> str:
    """The sentences of the first ``shown`` corrections left out, those found now first: a
    status bar has no room for a line each (the command prints them all)."""
    ordered = sorted(left_out, key=lambda one: (one.points is None, one.index))
    more = len(ordered) - shown
    return " ".join(one.sentence() for one in ordered[:shown]) + (
        f" {plural(more, 'more correction')} left out too (Model ▸ Corrections… marks them)."
        if more > 0 else "")


def set_aside(path: str | os.PathLike, now: datetime | None = None) -> Path:
    """Rename the unusable personal model (and its side files) out of the way; return its
    new name, ``my_model.keras.corrupt-<timestamp>``. Nothing is deleted: it is the user's."""
    path = personal_file(path)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in SIDE_FILES:  # first, so no stale metadata describes a new model later
        side = path.with_suffix(suffix)
        if side.exists():
            os.replace(side, side.with_name(f"{side.name}.corrupt-{stamp}"))
    os.replace(path, aside)
    return aside


def remove_personal(path: str | os.PathLike) -> None:
    """Delete the personal model and its side files (the user chose to forget them)."""
    path = Path(path)
    path.unlink(missing_ok=True)  # first: side files without a model are never read
    legacy_path(path).unlink(missing_ok=True)
    for suffix in SIDE_FILES:
        path.with_suffix(suffix).unlink(missing_ok=True)


def save_personal(model, path: str | os.PathLike, metadata: dict) -> None:
    """Write the Keras ``model`` and its metadata, each atomically; imports Keras.

    The ONNX copy is made later (``export``), off the path from a press to the new answer.
    """
    # Imported here: fine_tuning.files loads OpenCV, and the window imports this module as
    # it starts; Keras comes with the model passed in.
    from digit_recognizer.training.fine_tuning.files import save_fine_tuned  # noqa: PLC0415

    save_fine_tuned(model, path, metadata, onnx=False)
    if Path(path).name == PERSONAL_MODEL:  # replaced: an older .h5 would only mislead
        legacy_path(path).unlink(missing_ok=True)
