"""Recognise digits in image files and print one JSON object per image, one per line.

    python -m digit_recognizer predict drawing.png other.png
    python -m digit_recognizer predict digits/                  # its images, sorted by name
    python -m digit_recognizer predict --model both --number number.png
    python -m digit_recognizer predict --model my_model.keras --photo photo.jpg

Each line is ``{"file", "digit", "confidence", "not_a_digit", "probabilities"}``; with
``--number`` ``{"file", "number", "confidence", "digits": [{"digit", "confidence", "not_a_digit",
"box", "probabilities"}]}``. ``not_a_digit`` is true when the model's metadata records a
not-a-digit threshold and the drawing's highest probability is below it; the entry then also
says ``"message": "That doesn't look like a digit"``, ``digit`` is only the closest guess, and in
``number`` that part is a "?".
A file that cannot be used gets ``{"file", "error"}`` and the rest are still processed; the exit
code is then 1. A model that cannot be loaded, or a folder without images, stops everything
with exit code 2. When the reader of the output goes away (``| head``), the command ends
quietly, with exit code 141 as a process ended by SIGPIPE.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from digit_recognizer.core.catalogue import DEFAULT_CHOICE
from digit_recognizer.core.image_files import image_files, suffix_list
from digit_recognizer.core.results import NOT_A_DIGIT, ModelError, Recognition
from digit_recognizer.recognition.preprocess.errors import (
    DrawingTooSmallError,
    EmptyDrawingError,
    ImageError,
)
from digit_recognizer.recognition.preprocess.images import load_image
from digit_recognizer.recognition.recognizer import Recognizer, add_runtime_argument

DECIMALS = 4
EXIT_PIPE_CLOSED = 141  # what a shell reports for a process ended by SIGPIPE: 128 + 13


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Recognise the digit (or, with --number, the digits) in each image file.",
    )
    parser.add_argument(
        "--model",
        default=DEFAULT_CHOICE,
        help="model1, model2, both (their average) or the path of a .h5/.keras model file "
        f"(default: {DEFAULT_CHOICE})",
    )
    parser.add_argument(
        "--models-dir", help="folder of the bundled models (default: models/ in the repository)"
    )
    add_runtime_argument(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--number", action="store_true", help="read several digits side by side (default: one)"
    )
    mode.add_argument(
        "--photo",
        action="store_true",
        help="the images are photos or scans of paper, not drawings (default: drawings)",
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="image files to read, or folders: their images, sorted by name")
    return parser


def describe(result: Recognition) -> dict:
    """The JSON-ready fields of one recognised digit."""
    entry = {
        "digit": result.digit,
        "confidence": round(result.confidence, DECIMALS),
        "not_a_digit": result.not_a_digit,
        "probabilities": [round(float(p), DECIMALS) for p in result.probabilities],
    }
    if result.not_a_digit:
        entry["message"] = NOT_A_DIGIT
    if result.box is not None:
        entry["box"] = [int(v) for v in result.box]
    return entry


def predict_file(recognizer: Recognizer, path: str, number: bool, photo: bool) -> dict:
    """Recognise one image file; problems with the file become an ``error`` entry."""
    try:
        image = load_image(path)
        if number:
            found = recognizer.recognize_number(image)
            return {
                "file": path,
                "number": found.text,
                "confidence": round(found.confidence, DECIMALS),
                "digits": [describe(d) for d in found.digits],
            }
        return {"file": path, **describe(recognizer.recognize(image, photo=photo))}
    except DrawingTooSmallError:
        return {"file": path, "error": "the digit is too small to read"}
    except EmptyDrawingError:
        return {"file": path, "error": "no digit found"}
    except (ImageError, OSError) as err:
        return {"file": path, "error": str(err)}


class FolderError(Exception):
    """A folder named on the command line holds no image files, or cannot be read."""


def expand_folders(paths: list[str]) -> list[str]:
    """``paths`` with each folder replaced by its image files, sorted by name.

    Raises ``FolderError`` for a folder without any; other paths stay as given, so a missing
    file still gets its own error line.
    """
    expanded = []
    for path in paths:
        if not Path(path).is_dir():
            expanded.append(path)
            continue
        try:
            found = image_files(path)
        except OSError as err:
            raise FolderError(f"{path}: the folder cannot be read ({err.strerror})") from err
        if not found:
            raise FolderError(f"{path} is a folder without image files ({suffix_list()})")
        expanded += [str(image) for image in found]
    return expanded


def main(argv: list[str] | None = None, prog: str = "python -m digit_recognizer predict") -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        files = expand_folders(args.images)  # first: a wrong folder needs no model loaded
        recognizer = Recognizer.from_choice(args.model, args.models_dir, args.runtime)
    except (FolderError, ModelError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for notice in recognizer.notices:
        print(f"note: {notice}", file=sys.stderr)
    try:
        return print_predictions(recognizer, files, args.number, args.photo)
    except BrokenPipeError:
        return pipe_closed()


def print_predictions(recognizer: Recognizer, files: list[str], number: bool,
                      photo: bool) -> int:
    """One JSON line per file; the exit code: 1 if any file could not be used, else 0."""
    failed = False
    for path in files:
        entry = predict_file(recognizer, path, number, photo)
        failed |= "error" in entry
        print(json.dumps(entry), flush=True)
    return 1 if failed else 0


def pipe_closed() -> int:
    """End quietly when the reader of stdout has gone (``predict ... | head``), as ``cat`` does."""
    # Python flushes stdout once more at exit, which would fail again with a traceback; what is
    # left goes nowhere instead (the recipe in the docs of Python's signal module).
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_PIPE_CLOSED
