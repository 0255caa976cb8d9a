"""The corrections the user teaches the app: a small MNIST-style dataset in IDX format.

    $XDG_DATA_HOME/digit-recognizer/corrections/   (default ~/.local/share/digit-recognizer/...)
        corrections-images-idx3-ubyte   (N, 28, 28) uint8, ink high, like MNIST
        corrections-labels-idx1-ubyte   (N,) uint8

Teach a model them in seconds with ``fine_tune_command()``'s ``python -m digit_recognizer
fine-tune --extra-data DIR --out FILE``; ``train --extra-data DIR`` retrains from scratch.

The window, ``fine-tune`` and ``train`` read such a folder with one reader,
``core.datasets.idx_folder`` (any ``<name>-images-idx3-ubyte[.gz]`` with its
``<name>-labels-idx1-ubyte[.gz]``). This module is the one writer (``add_correction``, and
``delete_correction``, ``restore_correction`` (its Undo) and ``relabel_correction`` for the
window's corrections manager,
``take_back_correction`` for its Undo after a teach, ``clear_corrections`` for its "Forget my
corrections…").

Appending rewrites both files, each atomically (``idx.write_idx``: temporary file + rename), the
images first and the labels last, so the labels file acts as the commit record. A crash or kill
between the two renames leaves one more image than labels; reading truncates both to the shorter
length and says so, which loses only the sample that was being added, never one saved before.
Nothing needs repairing: the next save writes both files at the shorter length plus its sample.
"""

from __future__ import annotations

import fcntl
import os
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digit_recognizer.core.catalogue import DEFAULT_MODEL
from digit_recognizer.core.datasets.errors import IdxFolderError, ImageFolderError
from digit_recognizer.core.datasets.idx_folder import (
    IMAGES_SUFFIX,
    LABELS_SUFFIX,
    IdxDataset,
    IdxPair,
    find_idx_pair,
    read_pair,
)
from digit_recognizer.core.idx import write_idx

__all__ = [
    "IMAGES_FILE",
    "LABELS_FILE",
    "Corrections",
    "CorrectionSaved",
    "TeachingError",
    "add_correction",
    "clear_corrections",
    "corrections_dir",
    "delete_correction",
    "export_corrections",
    "fine_tune_command",
    "read_corrections",
    "relabel_correction",
    "restore_correction",
    "save_correction",
    "take_back_correction",
    "to_uint8_image",
]

APP_DIR = "digit-recognizer"
IMAGES_FILE = "corrections" + IMAGES_SUFFIX  # the names a new corrections folder gets
LABELS_FILE = "corrections" + LABELS_SUFFIX
PERSONAL_MODEL = "my_model.keras"  # what fine_tune_command writes, beside the corrections folder
LEGACY_PERSONAL_MODEL = "my_model.h5"  # what it wrote before Keras' own format (still read)


# The reader's error and dataset, under the names the app knows them by: one class each, so
# that an ``except TeachingError`` catches an unreadable folder and a refused save alike.
TeachingError = IdxFolderError  # the corrections dataset cannot be read or extended
Corrections = IdxDataset  # the saved samples; ``note`` says why some were dropped while reading


def corrections_dir() -> Path:
    """``$XDG_DATA_HOME`` (or ``~/.local/share``)/digit-recognizer/corrections."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / APP_DIR / "corrections"


def fine_tune_command(folder: str | os.PathLike | None = None) -> str:
    """The command that fine-tunes model 2 on the corrections in ``folder``, for a terminal.

    It writes ``my_model.keras`` beside the folder, in the user's data, never in the bundled
    models' folder. Paths are shell-quoted, since a home folder may hold a space.
    """
    folder = Path(folder) if folder is not None else corrections_dir()
    return shlex.join(["python", "-m", "digit_recognizer", "fine-tune", "--model", DEFAULT_MODEL,
                       "--extra-data", str(folder), "--out", str(folder.parent / PERSONAL_MODEL)])


def read_corrections(folder: str | os.PathLike | None = None) -> Corrections:
    """The saved corrections, as ``idx_folder.read_idx_pair`` reads them, but none (not an
    error) if nothing is saved."""
    folder = Path(folder) if folder is not None else corrections_dir()
    pair = find_idx_pair(folder)
    if pair is None:
        return Corrections(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8))
    return read_pair(pair)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` so two windows never interleave their writes."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _remove_stale_temporaries(folder: Path) -> None:
    # A killed write_idx leaves a hidden ".<name>.….tmp" behind. The reader skips it; deleting
    # it keeps the folder tidy, and is safe: we hold the lock, nobody else writes.
    for stale in folder.glob(".*-ubyte*.tmp*"):
        stale.unlink(missing_ok=True)


def _write(pair: IdxPair, images: np.ndarray, labels: np.ndarray) -> None:
    write_idx(pair.images, images)
    write_idx(pair.labels, labels)  # last: the commit record


def to_uint8_image(image: np.ndarray) -> np.ndarray:
    """A (28, 28) model input, float in [0, 1] or uint8, as uint8 (ink high)."""
    image = np.asarray(image)
    if image.shape != (28, 28):
        raise TeachingError(f"a correction must be a 28x28 image, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image
    return np.clip(np.rint(image.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)


def add_correction(image: np.ndarray, label: int,
                   folder: str | os.PathLike | None = None) -> int:
    """Save one 28x28 sample with its true ``label`` (0-9); return how many are saved now.

    As ``save_correction``, which also says whether the drawing was new.
    """
    return save_correction(image, label, folder).count


@dataclass(frozen=True)
class CorrectionSaved:
    """What ``save_correction`` did."""

    count: int  # how many samples are saved now
    new: bool  # False: this very drawing was saved before, and now carries the new label
    previous_label: int | None = None  # when not new: the label it had before (for Undo)


def save_correction(image: np.ndarray, label: int,
                    folder: str | os.PathLike | None = None) -> CorrectionSaved:
    """Append one 28x28 sample with its true ``label`` (0-9), unless it is saved already.

    The same drawing (the same 28x28 bytes) taught twice is stored once: repeated, it would
    weigh twice in a fine-tuning. Taught with another label, the saved one takes ``label``,
    since the user corrected the correction. ``image`` is the network input, float in [0, 1]
    or uint8, ink high. Raises ``TeachingError`` if the label is not a digit or the saved files
    are unreadable (they are then left untouched) and ``OSError`` if the folder cannot be
    written.
    """
    _check_label(label)
    sample = to_uint8_image(image)
    folder = _folder(folder)
    with _locked(folder):
        _remove_stale_temporaries(folder)
        pair = find_idx_pair(folder) or IdxPair(folder / IMAGES_FILE, folder / LABELS_FILE)
        saved = read_pair(pair)  # cut short by an interrupted save: rewritten equal below
        same = np.flatnonzero((saved.images == sample).all(axis=(1, 2)))
        previous = int(saved.labels[same[0]]) if len(same) else None
        images, labels = saved.images, saved.labels.copy()
        labels[same] = label
        if not len(same):
            images = np.concatenate([images, sample[None]])
            labels = np.append(labels, np.uint8(label))
        if not len(same) or saved.note:  # a new sample, or files cut short: both rewritten
            _write(pair, images, labels)
        elif (labels != saved.labels).any():
            write_idx(pair.labels, labels)  # relabelled; the images stay: one file, one rename
    return CorrectionSaved(len(labels), new=not len(same), previous_label=previous)


def take_back_correction(image: np.ndarray, previous_label: int | None = None,
                         folder: str | os.PathLike | None = None) -> int:
    """Undo a ``save_correction`` of ``image``; return how many samples are saved now.

    ``previous_label`` is what that save reported (``CorrectionSaved.previous_label``): None
    removes the sample, a digit gives it back its old label. The sample is found by its
    bytes, not its place, so a correction saved or deleted since (another window, the
    corrections manager) is never the one taken back. Raises ``TeachingError`` if the drawing
    is not saved, the label is not a digit, or the folder cannot be read or written.
    """
    if previous_label is not None:
        _check_label(previous_label)
    sample = to_uint8_image(image)

    def take_back(pair: IdxPair, saved: Corrections) -> int:
        matches = np.flatnonzero((saved.images == sample).all(axis=(1, 2)))
        if not len(matches):
            raise TeachingError("that correction is no longer saved, so there is nothing "
                                "to take back")
        found = int(matches[0])  # save_correction stores a drawing once
        if previous_label is not None:  # it was relabelled: one file, as relabel does
            labels = saved.labels.copy()
            labels[found] = previous_label
            write_idx(pair.labels, labels)
            return len(saved)
        write_idx(pair.labels, saved.labels[:found])  # as delete_correction, and why
        _write(pair, np.delete(saved.images, found, axis=0), np.delete(saved.labels, found))
        return len(saved) - 1

    return _edit_locked(_folder(folder), take_back)


# -- managing the saved samples (Model ▸ Corrections…) -----------------------------------------


def delete_correction(index: int, folder: str | os.PathLike | None = None) -> int:
    """Remove the saved sample ``index`` (0-based, in saved order); return how many are left.

    Raises ``TeachingError`` if there is no such sample (the files are then left untouched)
    or the folder cannot be read or written.
    """
    def delete(pair: IdxPair, saved: Corrections) -> int:
        # Every later sample moves down one place in both files, which two renames cannot do
        # at once. Cutting the labels at ``index`` first hides those samples meanwhile, so a
        # kill in between shows fewer samples (with the reader's note), never an image paired
        # with another's label.
        write_idx(pair.labels, saved.labels[:index])
        _write(pair, np.delete(saved.images, index, axis=0), np.delete(saved.labels, index))
        return len(saved) - 1

    return _rewrite(_folder(folder), index, delete)


def restore_correction(index: int, image: np.ndarray, label: int,
                       folder: str | os.PathLike | None = None) -> int:
    """Put a deleted sample back at ``index``, its place before ``delete_correction`` (the end,
    if fewer are saved now); return how many are saved now. A drawing saved again meanwhile
    stays saved once. Raises ``TeachingError`` as ``delete_correction`` does.
    """
    _check_label(label)
    sample = to_uint8_image(image)

    def restore(pair: IdxPair, saved: Corrections) -> int:
        if (saved.images == sample).all(axis=(1, 2)).any():
            return len(saved)
        at = min(index, len(saved))
        write_idx(pair.labels, saved.labels[:at])  # as delete_correction, and why
        _write(pair, np.insert(saved.images, at, sample, axis=0),
               np.insert(saved.labels, at, np.uint8(label)))
        return len(saved) + 1

    return _edit_locked(_folder(folder), restore)


def relabel_correction(index: int, label: int, folder: str | os.PathLike | None = None) -> None:
    """Give the saved sample ``index`` (0-based) the true ``label`` (0-9) instead of its own.

    Raises ``TeachingError`` if the label is not a digit, there is no such sample or the
    folder cannot be read or written; the files are then left untouched.
    """
    _check_label(label)

    def relabel(pair: IdxPair, saved: Corrections) -> int:
        labels = saved.labels.copy()
        labels[index] = label
        write_idx(pair.labels, labels)  # the images stay: one file, one rename, never half done
        return len(saved)

    _rewrite(_folder(folder), index, relabel)


def clear_corrections(folder: str | os.PathLike | None = None) -> None:
    """Delete every saved sample (the window's "Forget my corrections…").

    The labels file goes first, as it is the commit record: a kill in between leaves images
    without labels, which read as none. Raises ``TeachingError`` if a file cannot be deleted.
    """
    folder = _folder(folder)
    if not folder.is_dir():
        return  # nothing saved: nothing to forget
    try:
        with _locked(folder):
            _remove_stale_temporaries(folder)
            pair = find_idx_pair(folder)
            if pair is not None:
                pair.labels.unlink(missing_ok=True)
                pair.images.unlink(missing_ok=True)
    except OSError as err:
        raise TeachingError(_os_sentence(err, folder)) from err


def export_corrections(folder: str | os.PathLike | None, to: str | os.PathLike,
                       as_png: bool) -> Path:
    """Copy the saved samples into the new or empty folder ``to``; return ``to``.

    As PNG: ``to/<label>/<n>.png`` (n: the sample's index), written by ``mnist.py convert
    --to png``'s own writer, so light ink on black as in MNIST; ``mnist.py pack`` reads them
    back. As IDX: ``corrections-images-idx3-ubyte`` and ``corrections-labels-idx1-ubyte``,
    which ``train --extra-data`` and ``fine-tune --extra-data`` read. Raises ``TeachingError``
    if there is nothing to export, ``to`` is not empty, or a folder cannot be read or written.
    """
    folder, to = _folder(folder), Path(to)
    try:
        if to.exists() and not (to.is_dir() and not any(to.iterdir())):
            # never mix an export with other files, nor give --extra-data two datasets
            raise TeachingError(f"{to} is not an empty folder; export into a new or empty one")
        saved = _read_locked(folder)
        if not len(saved):
            raise TeachingError(f"{folder} holds no corrections to export")
        to.mkdir(parents=True, exist_ok=True)
        if as_png:
            _write_pngs(saved, to)
        else:
            _write(IdxPair(to / IMAGES_FILE, to / LABELS_FILE), saved.images, saved.labels)
    except OSError as err:
        raise TeachingError(_os_sentence(err, folder)) from err
    return to


def _folder(folder: str | os.PathLike | None) -> Path:
    return Path(folder) if folder is not None else corrections_dir()


def _check_label(label: object) -> None:
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) \
            or not 0 <= label <= 9:
        raise TeachingError(f"a label must be a digit 0-9, got {label!r}")


def _check_index(index: object, count: int, folder: Path) -> None:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
            or not 0 <= index < count:
        raise TeachingError(f"there is no correction {index!r} in {folder}, which holds {count}")


def _rewrite(folder: Path, index: int, edit: Callable[[IdxPair, Corrections], int]) -> int:
    """Check that sample ``index`` exists, then let ``edit`` rewrite the pair; return its count."""

    def checked(pair: IdxPair, saved: Corrections) -> int:
        _check_index(index, len(saved), folder)  # none saved at all: refused here too
        return edit(pair, saved)

    return _edit_locked(folder, checked)


def _edit_locked(folder: Path, edit: Callable[[IdxPair, Corrections], int]) -> int:
    """Let ``edit`` rewrite the saved pair; return what it returns.

    As ``add_correction``: under the folder's lock, each file written atomically.
    """
    if not folder.is_dir():  # checked first: the lock would create the folder
        raise TeachingError(f"{folder}: no such folder, so no corrections are saved there")
    try:
        with _locked(folder):
            _remove_stale_temporaries(folder)
            pair = find_idx_pair(folder) or IdxPair(folder / IMAGES_FILE, folder / LABELS_FILE)
            return edit(pair, read_pair(pair))
    except OSError as err:
        raise TeachingError(_os_sentence(err, folder)) from err


def _read_locked(folder: Path) -> Corrections:
    """The saved samples, read under the lock so that no save is seen half done."""
    if not folder.is_dir():
        return read_corrections(folder)  # none
    with _locked(folder):
        return read_corrections(folder)


def _write_pngs(saved: Corrections, to: Path) -> None:
    # Imported here: image_folder imports tqdm at its top (~60 ms), and the window imports this
    # module while it starts; its PNG writer imports OpenCV only when called.
    from digit_recognizer.core.datasets.image_folder import write_pngs  # noqa: PLC0415

    try:
        write_pngs(saved.images, saved.labels, to)
    except (ImageFolderError, ImportError) as err:
        raise TeachingError(f"could not write PNG files to {to}: {err}") from err


def _os_sentence(err: OSError, folder: Path) -> str:
    where = err.filename or folder
    return f"{where}: cannot be read or written ({err.strerror or err})"
