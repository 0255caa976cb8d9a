"""Touching digits told apart by reading them: ``split_touching``.

From strokes first: a piece drawn with a stroke that may have begun the next digit (a 1 that
touches the 3 before it) is cut there when the stroke changes nothing about the digit read,
or the two parts read surer than the whole (``_stroke_cut``).

Then in the ink: a piece wide for one digit, or one the network does not read surely, may be
several digits touching. ``cuts.seams`` proposes seams through it, and every stretch of ink
between two seams is read, all in one call to the network. For each count of digits, the
stretches whose least sure digit reads surest (the network's log-odds, each weighed by how
likely a digit is to be that wide: a dynamic programme over the seams, left to right) are
weighed by how often that many digits touch; the likeliest wins, the piece whole included.
A reading is as sure as its least sure digit: two parts the network is all but certain of
outweigh a whole it hesitates over (an 8 and a 9 touching read as an unsure 8), while a
part it hesitates over sinks the cut however sure the other is. A part read as a 1 must be
about as tall as the piece (``stems.TALL``): the network reads any stick as a 1, and the end of
a 7's bar or the side of a 0 cut off is shorter than the digit it came from. A piece still too
wide to be one digit is flagged: its digits are not guessed, nor dropped.

Last, a 1 touching its neighbour that the network reads surely as that digit alone (16 as a 6)
is cut off by its shape: a straight stem at the piece's edge (``stems.stem_cut``).

The weights were chosen on numbers written by the pen data's training writers
(``evaluation.pen_numbers``), never on the validation writers the benchmark reads.
"""

from __future__ import annotations

import math

import numpy as np

from digit_recognizer.recognition.numbers.cuts import SHORTEST, seams, stroke_cuts
from digit_recognizer.recognition.numbers.pieces import Piece, between
from digit_recognizer.recognition.numbers.reader import Reader
from digit_recognizer.recognition.numbers.stems import TALL, stem_cut
from digit_recognizer.recognition.preprocess.ink import INK_LEVEL
from digit_recognizer.recognition.preprocess.mnist_recipe import stroke_width

__all__ = ["split_touching", "width_prior", "readings_by_count"]

NARROW = 0.7  # a piece narrower than this many digit heights is one digit: never cut ...
WIDE = 0.95  # ... one at least this wide may be several ...
SURE = 0.9  # ... and so may a narrower one read less surely than this
TOO_WIDE = 1.45  # no digit is this wide: left whole, it is flagged
PART = 0.5  # a part read less surely than this is no digit on its own
# How likely a digit is to be r digit heights wide: 1 up to USUAL, then falling (a Cauchy
# tail, SPREAD wide). On the pen data's training writers, 95% of digits are at most 1.08
# heights wide, 99% at most 1.17; two touching digits 1.4 in the median.
USUAL, SPREAD = 1.0, 0.15
WIDEST_PART = 1.4  # stretches wider than this many heights are not read as one digit ...
SLIVER = 0.8  # ... nor those narrower than this many widths of the pen
# How often a piece holds 2 digits rather than 1: about a fifth of neighbouring digits touch
# when people write fast; each further digit in one piece a tenth as often again.
TWO, MORE = 0.2, 0.1
THIN = 0.2  # a piece no wider than one digit holds two far less often: both must be thin (11)
CERTAIN = 0.999  # the network's confidence beyond this says nothing more: it is overconfident


def log_odds(confidence: float) -> float:
    """How sure a confidence is, as log-odds: 0.5 is 0, near-certain is large."""
    sure = min(confidence, CERTAIN)
    return math.log(sure / (1 - sure))


def width_prior(ratio: float) -> float:
    """How likely a digit is to be ``ratio`` digit heights wide, relative to a usual one."""
    return float(1 / (1 + (max(ratio - USUAL, 0) / SPREAD) ** 2))


def split_touching(row: list[Piece], height: float, reader: Reader
                   ) -> tuple[list[Piece], set[Piece]]:
    """``row`` (left to right) with touching digits cut apart, and the pieces too wide to be
    one digit that no cut could split (to be flagged)."""
    reader.read(row)
    options = {p: stroke_cuts(p, height) for p in row if p.breaks}
    reader.read([part for pairs in options.values() for pair in pairs for part in pair])
    row = [part for p in row for part in _stroke_cut(p, options.get(p, []), reader)]
    suspects = [p for p in row if _suspect(p, height, reader)]
    stretches = {p: _stretches(p, height) for p in suspects}
    reader.read([s for table in stretches.values() for s in table.values()])
    row = [part for p in row for part in
           (_best_cuts(p, stretches[p], height, reader) if p in stretches else (p,))]
    row = [part for p in row for part in stem_cut(p, height, reader)]
    # a single stroke is one digit however wide (a 2 written wide and low), never flagged
    return row, {p for p in row if p.box[2] >= TOO_WIDE * height and len(p.strokes) != 1}


def _stroke_cut(piece: Piece, options: list[tuple[Piece, Piece]], reader: Reader
                ) -> tuple[Piece, ...]:
    """The parts of ``piece`` cut between its strokes, if better than it whole; else it.

    When the whole reads as a digit, one part must be that digit and the other a digit too:
    the stroke cut off changed nothing, so it was no part of that digit (a 1 touching a 3),
    while one that changes the digit (a 4's stem) is part of it. Or the parts read as other
    digits, each far surer than the whole, as surely as two touching digits must in ink
    (``_best_cuts``): a 1 that turned the 6 before it into an unsure 4. When the whole reads
    as no digit, the parts must read surer. A lone stroke is judged by the network's best
    guess alone, even where it would say "not a digit": a short 1 often reads so."""
    whole = reader.read([piece])[0]
    best, score = (piece,), 0.0 if whole is None else whole.confidence
    for left, right in options:
        parts = reader.read([left, right])
        if any(p is None or p.confidence < PART for p in parts):
            continue
        both = parts[0].confidence * parts[1].confidence
        if whole is not None and not whole.not_a_digit:
            kept = whole.digit in {p.digit for p in parts}
            surer = (log_odds(min(p.confidence for p in parts)) + math.log(TWO)
                     > log_odds(whole.confidence))
            if (kept and both > score * PART) or (not kept and surer and both > score):
                best, score = (left, right), both
        elif both > score:
            best, score = (left, right), both
    return best


def _suspect(piece: Piece, height: float, reader: Reader) -> bool:
    """Whether ``piece`` may be touching digits: wide, or not wide and read unsurely. Drawn
    from strokes, only if drawn with several, wide and read as no digit: the strokes told the
    digits apart already, save for two written across each other, and a digit the network
    cannot read is no two digits for it."""
    width = piece.box[2]
    if width < NARROW * height:
        return False
    if piece.strokes:
        return (len(piece.strokes) > 1 and width >= WIDE * height
                and reader.confidence(piece) == 0)
    return width >= WIDE * height or reader.confidence(piece) < SURE


def _stretches(piece: Piece, height: float) -> dict[tuple[int, int], Piece]:
    """The ink between seams ``i`` and ``j`` of ``piece`` (0: its left edge, last: its right
    edge), for each pair that may hold one digit, the whole piece always."""
    cuts = [None, *seams(piece, height), None]
    last = len(cuts) - 1
    table = {(0, last): piece}
    # a digit is at least as wide as the pen that wrote it: a narrower stretch is a sliver
    pen = stroke_width((piece.ink >= INK_LEVEL).view(np.uint8))
    for i in range(last):
        for j in range(i + 1, last + 1):
            if (i, j) == (0, last):
                continue
            stretch = between(piece, cuts[i], cuts[j])
            if (stretch is not None and stretch.box[3] >= SHORTEST * height
                    and SLIVER * pen <= stretch.box[2] <= WIDEST_PART * height):
                table[(i, j)] = stretch
    return table


def _best_cuts(piece: Piece, table: dict[tuple[int, int], Piece], height: float,
               reader: Reader) -> tuple[Piece, ...]:
    """The stretches that cut ``piece`` into the digits most likely written, or the piece
    whole: for each count of digits, the stretches whose least sure digit reads surest,
    weighed by how often that many digits touch (``TWO``, ``MORE``)."""
    narrow = piece.box[2] < WIDE * height  # as narrow as one digit: two only if both are thin

    def prior(count: int) -> float:
        if count == 1:
            return 0.0
        return math.log(TWO * MORE ** (count - 2) * (THIN if narrow else 1.0))

    ways = readings_by_count(table, height, reader).items()
    _, parts = max(((value + prior(k), parts) for k, (value, parts) in ways),
                   default=(0.0, (piece,)), key=lambda way: way[0])
    return parts


def readings_by_count(table: dict[tuple[int, int], Piece], height: float, reader: Reader
                      ) -> dict[int, tuple[float, tuple[Piece, ...]]]:
    """For each count of digits, the stretches of ``table`` (``_stretches``) that read as
    that many digits, the least sure of them surest, and how sure that one is: its log-odds
    (``log_odds``) plus the log of ``width_prior`` (a dynamic programme over the seams, left
    to right, keeping the best least sure digit). A stretch read as no digit is never one,
    nor one read as a 1 shorter than ``stems.TALL`` of the piece."""
    last = max(j for _, j in table)
    whole_height = table[(0, last)].box[3]
    # best[j][k]: the way to read the ink left of seam j as k digits whose least sure digit
    # is surest, how sure that one is, and its parts
    best: list[dict[int, tuple[float, tuple[Piece, ...]]]] = [{0: (math.inf, ())}]
    for j in range(1, last + 1):
        ways: dict[int, tuple[float, tuple[Piece, ...]]] = {}
        for i in range(j):
            stretch = table.get((i, j))
            reading = None if stretch is None else reader.read([stretch])[0]
            if reading is None or reading.not_a_digit:
                continue
            if (i, j) != (0, last) and (reading.confidence < PART or (
                    reading.digit == 1 and stretch.box[3] < TALL * whole_height)):
                continue
            sure = log_odds(reading.confidence) + math.log(width_prior(stretch.box[2] / height))
            for k, (value, parts) in best[i].items():
                least = min(value, sure)
                if k + 1 not in ways or least > ways[k + 1][0]:
                    ways[k + 1] = (least, (*parts, stretch))
        best.append(ways)
    return best[last]
