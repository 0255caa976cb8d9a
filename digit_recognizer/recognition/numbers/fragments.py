"""Pieces of ink too small to be a digit: joined to the neighbour they belong to, or ignored.

In an image, a digit's strokes do not always touch: a 5's bar lifted off its body, a 4's stem
beside its angle, a gap where the pen skipped. Such a fragment is shorter than the row's
digits. It joins its nearest neighbour when the network reads the two together better than
apart; a small speck far from the baseline (a stray mark above the line) is ignored;
any other fragment stays and is read for what it is.
"""

from __future__ import annotations

from digit_recognizer.recognition.numbers.pieces import Piece, join
from digit_recognizer.recognition.numbers.reader import Reader

__all__ = ["merge_fragments", "is_fragment"]

FRAGMENT = 0.55  # a piece shorter than this many digit heights is a fragment
NEAR = 0.5  # a fragment joins only a neighbour this close, in digit heights (gap of ink)
SPECK = 0.4  # a fragment smaller than this many heights ...
ASTRAY = 0.35  # ... whose bottom is this far from the baseline, in heights, is ignored
PASSES = 2  # a digit in three pieces needs two joins


def is_fragment(piece: Piece, height: float) -> bool:
    """Whether ``piece`` is too short to be a digit of a row ``height`` px tall."""
    return piece.box[3] < FRAGMENT * height


def merge_fragments(row: list[Piece], height: float, baseline: float,
                    reader: Reader) -> list[Piece]:
    """``row`` (left to right) with each fragment joined to the neighbour it reads best with,
    when that reads better than the two apart; stray specks left out."""
    for _ in range(PASSES):
        options = []
        for i, piece in enumerate(row):
            if not is_fragment(piece, height):
                continue
            for j in (i - 1, i + 1):
                if 0 <= j < len(row) and _gap(piece, row[j]) <= NEAR * height:
                    options.append((i, j, join(piece, row[j])))
        if not options:
            break
        reader.read([joined for _, _, joined in options] + row)
        row = _apply(row, options, reader)
    return [p for p in row if not _astray(p, height, baseline)]


def _apply(row: list[Piece], options: list[tuple[int, int, Piece]],
           reader: Reader) -> list[Piece]:
    """The joins that read better than the two apart, the largest gains first: the joined
    piece surer as a digit than the neighbour and the fragment as two (a fragment that is
    no digit reads 0)."""
    gains = []
    for i, j, joined in options:
        gain = reader.confidence(joined) - reader.confidence(row[j]) * reader.confidence(row[i])
        if gain > 0 and reader.confidence(joined) > 0:
            gains.append((gain, i, j, joined))
    used: set[int] = set()
    replaced: dict[int, Piece] = {}
    for _, i, j, joined in sorted(gains, key=lambda g: -g[0]):
        if i in used or j in used:
            continue
        used.update((i, j))
        replaced[min(i, j)] = joined
    return [replaced.get(i, p) for i, p in enumerate(row) if i not in used or i in replaced]


def _gap(a: Piece, b: Piece) -> int:
    """Pixels of paper between the boxes of ``a`` and ``b`` side by side (0 if they overlap)."""
    return max(b.box[0] - a.right, a.box[0] - b.right, 0)


def _astray(piece: Piece, height: float, baseline: float) -> bool:
    """A speck far from the baseline: neither a digit nor part of one."""
    small = max(piece.box[2:]) < SPECK * height
    return small and abs(piece.bottom - baseline) > ASTRAY * height
