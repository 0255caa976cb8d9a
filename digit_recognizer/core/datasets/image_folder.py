"""Digits as image files, one subfolder per label (``0/`` ... ``9/``): found and written.

    files = find_labelled_images(Path("my-digits"))   # [(my-digits/3/a.png, 3), ...]
    write_pngs(images, labels, Path("digits"))         # digits/3/0042.png, ...

``mnist.py pack`` and ``evaluate --dataset FOLDER`` read such a folder; ``mnist.py convert
--to png`` and the window's Export as PNG write one. Problems raise ``ImageFolderError`` naming
the folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from digit_recognizer.core.datasets.errors import ImageFolderError
from digit_recognizer.core.image_files import image_files, suffix_list

__all__ = ["CLASS_NAMES", "find_labelled_images", "write_pngs"]

CLASS_NAMES = tuple("0123456789")  # the subfolders' names, which are the labels


def find_labelled_images(folder: Path) -> list[tuple[Path, int]]:
    """(image file, label) for every image in ``folder``'s subfolders named 0 to 9, sorted."""
    if not folder.is_dir():
        raise ImageFolderError(f"{folder}: no such folder")
    class_dirs = sorted(p for p in folder.iterdir() if p.is_dir() and p.name in CLASS_NAMES)
    if not class_dirs:
        raise ImageFolderError(f"{folder}: no subfolders named 0 to 9 (one per digit) in it")
    files = [(path, int(d.name)) for d in class_dirs for path in image_files(d)]
    if not files:
        raise ImageFolderError(f"{folder}: its digit subfolders hold no image files "
                               f"({suffix_list()})")
    return files


def write_pngs(images: np.ndarray, labels: np.ndarray | None, folder: Path) -> None:
    """One PNG per image, named by its index, in a folder per label when labels are given."""
    # Imported here: OpenCV takes a while to import, and only writing PNGs needs it here.
    import cv2  # noqa: PLC0415

    width = len(str(max(len(images) - 1, 0)))
    subfolders = [""] * len(images) if labels is None else [str(int(v)) for v in labels]
    for name in sorted(set(subfolders)):
        (folder / name).mkdir(parents=True, exist_ok=True)
    for index in tqdm(range(len(images)), desc="png", unit="img", disable=None):
        ok, encoded = cv2.imencode(".png", np.ascontiguousarray(images[index]))
        if not ok:
            raise ImageFolderError(f"{folder}: image {index} could not be encoded as PNG")
        (folder / subfolders[index] / f"{index:0{width}d}.png").write_bytes(encoded.tobytes())
