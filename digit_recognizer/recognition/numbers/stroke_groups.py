"""The window's strokes, in the order written -> one group of strokes per digit: ``group_strokes``.

People write a number digit by digit, left to right, and finish a digit before the next one,
or soon after: a 5's bar, a 4's second stroke or a 7's crossbar is written over or beside the
digit just written, often after its body. A stroke to the right of it begins the next digit,
even where its ink touches or overlaps the last one's. So a stroke joins the digit whose pen
path (the line the pen went along, not its ink, which a broad pen widens into its neighbour)
holds the middle of the stroke's own path, on the same line; or the digit just written, when
it comes near that digit's path without going on far to the right. That second way is in
doubt: a 1 written touching the digit before it joins it so, and ``touching`` reads both ways.
Strokes far smaller than the digits (a click of the pen: a decimal point, a stray mark) join
the digit whose ink holds them, else stay apart for the reader to judge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from digit_recognizer.core.strokes import Stroke

__all__ = ["StrokeGroups", "group_strokes"]

# A stroke this much smaller than the digits (its ink's longer side, in digit heights) is a
# mark: a decimal point or a stray click, judged by where it lies, not by the order written.
MARK_SIZE = 0.3
# A path's middle this far outside a digit's path, in digit heights, still lies over it: the
# pen does not come back to exactly where the digit's own strokes went.
REACH = 0.05
ONWARD = 0.45  # a stroke going this many digit heights right of the last digit begins the next
NEAR = 0.1  # ... and one whose path never comes this near its path (beyond the pen's width)
BAR = 0.4  # a stroke this short, in digit heights, is no digit: a bar (a 5's), wherever it goes
LINE_GAP = 0.25  # a stroke this far below the last digit, in digit heights, is still its own
RECENT = 3  # a stroke may join one of this many digits written last (a 7 crossed after an 8)
TALL = 0.5  # strokes at least this share of the tallest one tell how tall the digits are


@dataclass(frozen=True)
class StrokeGroups:
    """Stroke indices: one list per digit, in the order begun, and the marks apart;
    ``doubtful``: strokes that joined a digit only by coming near it, which may instead
    begin the next digit (``cuts`` tries both)."""

    digits: list[list[int]]
    marks: list[int]
    doubtful: set[int] = field(default_factory=set)


@dataclass
class _Span:
    """Where a stroke or a digit's strokes went: their path's box and their ink's box."""

    path: np.ndarray  # (x0, y0, x1, y1) of the points
    ink: np.ndarray  # the same, widened by half the pen on each side
    lines: list[np.ndarray]  # the strokes' points, (K, 2) each

    @classmethod
    def of(cls, stroke: Stroke) -> _Span:
        points = np.asarray(stroke.points, np.float64).reshape(-1, 2)
        path = np.concatenate([points.min(axis=0), points.max(axis=0)])
        half = stroke.width / 2
        return cls(path, path + np.array([-half, -half, half, half]), [points])

    def near(self, other: _Span, distance: float) -> bool:
        """Whether some point of ``other``'s path lies within ``distance`` of this path."""
        box = self.path + np.array([-distance, -distance, distance, distance])
        for points in other.lines:
            inside = points[(points[:, 0] >= box[0]) & (points[:, 0] <= box[2])
                            & (points[:, 1] >= box[1]) & (points[:, 1] <= box[3])]
            if any(_to_polyline(p, line) <= distance for p in inside for line in self.lines):
                return True
        return False


    @property
    def width(self) -> float:
        """The pen's width: the ink's margin around the path."""
        return float(self.path[0] - self.ink[0]) * 2

    @property
    def height(self) -> float:
        return float(self.ink[3] - self.ink[1])

    @property
    def size(self) -> float:
        return float(max(self.ink[2] - self.ink[0], self.ink[3] - self.ink[1]))


def group_strokes(strokes: Sequence[Stroke]) -> StrokeGroups:
    """Group ``strokes`` (in the order written, in one coordinate system) into digits."""
    spans = [_Span.of(s) for s in strokes if s.points]
    indices = [i for i, s in enumerate(strokes) if s.points]
    if not spans:
        return StrokeGroups([], [])
    tallest = max(span.height for span in spans)
    digit_height = float(np.median([s.height for s in spans if s.height >= TALL * tallest]))
    marks = [i for i, span in zip(indices, spans) if span.size < MARK_SIZE * digit_height]
    groups: list[list[int]] = []
    group_spans: list[_Span] = []
    doubtful = set()
    span_of = dict(zip(indices, spans))
    for i, span in zip(indices, spans):
        if i in marks:
            continue
        joined, doubt = _joins(span, group_spans, digit_height)
        if doubt:
            doubtful.add(i)
        if joined is not None:
            groups[joined].append(i)
            group_spans[joined] = _union([span_of[k] for k in groups[joined]])
            continue
        groups.append([i])
        if groups[:-1] and groups[-2][-1] in doubtful and _within(span_of[groups[-2][-1]], span,
                                                                  REACH * digit_height):
            # the stroke that joined the last digit in doubt lies over this one: it began
            # this digit (a 7 begun with a tick), not the last
            moved = groups[-2].pop()
            doubtful.discard(moved)
            groups[-1].insert(0, moved)
            group_spans[-1] = _union([span_of[k] for k in groups[-2]])
        group_spans.append(_union([span_of[k] for k in groups[-1]]))
    apart = []
    for i in marks:
        holder = _holder(_Span.of(strokes[i]), group_spans)
        if holder is None:
            apart.append(i)
        else:
            groups[holder].append(i)
    return StrokeGroups(groups, apart, doubtful)


def _union(spans: list[_Span]) -> _Span:
    """Where several strokes went together."""
    path = np.concatenate([np.min([s.path[:2] for s in spans], axis=0),
                           np.max([s.path[2:] for s in spans], axis=0)])
    ink = np.concatenate([np.min([s.ink[:2] for s in spans], axis=0),
                          np.max([s.ink[2:] for s in spans], axis=0)])
    return _Span(path, ink, [line for s in spans for line in s.lines])


def _joins(span: _Span, digits: list[_Span], height: float) -> tuple[int | None, bool]:
    """The index of the recent digit ``span`` is part of, or None: it begins a new one; and
    whether that is in doubt.

    It is part of a digit on its line whose path holds its middle, or whose middle its path
    holds (a 7 begun with a tick); or of the digit just written, if it comes near that digit's
    path (a 4's stem, a 5's bar, a 3's lower half written apart) without going on far to the
    right, as the next digit would, unless it is too short to be a digit (a long 5's bar). A
    next digit that touches the last one and is narrow (a 1) joins it that way: in doubt, and
    reading tells (``touching``)."""
    last = len(digits) - 1
    for index in range(last, max(last + 1 - RECENT, 0) - 1, -1):
        digit = digits[index]
        if not _same_line(span, digit, height, index == last):
            continue
        if _within(span, digit, REACH * height) or _within(digit, span, REACH * height):
            return index, False
        onward = span.path[2] - digit.path[2] <= ONWARD * height or span.height < BAR * height
        if index == last and onward and digit.near(span, span.width + NEAR * height):
            return index, True
    return None, False


def _same_line(span: _Span, digit: _Span, height: float, last: bool) -> bool:
    """Whether ``span`` shares ``digit``'s line: it shares its height, or, for the digit just
    written, lies just below or above it (a 3 written in two halves)."""
    shared = min(span.ink[3], digit.ink[3]) - max(span.ink[1], digit.ink[1])
    if last:
        return shared >= -LINE_GAP * height
    return shared > 0.3 * min(span.height, digit.height)


def _within(span: _Span, digit: _Span, reach: float) -> bool:
    """Whether the middle of ``span``'s path lies over ``digit``'s path, side to side."""
    middle = (span.path[0] + span.path[2]) / 2
    return digit.path[0] - reach <= middle <= digit.path[2] + reach


def _holder(span: _Span, digits: list[_Span]) -> int | None:
    """The digit whose ink holds the middle of a small mark, the last written first."""
    x, y = (span.path[0] + span.path[2]) / 2, (span.path[1] + span.path[3]) / 2
    for index in range(len(digits) - 1, -1, -1):
        x0, y0, x1, y1 = digits[index].ink
        if x0 <= x <= x1 and y0 <= y <= y1:
            return index
    return None


def _to_polyline(point: np.ndarray, line: np.ndarray) -> float:
    """The distance from ``point`` to the polyline through ``line``'s points (K, 2)."""
    if len(line) == 1:
        return float(np.hypot(*(point - line[0])))
    a, b = line[:-1], line[1:]
    ab = b - a
    t = np.clip(((point - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-12), 0, 1)
    nearest = a + t[:, None] * ab
    return float(np.hypot(*(nearest - point).T).min())
