"""Which files in a folder are images: what ``predict FOLDER`` reads and ``mnist.py pack`` packs.

    from digit_recognizer.core.image_files import image_files
    image_files(Path("digits"))        # [digits/a.png, digits/b.JPG, ...], sorted by name
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["IMAGE_SUFFIXES", "image_files", "is_image_file", "suffix_list"]

# Formats Pillow reads (preprocess.images.load_image), matched in any case.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp",
                            ".pgm", ".ppm", ".pbm"})


def is_image_file(path: Path) -> bool:
    """Whether ``path`` is a file with an image's suffix, in any case, and not hidden."""
    # Hidden files are left out: a Mac copies "._name.png" metadata files beside the images.
    return (path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")
            and path.is_file())


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The image files directly in ``folder``, sorted by name."""
    return sorted((p for p in Path(folder).iterdir() if is_image_file(p)), key=lambda p: p.name)


def suffix_list() -> str:
    """The image suffixes for a message: '.bmp, .gif, ...'."""
    return ", ".join(sorted(IMAGE_SUFFIXES))
