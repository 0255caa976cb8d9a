"""The ``fine-tune`` command line: ``python -m digit_recognizer fine-tune [options]``.

    python -m digit_recognizer fine-tune --model model2 \\
        --extra-data ~/.local/share/digit-recognizer/corrections \\
        --out ~/.local/share/digit-recognizer/my_model.keras

It runs ``files.fine_tune_file`` (how: ``pipeline``, ``fine_tune``; the guard: ``guard``),
prints each correction it left out and why, in the words the window uses, and what the guard
did. Problems end it with one line on stderr and exit code 2; when no correction can be
learned it writes nothing, says why and exits with code 1.
"""

from __future__ import annotations

import argparse
import sys

from digit_recognizer.core.catalogue import BUNDLED_MODELS, DEFAULT_MODEL
from digit_recognizer.core.datasets.errors import IdxFolderError, MnistError, ReplayError
from digit_recognizer.core.results import ModelError
from digit_recognizer.training.fine_tuning.files import fine_tune_file
from digit_recognizer.training.fine_tuning.fine_tune import FineTuneError
from digit_recognizer.training.fine_tuning.pool_cache import default_cache_dir

__all__ = ["build_parser", "main"]


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Teach a trained model your corrections in seconds, keeping what it knew "
                    "of MNIST (train --extra-data retrains from scratch instead).")
    keys = ", ".join(m.key for m in BUNDLED_MODELS)
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"the model to start from: {keys} or a .h5/.keras file "
                             f"(default: {DEFAULT_MODEL})")
    parser.add_argument("--extra-data", required=True,
                        help="folder with the corrections: a *-images-idx3-ubyte[.gz] and its "
                             "*-labels-idx1-ubyte[.gz], as the app saves them")
    parser.add_argument("--out", required=True,
                        help="the .h5 or .keras file to write, in an existing folder; its "
                             ".json metadata and .onnx copy go beside it")
    parser.add_argument("--epochs", type=int, default=2,
                        help="passes over a fresh mix of corrections and MNIST digits (default: 2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--mnist-test", action="store_true",
                        help="also score it on MNIST's 10,000 test digits (needs MNIST, adds "
                             "seconds; default: only the guard's held-out replay digits)")
    parser.add_argument("--data-dir", help="with --mnist-test: folder with the MNIST files "
                                           "(default: $MNIST_DIR, then the Keras cache)")
    parser.add_argument("--cache-dir", default=default_cache_dir(),
                        help="where the model's replay and held-out digits, as its frozen "
                             "layers see them, are kept for the next run; saves 4-5 s a run "
                             "(default: %(default)s)")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write that cache")
    return parser


def main(argv: list[str] | None = None, prog: str = "python -m digit_recognizer fine-tune") -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        tuned = fine_tune_file(args.model, args.extra_data, args.out, epochs=args.epochs,
                               seed=args.seed, data_dir=args.data_dir,
                               mnist_test=args.mnist_test,
                               cache_dir=None if args.no_cache else args.cache_dir)
    except (FineTuneError, ModelError, IdxFolderError, MnistError, ReplayError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    metadata = tuned.metadata
    for left_out in tuned.left_out:  # the same sentences the window says
        print(f"left out: {left_out.sentence()}")
    if tuned.model is None:
        print(f"nothing written: {tuned.refusal()} ({metadata['seconds']:.0f} s)")
        return 1
    test = metadata.get("test_accuracy")
    base = metadata["base_test_accuracy"]
    print(f"guard: {metadata['guard_sentence']}")
    print(f"saved {args.out}: "
          + (f"MNIST test accuracy {test:.2%}" + (f" (base {base:.2%})" if base else "") + ", "
             if test is not None else "")
          + f"corrections read as taught {metadata['corrections_accuracy']:.0%}"
          f" of {metadata['corrections']}, {metadata['seconds']:.0f} s")
    return 0
