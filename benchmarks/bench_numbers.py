"""Reading numbers as people write them: whole numbers, digits and digit counts, and latency.

    python benchmarks/bench_numbers.py            # 1,000 numbers (3–6 minutes on 2 cores)
    python benchmarks/bench_numbers.py --quick    # 200 numbers, 50 timed

Numbers of 2–6 digits, each written by one of the pen data's *validation* writers (never a
training writer; ``evaluation.pen_numbers``), digit after digit on a baseline, with the window's
default brush (18 px) on the window's paper (320 px, wider where a number needs it): about a
fifth of neighbouring digits touch or overlap a little, a fifth of the numbers have a decimal
point. Each number is read twice by ``Recognizer.recognize_number``: from its strokes, as the
window reads it ("strokes": the stroke model reads each digit's strokes beside its picture),
and from its image alone, as File ▸ Open and ``predict --number`` read it ("image"), with
model 2 and with both models averaged. For each:

- **numbers read whole**: the text exactly as written, decimal point included; targets
  >= 97 % from strokes and >= 96 % from images, both models averaged;
- **digits read**: the digits in the answer that match the number's in order (the longest
  common subsequence), over all digits written;
- **wrong digit count**: numbers read with more or fewer digits than written; target <= 0.5 %;
- **each digit read right alone**: numbers whose every digit is read right when it is drawn
  alone on the same paper (from its picture, or from its strokes as the window reads them):
  how far reading single digits lets the reading of numbers go.

Non-digits: the project's non-digit test set (``evaluation.nondigits``: stars, crosses,
letters, question marks...) written in Number mode, read from its strokes and from its image:
the share of drawings in which no digit is read (every piece "?", or nothing found).

Pen and size: each validation writer's digit drawn alone on the window's paper with the default
18 px pen, its ink ``NUMBER_HEIGHTS`` px tall (a number's digits are 75–115 px), and as written
(a single digit's size), read from its picture as one digit: how much a small digit's ink
still tells, where the pen fills its loops in.

Latency: ``recognize_number`` on 320 px papers holding 5 digits (written smaller to fit), p50
over the timed numbers, from strokes and from the image; target p50 <= 30 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runs from a checkout as is

from benchmarks.table import row, run_and_print  # noqa: E402
from digit_recognizer.core.datasets.errors import DatasetError  # noqa: E402
from digit_recognizer.core.datasets.unipen import PenDigits, load_unipen, writer_split  # noqa: E402
from digit_recognizer.core.results import ModelError  # noqa: E402
from digit_recognizer.core.strokes import (  # noqa: E402
    DEFAULT_PEN,
    DRAWING_SIDE,
    PAPER_SIDE,
    render_strokes,
)
from digit_recognizer.evaluation.nondigits import nondigit_writings  # noqa: E402
from digit_recognizer.evaluation.pen_numbers import (  # noqa: E402
    WrittenNumber,
    write_numbers,
    written_smaller,
)
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError  # noqa: E402
from digit_recognizer.recognition.preprocess.written import (  # noqa: E402
    draw_paths,
    drawn_as_written,
    place_strokes,
)
from digit_recognizer.recognition.recognizer import Recognizer  # noqa: E402

PATHS = ("strokes", "image")
WHOLE_TARGET = {("both", "strokes"): ">= 97.0", ("both", "image"): ">= 96.0"}
COUNT_TARGET = "<= 0.5"
LATENCY_TARGET = "<= 30"
LATENCY_DIGITS = 5
NUMBER_HEIGHTS = (75, 95, 115)  # px of ink, pen included: a number's digits on the paper


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000,
                        help="numbers to write and read (default: 1000)")
    parser.add_argument("--timed", type=int, default=200,
                        help="5-digit numbers timed on a 320 px paper (default: 200)")
    parser.add_argument("--models", nargs="+", default=["model2", "both"],
                        help="models to read with: model1, model2, both (default: model2 both)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the numbers (default: 0)")
    parser.add_argument("--unipen-dir", help="the pen data's folder (default: $UNIPEN_DIR, "
                                             "then ../shared/data/unipen)")
    parser.add_argument("--models-dir", help="folder of the bundled models (default: models/)")
    parser.add_argument("--non-digit-renderings", type=int, default=2,
                        help="drawings of each non-digit test variant (default: 2)")
    parser.add_argument("--quick", action="store_true", help="200 numbers, 50 timed, "
                                                             "1 drawing of each non-digit")
    args = parser.parse_args(argv)
    if args.quick:
        args.count, args.timed, args.non_digit_renderings = 200, 50, 1
    return args


def matched_digits(read: str, written: str) -> int:
    """How many digits of ``written`` ``read`` holds in order: their longest common
    subsequence (a missed, an extra or a misread digit each cost one)."""
    a, b = [c for c in read if c.isdigit() or c == "?"], [c for c in written if c.isdigit()]
    lengths = np.zeros((len(a) + 1, len(b) + 1), int)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            lengths[i + 1, j + 1] = (lengths[i, j] + 1 if x == y
                                     else max(lengths[i, j + 1], lengths[i + 1, j]))
    return int(lengths[-1, -1])


def read_text(recognizer: Recognizer, number: WrittenNumber, path: str,
              image: np.ndarray) -> str:
    """What ``recognizer`` reads, from the strokes or the image; "" where it finds nothing."""
    try:
        found = recognizer.recognize_number(image, strokes=number.strokes
                                            if path == "strokes" else None)
    except EmptyDrawingError:
        return ""
    return found.text


def alone_right(recognizer: Recognizer, number: WrittenNumber, path: str) -> bool:
    """Whether ``recognizer`` reads each digit of ``number`` right, drawn alone on its paper:
    from the picture as one digit, or from its strokes as a number of one digit."""
    for character, part in zip(number.text, number.parts):
        if character == ".":
            continue
        strokes = [number.strokes[i] for i in part]
        paper = np.asarray(render_strokes(strokes, number.size))
        try:
            if path == "strokes":
                read = recognizer.recognize_number(paper, strokes=strokes).text
            else:
                result = recognizer.recognize(paper)
                read = "?" if result.not_a_digit else str(result.digit)
        except EmptyDrawingError:
            return False
        if read != character:
            return False
    return True


def accuracy_rows(name: str, recognizer: Recognizer, numbers: list[WrittenNumber],
                  images: list[np.ndarray]) -> list[dict]:
    bench = f"numbers, {len(numbers)} by validation writers"
    written = sum(sum(c.isdigit() for c in n.text) for n in numbers)
    rows = []
    for path in PATHS:
        texts = [read_text(recognizer, n, path, image) for n, image in zip(numbers, images)]
        whole = sum(t == n.text for t, n in zip(texts, numbers))
        digits = sum(matched_digits(t, n.text) for t, n in zip(texts, numbers))
        count = sum(len([c for c in t if c.isdigit() or c == "?"])
                    != sum(c.isdigit() for c in n.text) for t, n in zip(texts, numbers))
        alone = sum(alone_right(recognizer, n, path) for n in numbers)
        rows += [
            row(bench, f"{name}, {path}: numbers read whole", 100 * whole / len(numbers), "%",
                WHOLE_TARGET.get((name, path), "-")),
            row(bench, f"{name}, {path}: digits read", 100 * digits / written, "%"),
            row(bench, f"{name}, {path}: wrong digit count", 100 * count / len(numbers), "%",
                COUNT_TARGET),
            row(bench, f"{name}, {path}: each digit read right alone",
                100 * alone / len(numbers), "%"),
        ]
    return rows


def non_digit_rows(name: str, recognizer: Recognizer, renderings: int) -> list[dict]:
    """The non-digit test set (stars, crosses, letters, question marks...) written in Number
    mode: the share of drawings in which no digit is read (all "?", or nothing found)."""
    writings = list(nondigit_writings(renderings=renderings))
    bench = f"non-digit test set, {len(writings)} drawings written as a number"
    rows = []
    for path in PATHS:
        refused = 0
        for strokes, _ in writings:
            image = np.asarray(render_strokes(strokes, DRAWING_SIDE))
            try:
                text = recognizer.recognize_number(
                    image, strokes=strokes if path == "strokes" else None).text
            except EmptyDrawingError:
                text = ""
            refused += not any(c.isdigit() for c in text)
        rows.append(row(bench, f"{name}, {path}: no digit read", 100 * refused / len(writings),
                        "%"))
    return rows


def drawn_at(strokes: list[np.ndarray], height: float | None) -> np.ndarray:
    """One digit's strokes on the window's paper with the default pen, its ink ``height`` px
    tall (None: as written, a single digit's size)."""
    if height is None:
        return drawn_as_written(strokes)
    centre = (PAPER_SIDE / 2, PAPER_SIDE / 2)
    return draw_paths(place_strokes(strokes, height - DEFAULT_PEN, centre), DEFAULT_PEN,
                      PAPER_SIDE)


def pen_size_rows(name: str, recognizer: Recognizer, writers: PenDigits) -> list[dict]:
    """The writers' digits drawn alone at a number's sizes and as written, read as one
    digit each from the picture: the share read right."""
    bench = f"{len(writers)} validation digits alone, {DEFAULT_PEN:.0f} px pen"
    rows = []
    for height in (*NUMBER_HEIGHTS, None):
        right = 0
        for strokes, label in zip(writers.strokes, writers.labels):
            try:
                result = recognizer.recognize(drawn_at(strokes, height))
            except EmptyDrawingError:
                continue
            right += not result.not_a_digit and result.digit == label
        size = "as written" if height is None else f"{height} px tall"
        rows.append(row(bench, f"{name}, picture: read right, {size}",
                        100 * right / len(writers), "%"))
    return rows


def latency_rows(name: str, recognizer: Recognizer, numbers: list[WrittenNumber]) -> list[dict]:
    bench = f"latency, {len(numbers)} papers of 320 px with {LATENCY_DIGITS} digits"
    rows = []
    papers = [(n, n.image()) for n in numbers]
    for path in PATHS:
        seconds = []
        for number, image in papers:
            started = time.perf_counter()
            read_text(recognizer, number, path, image)
            seconds.append(time.perf_counter() - started)
        rows.append(row(bench, f"{name}, {path}: recognize_number p50",
                        1000 * statistics.median(seconds), "ms", LATENCY_TARGET))
    return rows


def run(args: argparse.Namespace) -> list[dict]:
    pen = load_unipen(args.unipen_dir)
    writers = pen.subset(writer_split(pen)[1])  # the validation writers only
    numbers = write_numbers(writers, args.count, np.random.default_rng([args.seed, 27]))
    images = [n.image() for n in numbers]
    timed = []
    rng = np.random.default_rng([args.seed, 28])
    while len(timed) < args.timed:
        number = write_numbers(writers, 1, rng)[0]
        if sum(c.isdigit() for c in number.text) == LATENCY_DIGITS:
            timed.append(written_smaller(number))
    rows = []
    for name in args.models:
        recognizer = Recognizer.from_choice(name, args.models_dir)
        recognizer.recognize_number(images[0])  # the first call pays for warming up
        rows += accuracy_rows(name, recognizer, numbers, images)
        rows += non_digit_rows(name, recognizer, args.non_digit_renderings)
        rows += pen_size_rows(name, recognizer, writers)
        rows += latency_rows(name, recognizer, timed)
    return rows


if __name__ == "__main__":
    sys.exit(run_and_print(run, parse(), (ModelError, DatasetError)))
