"""The marks among the training non-digits (``training.data.marks``): ?, ! and signs."""

from __future__ import annotations

import numpy as np
import pytest

from digit_recognizer.recognition.preprocess.ink import ink_components, ink_map
from digit_recognizer.training.data.marks import (
    DOTTED,
    SIGNS,
    exclamation_mark,
    keeps_every_part,
    question_mark,
)
from digit_recognizer.training.data.outliers import FAMILIES, draw, non_digits


def test_marks_join_the_non_digit_families():
    assert {question_mark, exclamation_mark} <= set(FAMILIES)
    assert sum(f.__module__.endswith(".marks") for f in FAMILIES) / len(FAMILIES) <= 0.25


@pytest.mark.parametrize("family", DOTTED, ids=lambda f: f.__name__)
def test_marks_are_the_same_for_a_seed(family):
    a, b = family(np.random.default_rng(7)), family(np.random.default_rng(7))
    assert len(a) == len(b) >= 2 and all(np.array_equal(p, q) for p, q in zip(a, b))


@pytest.mark.parametrize("family", DOTTED, ids=lambda f: f.__name__)
def test_marks_drawn_for_training_keep_their_dot_through_preprocessing(family):
    rng = np.random.default_rng(3)
    kept = [c for c in (draw(family, rng) for _ in range(60)) if keeps_every_part(c)]
    assert len(kept) >= 40  # most drawings keep their dot; the others are drawn again
    for canvas in kept:
        _, stats, ids = ink_components(ink_map(canvas))
        assert len(ids) == len(stats) - 1 >= 2


def test_a_mark_whose_dot_is_a_speck_or_gone_is_refused():
    canvas = np.full((140, 140), 255, np.uint8)
    canvas[20:100, 66:74] = 0  # a lone stroke: a 1, not a "!"
    assert not keeps_every_part(canvas)
    canvas[112:114, 69:71] = 0  # a dot far too small: preprocessing drops it as a speck
    assert not keeps_every_part(canvas)
    canvas[110:120, 65:75] = 0  # a pen's dot
    assert keeps_every_part(canvas)


def test_signs_leave_out_those_people_read_as_digits():
    assert not set(SIGNS) & set("$Ss-|/()")


def test_non_digits_with_marks_are_reproducible():
    a = non_digits(40, np.random.default_rng(11))
    np.testing.assert_array_equal(a, non_digits(40, np.random.default_rng(11)))
