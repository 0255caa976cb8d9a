"""Finding, reading and verifying MNIST: folders, naming styles, corruption, cache, offline."""

from __future__ import annotations

import gzip
import shutil
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.core.datasets.errors import MnistError
from digit_recognizer.core.datasets.mnist import find_mnist_files, load_mnist
from digit_recognizer.core.idx import write_idx

STEMS = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
         "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,),
          "x_test": (10000, 28, 28), "y_test": (10000,)}


def dot_style(stem: str) -> str:
    """'train-images-idx3-ubyte' -> 'train-images.idx3-ubyte', the other common spelling."""
    head, _, tail = stem.rpartition("-idx")
    return f"{head}.idx{tail}"


def as_dict(loaded) -> dict[str, np.ndarray]:
    (x_train, y_train), (x_test, y_test) = loaded
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


@pytest.fixture(scope="module")
def raw_dir(mnist_dir, tmp_path_factory) -> Path:
    """Decompressed copies of the four files, named in the dot style."""
    folder = tmp_path_factory.mktemp("raw")
    for stem in STEMS.values():
        with gzip.open(mnist_dir / f"{stem}.gz") as src:
            (folder / dot_style(stem)).write_bytes(src.read())
    return folder


@pytest.fixture(scope="module")
def reference(mnist_dir) -> dict[str, np.ndarray]:
    return as_dict(load_mnist(mnist_dir))


def link_all(folder: Path, sources: dict[str, Path]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, target in sources.items():
        (folder / name).symlink_to(target)
    return folder


@pytest.fixture
def no_mnist_anywhere(tmp_path, monkeypatch):
    """No MNIST_DIR, an empty home (so no Keras cache), and a Keras whose download fails."""
    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    calls = []

    def offline_load_data(*args, **kwargs):
        calls.append(args)
        raise OSError("URL fetch failure: network is unreachable")

    keras = types.ModuleType("keras")  # stands in for Keras so nothing can touch the network
    keras.datasets = types.SimpleNamespace(mnist=types.SimpleNamespace(load_data=offline_load_data))
    monkeypatch.setitem(sys.modules, "keras", keras)
    return calls


# ----------------------------------------------------------------------------------- finding


def test_data_dir_argument_loads_mnist_shapes_as_uint8(mnist_dir):
    arrays = as_dict(load_mnist(mnist_dir))
    assert {k: (a.dtype, a.shape) for k, a in arrays.items()} == {
        k: (np.uint8, shape) for k, shape in SHAPES.items()}


def test_mnist_dir_variable_is_used_without_argument(mnist_dir, monkeypatch, reference):
    monkeypatch.setenv("MNIST_DIR", str(mnist_dir))
    assert np.array_equal(as_dict(load_mnist())["y_test"], reference["y_test"])


def test_data_dir_argument_wins_over_mnist_dir_variable(mnist_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(tmp_path))  # empty: would fail if it were used
    assert as_dict(load_mnist(mnist_dir))["x_test"].shape == (10000, 28, 28)


@pytest.mark.parametrize("style", ["dash", "dot"])
@pytest.mark.parametrize("compressed", [True, False], ids=["gz", "raw"])
def test_both_naming_styles_are_found(mnist_dir, raw_dir, tmp_path, reference, style,
                                      compressed):
    sources = {}
    for key, stem in STEMS.items():
        name = stem if style == "dash" else dot_style(stem)
        target = mnist_dir / f"{stem}.gz" if compressed else raw_dir / dot_style(stem)
        sources[name + (".gz" if compressed else "")] = target
    arrays = as_dict(load_mnist(link_all(tmp_path / "data", sources)))
    assert all(np.array_equal(arrays[k], reference[k]) for k in STEMS)


def test_raw_files_load_as_memory_maps(raw_dir):
    x_train = as_dict(load_mnist(raw_dir))["x_train"]
    assert isinstance(x_train.base, np.memmap)  # the 47 MB are mapped, not copied


def test_find_mnist_files_maps_each_part_to_its_file(mnist_dir):
    found = find_mnist_files(mnist_dir)
    assert {k: p.name for k, p in found.items()} == {k: f"{s}.gz" for k, s in STEMS.items()}


# ------------------------------------------------------------------------------ missing data


def test_missing_file_is_named(mnist_dir, tmp_path):
    sources = {f"{s}.gz": mnist_dir / f"{s}.gz" for k, s in STEMS.items() if k != "y_test"}
    folder = link_all(tmp_path / "data", sources)
    with pytest.raises(MnistError, match=f"{folder / 't10k-labels-idx1-ubyte.gz'} is missing"):
        load_mnist(folder)


def test_nonexistent_data_dir_raises_mnisterror(tmp_path):
    with pytest.raises(MnistError, match=f"{tmp_path / 'nowhere'} does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_offline_without_data_says_where_to_put_the_files(no_mnist_anywhere):
    with pytest.raises(MnistError) as caught:
        load_mnist()
    message = str(caught.value)
    assert no_mnist_anywhere, "the Keras download, the last resort, was not tried"
    assert "MNIST_DIR" in message and "--data-dir" in message
    assert all(f"{stem}.gz" in message for stem in STEMS.values())


# ------------------------------------------------------------------------------ corrupt data


def folder_with_copy(mnist_dir: Path, raw_dir: Path, tmp_path: Path, key: str) -> Path:
    """A folder linking three real files, with a writable raw copy of the ``key`` file."""
    sources = {f"{s}.gz": mnist_dir / f"{s}.gz" for k, s in STEMS.items() if k != key}
    folder = link_all(tmp_path / "data", sources)
    shutil.copy(raw_dir / dot_style(STEMS[key]), folder / STEMS[key])
    return folder


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_flipped_byte_fails_sha256_naming_the_file(mnist_dir, raw_dir, tmp_path):
    folder = folder_with_copy(mnist_dir, raw_dir, tmp_path, "x_test")
    flip_byte(folder / STEMS["x_test"], 16 + 5 * 784 + 400)  # one pixel of the sixth image
    with pytest.raises(MnistError, match=f"{folder / STEMS['x_test']}.*SHA-256"):
        load_mnist(folder)


def test_flipped_byte_loads_when_verification_is_off(mnist_dir, raw_dir, tmp_path, reference):
    folder = folder_with_copy(mnist_dir, raw_dir, tmp_path, "y_test")
    flip_byte(folder / STEMS["y_test"], 8 + 3)
    y_test = as_dict(load_mnist(folder, verify=False))["y_test"]
    assert np.flatnonzero(y_test != reference["y_test"]).tolist() == [3]


def test_flipped_byte_in_compressed_file_names_the_file(mnist_dir, tmp_path):
    sources = {f"{s}.gz": mnist_dir / f"{s}.gz" for k, s in STEMS.items() if k != "y_train"}
    folder = link_all(tmp_path / "data", sources)
    copy = folder / f"{STEMS['y_train']}.gz"
    shutil.copy(mnist_dir / copy.name, copy)
    flip_byte(copy, copy.stat().st_size // 2)
    with pytest.raises(MnistError, match=str(copy)):
        load_mnist(folder)


def test_wrong_shape_names_the_file_and_the_expected_shape(mnist_dir, tmp_path):
    sources = {f"{s}.gz": mnist_dir / f"{s}.gz" for k, s in STEMS.items() if k != "x_test"}
    folder = link_all(tmp_path / "data", sources)
    subset = write_idx(folder / f"{STEMS['x_test']}.gz", np.zeros((100, 28, 28), np.uint8))
    with pytest.raises(MnistError, match=rf"{subset}.*\(100, 28, 28\).*\(10000, 28, 28\)"):
        load_mnist(folder)


# ------------------------------------------------------------------------------- Keras cache


def write_keras_cache(home: Path, arrays: dict[str, np.ndarray]) -> Path:
    cache = home / ".keras" / "datasets" / "mnist.npz"
    cache.parent.mkdir(parents=True)
    np.savez(cache, **arrays)
    return cache


def test_keras_cache_is_used_when_no_folder_is_given(no_mnist_anywhere, tmp_path, reference):
    write_keras_cache(tmp_path / "home", reference)
    arrays = as_dict(load_mnist())
    assert all(np.array_equal(arrays[k], reference[k]) for k in STEMS)
    assert not no_mnist_anywhere  # found in the cache: no download tried


def test_keras_cache_with_changed_pixel_fails_sha256(no_mnist_anywhere, tmp_path, reference):
    changed = dict(reference, x_test=reference["x_test"].copy())
    changed["x_test"][0, 14, 14] ^= 0x01
    cache = write_keras_cache(tmp_path / "home", changed)
    with pytest.raises(MnistError, match=rf"{cache} \(x_test\).*SHA-256"):
        load_mnist()


def test_unreadable_keras_cache_names_it(no_mnist_anywhere, tmp_path):
    cache = tmp_path / "home" / ".keras" / "datasets" / "mnist.npz"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"PK\x03\x04 a zip cut short")
    with pytest.raises(MnistError, match=f"{cache}: unreadable Keras MNIST cache"):
        load_mnist()
