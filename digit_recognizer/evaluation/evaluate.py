"""Test-set accuracy, per-class accuracy and confusion matrix of the models.

    python -m digit_recognizer evaluate                  # both bundled models and their average
    python -m digit_recognizer evaluate --model model2 --json
    python -m digit_recognizer evaluate --model my_model.keras --limit 1000
    python -m digit_recognizer evaluate --dataset usps   # real handwriting (USPS' test split)
    python -m digit_recognizer evaluate --dataset semeion   # real handwriting from Italy
    python -m digit_recognizer evaluate --dataset unipen    # the pen data's validation writers
    python -m digit_recognizer evaluate --dataset styles # styles MNIST under-represents
    python -m digit_recognizer evaluate --dataset nondigits   # drawings that are no digit
    python -m digit_recognizer evaluate --dataset my-digits/   # an IDX pair or 0/ ... 9/ images
    python -m digit_recognizer evaluate --dataset nondigits --not-a-digit-threshold 0.9
    python -m digit_recognizer evaluate --dataset validation [--scanned-form]   # training held out

MNIST's test set by default; ``datasets`` finds and converts the others. ``validation`` is the
digits the models' own training runs held out, drawn again from their metadata: the set to choose a
new model on. ``--stretch-to-square`` first stretches every digit to fill a square, as forms store
digits; ``--scanned-form`` also stores it in 16×16 black and white, as Semeion's scanner did;
``--redrawn`` draws it again with the app's round brush, as people draw. The styles set also gets
each style's accuracy. A model that records a not-a-digit threshold (or any model, with
``--not-a-digit-threshold``) also gets the share of digits it wrongly flags as not a digit; on the
non-digit set, the share it rightly flags, overall and per family, is all there is to score. Prints
a plain-text report by default, each model's as soon as it is scored, and one JSON object with
``--json``. On a terminal, stderr shows what is under way (reading the data, loading the models, a
bar per model), erased as it ends; piped or logged, stderr carries only errors and notes. Exit code
2 when the data or a model cannot be loaded (every model that can be loaded is still evaluated).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from digit_recognizer.core.catalogue import BUNDLED_MODELS, ENSEMBLE, MODELS_DIR, read_metadata
from digit_recognizer.core.confidence import flag_not_a_digit, valid_threshold
from digit_recognizer.core.datasets.errors import DatasetError
from digit_recognizer.core.files import atomic_write_text
from digit_recognizer.core.results import ModelError
from digit_recognizer.core.scoring import score_probabilities, to_model_input
from digit_recognizer.evaluation.datasets import (
    DATASETS,
    SPLITS,
    Dataset,
    load_dataset,
    redrawn,
    scanned_forms,
    stretched_to_square,
    validation_dataset,
)
from digit_recognizer.recognition.recognizer import (
    BATCH_SIZE,
    Recognizer,
    add_runtime_argument,
    bundled_path,
    ensemble_threshold,
)

# Flags that change each digit before it is scored (one at most): flag -> (how, its help).
CHANGES = {
    "--stretch-to-square": (stretched_to_square, "stretch each digit to fill a square (at most "
                                                 "4x as wide), as scanned forms store digits,"),
    "--scanned-form": (scanned_forms, "stretch each digit into a 16x16 box in black and white, "
                                      "as Semeion's scanned forms store digits,"),
    "--redrawn": (redrawn, "draw each digit again along its centre line with the app's round "
                           "brush, as a person draws on the canvas,"),
}
RUNTIME_NAMES = {"onnx": "OpenCV (ONNX copy)", "keras": "Keras", "mixed": "OpenCV and Keras"}


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Score models on the 10,000 MNIST test images, or on other digits.",
    )
    parser.add_argument(
        "--dataset", default="mnist",
        help=f"{', '.join(DATASETS)} or the path of a folder holding an IDX pair or subfolders "
             "0 to 9 of images (default: mnist)",
    )
    parser.add_argument("--split", choices=SPLITS, default="test",
                        help="MNIST's or USPS' part to score (default: test)")
    parser.add_argument(
        "--model",
        help="model1, model2, both (their average) or the path of a .h5/.keras model file "
        "(default: both bundled models and their average)",
    )
    parser.add_argument(
        "--models-dir", help="folder of the bundled models (default: models/ in the repository)"
    )
    parser.add_argument(
        "--data-dir", help="folder with the MNIST files (default: $MNIST_DIR, then the Keras cache)"
    )
    parser.add_argument(
        "--usps-dir", help="folder with zip.train.gz and zip.test.gz (default: $USPS_DIR, then "
                           "../shared/data/usps beside the repository)"
    )
    parser.add_argument("--semeion-dir", help="folder with Semeion's two IDX files (default: "
                        "$SEMEION_DIR, then ../shared/data/semeion beside the repository)")
    parser.add_argument("--unipen-dir", help="the pen data's folder (default: $UNIPEN_DIR, then "
                                             "../shared/data/unipen beside the repository)")
    change = parser.add_mutually_exclusive_group()  # args.change: the flag given, or None
    for flag, (_, text) in CHANGES.items():
        change.add_argument(flag, dest="change", action="store_const", const=flag,
                            help=f"{text} before scoring")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed that draws the styles and non-digit sets (default: 0)")
    parser.add_argument(
        "--not-a-digit-threshold", type=threshold_argument, metavar="T",
        help="flag an image as not a digit when its highest probability is below T (between "
             "0 and 1), for every model scored (default: each model's recorded threshold, if "
             "any)",
    )
    add_runtime_argument(parser)
    parser.add_argument("--limit", type=int, help="score the first N test images only")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a text report")
    return parser


def load_recognizers(
    choice: str | None, models_dir: str | None = None, runtime: str = "auto"
) -> tuple[list[Recognizer], list[str]]:
    """The models to score and the messages of those that could not be loaded."""
    if choice is not None:
        try:
            return [Recognizer.from_choice(choice, models_dir, runtime)], []
        except ModelError as err:
            return [], [str(err)]
    loaded, problems = [], []
    for model in BUNDLED_MODELS:
        try:
            loaded.append(Recognizer.bundled(model.key, models_dir, runtime))
        except ModelError as err:
            problems.append(str(err))
    if len(loaded) == len(BUNDLED_MODELS):
        loaded.append(Recognizer.ensemble(
            loaded, not_a_digit_threshold=ensemble_threshold(models_dir)))
    return loaded, problems


def threshold_argument(text: str) -> float:
    """``--not-a-digit-threshold``'s value: a number strictly between 0 and 1."""
    try:
        threshold = valid_threshold(float(text))
    except ValueError:
        threshold = None
    if threshold is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number between 0 and 1")
    return threshold


def _model_fields(recognizer: Recognizer, data: Dataset, threshold: float | None) -> dict:
    """What every report starts with: which model, run by what, on how many images."""
    return {
        "name": recognizer.name,
        "path": str(recognizer.path) if recognizer.path else None,
        "runtime": recognizer.runtime,
        "test_images": len(data),
        "not_a_digit_threshold": threshold,
    }


Advance = Callable[[int], object]  # told how many more images are scored, for a progress bar


def predict_in_steps(recognizer: Recognizer, images: np.ndarray,
                     advance: Advance | None = None) -> np.ndarray:
    """``recognizer.predict`` of uint8 ``images``, calling ``advance(n)`` after each ``n``.

    The steps are the slices ``predict`` cuts itself (``BATCH_SIZE``), so the probabilities are
    the same as from one call.
    """
    x = to_model_input(images)
    parts = []
    for start in range(0, len(x), BATCH_SIZE):
        parts.append(recognizer.predict(x[start:start + BATCH_SIZE]))
        if advance is not None:
            advance(len(parts[-1]))
    return np.concatenate(parts) if parts else recognizer.predict(x)


def score(recognizer: Recognizer, data: Dataset, threshold: float | None = None,
          advance: Advance | None = None) -> dict:
    """One model's report on labelled digits: name, file, accuracy, per-class accuracy,
    confusion matrix, each style's accuracy when ``data`` knows its digits' styles, and with
    a not-a-digit ``threshold`` the share of digits it would wrongly flag.

    A digit the data has no image of has no accuracy (None), rather than a misleading 0.
    ``advance``: as in ``predict_in_steps``.
    """
    probabilities = predict_in_steps(recognizer, data.images, advance)
    report = score_probabilities(probabilities, data.labels)
    counts = np.array(report["confusion_matrix"]).sum(axis=1)
    result = {
        **_model_fields(recognizer, data, threshold),
        "errors": int((report["predicted"] != data.labels).sum()),
        "accuracy": report["accuracy"],
        "per_class_accuracy": [a if n else None
                               for a, n in zip(report["per_class_accuracy"], counts)],
        "confusion_matrix": report["confusion_matrix"],
    }
    if threshold is not None:
        result.update(_flagged_fields(flag_not_a_digit(probabilities.max(axis=1), threshold)))
    if data.styles is not None:
        right = report["predicted"] == data.labels
        result[f"per_{data.grouped_by}_accuracy"] = {
            str(style): round(float(right[data.styles == style].mean()), 5)
            for style in dict.fromkeys(data.styles)
        }
    return result


def score_nondigits(recognizer: Recognizer, data: Dataset, threshold: float | None,
                    advance: Advance | None = None) -> dict:
    """One model's report on the non-digit set: the share it flags as not a digit, overall and
    per family, and the digits it names for the rest (without a threshold: for all).
    ``advance``: as in ``predict_in_steps``."""
    probabilities = predict_in_steps(recognizer, data.images, advance)
    flagged = flag_not_a_digit(probabilities.max(axis=1), threshold)
    named = probabilities.argmax(axis=1)[~flagged]
    result = {
        **_model_fields(recognizer, data, threshold),
        **_flagged_fields(flagged),
        "named_as_digits": np.bincount(named, minlength=10).tolist(),
    }
    if data.styles is not None:
        result["per_family_flagged"] = {
            str(family): round(float(flagged[data.styles == family].mean()), 5)
            for family in dict.fromkeys(data.styles)
        }
    return result


def _flagged_fields(flagged: np.ndarray) -> dict:
    """How many images the not-a-digit flag caught, and their share."""
    return {"flagged_as_not_a_digit": round(float(flagged.mean()), 5),
            "flagged_images": int(flagged.sum())}


def format_flagged(result: dict, what: str) -> str:
    """The line on the not-a-digit flag: how many ``what`` ('digits', 'drawings') it flags."""
    threshold = result["not_a_digit_threshold"]
    if threshold is None:
        return "  flagged as not a digit: none (no threshold recorded; try --not-a-digit-threshold)"
    return (f"  flagged as not a digit: {result['flagged_as_not_a_digit']:.2%} "
            f"({result['flagged_images']} of {result['test_images']} {what}; "
            f"threshold {threshold:g})")


def format_nondigits_report(result: dict) -> str:
    """A model's scores on the non-digit set: the share flagged, then per family."""
    where = f" ({result['path']})" if result["path"] else ""
    lines = [f"{result['name']}{where}, run by {RUNTIME_NAMES[result['runtime']]}",
             format_flagged(result, "drawings")]
    families = result.get("per_family_flagged", {})
    if families and result["not_a_digit_threshold"] is not None:
        lines.append("  flagged per family")
        width = max(map(len, families))
        lines += [f"    {name:<{width}}  {share:>7.2%}" for name, share in families.items()]
    lines.append("  named as digits (not flagged)  " + "  ".join(
        f"{d}: {n}" for d, n in enumerate(result["named_as_digits"])))
    return "\n".join(lines)


def format_report(result: dict) -> str:
    """A model's scores as a text table: per-class accuracy, then the confusion matrix."""
    where = f" ({result['path']})" if result["path"] else ""
    lines = [
        f"{result['name']}{where}, run by {RUNTIME_NAMES[result['runtime']]}",
        f"  accuracy {result['accuracy']:.2%} "
        f"({result['errors']} error{'s' if result['errors'] != 1 else ''} in "
        f"{result['test_images']} images)",
        "  digit        " + "".join(f"{d:>7}" for d in range(10)),
        "  accuracy %   " + "".join("      -" if a is None else f"{a * 100:>7.2f}"
                                    for a in result["per_class_accuracy"]),
        "  confusion matrix (rows: true digit, columns: predicted digit)",
    ]
    for digit, row in enumerate(result["confusion_matrix"]):
        lines.append(f"  {digit:<13}" + "".join(f"{n:>7}" for n in row))
    if result["not_a_digit_threshold"] is not None:
        lines.append(format_flagged(result, "digits"))
    for group in ("style", "site"):
        if groups := result.get(f"per_{group}_accuracy"):
            width = max(map(len, groups))
            lines += [f"  accuracy per {group}", *(f"    {name:<{width}}  {a:>7.2%}"
                                                   for name, a in groups.items())]
    return "\n".join(lines)


def save_ensemble_metadata(result: dict, models_dir: str | None) -> None:
    """Record the average's full test-set accuracy beside the models, for the app's menu.

    Only the ensemble needs this: each model's own accuracy is in the metadata its training
    wrote. No date, so re-running the evaluation on the same models changes nothing. What
    else the file holds (the not-a-digit threshold training chose) is kept.
    """
    path = Path(models_dir or MODELS_DIR) / ENSEMBLE.metadata_file
    metadata = read_metadata(path)
    metadata.update({key: result[key] for key in ("name", "per_class_accuracy")})
    metadata["test_accuracy"] = result["accuracy"]
    metadata["measured_by"] = "python -m digit_recognizer evaluate"
    atomic_write_text(path, json.dumps(metadata, indent=2) + "\n")


def progress(text: str, total: int | None = None) -> tqdm:
    """What is under way, on stderr: a bar over ``total`` images, or without one a line that
    says ``text``; erased once closed, so only the report stays. Shown on a terminal only:
    piped or logged, stderr keeps to errors and notes (tqdm's ``disable=None``)."""
    return tqdm(total=total, desc=text, unit="img", leave=False, disable=None, file=sys.stderr,
                bar_format=None if total else "{desc}…")


def read_data(args: argparse.Namespace, recognizers: list[Recognizer]) -> Dataset:
    """The dataset ``args`` names (for ``validation``, the one ``recognizers`` held out),
    its first ``--limit`` digits, stretched or re-drawn as asked. Raises DatasetError."""
    if args.dataset == "validation":
        data = validation_dataset(run_configs(recognizers, args.models_dir), args.data_dir,
                                  args.usps_dir, args.unipen_dir)
    else:
        data = load_dataset(args.dataset, split=args.split, mnist_dir=args.data_dir,
                            usps_dir=args.usps_dir, semeion_dir=args.semeion_dir,
                            unipen_dir=args.unipen_dir, seed=args.seed)
    if args.limit:
        data = data.head(args.limit)
    if args.change and not data.digits:
        raise DatasetError(f"{data.name} holds no digits; {args.change} is for digit sets")
    if args.change:
        data = CHANGES[args.change][0](data)
    return data


def run_configs(recognizers: list[Recognizer], models_dir: str | None) -> list[dict | None]:
    """The training configuration each model records; for the average of the bundled models
    (no file of its own), those of its members."""
    files = []
    for recognizer in recognizers:
        if recognizer.path is not None:
            files.append(recognizer.path)
        else:  # the average: a model of its own only in memory
            files += [bundled_path(m.key, models_dir) for m in BUNDLED_MODELS]
    return [read_metadata(path).get("config") for path in dict.fromkeys(files)]


def loaded_models(args: argparse.Namespace) -> tuple[list[Recognizer], list[str]]:
    """The models ``args`` asks for, each load problem and notice said on stderr."""
    with progress("loading the models"):
        recognizers, problems = load_recognizers(args.model, args.models_dir, args.runtime)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr, flush=True)
    for notice in dict.fromkeys(n for r in recognizers for n in r.notices):
        print(f"note: {notice}", file=sys.stderr, flush=True)
    return recognizers, problems


def score_all(recognizers: list[Recognizer], data: Dataset, threshold: float | None,
              text: bool) -> list[dict]:
    """Each model's report (``score`` or ``score_nondigits``), each under a progress bar; with
    ``text``, each printed as soon as it is ready, under the data's name."""
    scorer, formatter = (score, format_report) if data.digits else (score_nondigits,
                                                                    format_nondigits_report)
    results = []
    for recognizer in recognizers:
        with progress(recognizer.name, len(data)) as bar:
            results.append(scorer(recognizer, data, threshold or recognizer.not_a_digit_threshold,
                                  advance=bar.update))
        if text:  # now, not at the end: the first model's report is there in seconds
            if len(results) == 1:
                print(f"{data.name}: {len(data)} images\n")
            else:
                print()  # the blank line between two models' reports
            print(formatter(results[-1]), flush=True)
    return results


def main(argv: list[str] | None = None, prog: str = "python -m digit_recognizer evaluate") -> int:
    args = build_parser(prog).parse_args(argv)
    held_out = args.dataset == "validation"  # the models say which digits they held out
    recognizers, problems = loaded_models(args) if held_out else ([], [])
    try:
        with progress(f"reading {args.dataset}"):
            data = read_data(args, recognizers)
    except DatasetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not held_out:
        recognizers, problems = loaded_models(args)
    results = score_all(recognizers, data, args.not_a_digit_threshold, text=not args.json)
    complete = args.model is None and not args.limit and len(results) == len(BUNDLED_MODELS) + 1
    as_shown = (args.dataset, args.split, args.change) == ("mnist", "test", None)
    if complete and as_shown:  # the figure the app shows
        save_ensemble_metadata(results[-1], args.models_dir)
    if args.json:
        print(json.dumps({"dataset": data.name, "images": len(data), "models": results},
                         indent=2))
    return 2 if problems else 0
