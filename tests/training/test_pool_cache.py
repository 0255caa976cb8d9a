"""The fine-tune pools kept on disk (``pool_cache``): the same pools back, made again when
anything they depend on changes, and a broken cache costs only time."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import numpy as np
import pytest

from digit_recognizer.__main__ import main as cli
from digit_recognizer.core.datasets.replay import load_replay
from digit_recognizer.core.idx import write_idx
from digit_recognizer.training.fine_tuning.mix import Recipe
from digit_recognizer.training.fine_tuning.pool_cache import (
    KEEP,
    POOL_ARRAYS,
    load_pools,
    pool_key,
    save_pools,
)

SMALL = Recipe(correction_copies=20, replay_digits=200, confusable_digits=50, non_digits=30,
               replay_pool=400, non_digit_pool=60, held_out_digits=300)


def pools(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.random((5, 3)).astype(np.float16) for name in POOL_ARRAYS}


def test_saved_pools_come_back_as_they_were(tmp_path):
    saved = pools()
    save_pools(tmp_path, "abc", saved)
    loaded = load_pools(tmp_path, "abc")
    assert loaded.keys() == saved.keys()
    assert all(np.array_equal(loaded[k], saved[k]) and loaded[k].dtype == saved[k].dtype
               for k in saved)
    assert load_pools(tmp_path, "other") is None
    assert [p.name for p in tmp_path.iterdir()] == ["abc.npz"]  # no temporary file left


@pytest.mark.parametrize("content", [b"", b"not a zip file", None], ids=["empty", "garbage",
                                                                        "cut short"])
def test_an_unreadable_cache_file_reads_as_no_pools(tmp_path, content):
    save_pools(tmp_path, "abc", pools())
    path = tmp_path / "abc.npz"
    path.write_bytes(path.read_bytes()[:200] if content is None else content)
    assert load_pools(tmp_path, "abc") is None
    save_pools(tmp_path, "abc", pools(1))  # written over
    assert np.array_equal(load_pools(tmp_path, "abc")["pool"], pools(1)["pool"])


def test_only_the_most_recently_used_files_are_kept(tmp_path):
    for number in range(KEEP):
        save_pools(tmp_path, f"k{number}", pools())
        os.utime(tmp_path / f"k{number}.npz", (1000 + number, 1000 + number))
    assert load_pools(tmp_path, "k0") is not None  # used again: now the newest
    save_pools(tmp_path, "new", pools())
    assert sorted(p.stem for p in tmp_path.iterdir()) == sorted(
        ["new", "k0", *(f"k{n}" for n in range(2, KEEP))])


def test_a_cache_folder_that_cannot_be_written_costs_nothing_but_time(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder would be")
    save_pools(blocker / "cache", "abc", pools())  # no error
    assert load_pools(blocker / "cache", "abc") is None


def test_the_key_changes_with_every_input_of_the_pools():
    x = np.zeros((10, 28, 28), np.uint8)
    y = np.arange(10, dtype=np.uint8)
    key = pool_key(b"weights", (x, y), SMALL, 0, 0)
    assert pool_key(b"weights", (x.copy(), y.copy()), SMALL, 0, 0) == key
    changed = [pool_key(b"other weights", (x, y), SMALL, 0, 0),
               pool_key(b"weights", (x + 1, y), SMALL, 0, 0),
               pool_key(b"weights", (x, y[::-1].copy()), SMALL, 0, 0),
               pool_key(b"weights", (x, y), replace(SMALL, replay_pool=401), 0, 0),
               pool_key(b"weights", (x, y), SMALL, 1, 0),
               pool_key(b"weights", (x, y), SMALL, 0, 3)]
    assert len({key, *changed}) == 1 + len(changed)


def test_a_base_prepared_from_the_cache_has_the_pools_it_would_have_made(tmp_path,
                                                                         small_model_path):
    from digit_recognizer.training.fine_tuning.head import prepare_base, save_unsaved_pools

    replay = load_replay().pair
    made = prepare_base(small_model_path, replay, SMALL, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # made in memory: written when a fit uses them
    save_unsaved_pools(made)
    (cached,) = tmp_path.glob("*.npz")
    cached.write_bytes(cached.read_bytes())  # the file, not the process, holds them now
    loaded = prepare_base(small_model_path, replay, SMALL, cache_dir=tmp_path)
    assert loaded.unsaved is None  # read from the cache: nothing to write back
    for name in POOL_ARRAYS:
        assert np.array_equal(getattr(made, name), getattr(loaded, name)), name
    assert loaded.base_accuracy == made.base_accuracy
    assert np.array_equal(loaded.base_class_accuracy, made.base_class_accuracy)
    assert made.pool.dtype == np.float16 and len(made.held_out) == SMALL.held_out_digits
    fresh = prepare_base(small_model_path, replay, SMALL)  # no cache at all: the same pools
    assert np.array_equal(fresh.pool, made.pool) and np.array_equal(fresh.others, made.others)


@pytest.mark.training
def test_the_command_keeps_the_pools_and_a_second_run_gives_the_same_model(tmp_path,
                                                                           capsys):
    replay = load_replay()
    extra = tmp_path / "extra"
    write_idx(extra / "mine-images-idx3-ubyte", replay.pair[0][-6:])
    write_idx(extra / "mine-labels-idx1-ubyte", replay.pair[1][-6:])
    cache = tmp_path / "cache"
    runs = []
    for name in ("first", "second", "broken cache"):
        if name == "broken cache":
            next(cache.glob("*.npz")).write_bytes(b"broken")
        out = tmp_path / f"{name}.keras"
        assert cli(["fine-tune", "--model", "model2", "--extra-data", str(extra),
                    "--out", str(out), "--epochs", "1", "--cache-dir", str(cache)]) == 0
        runs.append(json.loads(out.with_suffix(".json").read_text()))
        assert len(list(cache.glob("*.npz"))) == 1, name
    capsys.readouterr()
    assert runs[0]["held_out_accuracy"] == runs[1]["held_out_accuracy"] == \
        runs[2]["held_out_accuracy"]
    assert runs[0]["base_held_out_accuracy"] == runs[1]["base_held_out_accuracy"]
    assert not (tmp_path / "cache2").exists()
    assert cli(["fine-tune", "--model", "model2", "--extra-data", str(extra), "--out",
                str(tmp_path / "uncached.keras"), "--epochs", "1", "--no-cache",
                "--cache-dir", str(tmp_path / "cache2")]) == 0
    assert not (tmp_path / "cache2").exists()
