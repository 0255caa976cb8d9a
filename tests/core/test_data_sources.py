"""``core.datasets.sources``: every data set's folder is found by the same rules, and a missing,
truncated or altered file of any of them is told in the same words, on copies of the real files."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from digit_recognizer.core.catalogue import MODELS_DIR
from digit_recognizer.core.datasets.errors import DatasetError, MnistError, ReplayError
from digit_recognizer.core.datasets.mnist import MNIST
from digit_recognizer.core.datasets.replay import REPLAY, REPLAY_LABELS, load_replay
from digit_recognizer.core.datasets.semeion import SEMEION, SEMEION_FILES, load_semeion_grids
from digit_recognizer.core.datasets.sources import SHARED_DATA
from digit_recognizer.core.datasets.unipen import UNIPEN, UNIPEN_FILE, load_unipen
from digit_recognizer.core.datasets.usps import USPS, USPS_FILES, load_usps_grids

# set -> (its source, the file the test damages, the loader)
SETS = {
    "usps": (USPS, USPS_FILES["test"][0], lambda folder: load_usps_grids("test", folder)),
    "semeion": (SEMEION, SEMEION_FILES["labels"][0], load_semeion_grids),
    "unipen": (UNIPEN, UNIPEN_FILE, load_unipen),
    "replay": (REPLAY, REPLAY_LABELS, load_replay),
}


def real_folder(source) -> Path:
    folder = source.chosen()
    if not all((folder / name).is_file() for name in source.files):
        pytest.fail(f"{source.name} must be in {folder}: {source.where()}")
    return folder


def damaged_copy(source, file: str, tmp_path: Path, damage: str) -> Path:
    """A copy of ``source``'s real folder whose ``file`` is missing, truncated or altered."""
    folder = tmp_path / "copy"
    folder.mkdir()
    for name in source.files:
        shutil.copyfile(real_folder(source) / name, folder / name)
    path = folder / file
    data = path.read_bytes()
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:  # one value changed, still well formed, then compressed again
        content = bytearray(gzip.decompress(data))
        if file.endswith("-ubyte.gz"):  # IDX labels: the last label, another digit
            content[-1] = (content[-1] + 1) % 10
        else:  # text: a digit of a number half-way through
            at = next(i for i in range(len(content) // 2, len(content))
                      if chr(content[i]).isdigit())
            content[at] = ord("1") if content[at] != ord("1") else ord("2")
        path.write_bytes(gzip.compress(bytes(content)))
    return folder


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize("damage, words", [
    ("missing", "{path} is missing; "),
    ("truncated", "{path} is truncated or damaged ("),
    ("altered", "{path}: content does not match {sums} (got "),
])
def test_every_set_tells_a_bad_file_in_the_same_words(name, damage, words, tmp_path):
    source, file, load = SETS[name]
    folder = damaged_copy(source, file, tmp_path, damage)
    with pytest.raises(source.error) as caught:
        load(folder)
    message = str(caught.value)
    assert message.startswith(words.format(path=folder / file, sums=source.sums)), message
    assert "\n" not in message and "Traceback" not in message
    if damage != "missing":
        assert message.endswith(source.remedy)


@pytest.mark.parametrize("name", SETS)
def test_every_set_tells_a_missing_folder_how_to_point_at_one(name, tmp_path):
    source, _, load = SETS[name]
    with pytest.raises(DatasetError) as caught:
        load(tmp_path / "nowhere")
    assert str(caught.value) == (f"{source.name} folder {tmp_path / 'nowhere'} does not exist; "
                                 f"{source.where()}")


def test_a_sets_errors_are_its_own_kind_of_dataset_error():
    assert issubclass(MnistError, DatasetError) and issubclass(ReplayError, DatasetError)
    assert MNIST.error is MnistError and REPLAY.error is ReplayError
    assert USPS.error is DatasetError


def test_the_folder_is_the_argument_else_the_variable_else_the_shared_data(tmp_path, monkeypatch):
    monkeypatch.delenv("USPS_DIR", raising=False)
    assert USPS.chosen() == SHARED_DATA / "usps"
    assert (SHARED_DATA / "usps" / "README.md").is_file()  # ../shared/data beside the checkout
    monkeypatch.setenv("USPS_DIR", str(tmp_path))
    assert USPS.chosen() == tmp_path
    assert USPS.chosen(tmp_path / "given") == tmp_path / "given"
    monkeypatch.setenv("USPS_DIR", "")  # an empty variable counts as unset
    assert USPS.chosen() == SHARED_DATA / "usps"


def test_mnist_has_no_default_folder_only_its_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    assert MNIST.chosen() is None
    monkeypatch.setenv("MNIST_DIR", str(tmp_path))
    assert MNIST.find() == tmp_path


def test_the_replay_digits_default_to_the_models_folder():
    assert REPLAY.chosen() == MODELS_DIR
    assert load_replay().labels.shape == (8000,)


def test_where_names_the_option_the_variable_and_every_file():
    assert USPS.where() == ("pass --usps-dir or set USPS_DIR to the folder holding zip.train.gz "
                            "and zip.test.gz")
    assert MNIST.where().startswith("pass --data-dir or set MNIST_DIR to the folder holding "
                                    "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, ")
    assert REPLAY.where() == "restore models/ from the repository"


def test_a_file_that_cannot_be_read_is_named(tmp_path):
    (tmp_path / USPS_FILES["test"][0]).mkdir()  # a folder where the file should be
    with pytest.raises(DatasetError) as caught:
        load_usps_grids("test", tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / USPS_FILES['test'][0]} cannot be read (")


def test_no_mnist_folder_given_says_how_to_give_one(monkeypatch):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    with pytest.raises(MnistError) as caught:
        MNIST.find()
    assert str(caught.value) == f"no MNIST folder given; {MNIST.where()}"
