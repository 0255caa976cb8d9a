"""The guard after each fit (``fine_tuning.guard``) and the replay digits bundled with the
models that it scores on (``core.datasets.replay``, made by ``training.replay_set``)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil

import numpy as np
import pytest

from digit_recognizer.__main__ import main as cli
from digit_recognizer.core.catalogue import MODELS_DIR
from digit_recognizer.core.conflicts import conflict_key, read_conflicts, record_conflict
from digit_recognizer.core.datasets.replay import (
    REPLAY_IMAGES,
    REPLAY_INFO,
    REPLAY_LABELS,
    load_replay,
)
from digit_recognizer.core.datasets.errors import ReplayError
from digit_recognizer.core.idx import write_idx
from digit_recognizer.training.replay_set import HELD_OUT, REPLAYED, main, pick_replay
from digit_recognizer.training.run_data import VALIDATION_SIZE

# -- the bundled replay digits ----------------------------------------------------------------


def test_bundled_replay_digits_read_with_their_recorded_sha256():
    replay = load_replay()
    assert replay.images.shape == (HELD_OUT + REPLAYED, 28, 28) and replay.held_out == HELD_OUT
    assert replay.images.dtype == np.uint8 and np.bincount(replay.labels).min() > 700
    info = json.loads((MODELS_DIR / REPLAY_INFO).read_text())
    for name in (REPLAY_IMAGES, REPLAY_LABELS):
        data = (MODELS_DIR / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == info["files"][name]["gz_sha256"]
    assert sum(f["bytes"] for f in info["files"].values()) <= 2_000_000


def test_held_out_digits_come_from_training_validation_split_and_the_rest_never():
    index = np.arange(60000)  # stands in for the images: what was picked, by number
    picked, _ = pick_replay(index, index % 10)
    validation = np.random.default_rng(0).permutation(60000)[:VALIDATION_SIZE]
    assert np.isin(picked[:HELD_OUT], validation).all()
    assert not np.isin(picked[HELD_OUT:], validation).any()
    assert len(np.unique(picked)) == len(picked)


def test_replay_digits_remade_from_mnist_are_byte_identical(mnist_dir, tmp_path, capsys):
    assert main(["--data-dir", str(mnist_dir), "--out", str(tmp_path)]) == 0
    for name in (REPLAY_IMAGES, REPLAY_LABELS, REPLAY_INFO):
        assert (tmp_path / name).read_bytes() == (MODELS_DIR / name).read_bytes(), name
    assert "SHA-256" in capsys.readouterr().out


@pytest.fixture
def replay_copy(tmp_path):
    for name in (REPLAY_IMAGES, REPLAY_LABELS, REPLAY_INFO):
        shutil.copyfile(MODELS_DIR / name, tmp_path / name)
    return tmp_path


def test_a_changed_replay_file_is_refused_by_its_sha256(replay_copy):
    labels = gzip.decompress((replay_copy / REPLAY_LABELS).read_bytes())
    changed = labels[:-1] + bytes([(labels[-1] + 1) % 10])  # one label off: still valid IDX
    (replay_copy / REPLAY_LABELS).write_bytes(gzip.compress(changed))
    with pytest.raises(ReplayError, match="replay-labels-idx1-ubyte.gz: content does not match"):
        load_replay(replay_copy)


@pytest.mark.parametrize("case, words", [
    ("no record", "replay.json is missing"),
    ("no images", "replay-images-idx3-ubyte.gz is missing"),
    ("truncated", "replay-images-idx3-ubyte.gz is truncated or damaged"),
    ("record not json", "replay.json is unreadable"),
    ("held_out too big", "'held_out' must be a count below 8000"),
])
def test_bad_replay_files_get_a_specific_error(replay_copy, case, words):
    images, info = replay_copy / REPLAY_IMAGES, replay_copy / REPLAY_INFO
    if case == "no record":
        info.unlink()
    elif case == "no images":
        images.unlink()
    elif case == "truncated":
        images.write_bytes(images.read_bytes()[:5000])
    elif case == "record not json":
        info.write_text("{")
    else:
        info.write_text(json.dumps(json.loads(info.read_text()) | {"held_out": 8000}))
    with pytest.raises(ReplayError, match=words):
        load_replay(replay_copy)


# -- the guard on a real model -----------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    from digit_recognizer.core.datasets.mnist import load_mnist

    return load_mnist(mnist_dir)


@pytest.fixture(scope="module")
def guarded_model2():
    """model 2 and a Personaliser that has prepared it with the bundled replay digits."""
    from digit_recognizer.recognition.recognizer import bundled_path, load_keras_file
    from digit_recognizer.training.fine_tuning.fine_tune import Personaliser

    base, replay = load_keras_file(bundled_path("model2")), load_replay()
    personaliser = Personaliser(keep=1)
    personaliser.prepare(base, replay.pair, replay.held_out)
    return personaliser, base, replay


def fours_taught_as_nines(mnist, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Clear 4s from MNIST's test set, each taught as a 9: what nobody else writes."""
    _, (x_test, y_test) = mnist
    return x_test[y_test == 4][:count], np.full(count, 9, np.uint8)


@pytest.mark.training
def test_a_plain_correction_passes_the_guard_first_time(guarded_model2, mnist):
    personaliser, base, replay = guarded_model2
    _, (x_test, y_test) = mnist
    guarded = personaliser.guarded(base, x_test[:5], y_test[:5], replay=replay.pair,
                                   held=replay.held_out)
    assert guarded.model is not None and not guarded.gentle
    assert guarded.held_out == 3000 and guarded.loss <= 0.3
    assert guarded.base_accuracy > 0.99  # validation digits the base never trained on
    assert guarded.sentence().endswith(f"(base {guarded.base_accuracy:.2%}).")


@pytest.mark.training
def test_a_clear_4_taught_as_a_9_is_refused_naming_the_class_it_costs(guarded_model2, mnist):
    """Five clear 4s taught as 9s: the average barely moves, the 4s lose far more than 2
    points, and the guard names them."""
    personaliser, base, replay = guarded_model2
    images, labels = fours_taught_as_nines(mnist, 5)
    guarded = personaliser.guarded(base, images, labels, replay=replay.pair,
                                   held=replay.held_out)
    assert guarded.model is None and guarded.gentle
    assert guarded.worst_class == 4 and guarded.class_loss > 2
    assert guarded.loss < guarded.class_loss / 5  # the average alone hides most of it
    points, lost_class = guarded.cost()
    assert (points, lost_class) == (guarded.class_loss, 4)
    assert guarded.sentence() == ("Even fitted gently, it would cost "
                                  f"{points:.1f} points on other people's 4s.")


def write_corrections(folder, images: np.ndarray, labels: np.ndarray):
    folder.mkdir()
    write_idx(folder / "c-images-idx3-ubyte", images)
    write_idx(folder / "c-labels-idx1-ubyte", labels)
    return folder


@pytest.fixture(scope="module")
def pool_cache(tmp_path_factory):
    """One cache for the module's commands: the first makes model 2's pools, the rest read."""
    return tmp_path_factory.mktemp("pools")


@pytest.mark.training
def test_the_command_leaves_out_a_conflicting_correction_and_learns_the_rest(
        tmp_path, mnist, capsys, pool_cache):
    _, (x_test, y_test) = mnist
    fours, nines = fours_taught_as_nines(mnist, 5)
    images = np.concatenate([x_test[:3], fours])  # a 7, a 2 and a 1, then the five 4s
    labels = np.concatenate([y_test[:3], nines])
    folder = write_corrections(tmp_path / "corrections", images, labels)
    out = tmp_path / "mine.keras"
    assert cli(["fine-tune", "--model", "model2", "--extra-data", str(folder), "--out", str(out),
                "--cache-dir", str(pool_cache)]) == 0
    printed = capsys.readouterr().out.splitlines()
    left = [line for line in printed if line.startswith("left out: ")]
    assert [line.split(",")[0] for line in left] == [f"left out: Correction {n}"
                                                     for n in range(4, 9)]
    assert all(", a 4 taught as a 9, conflicts with how most people write: learning it would "
               "cost " in line and line.endswith(" points on other people's 4s.") for line in left)
    assert printed[-1].startswith(f"saved {out}: corrections read as taught 100% of 3")
    metadata = json.loads(out.with_suffix(".json").read_text())
    assert metadata["name"] == "Model 2 + 3 corrections" and metadata["corrections"] == 3
    assert [(one["index"], one["read_as"], one["label"], one["lost_class"])
            for one in metadata["left_out"]] == [(n, 4, 9, 4) for n in range(3, 8)]
    assert [f"left out: {one['sentence']}" for one in metadata["left_out"]] == left
    assert metadata["guard"] in ("passed", "gentle") and metadata["worst_class_loss"] <= 2
    assert out.is_file() and out.with_suffix(".onnx").is_file()
    assert set(read_conflicts(folder)) == {conflict_key(image, 9) for image in fours}


@pytest.mark.training
def test_when_every_correction_conflicts_the_command_writes_nothing(tmp_path, mnist, capsys,
                                                                     pool_cache):
    images, labels = fours_taught_as_nines(mnist, 10)
    folder = write_corrections(tmp_path / "corrections", images, labels)
    record_conflict(folder, images[0], 9, "refused before")  # left out at once, and said so
    out = tmp_path / "mine.keras"
    assert cli(["fine-tune", "--model", "model2", "--extra-data", str(folder),
                "--out", str(out), "--cache-dir", str(pool_cache)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == ("left out: Correction 1, a 4 taught as a 9, conflicts with how most "
                          "people write, as an earlier fit found.")
    assert len(printed) == 11 and all(line.startswith(f"left out: Correction {n}, a 4 taught as "
                                                      "a 9, conflicts")
                                      for n, line in enumerate(printed[:10], 1))
    assert printed[10].startswith("nothing written: none of the corrections can be learned (")
    assert not out.exists() and not out.with_suffix(".json").exists()
