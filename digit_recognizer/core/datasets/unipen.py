"""UNIPEN's pen-written digits, as strokes: ``load_unipen()`` and the writer-disjoint split.

    pen = load_unipen()                       # 7,735 digits by 131 writers at 16 sites
    train, validation = writer_split(pen)     # index arrays; no writer on both sides
    pen.strokes[0]                            # [array (K, 2) of x, y, ...]: the pen's path

The file (``../shared/data/unipen``, or ``unipen_dir``, or ``$UNIPEN_DIR``) holds one JSON object
per line: a digit's label, site, writer and pen-down strokes as the tablet recorded them (y down,
in the tablet's own units). They are drawn as the window draws by
``training.data.pen_drawing``.

The validation writers are a fixed fifth of the writers, chosen per site, so that every model is
chosen and scored on the same people and none of them was ever trained on: a figure on a
training writer's digits says nothing about a new user. Problems raise :class:`DatasetError`
with one sentence naming the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digit_recognizer.core.datasets.sources import SHARED_DATA, DataSource, and_list

__all__ = ["UNIPEN", "UNIPEN_FILE", "UNIPEN_SHA256", "PenDigits", "find_unipen", "load_unipen",
           "writer_split"]

UNIPEN_FILE = "unipen-1a-digits.jsonl.gz"
UNIPEN_SHA256 = "b11282ba97a9bd6687d5175f239057d1c9120ca6f980bfe6f8053cb274b5ae7b"  # its README
UNIPEN = DataSource("pen data", (UNIPEN_FILE,), "the SHA-256 in the pen data's README",
                    env="UNIPEN_DIR", option="--unipen-dir", default=SHARED_DATA / "unipen")
VALIDATION_SHARE = 0.2  # of the writers, held out whole
FIELDS = ("label", "site", "writer", "strokes")  # what each line holds
SPLIT_SEED = 0  # fixed: every model is chosen on the same writers, whatever its run's --seed


@dataclass(frozen=True)
class PenDigits:
    """Pen-written digits: each one's strokes (float32 (K, 2) arrays), label, writer and site."""

    strokes: list[list[np.ndarray]]
    labels: np.ndarray  # uint8 (N,)
    writers: np.ndarray  # str (N,)
    sites: np.ndarray  # str (N,)

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: np.ndarray) -> PenDigits:
        return PenDigits([self.strokes[i] for i in index], self.labels[index],
                         self.writers[index], self.sites[index])


def find_unipen(unipen_dir: str | os.PathLike | None = None) -> Path:
    """The pen data's folder: ``unipen_dir``, else $UNIPEN_DIR, else ../shared/data/unipen
    beside the repository. Raises DatasetError if it does not exist."""
    return UNIPEN.find(unipen_dir)


def load_unipen(unipen_dir: str | os.PathLike | None = None) -> PenDigits:
    """Every digit of the pen data, in the file's order. Raises DatasetError when the file is
    missing, truncated, altered or not of the documented shape."""
    path = find_unipen(unipen_dir) / UNIPEN_FILE
    raw = UNIPEN.read(path)
    # Parsed before the hash is checked, so a file edited by hand is told the line at fault.
    records = _parse(UNIPEN.unpack(path, raw), path)
    UNIPEN.verify(path, raw, UNIPEN_SHA256)
    return PenDigits([r[0] for r in records], np.array([r[1] for r in records], np.uint8),
                     np.array([r[2] for r in records]), np.array([r[3] for r in records]))


def _parse(text: bytes, path: Path) -> list[tuple[list[np.ndarray], int, str, str]]:
    """The JSON lines -> (strokes, label, writer, site), checked line by line."""
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(_record(json.loads(line)))
        except ValueError as err:  # JSON's own errors too
            raise UNIPEN.error(f"{path}, line {number}: not a pen digit ({err}); each line must "
                               "be {\"label\", \"site\", \"writer\", \"strokes\": [[[x, y], "
                               "...], ...]}") from err
    if not records:
        raise UNIPEN.error(f"{path} holds no digits")
    return records


def _record(item: object) -> tuple[list[np.ndarray], int, str, str]:
    """One line's digit; a ValueError says, in the file's own terms, what is wrong with it."""
    if not isinstance(item, dict):
        raise ValueError("not a JSON object")
    absent = [field for field in FIELDS if field not in item]
    if absent:
        raise ValueError(f"no {and_list(absent)}")
    label = item["label"]
    if not isinstance(label, int) or not 0 <= label <= 9:
        raise ValueError(f"label {label!r} is not a digit 0-9")
    try:
        strokes = [np.asarray(stroke, np.float32) for stroke in item["strokes"]]
    except (TypeError, ValueError) as err:  # not a list, or ragged points
        raise ValueError("strokes are not lists of [x, y] points") from err
    if not strokes or any(s.ndim != 2 or s.shape[1:] != (2,) or not len(s) for s in strokes):
        raise ValueError("strokes are not lists of [x, y] points")
    return strokes, label, str(item["writer"]), str(item["site"])


def writer_split(pen: PenDigits, share: float = VALIDATION_SHARE
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and the validation digits: ``share`` of the writers held out
    whole, chosen per site, so that every site with two or more writers keeps some of them on
    each side. The same data gives the same split."""
    sites = sorted(set(pen.sites))
    writers = {site: sorted(set(pen.writers[pen.sites == site])) for site in sites}
    counts = _held_out_counts({site: len(names) for site, names in writers.items()}, share)
    rng = np.random.default_rng(SPLIT_SEED)
    held = set()
    for site in sites:
        held.update(rng.permutation(writers[site])[:counts[site]])
    validation = np.isin(pen.writers, sorted(held))
    return np.flatnonzero(~validation), np.flatnonzero(validation)


def _held_out_counts(writers: dict[str, int], share: float) -> dict[str, int]:
    """How many writers each site holds out: ``share`` of all, by largest remainder, and
    never a site's only writer."""
    wanted = {site: share * count for site, count in writers.items()}
    counts = {site: int(w) for site, w in wanted.items()}
    left = round(share * sum(writers.values())) - sum(counts.values())
    for site in sorted(wanted, key=lambda s: (counts[s] - wanted[s], s)):
        if left <= 0:
            break
        if counts[site] + 1 < writers[site]:
            counts[site] += 1
            left -= 1
    return counts
