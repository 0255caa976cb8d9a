"""The ``train`` command line: ``python -m digit_recognizer train [options]``.

    python -m digit_recognizer train --model rmsprop --epochs 30 --out models/digit_model1.h5
    python -m digit_recognizer train --model adadelta --limit 2000 --epochs 1 --out /tmp/m.h5
    python -m digit_recognizer train --model rmsprop --epochs 40 --resume   # go on to epoch 40

It parses the options into a ``TrainConfig`` and runs ``train.train``, which says what a run
does and writes; problems end it with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from digit_recognizer.core.catalogue import (
    BUNDLED_MODELS,
    DEFAULT_MODEL,
    find_bundled,
    for_architecture,
)
from digit_recognizer.core.datasets.errors import DatasetError
from digit_recognizer.core.idx import IdxError
from digit_recognizer.core.results import ModelError
from digit_recognizer.training.checkpoint import ResumeError, checkpoint_path
from digit_recognizer.training.train import TrainConfig, train

__all__ = ["build_parser", "main"]


def number(text: str, fits: Callable[[float], bool], what: str) -> float:
    """A command-line number for which ``fits`` holds; else "'text' is not ``what``"."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")  # fits no range
    if not fits(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return value


def share(text: str, most: float = 1.0, what: str = "a share from 0 to 1") -> float:
    """A command-line share: a number from 0 to ``most``."""
    return number(text, lambda value: 0 <= value <= most, what)


def degrees(text: str) -> float:
    return share(text, 180.0, "a turn from 0 to 180 degrees")


def learning_rate(text: str) -> float:
    """A command-line learning rate: a number above 0, at most 10."""
    return number(text, lambda value: 0 < value <= 10, "a learning rate (above 0, at most 10)")


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """What the run trains on besides MNIST, and how it shows the digits."""
    parser.add_argument("--extra-data", help="folder with an extra IDX dataset (a "
                                             "*-images-idx3-ubyte[.gz] and its "
                                             "*-labels-idx1-ubyte[.gz]) to mix into training "
                                             "(default: none)")
    parser.add_argument("--patience", type=int, default=6,
                        help="epochs without validation gain before stopping (default: 6)")
    parser.add_argument("--no-augment", action="store_true",
                        help="train on the images as they are (default: augment)")
    parser.add_argument("--no-variants", action="store_true",
                        help="show the digits as they are: no re-drawn, widened or style-edited "
                             "digits, no non-digits (default: all three; see "
                             "digit_recognizer/training/data/variants.py)")
    parser.add_argument("--usps-train", action="store_true",
                        help="add USPS' training split (7,291 real digits) to the training "
                             "and validation data (default: MNIST only)")
    parser.add_argument("--usps-dir", help="the USPS folder (default: $USPS_DIR, then "
                                           "../shared/data/usps beside the repository)")
    parser.add_argument("--unipen-dir", help="the pen data's folder, for --pen (default: "
                                             "$UNIPEN_DIR, then ../shared/data/unipen)")


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog,
                                     description="Train a CNN on MNIST and save it.")
    default = find_bundled(DEFAULT_MODEL).architecture
    parser.add_argument("--model", choices=[m.architecture for m in BUNDLED_MODELS],
                        default=default,
                        help="architecture: " + ", ".join(
                            f"{m.architecture} = {m.label}" for m in BUNDLED_MODELS)
                        + f" (default: {default})")
    parser.add_argument("--epochs", type=int, default=30,
                        help="maximum epochs in all, a resumed run's included (default: 30)")
    parser.add_argument("--batch-size", type=int, default=128, help="(default: 128)")
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: $MNIST_DIR, "
                                           "then the Keras cache)")
    parser.add_argument("--out", help="model file to write (default: the bundled model's file "
                                      "in models/: " + ", ".join(
                                          f"{m.file} for {m.architecture}"
                                          for m in BUNDLED_MODELS) + ")")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--limit", type=int, help="train on the first N images only "
                                                  "(default: all 60,000)")
    add_data_options(parser)
    defaults = TrainConfig("", "")
    for name, text in (("restroked", "share of digits shown re-drawn with the app's brush"),
                       ("styled", "share of 0s, 1s, 5s and 7s shown in a style MNIST lacks"),
                       ("non-digits", "non-digits per batch, as a share of its digits"),
                       ("widened", "share of digits shown 0.5-2x as wide as written"),
                       ("filled", "share of the widened digits stretched to a square instead, "
                                  "as scanned forms store them"),
                       ("scanned", "share of the stretched digits stored as such forms store "
                                   "them: a 16x16 box in black and white"),
                       ("written", "digits from the digit writer (continental 1s, open 4s, "
                                   "hooked 9s...) added, as a share of the MNIST digits"),
                       ("pen", "pen data: real pen-written digits of its training writers, "
                               "drawn with the app's brush (varied), added as a share of the "
                               "MNIST digits; its validation writers join the validation "
                               "digits"),
                       ("rotation", "augmentation: largest turn, in degrees"),
                       ("zoom", "augmentation: largest change of size, as a share")):
        default = getattr(defaults, name.replace("-", "_"))
        parser.add_argument(f"--{name}", type=degrees if name == "rotation" else share,
                            default=default, help=f"{text} (default: {default})")
    parser.add_argument("--start-from", metavar="MODEL",
                        help="go on training a trained network of the same architecture, for "
                             "instance a bundled model, instead of a new one (default: new)")
    parser.add_argument("--learning-rate", type=learning_rate,
                        help="the optimizer's first learning rate (default: the architecture's: "
                             "1.0 for adadelta, 0.001 for rmsprop; lower it with --start-from)")
    parser.add_argument("--no-figures", action="store_true", help="skip the matplotlib figures")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run that wrote --out from its checkpoint "
                             "(<out>.checkpoint.keras) up to --epochs epochs in all")
    return parser


def main(argv: list[str] | None = None, prog: str = "python -m digit_recognizer train") -> int:
    args = build_parser(prog).parse_args(argv)
    config = TrainConfig(
        architecture=args.model, out=args.out or str(for_architecture(args.model).path()),
        epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, limit=args.limit,
        extra_data=args.extra_data, patience=args.patience, augment=not args.no_augment,
        data_dir=args.data_dir, variants=not args.no_variants, restroked=args.restroked,
        styled=args.styled, non_digits=args.non_digits, rotation=args.rotation, zoom=args.zoom,
        start_from=args.start_from, learning_rate=args.learning_rate, widened=args.widened,
        filled=args.filled, scanned=args.scanned, written=args.written,
        usps_train=args.usps_train, usps_dir=args.usps_dir, pen=args.pen,
        unipen_dir=args.unipen_dir)
    try:
        metadata = train(config, resume=args.resume, figures=not args.no_figures)
    except (DatasetError, IdxError, ResumeError, ModelError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        checkpoint = checkpoint_path(config.out)
        kept = (f"; the best epoch so far is in {checkpoint} (--resume goes on from it)"
                if checkpoint.exists() else "")
        print(f"\ninterrupted: {config.out} was left as it was{kept}", file=sys.stderr)
        return 130
    print(f"saved {config.out}: test accuracy {metadata['test_accuracy']:.4%} "
          f"after {metadata['epochs_run']} epochs, {metadata['training_seconds']:.0f} s")
    return 0
