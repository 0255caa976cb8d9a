"""What goes wrong with a data set: ``DatasetError`` and, where callers tell them apart, its kinds.

Each message is one sentence that names the file or folder and says what to do.
"""

from __future__ import annotations

__all__ = ["DatasetError", "IdxFolderError", "ImageFolderError", "MnistError", "ReplayError"]


class DatasetError(Exception):
    """A data set is missing, unknown, corrupt or badly labelled; the message says which."""


class MnistError(DatasetError):
    """MNIST is missing, incomplete or corrupt."""


class ReplayError(DatasetError):
    """The replay digits bundled with the models are missing, corrupt or inconsistent."""


class IdxFolderError(DatasetError):
    """A folder holding an IDX pair cannot be read (or, as ``app.teaching.TeachingError``, the
    corrections in it cannot be extended)."""


class ImageFolderError(DatasetError):
    """A folder of digit images (subfolders 0 to 9) cannot be read or written."""
