"""Where a piece holding touching digits may be cut: ``stroke_cuts``, ``seams``, ``edge_seams``.

From strokes, a piece may be cut between the stroke where a new digit may have begun and the
ones before it (``Piece.breaks``). In ink alone, two digits that touch meet where there is
little ink: the columns of least ink, the minima of the piece's vertical projection. A straight
cut there would slice through a slanted digit, so each cut follows the seam of least ink from
the top of the piece to its bottom, within a band around that column (seam carving's dynamic
programme); ``edge_seams`` proposes one near each edge, where a 1 may touch. Which cuts are
right, if any, is for the network to say (``touching``, ``stems``): this module only proposes
them.
"""

from __future__ import annotations

import cv2
import numpy as np

from digit_recognizer.recognition.numbers.pieces import Piece, drawn

__all__ = ["stroke_cuts", "seams", "edge_seams", "SHORTEST"]

NARROWEST = 0.12  # a part is at least this many digit heights wide (a 1 is a pen wide)
BAND = 0.2  # a seam strays at most this many digit heights from its column
SEPARATION = 0.15  # two seams' columns lie at least this many digit heights apart
PER_DIGIT = 1.6  # seams tried per digit's width the piece spans, at least ...
FEWEST = 2  # ... this many
SHORTEST = 0.45  # each part is at least this many digit heights tall ...
SHORTEST_STROKES = 0.6  # ... and between strokes this tall: shorter strokes are bars, flags
DIGIT_WIDTH = 0.7  # the usual width of a digit, in heights
DIP = 0.08  # an outline dips between digits by at least this many digit heights
STEP_COST = 0.15  # a seam's sideways step costs as much as this much ink: seams run straight
EDGE = 0.35  # a 1 at the edge of a piece is at most this many digit heights wide


def stroke_cuts(piece: Piece, height: float) -> list[tuple[Piece, Piece]]:
    """``piece``'s strokes parted in two where a new digit may have begun: (left, right)
    pairs, each part tall enough to be a digit."""
    cuts = []
    for i in piece.breaks:
        first, second = drawn(piece.strokes[:i]), drawn(piece.strokes[i:])
        if first is None or second is None:
            continue
        if min(first.box[3], second.box[3]) >= SHORTEST_STROKES * height:
            cuts.append((first, second) if first.centre[0] <= second.centre[0]
                        else (second, first))
    return cuts


def seams(piece: Piece, height: float) -> list[np.ndarray]:
    """Seams through ``piece``'s ink where touching digits may meet, left to right: for each
    row of its crop, the first column right of the seam. ``height``: the row's digits'.

    The seams of least ink start at the columns of least ink; straight cuts go down where
    the ink's outline dips between two digits (two round digits touching, such as 00, meet
    where the ink is thick, and the path of least ink runs through a 0's hole instead)."""
    ink = piece.ink
    limit = max(FEWEST, round(PER_DIGIT * piece.box[2] / (DIGIT_WIDTH * height)))
    band = max(2, round(BAND * height))
    cuts = [_seam(ink, c, band) for c in _cut_columns(ink, height, limit)]
    cuts += [np.full(ink.shape[0], c, np.int64) for c in _outline_dips(ink, height, limit)]
    return sorted(cuts, key=lambda seam: float(seam.mean()))


def _outline_dips(ink: np.ndarray, height: float, limit: int) -> list[int]:
    """Columns where the ink's top comes down or its bottom goes up between two higher
    stretches, the deepest first: where two digits' outlines meet."""
    rows, width = ink.shape
    inside = _inner_columns(width, height)
    if not len(inside):
        return []
    inked = ink >= 0.5
    any_ink = inked.any(axis=0)
    top = np.where(any_ink, inked.argmax(axis=0), rows).astype(np.float32)
    bottom = np.where(any_ink, rows - 1 - inked[::-1].argmax(axis=0), -1).astype(np.float32)
    depth = np.zeros(width, np.float32)
    for outline in (top, rows - 1 - bottom):  # both as "how far the outline is pushed in"
        left = np.maximum.accumulate(-outline)  # the highest outline so far, from the left
        right = np.maximum.accumulate((-outline)[::-1])[::-1]
        depth = np.maximum(depth, np.minimum(left, right) + outline)
    dips = [c for c in inside if depth[c] >= DIP * height
            and depth[c] >= depth[c - 1] and depth[c] >= depth[c + 1]]
    return _apart(sorted(dips, key=lambda c: -depth[c]), height, limit)


def _cut_columns(ink: np.ndarray, height: float, limit: int) -> list[int]:
    """The columns of least ink, at least NARROWEST heights from either side, best first."""
    inside = _inner_columns(ink.shape[1], height)
    if not len(inside):
        return []
    profile = ink.sum(axis=0, dtype=np.float32)
    smooth = max(1, round(0.04 * height)) * 2 + 1  # the pen's wobble is no minimum
    profile = cv2.blur(profile[None, :], (smooth, 1), borderType=cv2.BORDER_REPLICATE)[0]
    minima = [c for c in inside if profile[c] <= profile[c - 1] and profile[c] <= profile[c + 1]]
    return _apart(sorted(minima or list(inside), key=lambda c: profile[c]), height, limit)


def _inner_columns(width: int, height: float) -> np.ndarray:
    """The columns of a piece ``width`` px wide that a cut may go down: at least NARROWEST
    digit heights (and 2 px) from either side; none in a piece too narrow for two parts."""
    margin = max(2, round(NARROWEST * height))
    return np.arange(margin, width - margin)


def _apart(columns: list[int], height: float, limit: int) -> list[int]:
    """Up to ``limit`` of ``columns`` (best first), each SEPARATION heights from those kept."""
    chosen: list[int] = []
    for column in columns:
        if all(abs(column - c) >= SEPARATION * height for c in chosen):
            chosen.append(int(column))
        if len(chosen) == limit:
            break
    return chosen


def _seam(ink: np.ndarray, column: int, band: int) -> np.ndarray:
    """For each row of ``ink``, the column of the path of least ink from top to bottom that
    stays within ``band`` columns of ``column``, one column sideways per row at most."""
    rows, width = ink.shape
    low, high = max(column - band, 1), min(column + band, width - 1)
    cost = ink[:, low:high + 1]
    steps = np.zeros(cost.shape, np.int8)
    total = cost[0].copy()
    total += np.abs(np.arange(low, high + 1) - column) * (STEP_COST / 4)  # start near column
    for row in range(1, rows):
        left = np.concatenate([[np.inf], total[:-1]]) + STEP_COST
        right = np.concatenate([total[1:], [np.inf]]) + STEP_COST
        choices = np.stack([left, total, right])
        best = choices.argmin(axis=0)
        steps[row] = best - 1
        total = choices[best, np.arange(len(total))] + cost[row]
    seam = np.empty(rows, np.int64)
    position = int(total.argmin())
    for row in range(rows - 1, -1, -1):
        seam[row] = position + low
        position += int(steps[row, position])
    return seam


def edge_seams(piece: Piece, height: float) -> list[tuple[str, np.ndarray]]:
    """Where a 1 touching a neighbour may be cut off at each edge of ``piece``: for "left"
    and "right", the seam of least ink starting at the column of least ink within EDGE
    digit heights of that edge (a 1 is narrow), at least NARROWEST from it."""
    ink = piece.ink
    width = ink.shape[1]
    inside = _inner_columns(width, height)
    if not len(inside):
        return []
    margin, reach = int(inside[0]), round(EDGE * height)
    profile = ink.sum(axis=0, dtype=np.float32)
    band = max(2, round(BAND * height / 2))
    found = []
    for side, columns in (("left", range(margin, min(reach, width - margin))),
                          ("right", range(max(width - reach, margin), width - margin))):
        if len(columns):
            column = min(columns, key=lambda c: profile[c])
            found.append((side, _seam(ink, int(column), band)))
    return found
