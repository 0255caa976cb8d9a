"""Choose where "that is not a digit" begins: ``python -m digit_recognizer calibrate``.

A model trained with outlier exposure (``variants``) gives non-digits a flat output, so its
highest probability is low on them. The threshold below which a drawing is called "not a digit"
is chosen on validation digits alone, so that a fixed small share of real digits
(``FALSE_FLAG_SHARE``) is flagged: the validation split the model's training run held out
(drawn again from the configuration in its metadata: MNIST, and USPS' training split and written
digits where the run trained on them), the first of them re-drawn with the app's brush, and
USPS' training split where the run never saw it (real writing that MNIST lacks; its test split
is never read here), and the pen data's validation writers where the run trained on the pen
data, of whose digits at most ``PEN_FLAG_SHARE`` is flagged. Non-digits drawn by the training
generator with a fresh seed report how many the threshold catches; the project's non-digit test
set (``nondigits``) is never read here.

Training records the threshold of the model it made; this command records it for the bundled
models and their average, in their metadata (``not_a_digit_threshold`` and how it was chosen),
where ``Recognizer`` reads it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from digit_recognizer.core.catalogue import BUNDLED_MODELS, ENSEMBLE, MODELS_DIR, read_metadata
from digit_recognizer.core.confidence import THRESHOLD_KEY
from digit_recognizer.core.datasets.errors import DatasetError
from digit_recognizer.core.files import atomic_write_text
from digit_recognizer.core.scoring import to_model_input
from digit_recognizer.recognition.recognizer import Recognizer
from digit_recognizer.training.data.outliers import non_digits
from digit_recognizer.training.data.usps import load_usps
from digit_recognizer.training.data.variants import restroke
from digit_recognizer.training.run_data import held_out_split, pen_held_out

__all__ = ["FALSE_FLAG_SHARE", "PEN_FLAG_SHARE", "calibrate", "calibrate_bundled",
           "choose_threshold", "shared_held_out", "validation_digits"]

FALSE_FLAG_SHARE = 0.005  # of validation digits flagged as not digits
# ... and at most this share of a new person's pen-written digits: the pen data's validation
# writers, of whom a few digits are fragments (a lone bar labelled 4) that no one would read.
PEN_FLAG_SHARE = 0.012
PEN_DIGITS = "pen validation writers"
RESTROKED = 2000  # validation digits also re-drawn with the app's brush
# What decides which digits a run held out: models that agree on these hold out the same ones.
SPLIT_SETTINGS = ("seed", "limit", "usps_train", "extra_data", "written", "trained on pen data")
NON_DIGITS = 2000
NON_DIGIT_SEED = 99  # training draws its non-digits from the run's seed, 0 by default

Forward = Callable[[np.ndarray], np.ndarray]  # uint8 (N, 28, 28) -> (N, 10) probabilities


def choose_threshold(top: np.ndarray, share: float = FALSE_FLAG_SHARE) -> float:
    """The highest-probability level below which ``share`` of real digits' ``top`` lies."""
    return float(np.quantile(top, share))


def shared_held_out(configs: list[dict], mnist_dir=None, usps_dir=None, *, pen: bool = True,
                    unipen_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """The validation digits that the runs ``configs`` describe all held out, and their labels.

    Raises ValueError when the runs held out different digits: an average of the models has
    then no digits that none of them trained on.
    """
    settings = {tuple(repr(_split_setting(config, name)) for name in SPLIT_SETTINGS)
                for config in configs}
    if len(settings) != 1:
        raise ValueError("the models held out different validation digits (their runs "
                         f"differ in {', '.join(SPLIT_SETTINGS)}); train them with the same "
                         "--seed and the same data")
    return held_out_split(configs[0], mnist_dir, usps_dir, pen=pen, unipen_dir=unipen_dir)


def _split_setting(config: dict, name: str):
    # Every run that trained on the pen data holds out the same writers, whatever its share.
    return bool(config.get("pen")) if name == "trained on pen data" else config.get(name)


def validation_digits(held_out: np.ndarray, seed: int, usps_dir=None,
                      usps_trained: bool = False, pen_held_out: np.ndarray | None = None
                      ) -> dict[str, np.ndarray]:
    """Real digits the model never trained on: name -> uint8 (N, 28, 28).

    ``held_out``: the run's validation digits; some are also re-drawn with the app's brush.
    ``pen_held_out``: the pen data's validation writers' digits, where the run trained on the
    pen data. USPS' training split joins them unless the run trained on it (``usps_trained``).
    """
    rng = np.random.default_rng([seed, 3])
    digits = {"validation": held_out,
              "validation re-drawn": np.stack([restroke(d, rng) for d in held_out[:RESTROKED]])}
    if pen_held_out is not None and len(pen_held_out):
        digits[PEN_DIGITS] = pen_held_out
    if not usps_trained:
        try:
            digits["USPS train"] = load_usps("train", usps_dir)[0]
        except DatasetError:
            pass  # USPS is optional: MNIST alone still sets a threshold
    return digits


def calibrate(forward: Forward, digits: dict[str, np.ndarray],
              share: float = FALSE_FLAG_SHARE) -> dict:
    """The threshold for ``forward`` and what it does on validation data, as metadata."""

    def top(images: np.ndarray) -> np.ndarray:
        return forward(to_model_input(images)).max(axis=1)

    tops = {name: top(images) for name, images in digits.items()}
    threshold = choose_threshold(np.concatenate(list(tops.values())), share)
    if PEN_DIGITS in tops:
        threshold = min(threshold, choose_threshold(tops[PEN_DIGITS], PEN_FLAG_SHARE))
    others = top(non_digits(NON_DIGITS, np.random.default_rng(NON_DIGIT_SEED)))
    return {THRESHOLD_KEY: round(threshold, 4), "not_a_digit_validation": {
        "chosen_to_flag": share, "pen_writers_flagged_at_most": PEN_FLAG_SHARE,
        "digits_flagged": {name: round(float(np.mean(t < threshold)), 4)
                           for name, t in tops.items()},
        "generated_non_digits_flagged": round(float(np.mean(others < threshold)), 4),
        "measured_by": "python -m digit_recognizer calibrate"}}


def calibrate_bundled(models_dir: str | Path = MODELS_DIR, mnist_dir=None,
                      usps_dir=None, unipen_dir=None) -> dict[str, float]:
    """Record the threshold of each bundled model and of their average; return them."""
    members = {m.key: Recognizer.bundled(m.key, models_dir) for m in BUNDLED_MODELS}
    configs = [read_metadata(Path(models_dir) / m.file).get("config", {}) for m in BUNDLED_MODELS]
    held_out = shared_held_out(configs, mnist_dir, usps_dir, pen=False)[0]
    pen = pen_held_out(configs[0], unipen_dir)
    digits = validation_digits(held_out, configs[0].get("seed", 0), usps_dir,
                               usps_trained=configs[0].get("usps_train", False),
                               pen_held_out=None if pen is None else pen[0])
    files = {m.key: Path(models_dir) / m.file for m in BUNDLED_MODELS}
    for key, recognizer in members.items():
        _record(files[key].with_suffix(".json"), calibrate(recognizer.predict, digits))
    average = Recognizer.ensemble(list(members.values())).predict
    _record(Path(models_dir) / ENSEMBLE.metadata_file, calibrate(average, digits))
    return {path.name: read_metadata(path)[THRESHOLD_KEY]
            for path in [*files.values(), Path(models_dir) / ENSEMBLE.metadata_file]}


def _record(path: Path, found: dict) -> None:
    metadata = read_metadata(path) if path.exists() else {}
    metadata.update(found)
    atomic_write_text(path, json.dumps(metadata, indent=2) + "\n")


def main(argv: list[str] | None = None, prog: str = "python -m digit_recognizer calibrate") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Choose each bundled model's not-a-digit threshold on validation digits "
                    "and record it in its metadata.")
    parser.add_argument("--models-dir", default=str(MODELS_DIR))
    parser.add_argument("--data-dir", help="MNIST folder (default: $MNIST_DIR)")
    parser.add_argument("--usps-dir", help="USPS folder (default: $USPS_DIR, ../shared/data/usps)")
    parser.add_argument("--unipen-dir", help="the pen data's folder (default: the one the "
                                             "models' runs named, $UNIPEN_DIR, "
                                             "../shared/data/unipen)")
    args = parser.parse_args(argv)
    try:
        found = calibrate_bundled(args.models_dir, args.data_dir, args.usps_dir, args.unipen_dir)
    except Exception as err:  # MnistError, ModelError, ValueError: all end the command alike
        print(f"error: {err}", file=sys.stderr)
        return 2
    for name, threshold in found.items():
        print(f"{name}: not a digit below {threshold:.4f}")
    return 0
