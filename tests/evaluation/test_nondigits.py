"""The non-digit test set (``nondigits``): what it holds.

That its strokes stay in the unit box and that it is the same for a seed, ``evaluate --dataset
nondigits`` and the not-a-digit flag in ``evaluate`` are tested in test_datasets.py, beside the
other sets.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from digit_recognizer.evaluation.datasets import load_dataset
from digit_recognizer.core.strokes import DRAWING_SIDE, render_strokes
from digit_recognizer.evaluation.nondigits import (
    FAMILIES,
    build_nondigits,
    nondigit_canvases,
    nondigit_writings,
)

# Letters that look like digits (O 0, I l 1, Z 2, S 5, G 6, b 6, B 8, g q 9) must stay out.
DIGIT_LIKE = {"O", "I", "L", "Z", "S", "G", "B", "Q"}


def test_nondigits_have_twelve_families_or_more_of_ten_variants_or_more():
    assert len(FAMILIES) >= 12
    assert len({family.name for family in FAMILIES}) == len(FAMILIES)
    for family in FAMILIES:
        assert len(family.variants) >= 10, family.name
        assert len(set(family.variants)) == len(family.variants), family.name


def test_nondigits_leave_out_letters_that_look_like_digits():
    letters = {f.name.removeprefix("letter ").upper() for f in FAMILIES
               if f.name.startswith("letter ")}
    assert len(letters) >= 8 and not letters & DIGIT_LIKE


def test_nondigit_set_holds_every_variant_of_every_family_as_mnist_images():
    drawn = build_nondigits(seed=0, renderings=2)
    variants = sum(len(family.variants) for family in FAMILIES)
    assert drawn.images.shape == (2 * variants, 28, 28) and drawn.images.dtype == np.uint8
    assert list(dict.fromkeys(drawn.families.tolist())) == [f.name for f in FAMILIES]
    assert (drawn.images.reshape(len(drawn.images), -1).max(axis=1) == 255).all()  # ink high


@pytest.mark.slow
def test_load_dataset_nondigits_has_families_and_no_labels():
    data = load_dataset("nondigits", seed=1)
    assert data.name == "non-digits (seed 1)" and not data.digits and data.labels is None
    assert set(data.styles) == {family.name for family in FAMILIES}
    head = data.head(5)
    assert len(head) == 5 and head.labels is None and head.styles.shape == (5,)


@pytest.mark.parametrize("name", ["question mark", "exclamation mark"])
def test_punctuation_families_keep_their_dot_through_preprocessing(name):
    from digit_recognizer.evaluation.nondigits import nondigit_canvases
    from digit_recognizer.recognition.preprocess.ink import ink_components, ink_map

    parts = []
    for canvas, family in nondigit_canvases(seed=0, renderings=4):
        if family == name:
            _, stats, ids = ink_components(ink_map(canvas))
            assert len(ids) == len(stats) - 1  # no dot set aside as a speck
            parts.append(len(ids))
    assert len(parts) >= 40 and np.mean(np.array(parts) >= 2) >= 0.95  # rarely run together


def test_punctuation_families_are_the_same_for_a_seed():
    a, b = build_nondigits(seed=3, renderings=1), build_nondigits(seed=3, renderings=1)
    marks = np.isin(a.families, ["question mark", "exclamation mark"])
    assert marks.sum() >= 20
    np.testing.assert_array_equal(a.images[marks], b.images[marks])


def test_the_writings_are_the_drawings_as_strokes():
    pairs = itertools.islice(zip(nondigit_canvases(renderings=2), nondigit_writings(renderings=2)),
                             40)
    for (canvas, family), (strokes, same_family) in pairs:
        assert family == same_family
        np.testing.assert_array_equal(np.asarray(render_strokes(strokes, DRAWING_SIDE)), canvas)
