"""A digit's strokes as the stroke model reads them: ``pen_paths.pen_path``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digit_recognizer.core.strokes import Stroke
from digit_recognizer.recognition.pen_paths import (
    INPUT_SHAPE,
    POINTS,
    pen_path,
    pen_paths,
    stroke_points,
)
from digit_recognizer.recognition.preprocess.errors import EmptyDrawingError

FOUR = [np.array([[10, 0], [0, 30], [25, 30]], float), np.array([[18, 10], [18, 50]], float)]


def test_a_path_has_its_points_its_directions_and_where_strokes_begin():
    path = pen_path(FOUR)[:, 0, :]
    assert pen_path(FOUR).shape == INPUT_SHAPE and pen_path(FOUR).dtype == np.float32
    assert np.flatnonzero(path[:, 4]).tolist() == [0, int(path[:, 4].nonzero()[0][1])]
    second = int(path[:, 4].nonzero()[0][1])
    assert path[second, :2] == pytest.approx([18 / 50 - 12.5 / 50, 10 / 50 - 0.5], abs=1e-6)
    # the second stroke goes straight down: its direction is (0, 1) all along
    assert path[second:, 2:4] == pytest.approx(np.tile([0.0, 1.0], (POINTS - second, 1)))
    assert np.linalg.norm(path[:, 2:4], axis=1) == pytest.approx(np.ones(POINTS), abs=1e-5)
    # the strokes share the points by length: the first (about 75 long) gets more than the
    # second (40 long)
    assert second > POINTS // 2


def test_size_place_and_sampling_rate_do_not_matter():
    moved = [s * 7.5 + [300, -40] for s in FOUR]
    denser = [np.array([a + (b - a) * t for a, b in zip(s[:-1], s[1:])
                        for t in np.linspace(0, 1, 9)[:-1]] + [s[-1]]) for s in FOUR]
    assert pen_path(moved) == pytest.approx(pen_path(FOUR), abs=1e-5)
    assert pen_path(denser) == pytest.approx(pen_path(FOUR), abs=1e-4)


def test_a_dot_keeps_its_place_and_has_no_direction():
    path = pen_path([np.array([[0, 0], [0, 40]], float), np.array([[5, 50]], float)])[:, 0, :]
    dot = path[path[:, 4] == 1][1:]
    assert len(path) == POINTS and path[-1, 2:4].tolist() == [0.0, 0.0]
    assert dot[0, :2] == pytest.approx([(5 - 2.5) / 50, (50 - 25) / 50])


def test_the_windows_strokes_read_as_the_pen_datas():
    strokes = [Stroke(18.0, [tuple(p) for p in s]) for s in FOUR]
    assert pen_path(stroke_points(strokes)) == pytest.approx(pen_path(FOUR))


def test_nothing_to_read_is_an_empty_drawing():
    with pytest.raises(EmptyDrawingError):
        pen_path([])
    with pytest.raises(EmptyDrawingError):
        pen_path([np.zeros((0, 2))])
    assert pen_paths([]).shape == (0, *INPUT_SHAPE)


def test_a_digit_of_many_strokes_still_has_its_points():
    strokes = [np.array([[i, 0], [i, 1]], float) for i in range(50)]
    path = pen_path(strokes)
    assert path.shape == INPUT_SHAPE and path[:, 0, 4].sum() == POINTS // 2


points = st.lists(st.tuples(st.floats(-1e4, 1e4), st.floats(-1e4, 1e4)), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(points, min_size=1, max_size=6))
def test_any_strokes_give_a_finite_path_inside_its_box(strokes):
    path = pen_path([np.array(s) for s in strokes])[:, 0, :]
    assert path.shape == (POINTS, 5) and np.isfinite(path).all()
    assert np.abs(path[:, :2]).max() <= 0.5 + 1e-5
    assert path[0, 4] == 1
