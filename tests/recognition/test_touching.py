"""Tests of how touching digits are told apart (``recognition.numbers.touching``), with the
network's readings made up: a cut reads as sure as its least sure digit.

    python -m pytest tests/recognition/test_touching.py -q
"""

from __future__ import annotations

import numpy as np
import pytest

from digit_recognizer.recognition.numbers.pieces import Piece
from digit_recognizer.recognition.numbers.reader import Reading
from digit_recognizer.recognition.numbers.touching import (
    _best_cuts,
    _stroke_cut,
    log_odds,
    readings_by_count,
)

HEIGHT = 100.0


def piece(left: int, width: int, height: int = 100) -> Piece:
    return Piece(np.zeros((height + 2, width + 2), np.float32), left - 1, 0,
                 (left, 1, width, height))


class MadeUpReader:
    """Reads each piece as the digit and confidence it was given."""

    def __init__(self, readings: dict[Piece, tuple[int, float]]) -> None:
        self.readings = readings

    def read(self, pieces):
        found = []
        for p in pieces:
            digit, confidence = self.readings[p]
            probabilities = np.full(10, (1 - confidence) / 9, np.float32)
            probabilities[digit] = confidence
            found.append(Reading(probabilities, np.zeros((28, 28), np.float32), False))
        return found


def a_touching_pair(left_confidence: float, right_confidence: float):
    """An 8 and a 9 touching, read whole as an unsure 8."""
    whole, left, right = piece(0, 100), piece(0, 50), piece(50, 50)
    reader = MadeUpReader({whole: (8, 0.6), left: (8, left_confidence),
                           right: (9, right_confidence)})
    return whole, {(0, 2): whole, (0, 1): left, (1, 2): right}, reader


def test_a_reading_is_as_sure_as_its_least_sure_digit():
    _, table, reader = a_touching_pair(0.999, 0.9)
    ways = readings_by_count(table, HEIGHT, reader)
    assert ways[2][0] == pytest.approx(log_odds(0.9)) and len(ways[2][1]) == 2
    assert ways[1][0] == pytest.approx(log_odds(0.6))


def test_two_digits_read_near_certainly_beat_an_unsure_whole():
    whole, table, reader = a_touching_pair(0.999, 0.999)
    assert _best_cuts(whole, table, HEIGHT, reader) == (table[(0, 1)], table[(1, 2)])


def test_a_part_read_unsurely_keeps_the_piece_whole_however_sure_the_other():
    whole, table, reader = a_touching_pair(0.999, 0.6)
    # as sure as the whole: how rarely two digits touch settles it for the whole
    assert readings_by_count(table, HEIGHT, reader)[2][0] == pytest.approx(log_odds(0.6))
    assert _best_cuts(whole, table, HEIGHT, reader) == (whole,)


@pytest.mark.parametrize("tall, cut", [(95, True), (70, False)])
def test_a_1_cut_out_of_a_piece_must_be_as_tall_as_it(tall, cut):
    # a 7 written wide: the end of its bar cut off reads as a short 1
    whole, left, right = piece(0, 110), piece(0, 80), piece(80, 30, tall)
    reader = MadeUpReader({whole: (7, 0.6), left: (7, 0.95), right: (1, 0.95)})
    table = {(0, 2): whole, (0, 1): left, (1, 2): right}
    assert _best_cuts(whole, table, HEIGHT, reader) == ((left, right) if cut else (whole,))


def test_confidences_beyond_certain_weigh_no_more():
    assert log_odds(1.0) == log_odds(0.9999) == log_odds(0.999)
    assert log_odds(0.5) == 0.0


def a_stroke_after_a_digit(whole_reading: tuple[int, float], left_reading: tuple[int, float],
                           right_reading: tuple[int, float]):
    """A digit and a stroke written after it that may have begun the next digit."""
    whole, left, right = piece(0, 70), piece(0, 50), piece(50, 20)
    reader = MadeUpReader({whole: whole_reading, left: left_reading, right: right_reading})
    return whole, [(left, right)], reader


def test_a_stroke_that_changes_nothing_is_cut_off_as_the_next_digit():
    whole, options, reader = a_stroke_after_a_digit((3, 0.9), (3, 0.99), (1, 0.95))
    assert _stroke_cut(whole, options, reader) == options[0]


def test_parts_read_far_surer_than_an_unsure_whole_are_cut_apart():
    # a 6 and the 1 written against it, read whole as an unsure 4
    whole, options, reader = a_stroke_after_a_digit((4, 0.81), (6, 0.98), (1, 0.999))
    assert _stroke_cut(whole, options, reader) == options[0]


def test_a_stroke_that_changes_a_sure_digit_stays_part_of_it():
    # a 4's second stroke: the 4 reads surely whole, its parts as other digits
    whole, options, reader = a_stroke_after_a_digit((4, 0.97), (1, 0.99), (1, 0.99))
    assert _stroke_cut(whole, options, reader) == (whole,)
