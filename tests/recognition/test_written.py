"""A digit re-drawn from its strokes as written (``preprocess.written``): the same picture for
the network whatever size and pen it was written with."""

from __future__ import annotations

import numpy as np
import pytest

from digit_recognizer.core.strokes import PAPER_SIDE
from digit_recognizer.devtools.handwriting import DIGITS
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError
from digit_recognizer.recognition.preprocess.written import (
    WRITTEN_SHARE,
    drawn_as_written,
    strokes_to_mnist,
)

SIX = [np.array(s, float) for s in DIGITS["6"]]


def test_the_longer_side_fills_its_share_of_the_paper_centred():
    paper = drawn_as_written([s * 75 + 400 for s in SIX])
    rows, columns = np.nonzero(paper < 128)
    assert paper.shape == (PAPER_SIDE, PAPER_SIDE)
    # the path's longer side is WRITTEN_SHARE of the paper, the brush adds its width
    assert rows.max() - rows.min() == pytest.approx(WRITTEN_SHARE * PAPER_SIDE + 18, abs=3)
    assert (rows.max() + rows.min()) / 2 == pytest.approx(PAPER_SIDE / 2, abs=2)
    assert (columns.max() + columns.min()) / 2 == pytest.approx(PAPER_SIDE / 2, abs=2)


def test_a_small_digit_and_a_big_one_give_the_network_the_same_picture():
    small, big = strokes_to_mnist([s * 60 for s in SIX]), strokes_to_mnist([s * 900 for s in SIX])
    assert small.shape == (28, 28) and np.abs(small - big).max() < 0.05


def test_a_dot_is_no_digit_to_re_draw():
    with pytest.raises(EmptyDrawingError):
        strokes_to_mnist([np.array([[5.0, 5.0]])])
