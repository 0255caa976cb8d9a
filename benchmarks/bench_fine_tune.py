"""Teaching: seconds per personal fine-tune, MNIST kept, and the same writer's errors, as a table.

    python benchmarks/bench_fine_tune.py              # both models, 72 writers (~15 min, 2 cores)
    python benchmarks/bench_fine_tune.py --quick      # 12 writers, fewer timed calls (~4 min)
    python benchmarks/bench_fine_tune.py --models model2 --calls 3

What the window does after each teach press: ``fine_tune.personalise`` in a warm process
(Keras imported, the base model and MNIST loaded), the same base object every time.

(a) Time per call with 5, 50 and 500 corrections, median and worst of ``--calls`` calls, after
    one untimed call (the first for a base passes the replay and non-digit pools through the
    frozen trunk; its seconds have a row of their own). The corrections are drawings of the
    styles set (``styles``), as a user's would be. Targets: <= 3 s up to 50, <= 8 s with 500.
(b) MNIST test accuracy after fine-tuning on 50 of those drawings, next to the base's; target:
    within 0.2 points. Also how many of the 50 read as taught, and what the fine-tune does to
    non-digits (``outliers``): the share below the base's not-a-digit threshold if its metadata
    has one, else their median top probability.
(c) Same-writer errors. A writer writes each of two styles (say a continental 1 and a crossed
    7) one way: one variant of each (``styles.STYLES``), rendered afresh each time with the
    styles set's random size, slant, pen and wobble. Teach 4 of their drawings (2 per style),
    then score 50 others (25 per style) before and after. Writer ``k`` of a pair writes
    variant ``k`` of both styles. Target: >= 60 % fewer errors over all writers.

Training never reads the styles set; this benchmark does, to make its writers.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runs from a checkout as is

from benchmarks.table import row, run_and_print  # noqa: E402
from digit_recognizer.core.catalogue import BUNDLED_MODELS, find_bundled, read_metadata  # noqa: E402
from digit_recognizer.core.confidence import THRESHOLD_KEY  # noqa: E402
from digit_recognizer.core.datasets.errors import MnistError  # noqa: E402
from digit_recognizer.core.datasets.mnist import load_mnist  # noqa: E402
from digit_recognizer.core.results import ModelError  # noqa: E402
from digit_recognizer.core.scoring import to_model_input  # noqa: E402
from digit_recognizer.evaluation.styles import (  # noqa: E402
    STYLES,
    build_styles,
    parse_variant,
    render_variant,
)
from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist_uint8  # noqa: E402
from digit_recognizer.recognition.recognizer import bundled_path, load_keras_file  # noqa: E402
from digit_recognizer.training.data.outliers import non_digits  # noqa: E402
from digit_recognizer.training.fine_tuning.fine_tune import FineTuneError, Personaliser  # noqa: E402

SIZES = (5, 50, 500)  # corrections per timed call
TIME_TARGETS = {5: "<= 3", 50: "<= 3", 500: "<= 8"}
# Pairs of styles one person might write, as the issue describes its writers.
WRITER_STYLES = (
    ("1 with a flag", "7 crossed"),
    ("0 slashed", "4 with an open top"),
    ("9 with an open loop", "7 with a hooked top"),
    ("1 with a flag and a base", "5 with a detached bar"),
    ("2 with a loop", "3 with a flat top"),
    ("6 with an open loop", "9 with a straight stem"),
)
TAUGHT_PER_STYLE, HELD_OUT_PER_STYLE = 2, 25


def drawings(style_name: str, variant: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` renderings of one variant of a style, as the app would read them: uint8."""
    style = next(s for s in STYLES if s.name == style_name)
    pens = parse_variant(style.variants[variant % len(style.variants)])
    return np.stack([canvas_to_mnist_uint8(render_variant(pens, rng))
                     for _ in range(count)])


def writer(pair: tuple[str, str], hand: int, seed: int):
    """(taught images, labels, held-out images, labels) of writer ``hand`` of a style pair."""
    rng = np.random.default_rng([seed, WRITER_STYLES.index(pair), hand])
    taught, held_out = [], []
    for name in pair:
        taught.append(drawings(name, hand, TAUGHT_PER_STYLE, rng))
        held_out.append(drawings(name, hand, HELD_OUT_PER_STYLE, rng))
    labels = [next(s.label for s in STYLES if s.name == name) for name in pair]
    return (np.concatenate(taught), np.repeat(labels, TAUGHT_PER_STYLE).astype(np.uint8),
            np.concatenate(held_out), np.repeat(labels, HELD_OUT_PER_STYLE).astype(np.uint8))


def predicted(model, images: np.ndarray) -> np.ndarray:
    return model.predict(to_model_input(images), batch_size=500, verbose=0).argmax(axis=1)


def time_calls(personaliser: Personaliser, base, corrections, replay, calls: int,
               key: str) -> list[dict]:
    """(a): the first call's extra seconds, then median and worst per number of corrections."""
    images, labels = corrections
    started = time.perf_counter()
    personaliser.prepare(base, replay)
    rows = [row("fine-tune", f"{key}: first call's pool pass, once per base",
                time.perf_counter() - started, "s")]
    personaliser.personalise(base, images[:5], labels[:5], replay=replay)  # traces the head
    for size in SIZES:
        seconds = []
        for seed in range(calls):
            started = time.perf_counter()
            personaliser.personalise(base, images[:size], labels[:size], replay=replay,
                                     seed=seed)
            seconds.append(time.perf_counter() - started)
        for name, value in (("median", np.median(seconds)), ("worst", max(seconds))):
            rows.append(row("fine-tune", f"{key}: {size} corrections, {name} of {calls}", value,
                            "s", TIME_TARGETS[size]))
    return rows


def quality_rows(personaliser: Personaliser, base, corrections, replay, test, key: str,
                 threshold: float | None) -> list[dict]:
    """(b): MNIST test accuracy, the corrections and non-digits after 50 corrections."""
    images, labels = corrections[0][:50], corrections[1][:50]
    model = personaliser.personalise(base, images, labels, replay=replay)
    x_test, y_test = test
    before = 100 * (predicted(base, x_test) == y_test).mean()
    after = 100 * (predicted(model, x_test) == y_test).mean()
    taught = 100 * (predicted(model, images) == labels).mean()
    others = to_model_input(non_digits(1000, np.random.default_rng(12)))
    tops = [m.predict(others, batch_size=500, verbose=0).max(axis=1) for m in (base, model)]
    if threshold is None:
        nd = [("non-digits' median top probability", 100 * np.median(t)) for t in tops]
    else:
        nd = [(f"non-digits under the threshold {threshold:.2f}", 100 * (t < threshold).mean())
              for t in tops]
    return [
        row("fine-tune", f"{key}: MNIST test accuracy, base", before, "%"),
        row("fine-tune", f"{key}: MNIST test accuracy after 50 corrections", after, "%",
            f">= {before - 0.2:.2f}"),
        row("fine-tune", f"{key}: the 50 corrections read as taught", taught, "%"),
        row("fine-tune", f"{key}: {nd[0][0]}, base", nd[0][1], "%"),
        row("fine-tune", f"{key}: {nd[1][0]}, after 50 corrections", nd[1][1], "%"),
    ]


def writer_rows(personaliser: Personaliser, base, replay, hands: int, seed: int,
                key: str) -> tuple[list[dict], int, int]:
    """(c): errors on each writer pair's held-out drawings before and after teaching 4."""
    rows, total_before, total_after = [], 0, 0
    for pair in WRITER_STYLES:
        before = after = scored = 0
        for hand in range(hands):
            taught, taught_labels, held_out, held_labels = writer(pair, hand, seed)
            model = personaliser.personalise(base, taught, taught_labels, replay=replay,
                                             seed=seed)
            before += int((predicted(base, held_out) != held_labels).sum())
            after += int((predicted(model, held_out) != held_labels).sum())
            scored += len(held_out)
        name = f"{key}: {' + '.join(pair)} ({hands} writers, {scored} drawings)"
        rows += [row("same writer", f"{name}, errors before", before, "errors"),
                 row("same writer", f"{name}, errors after", after, "errors")]
        total_before, total_after = total_before + before, total_after + after
    return rows, total_before, total_after


def fewer(measure: str, before: int, after: int) -> dict:
    """The drop in errors, in %; without errors before there is none to measure (no target)."""
    if not before:
        return row("same writer", f"{measure}: no errors before, {after} after; fewer", 0.0, "%")
    return row("same writer", f"{measure}: errors {before} before, {after} after; fewer",
               100 * (before - after) / before, "%", ">= 60")


def run(args: argparse.Namespace) -> list[dict]:
    (x_train, y_train), test = load_mnist(args.data_dir)
    replay = (x_train, y_train)
    styles = build_styles(seed=args.seed + 1, renderings=4)  # 624 drawings, like teach presses
    order = np.random.default_rng(args.seed).permutation(len(styles.labels))[:max(SIZES)]
    corrections = styles.images[order], styles.labels[order]
    rows, before, after = [], 0, 0
    for key in args.models:
        path = bundled_path(key) if find_bundled(key) else Path(key)
        base = load_keras_file(path)
        personaliser = Personaliser(keep=1)  # one base at a time, as the window holds it
        rows += time_calls(personaliser, base, corrections, replay, args.calls, key)
        rows += quality_rows(personaliser, base, corrections, replay, test, key,
                             read_metadata(path).get(THRESHOLD_KEY))
        writers, model_before, model_after = writer_rows(personaliser, base, replay,
                                                         args.hands, args.seed, key)
        rows += writers + [fewer(f"{key}, all writers", model_before, model_after)]
        before, after = before + model_before, after + model_after
    rows.append(fewer("all models and writers", before, after))
    return rows


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    keys = [m.key for m in BUNDLED_MODELS]
    parser.add_argument("--models", nargs="+", default=keys,
                        help=f"bundled model keys or model files (default: {' '.join(keys)})")
    parser.add_argument("--calls", type=int, default=5,
                        help="timed calls per number of corrections (default: 5)")
    parser.add_argument("--hands", type=int, default=12,
                        help="writers per style pair, each its own variant (default: 12)")
    parser.add_argument("--quick", action="store_true",
                        help="2 timed calls and 2 writers per style pair")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--data-dir", help="folder with the MNIST files (default: $MNIST_DIR, "
                                           "then the Keras cache)")
    return parser


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    if args.quick:
        args.calls, args.hands = min(args.calls, 2), min(args.hands, 2)
    return args


if __name__ == "__main__":
    sys.exit(run_and_print(run, parse(), (MnistError, ModelError, FineTuneError)))
