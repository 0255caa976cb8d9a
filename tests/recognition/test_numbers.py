"""Tests of reading numbers (digit_recognizer.recognition.numbers) with the bundled models:
numbers written stroke by stroke with hand-made pen paths (``devtools.handwriting``) and by the
pen data's validation writers, read from their strokes (as the window reads them) and from
their images alone (as File ▸ Open and ``predict --number`` read them).

    MNIST_DIR=../shared/data/mnist python -m pytest tests/recognition/test_numbers.py -q
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digit_recognizer.core.datasets.unipen import load_unipen, writer_split
from digit_recognizer.core.results import NumberRecognition, Recognition
from digit_recognizer.core.strokes import Stroke, render_strokes
from digit_recognizer.devtools.handwriting import DIGITS, write
from digit_recognizer.evaluation.pen_numbers import WrittenNumber, write_number, write_numbers
from digit_recognizer.recognition.numbers.stroke_groups import group_strokes
from digit_recognizer.recognition.preprocess.errors import (
    DrawingTooSmallError,
    EmptyDrawingError,
    ImageError,
)
from digit_recognizer.recognition.pen_paths import stroke_points
from digit_recognizer.recognition.preprocess.written import strokes_to_mnist
from digit_recognizer.recognition.recognizer import Recognizer

PATHS = ["strokes", "image"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model2() -> Recognizer:
    return Recognizer.bundled("model2", runtime="onnx")


@pytest.fixture(scope="module", params=["model2", "both"])
def recognizer(request) -> Recognizer:
    return Recognizer.from_choice(request.param, runtime="onnx")


def read(recognizer: Recognizer, page, path: str):
    """The number on ``page`` as the window reads it (strokes) or as an image alone."""
    return recognizer.recognize_number(page.image(),
                                       strokes=page.strokes if path == "strokes" else None)


# -- what the issue asks for -------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_1945_with_a_two_stroke_4_and_the_5s_bar_written_last_reads_1945(recognizer, path):
    page = write("1945")
    assert len(DIGITS["4"]) == 2 and DIGITS["5"][1][0][1] < 0.1  # the 4's stem, the 5's bar
    assert len(page.strokes) == 6
    assert read(recognizer, page, path).text == "1945"


@pytest.mark.parametrize("path", PATHS)
def test_two_touching_zeros_read_00(recognizer, path):
    page = write("00", touch=True)
    assert read(recognizer, page, path).text == "00"


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("touch", [False, True])
def test_72_with_a_crossed_7_reads_72(recognizer, path, touch):
    page = write("72", touch=touch)
    assert len(DIGITS["7"]) == 2  # the crossbar, written after the 7
    assert read(recognizer, page, path).text == "72"


@pytest.mark.parametrize("path", PATHS)
def test_a_dot_on_the_baseline_between_digits_is_a_decimal_point(recognizer, path):
    number = read(recognizer, write("3.14"), path)
    assert number.text == "3.14"
    assert len(number.digits) == 3  # the point is no digit


@pytest.mark.parametrize("path", PATHS)
def test_a_wide_gap_between_digits_is_a_space(recognizer, path):
    number = read(recognizer, write("2026 317", height=60), path)
    assert number.text == "2026 317"
    assert number.separators == ("", "", "", " ", "", "")


@pytest.mark.parametrize("path", PATHS)
def test_two_rows_are_read_top_to_bottom(recognizer, path):
    page = write("1945\n2026 317", height=60)
    number = read(recognizer, page, path)
    assert number.text == "1945\n2026 317"
    tops = [d.box[1] for d in number.digits]
    assert max(tops[:4]) < min(tops[4:])  # the first row's digits, then the second's


def test_each_digit_comes_with_its_box_in_the_images_pixels(model2):
    page = write("1945", height=90)
    ink = page.image() < 128
    for path in PATHS:
        boxes = [d.box for d in read(model2, page, path).digits]
        assert [x for x, _, _, _ in boxes] == sorted(x for x, _, _, _ in boxes)
        for x, y, w, h in boxes:  # each box holds ink and lies on the paper
            assert ink[y:y + h, x:x + w].any() and x + w <= page.size[1]
            assert h == pytest.approx(90 + 18, abs=6)  # the digit's ink, pen included


def test_predict_number_reads_the_same_drawings_saved_as_png(tmp_path):
    texts = {"1945": {}, "00": {"touch": True}, "72": {}, "3.14": {}}
    paths = []
    for i, (text, options) in enumerate(texts.items()):
        paths.append(tmp_path / f"number{i}.png")
        Image.fromarray(write(text, **options).image()).save(paths[-1])
    done = subprocess.run([sys.executable, "-m", "digit_recognizer", "predict", "--number",
                           "--model", "model2", *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=True)
    read = [json.loads(line)["number"] for line in done.stdout.splitlines()]
    assert read == list(texts)


def test_the_text_puts_each_separator_between_its_digits():
    def digit(value: int) -> Recognition:
        return Recognition(value, 1.0, np.eye(10, dtype=np.float32)[value],
                           np.zeros((28, 28), np.float32))

    assert NumberRecognition([digit(3), digit(1), digit(4), digit(2)],
                             (".", "\n", "")).text == "3.1\n42"
    assert NumberRecognition([digit(4), digit(2)]).text == "42"  # as before: side by side


# -- strokes first -----------------------------------------------------------------------------


def test_a_1_touching_the_3_before_it_is_a_digit_of_its_own(model2):
    page = write("31", touch=True)
    assert model2.recognize_number(page.image(), strokes=page.strokes).text == "31"


@pytest.fixture(scope="module")
def validation_writers():
    pen = load_unipen()
    return pen.subset(writer_split(pen)[1])


def touching_number(writers, text: str, writer: str, seed: int) -> WrittenNumber:
    """``text`` in ``writer``'s hand (the first of each digit they wrote), every neighbouring
    pair touching or overlapping a little, as ``bench_numbers`` writes them."""
    mine = np.flatnonzero(writers.writers == writer)
    picks = [next(i for i in mine if int(writers.labels[i]) == int(c)) for c in text]
    return write_number([writers.strokes[i] for i in picks], [int(c) for c in text],
                        np.random.default_rng(seed), touching=1.0)


# a validation writer's digits the image path used to merge: "404" read "44", a 1 lost
# against its neighbour ("41" read "4", "71" read "7", "16" read "6")
TOUCHING = [("404", "ced-005", 1), ("404", "tos-016", 1), ("41", "app-003", 0),
            ("41", "tos-025", 2), ("71", "imp-006", 0), ("71", "app-003", 1),
            ("16", "aga-005", 1)]


@pytest.mark.parametrize("text, writer, seed", TOUCHING)
def test_touching_digits_by_a_validation_writer_read_apart_from_the_image(
        recognizer, validation_writers, text, writer, seed):
    number = touching_number(validation_writers, text, writer, seed)
    assert recognizer.recognize_number(number.image()).text == text


# a validation writer's 1 touching its neighbour, which the network read surely as that digit
# alone ("16" as a 6, "41" as a 4, "31" as a 3): the stem test cuts it off
STEMS = [("16", "app-003", 1), ("16", "tos-002", 0), ("41", "aga-005", 0), ("41", "ced-005", 1),
         ("31", "aga-005", 0), ("31", "ced-020", 1)]


@pytest.mark.parametrize("text, writer, seed", STEMS)
def test_a_1_touching_its_neighbour_in_an_image_is_a_digit_of_its_own(
        recognizer, validation_writers, text, writer, seed):
    number = touching_number(validation_writers, text, writer, seed)
    assert recognizer.recognize_number(number.image()).text == text


def test_strokes_written_in_another_order_still_read_the_same(model2):
    page = write("745")
    strokes = list(page.strokes)
    # the 7's crossbar and the 4's stem written last of all, after the 5
    reordered = [s for i, s in enumerate(strokes) if i not in (1, 3)] + [strokes[1], strokes[3]]
    assert model2.recognize_number(page.image(), strokes=reordered).text == "745"


def test_the_pen_datas_validation_writers_digits_stay_whole_in_stroke_groups():
    pen = load_unipen()
    numbers = write_numbers(pen.subset(writer_split(pen)[1]), 300, np.random.default_rng(0))
    kept = 0
    for number in numbers:
        groups = group_strokes(number.strokes)
        group_of = {i: g for g, strokes in enumerate(groups.digits) for i in strokes}
        kept += all(len({group_of.get(i) for i in part}) == 1
                    for character, part in zip(number.text, number.parts) if character != ".")
    assert kept >= 0.99 * len(numbers)


# -- one digit, as before ----------------------------------------------------------------------


@pytest.mark.parametrize("digit", list("0123456789"))
def test_a_single_digit_reads_as_in_digit_mode(model2, digit):
    """The same answer; from the image alone from the very same 28×28, and from strokes from
    the picture re-drawn as written (``preprocess.written``) mixed with the path."""
    page = write(digit, height=190)
    alone = model2.recognize(page.image())
    for path in PATHS:
        [found] = read(model2, page, path).digits
        expected = (alone.input if path == "image"
                    else strokes_to_mnist(stroke_points(page.strokes)))
        np.testing.assert_array_equal(found.input, expected)
        assert (found.digit, found.not_a_digit) == (alone.digit, alone.not_a_digit)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_an_empty_drawing_says_nothing_is_drawn(model2, path):
    blank = np.full((320, 320), 255, np.uint8)
    with pytest.raises(EmptyDrawingError, match="no digit found"):
        model2.recognize_number(blank, strokes=[] if path == "strokes" else None)


@pytest.mark.parametrize("path", PATHS)
def test_only_dots_say_no_digit_was_found(model2, path):
    with pytest.raises(EmptyDrawingError, match="only dots"):
        read(model2, write(". . .", height=80), path)


def test_a_1x1_image_says_it_holds_no_digit(model2):
    with pytest.raises(EmptyDrawingError, match="blank or uniform"):
        model2.recognize_number(np.zeros((1, 1), np.uint8))


def test_a_20000_pixel_wide_image_is_read_without_error(model2):
    page = write("12", height=200)
    wide = np.full((page.size[0], 20_000), 255, np.uint8)
    wide[:, 9_000:9_000 + page.size[1]] = page.image()
    number = model2.recognize_number(wide)  # shrunk to 1,024 px: each digit about 7 px wide
    assert len(number.text) <= 2


def test_a_20000_pixel_wide_empty_image_says_it_is_blank(model2):
    with pytest.raises(EmptyDrawingError):
        model2.recognize_number(np.full((28, 20_000), 255, np.uint8))


@pytest.mark.parametrize("path", PATHS)
def test_a_number_of_40_digits_is_read_whole(model2, path):
    digits = "3141592653589793238462643383279502884197"
    number = read(model2, write(digits, height=80), path)
    assert len(number.digits) == 40
    assert sum(a == b for a, b in zip(number.text, digits)) >= 38


def test_digits_too_small_for_their_pen_ask_to_draw_bigger(model2):
    with pytest.raises(DrawingTooSmallError):
        read(model2, write("7", height=12), "image")


def test_strokes_that_are_not_numbers_are_refused_in_one_sentence(model2):
    with pytest.raises(ImageError, match="finite"):
        model2.recognize_number(np.full((320, 320), 255, np.uint8),
                                strokes=[Stroke(18.0, [(float("nan"), 3.0)])])


def test_a_piece_too_wide_for_a_digit_that_no_cut_reads_is_flagged_not_dropped():
    unsure = Recognizer(lambda x: np.full((len(x), 10), 0.1, np.float32), name="unsure",
                        path=None, metadata={})
    canvas = np.full((320, 640), 255, np.uint8)
    canvas[120:200, 60:100] = 0  # a bar: a digit-sized piece
    canvas[120:200, 160:520] = 0  # a slab four digits wide: no cut reads as digits
    number = unsure.recognize_number(canvas)
    assert [d.not_a_digit for d in number.digits] == [False, True]
    assert number.text.endswith("?")
    assert number.digits[1].box[2] >= 350  # left whole


# -- fragments and specks ----------------------------------------------------------------------


def test_a_5s_bar_written_apart_from_its_body_joins_it_in_an_image(model2):
    body, bar = DIGITS["5"]
    height, pen = 100.0, 18.0
    apart = [(x + 0.3, y - 0.08) for x, y in bar]  # lifted off and to the right
    strokes = [Stroke(pen, [(40 + x * height, 40 + y * height) for x, y in path])
               for path in (body, apart)]
    page = write("3", height=height)
    moved = [Stroke(s.width, [(x + 110, y - 30) for x, y in s.points]) for s in page.strokes]
    image = np.asarray(render_strokes(strokes + moved, 320))
    assert model2.recognize_number(image).text == "53"


@pytest.mark.parametrize("path", PATHS)
def test_a_speck_far_above_the_line_is_ignored(model2, path):
    page = write("42", height=90)
    speck = Stroke(8.0, [(200.0, 12.0), (201.0, 12.0)])
    strokes = (*page.strokes, speck)
    image = np.asarray(render_strokes(strokes, 320))
    number = model2.recognize_number(image, strokes=strokes if path == "strokes" else None)
    assert number.text == "42"
