"""One fine-tuning for the window and the ``fine-tune`` command (``fine_tuning.pipeline``).

The window's side runs for real: its loader as ``gui.main`` makes it (pools cached under
``$XDG_CACHE_HOME``), its model process, and the engine that reads the corrections folder and
hands the window what to say. The command runs on a copy of the same corrections: both write the
same metadata, and leave out the same corrections in the same words. The window writes nothing
to the user's cache until a teach.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.__main__ import main as cli
from digit_recognizer.app.background.engine import Engine
from digit_recognizer.app.background.job_results import Done, Learned, Lesson
from digit_recognizer.app.background.model_loading import ModelLoader
from digit_recognizer.app.background.model_process import PersonaliseOptions
from digit_recognizer.app.personal_model import learned_message, personal_path
from digit_recognizer.app.teaching import IMAGES_FILE, LABELS_FILE
from digit_recognizer.core.catalogue import recorded_threshold
from digit_recognizer.core.conflicts import read_conflicts
from digit_recognizer.core.idx import write_idx
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.training.fine_tuning.pool_cache import default_cache_dir

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
UTC_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
# What may differ between two runs on the same corrections: when, how long, and where.
PER_RUN = ("date", "seconds", "base_model_file", "corrections_folder")


@pytest.fixture(scope="module")
def window(tmp_path_factory):
    """The window's loader and teacher as ``gui.main`` makes it, in a home whose cache is
    empty, warmed up as the window warms it up when it starts; and what its home held then."""
    home = tmp_path_factory.mktemp("home")
    env = pytest.MonkeyPatch()
    env.setenv("XDG_CACHE_HOME", str(home / "cache"))
    data = home / "data" / "digit-recognizer"
    loader = ModelLoader(MODELS_DIR, personal=personal_path(data / "corrections"),
                         options=PersonaliseOptions(cache_dir=str(default_cache_dir())))
    warmed = loader.warm_up("model2")
    # Ours only: importing Keras makes matplotlib (which it imports) write its font cache.
    written = sorted(path for path in home.rglob("*") if "matplotlib" not in path.parts
                     and path != home / "cache")
    yield loader, data, home, (warmed, written)
    loader.close()
    env.undo()


def save_corrections(folder: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    """The corrections as the window saves them (``teaching``'s file names)."""
    write_idx(folder / IMAGES_FILE, images)
    write_idx(folder / LABELS_FILE, labels)
    return folder


@pytest.fixture(scope="module")
def taught(mnist_dir) -> tuple[np.ndarray, np.ndarray]:
    """A 7, a 2 and a 1 taught as themselves, then five clear 4s taught as 9s."""
    _, (x_test, y_test) = load_mnist(mnist_dir)
    fours = x_test[y_test == 4][:5]
    return (np.concatenate([x_test[:3], fours]),
            np.concatenate([y_test[:3], np.full(5, 9, np.uint8)]))


@pytest.mark.training
def test_the_window_writes_no_pools_to_the_cache_until_it_teaches(window, taught):
    loader, data, home, (warmed, written) = window
    assert isinstance(warmed, Done) and written == []  # warmed up: nothing on disk
    images, labels = taught
    loader.personalise("model2", images[:3], labels[:3], data / "my_model.keras")
    pools = list((home / "cache" / "digit-recognizer" / "fine-tune-pools").glob("*.npz"))
    assert len(pools) == 1


@pytest.mark.training
def test_the_window_and_the_command_write_the_same_metadata(window, taught, tmp_path, capsys):
    loader, data, home, _ = window
    images, labels = taught
    folder = save_corrections(data / "corrections", images, labels)
    out = personal_path(folder)
    learned = Engine(loader, teacher=loader.personalise).personalise(
        Lesson("model2", folder, out, label=9))
    assert isinstance(learned, Learned)
    mine = json.loads(out.with_suffix(".json").read_text())

    copy = shutil.copytree(folder, tmp_path / "corrections", ignore=lambda *_: ["conflicts.json"])
    command_out = tmp_path / "mine.keras"
    assert cli(["fine-tune", "--model", "model2", "--extra-data", str(copy), "--out",
                str(command_out), "--cache-dir", str(default_cache_dir())]) == 0
    printed = capsys.readouterr().out.splitlines()
    theirs = json.loads(command_out.with_suffix(".json").read_text())

    assert {k: v for k, v in mine.items() if k not in PER_RUN} == \
        {k: v for k, v in theirs.items() if k not in PER_RUN}
    assert UTC_DATE.match(mine["date"]) and UTC_DATE.match(theirs["date"])
    assert mine["name"] == learned.loaded.recognizer.name == "Model 2 + 3 corrections"
    assert mine["not_a_digit_threshold"] == recorded_threshold(MODELS_DIR / "digit_model1.h5")
    assert [one["index"] for one in mine["left_out"]] == [3, 4, 5, 6, 7]
    # what the window says is what the command prints, and both folders mark the same five
    assert learned.count == 3
    assert [f"left out: {one.sentence()}" for one in learned.left_out] == printed[:5]
    message = learned_message(9, learned.count, "model2", "model2", learned.left_out)
    assert message.startswith("Saved as a 9. Your model now knows 3 corrections; 5 are left "
                              f"out. {learned.left_out[0].sentence()}")
    assert read_conflicts(folder).keys() == read_conflicts(copy).keys() and \
        len(read_conflicts(folder)) == 5
