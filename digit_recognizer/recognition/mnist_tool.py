"""The ``mnist.py`` command: look inside IDX files, convert them, and build your own.

    python mnist.py info ../shared/data/mnist/train-images-idx3-ubyte.gz
    python mnist.py convert t10k-images-idx3-ubyte.gz --labels t10k-labels-idx1-ubyte.gz \\
        --to png digits/ --limit 100
    python mnist.py pack digits/ --images my-images-idx3-ubyte.gz --labels my-labels-idx1-ubyte.gz

Every command reports a problem as one ``error: ...`` line on stderr and a non-zero exit code.
It lives in ``recognition`` because ``pack`` makes each image a digit with the app's own
preprocessing; reading and writing folders of digit images is ``core.datasets.image_folder``'s.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import numpy as np
from tqdm import tqdm

from digit_recognizer.core.datasets.errors import ImageFolderError
from digit_recognizer.core.datasets.image_folder import find_labelled_images, write_pngs
from digit_recognizer.core.idx import DTYPES, IdxError, atomic_writer, read_idx, write_idx

PROG = "python mnist.py"
FORMATS = ("png", "npz", "csv")
MAX_CLASSES_SHOWN = 256  # more distinct values than this is not a label file
CSV_CHUNK = 1000  # rows formatted per step: big enough for speed, small enough for memory
_BYTE_TEXT = np.array([str(v).encode() for v in range(256)])  # uint8 value -> its digits
_TYPE_CODES = {dtype.name: code for code, dtype in DTYPES.items()}


class CommandError(Exception):
    """A problem with what the command was asked to do; the message is one sentence."""


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line, like every other error here."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


# ---------------------------------------------------------------------------------------- info


def describe(path: str) -> str:
    """A few lines on an IDX file: element type, shape, value range and, for labels, counts."""
    array = read_idx(path)
    lines = [
        str(path),
        f"  type    {array.dtype.name} (0x{_TYPE_CODES[array.dtype.name]:02X})",
        f"  shape   {array.shape}",
    ]
    if array.size:
        lines.append(f"  range   {array.min()} .. {array.max()}")
    if array.ndim == 1 and array.dtype.kind in "iu":
        lines.append(f"  counts  {_class_counts(array)}")
    return "\n".join(lines)


def _class_counts(labels: np.ndarray) -> str:
    values, counts = np.unique(labels, return_counts=True)
    if len(values) > MAX_CLASSES_SHOWN:
        return f"{len(values)} distinct values"
    return "  ".join(f"{value}: {count}" for value, count in zip(values, counts))


def run_info(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            print(describe(path))
        except IdxError as err:  # report it and go on with the other files
            print(f"error: {err}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


# ------------------------------------------------------------------------------------- convert


def run_convert(args: argparse.Namespace) -> int:
    fmt, dest = args.to
    images = read_idx(args.images)
    labels = read_idx(args.labels) if args.labels else None
    _check_dataset(images, labels, args.images, args.labels)
    if fmt == "png" and images.dtype != np.uint8:
        raise CommandError(f"{args.images}: PNG needs uint8 images, this file holds "
                           f"{images.dtype.name}; convert to npz or csv instead")
    if args.limit is not None:
        images = images[: args.limit]
        labels = None if labels is None else labels[: args.limit]
    _refuse_overwrite(Path(dest), args.force)
    WRITERS[fmt](images, labels, Path(dest))
    print(f"wrote {len(images)} images to {dest}")
    return 0


def _check_dataset(images: np.ndarray, labels: np.ndarray | None, images_name: str,
                   labels_name: str | None) -> None:
    if images.ndim != 3:
        raise CommandError(f"{images_name}: shape {images.shape} is not a stack of images "
                           "(N, height, width)")
    if labels is None:
        return
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise CommandError(f"{labels_name}: {labels.dtype.name} {labels.shape} is not a label "
                           "file (one integer per image)")
    if len(labels) != len(images):
        raise CommandError(f"{labels_name} holds {len(labels)} labels for the "
                           f"{len(images)} images in {images_name}")


def _refuse_overwrite(dest: Path, force: bool) -> None:
    """Never lose a user's files by accident: existing output needs --force."""
    if force or not dest.exists():
        return
    if dest.is_dir() and not any(dest.iterdir()):
        return
    what = "folder already exists and is not empty" if dest.is_dir() else "file already exists"
    raise CommandError(f"{dest}: {what}; pass --force to write over it")


def write_npz(images: np.ndarray, labels: np.ndarray | None, path: Path) -> None:
    """One compressed .npz with key ``x`` (images) and, when labels are given, ``y``."""
    arrays = {"x": images} if labels is None else {"x": images, "y": labels}
    with atomic_writer(path) as out:
        np.savez_compressed(out, **arrays)


def write_csv(images: np.ndarray, labels: np.ndarray | None, path: Path) -> None:
    """Kaggle's layout: a header, then ``label,pixel0,...`` per image (no label column
    without labels)."""
    pixels = images.reshape(len(images), -1)
    columns = [f"pixel{i}" for i in range(pixels.shape[1])]
    header = ",".join(columns if labels is None else ["label", *columns]) + "\n"
    with atomic_writer(path) as out:
        out.write(header.encode())
        with tqdm(total=len(pixels), desc="csv", unit="img", disable=None) as bar:
            for start in range(0, len(pixels), CSV_CHUNK):
                part = slice(start, start + CSV_CHUNK)
                out.write(_csv_rows(pixels[part], None if labels is None else labels[part]))
                bar.update(len(pixels[part]))


def _csv_rows(pixels: np.ndarray, labels: np.ndarray | None) -> bytes:
    """(N, M) values (and N labels) -> N CSV lines, formatted as whole arrays, not per cell."""
    cells = _as_text(pixels)
    if labels is not None:
        cells = np.concatenate([_as_text(labels[:, None]), cells], axis=1)
    ends = np.full(cells.shape, b",", dtype="S1")
    ends[:, -1] = b"\n"
    text = np.strings.add(cells, ends).view(np.uint8)
    return text[text != 0].tobytes()  # drop the NUL padding of the shorter cells


def _as_text(values: np.ndarray) -> np.ndarray:
    """Values as ASCII byte strings; floats in the shortest form that reads back exactly."""
    if values.dtype == np.uint8:  # the MNIST case: a table lookup is ~8x faster than astype
        return _BYTE_TEXT[values]
    return values.astype(str).astype(np.bytes_)


WRITERS: dict[str, Callable[[np.ndarray, np.ndarray | None, Path], None]] = {
    "png": write_pngs,
    "npz": write_npz,
    "csv": write_csv,
}


# ---------------------------------------------------------------------------------------- pack


def run_pack(args: argparse.Namespace) -> int:
    if Path(args.images).resolve() == Path(args.labels).resolve():
        raise CommandError("--images and --labels name the same file")
    for out in (args.images, args.labels):
        _refuse_overwrite(Path(out), args.force)
    files = find_labelled_images(Path(args.folder))
    to_mnist, method = digit_converter()
    images, labels, bad = [], [], []
    for path, label in tqdm(files, desc="pack", unit="img", disable=None):
        try:
            images.append(to_mnist(path))
        except (ValueError, OSError) as err:  # preprocess' ImageError/EmptyDrawingError too
            reason = str(err) if str(path) in str(err) else f"{path}: {err}"
            if not args.skip_bad:
                raise CommandError(f"{reason} (pass --skip-bad to leave it out)") from err
            tqdm.write(f"warning: skipped {reason}", file=sys.stderr)  # keeps the bar intact
            bad.append(path)
            continue
        labels.append(label)
    if not images:
        raise CommandError(f"{args.folder}: none of the {len(files)} images could be used")
    write_idx(args.images, np.stack(images))
    write_idx(args.labels, np.array(labels, dtype=np.uint8))
    skipped = f", skipped {len(bad)} unusable" if bad else ""
    print(f"packed {len(images)} images{skipped} into {args.images} and {args.labels}, "
          f"each made 28x28 by {method}")
    return 0


def digit_converter() -> tuple[Callable[[Path], np.ndarray], str]:
    """The function that turns an image file into a uint8 (28, 28) MNIST digit, and what it
    is, in the user's words (pack prints it).

    The project's preprocessing is used whenever it is importable, so packed datasets match
    what the app feeds the models; a plain resize stands in while it is not.
    """
    # Imported here: preprocessing loads OpenCV, which ``info`` and most conversions never need,
    # and a checkout where it does not import still packs, by the plain resize.
    try:
        from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist  # noqa: PLC0415
        from digit_recognizer.recognition.preprocess.images import load_image  # noqa: PLC0415
    except ImportError:
        return _resize_to_mnist, "a plain resize (the app's preprocessing could not be loaded)"

    def convert(path: Path) -> np.ndarray:
        digit = canvas_to_mnist(load_image(path))  # float32 (28, 28) in [0, 1], ink high
        return np.rint(np.clip(digit, 0.0, 1.0) * 255).astype(np.uint8)

    return convert, "the app's preprocessing"


def _resize_to_mnist(path: Path) -> np.ndarray:
    import cv2  # noqa: PLC0415 - OpenCV takes a while to import; only pack needs it here

    gray = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise ValueError("not a readable image")
    if np.median(gray) > 127:  # dark ink on a light background: make ink high, as in MNIST
        gray = 255 - gray
    if not gray.any():
        raise ValueError("the image is blank")
    return cv2.resize(gray, (28, 28), interpolation=cv2.INTER_AREA)


# ------------------------------------------------------------------------------------- parsing

DESCRIPTION = """\
Tools for IDX files, the format MNIST ships in (plain or gzip-compressed).

examples:
  python mnist.py info ../shared/data/mnist/train-images-idx3-ubyte.gz
  python mnist.py convert t10k-images-idx3-ubyte.gz --labels t10k-labels-idx1-ubyte.gz \\
      --to png digits/ --limit 100
  python mnist.py pack my-digits/ --images my-images-idx3-ubyte.gz \\
      --labels my-labels-idx1-ubyte.gz

Run 'python mnist.py COMMAND --help' for a command's options and more examples.
Problems are reported as one 'error: ...' line and a non-zero exit code.
"""

INFO_HELP = """\
Print each file's element type, shape and value range; for a label file (one integer per
item) also the count of each class.

examples:
  python mnist.py info ../shared/data/mnist/train-images-idx3-ubyte.gz
  python mnist.py info ../shared/data/mnist/*.gz
"""

CONVERT_HELP = """\
Export an IDX image file (N, height, width), with its labels if given, as
  png DIR    one PNG per image, named by index, in subfolders 0..9 when labels are given
  npz FILE   one compressed NumPy file with keys x (images) and y (labels)
  csv FILE   Kaggle's layout: a header, then label,pixel0,...,pixel783 per image
             (no label column without labels)

examples:
  python mnist.py convert t10k-images-idx3-ubyte.gz --labels t10k-labels-idx1-ubyte.gz \\
      --to png digits/ --limit 100
  python mnist.py convert train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz \\
      --to npz mnist-train.npz
  python mnist.py convert t10k-images-idx3-ubyte.gz --to csv test.csv
"""

PACK_HELP = """\
Build an IDX dataset from your own digit images: FOLDER holds subfolders named 0 to 9,
each with images of that digit (PNG, JPEG, BMP, ...; any size, dark-on-light or
light-on-dark). Each image becomes a 28x28 MNIST-style digit with the project's
preprocessing (centred, scaled, ink high). An unreadable or blank image stops the run
with its name, unless --skip-bad leaves it out with a warning.

example:
  python mnist.py pack my-digits/ --images my-images-idx3-ubyte.gz \\
      --labels my-labels-idx1-ubyte.gz
"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description=DESCRIPTION,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(title="commands", dest="command", required=True)
    raw = argparse.RawDescriptionHelpFormatter

    info = commands.add_parser("info", help="type, shape, range and class counts of IDX files",
                               description=INFO_HELP, formatter_class=raw)
    info.add_argument("files", nargs="+", metavar="FILE", help="IDX file, plain or gzip")
    info.set_defaults(run=run_info)

    convert = commands.add_parser("convert", help="export IDX images as PNG, npz or CSV",
                                  description=CONVERT_HELP, formatter_class=raw)
    convert.add_argument("images", metavar="IMAGES", help="IDX file of images (N, H, W)")
    convert.add_argument("--labels", metavar="LABELS", help="IDX file of labels (N,)")
    convert.add_argument("--to", nargs=2, required=True, metavar=("FORMAT", "DEST"),
                         help="png DIR, npz FILE or csv FILE")
    convert.add_argument("--limit", type=positive_int, metavar="N",
                         help="only the first N images (default: all)")
    convert.add_argument("--force", action="store_true",
                         help="write over an existing file or non-empty folder (default: refuse)")
    convert.set_defaults(run=run_convert)

    pack = commands.add_parser("pack", help="build an IDX dataset from folders of images",
                               description=PACK_HELP, formatter_class=raw)
    pack.add_argument("folder", metavar="FOLDER", help="folder with subfolders 0 to 9")
    pack.add_argument("--images", required=True, metavar="OUT",
                      help="IDX images file to write (gzip when it ends in .gz)")
    pack.add_argument("--labels", required=True, metavar="OUT",
                      help="IDX labels file to write (gzip when it ends in .gz)")
    pack.add_argument("--skip-bad", action="store_true",
                      help="leave out unreadable or blank images with a warning "
                           "(default: stop at the first one)")
    pack.add_argument("--force", action="store_true",
                      help="write over existing output files (default: refuse)")
    pack.set_defaults(run=run_pack)
    return parser


def positive_int(text: str) -> int:
    """An argparse type: a whole number above 0 (also ``train-strokes``' counts)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _validate(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.command == "convert" and args.to[0] not in FORMATS:
        parser.error(f"--to: unknown format {args.to[0]!r}, choose one of {', '.join(FORMATS)}")


def main(argv: list[str] | None = None) -> int:
    """Run ``mnist.py`` with ``argv`` (default: the command line); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _validate(parser, args)
    try:
        return args.run(args)
    except (CommandError, IdxError, ImageFolderError) as err:
        print(f"error: {err}", file=sys.stderr)
    except OSError as err:  # e.g. an output folder that cannot be written
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}", file=sys.stderr)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return 1
