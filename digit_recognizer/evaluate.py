"""Test-set accuracy, per-class accuracy and confusion matrix of the models.

    python -m digit_recognizer evaluate                  # both bundled models and their average
    python -m digit_recognizer evaluate --model model2 --json
    python -m digit_recognizer evaluate --model my_model.keras --limit 1000
    python -m digit_recognizer evaluate --dataset usps   # real handwriting (USPS' test split)
    python -m digit_recognizer evaluate --dataset styles # styles MNIST under-represents
    python -m digit_recognizer evaluate --dataset my-digits/   # an IDX pair or 0/ ... 9/ images

MNIST's test set by default; ``datasets`` finds and converts the others. The styles set also
gets each style's accuracy. Prints a plain-text report by default and one JSON object with
``--json``. Exit code 2 when the data or a model cannot be loaded (every model that can be
loaded is still evaluated).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from digit_recognizer.datasets import DATASETS, SPLITS, Dataset, DatasetError, load_dataset
from digit_recognizer.files import atomic_write_text
from digit_recognizer.scoring import score_probabilities, to_model_input
from digit_recognizer.catalogue import BUNDLED_MODELS, ENSEMBLE, MODELS_DIR
from digit_recognizer.recognizer import Recognizer, add_runtime_argument
from digit_recognizer.results import ModelError


RUNTIME_NAMES = {"onnx": "OpenCV (ONNX copy)", "keras": "Keras", "mixed": "OpenCV and Keras"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m digit_recognizer evaluate",
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
    parser.add_argument("--seed", type=int, default=0,
                        help="seed that draws the styles set (default: 0)")
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
        loaded.append(Recognizer.ensemble(loaded))
    return loaded, problems


def score(recognizer: Recognizer, data: Dataset) -> dict:
    """One model's report: name, file, accuracy, per-class accuracy, confusion matrix, and
    each style's accuracy when ``data`` knows its digits' styles.

    A digit the data has no image of has no accuracy (None), rather than a misleading 0.
    """
    report = score_probabilities(recognizer.predict(to_model_input(data.images)), data.labels)
    counts = np.array(report["confusion_matrix"]).sum(axis=1)
    result = {
        "name": recognizer.name,
        "path": str(recognizer.path) if recognizer.path else None,
        "runtime": recognizer.runtime,
        "test_images": len(data),
        "errors": int((report["predicted"] != data.labels).sum()),
        "accuracy": report["accuracy"],
        "per_class_accuracy": [a if n else None
                               for a, n in zip(report["per_class_accuracy"], counts)],
        "confusion_matrix": report["confusion_matrix"],
    }
    if data.styles is not None:
        right = report["predicted"] == data.labels
        result["per_style_accuracy"] = {
            str(style): round(float(right[data.styles == style].mean()), 5)
            for style in dict.fromkeys(data.styles)
        }
    return result


def format_report(result: dict) -> str:
    """A model's scores as a text table: per-class accuracy, then the confusion matrix."""
    where = f" ({result['path']})" if result["path"] else ""
    lines = [
        f"{result['name']}{where}, run by {RUNTIME_NAMES[result['runtime']]}",
        f"  test accuracy {result['accuracy']:.2%} "
        f"({result['errors']} error{'s' if result['errors'] != 1 else ''} in "
        f"{result['test_images']} images)",
        "  digit        " + "".join(f"{d:>7}" for d in range(10)),
        "  accuracy %   " + "".join("      -" if a is None else f"{a * 100:>7.2f}"
                                    for a in result["per_class_accuracy"]),
        "  confusion matrix (rows: true digit, columns: predicted digit)",
    ]
    for digit, row in enumerate(result["confusion_matrix"]):
        lines.append(f"  {digit:<13}" + "".join(f"{n:>7}" for n in row))
    styles = result.get("per_style_accuracy", {})
    if styles:
        lines.append("  accuracy per style")
        width = max(map(len, styles))
        lines += [f"    {name:<{width}}  {a:>7.2%}" for name, a in styles.items()]
    return "\n".join(lines)


def save_ensemble_metadata(result: dict, models_dir: str | None) -> None:
    """Record the average's full test-set accuracy beside the models, for the app's menu.

    Only the ensemble needs this: each model's own accuracy is in the metadata its training
    wrote. No date, so re-running the evaluation on the same models changes nothing.
    """
    metadata = {key: result[key] for key in ("name", "accuracy", "per_class_accuracy")}
    metadata["test_accuracy"] = metadata.pop("accuracy")
    metadata["measured_by"] = "python -m digit_recognizer evaluate"
    path = Path(models_dir or MODELS_DIR) / ENSEMBLE.metadata_file
    atomic_write_text(path, json.dumps(metadata, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        data = load_dataset(args.dataset, split=args.split, mnist_dir=args.data_dir,
                            usps_dir=args.usps_dir, seed=args.seed)
    except DatasetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.limit:
        data = data.head(args.limit)
    recognizers, problems = load_recognizers(args.model, args.models_dir, args.runtime)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    for notice in dict.fromkeys(n for r in recognizers for n in r.notices):
        print(f"note: {notice}", file=sys.stderr)
    results = [score(r, data) for r in recognizers]
    complete = args.model is None and not args.limit and len(results) == len(BUNDLED_MODELS) + 1
    if complete and (args.dataset, args.split) == ("mnist", "test"):  # what the app shows
        save_ensemble_metadata(results[-1], args.models_dir)
    if args.json:
        print(json.dumps({"dataset": data.name, "images": len(data), "models": results},
                         indent=2))
    elif results:
        print(f"{data.name}: {len(data)} images\n")
        print("\n\n".join(format_report(r) for r in results))
    return 2 if problems else 0
