"""Find, read and verify MNIST: ``load_mnist()`` -> ``(x_train, y_train), (x_test, y_test)``.

Where it looks, in order: the ``data_dir`` argument, the ``MNIST_DIR`` environment variable, the
Keras cache (``~/.keras/datasets/mnist.npz``), and last, only if the network answers, Keras'
own download. Every file's decompressed content is checked against MNIST's published SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

from digit_recognizer.core.datasets.errors import MnistError
from digit_recognizer.core.datasets.sources import DataSource
from digit_recognizer.core.idx import IdxError, read_idx
from digit_recognizer.core.quiet_tf import import_keras

__all__ = ["MNIST", "MNIST_FILES", "find_mnist_files", "load_mnist"]

# SHA-256 of each file's decompressed content, the same for every mirror and compression.
MNIST_FILES: dict[str, tuple[str, str]] = {
    "x_train": ("train-images", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "y_train": ("train-labels", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "x_test": ("t10k-images", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "y_test": ("t10k-labels", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}
_SHAPES = {"x_train": (60000, 28, 28), "y_train": (60000,),
           "x_test": (10000, 28, 28), "y_test": (10000,)}
Splits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]  # train, test
KERAS_CACHE = Path("~/.keras/datasets/mnist.npz")
DOWNLOAD_HOST = "storage.googleapis.com"  # where keras.datasets.mnist fetches mnist.npz
DOWNLOAD_CHECK_S = 3.0  # how long to wait for it to answer before saying MNIST is missing

MNIST = DataSource(
    "MNIST", tuple(f"{stem}-idx{3 if 'images' in stem else 1}-ubyte.gz"
                   for stem, _ in MNIST_FILES.values()),
    "MNIST's published SHA-256", env="MNIST_DIR", option="--data-dir",
    note="published at yann.lecun.com/exdb/mnist and on many mirrors", error=MnistError)


def _candidates(stem: str) -> list[str]:
    """Both naming styles: 'train-images-idx3-ubyte[.gz]' and 'train-images.idx3-ubyte'."""
    ndim = 3 if "images" in stem else 1
    names = [f"{stem}-idx{ndim}-ubyte", f"{stem}.idx{ndim}-ubyte"]
    return [n + ext for n in names for ext in (".gz", "")]


def find_mnist_files(data_dir: str | os.PathLike) -> dict[str, Path]:
    """Map each of x_train, y_train, x_test, y_test to its file in ``data_dir``."""
    folder = MNIST.find(data_dir)
    found, missing = {}, []
    for key, (stem, _) in MNIST_FILES.items():
        path = next((folder / n for n in _candidates(stem) if (folder / n).is_file()), None)
        if path is None:
            missing.append(folder / _candidates(stem)[0])
        else:
            found[key] = path
    if missing:
        raise MNIST.missing(*missing)
    return found


def _load_verified(path: Path, key: str, verify: bool) -> np.ndarray:
    try:
        array = read_idx(path)
    except IdxError as err:
        raise MNIST.damaged(path, err) from err
    _check(array, key, str(path), verify)
    return np.asarray(array)


def _check(array: np.ndarray, key: str, source: str, verify: bool) -> None:
    """Raise MnistError unless ``array`` is MNIST's ``key`` part, byte for byte when ``verify``."""
    if array.dtype != np.uint8 or array.shape != _SHAPES[key]:
        raise MnistError(f"{source}: {array.dtype} {array.shape}, expected uint8 "
                         f"{_SHAPES[key]} for MNIST's {MNIST_FILES[key][0]}")
    if verify:
        MNIST.check(source, _content_sha256(array), MNIST_FILES[key][1])


def _content_sha256(array: np.ndarray) -> str:
    """SHA-256 of the uncompressed IDX file that holds the uint8 ``array``.

    The header is rebuilt and the data hashed in place, so nothing is read or copied twice.
    """
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    digest = hashlib.sha256(header)
    digest.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    return digest.hexdigest()


def load_mnist(data_dir: str | os.PathLike | None = None, *, verify: bool = True) -> Splits:
    """Return ``(x_train, y_train), (x_test, y_test)``: uint8 arrays (N, 28, 28) and (N,).

    Raises ``MnistError`` with a one-sentence fix when no complete, intact copy is found.
    """
    folder = MNIST.chosen(data_dir)  # the argument, else $MNIST_DIR; no default folder
    if folder is not None:
        files = find_mnist_files(folder)
        arrays = {key: _load_verified(path, key, verify) for key, path in files.items()}
        return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
    cache = KERAS_CACHE.expanduser()
    if cache.is_file():
        return _load_npz(cache, verify)
    return _download()


def _load_npz(path: Path, verify: bool) -> Splits:
    try:
        with np.load(path) as npz:
            arrays = {key: npz[key] for key in MNIST_FILES}
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise MnistError(f"{path}: unreadable Keras MNIST cache ({err}); delete it, or use "
                         f"your own copy: {MNIST.where()}") from err
    for key, array in arrays.items():
        _check(array, key, f"{path} ({key})", verify)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _download() -> Splits:
    missing = f"MNIST was not found and could not be downloaded; {MNIST.where()}"
    # Importing Keras takes seconds and TensorFlow's start-up notes: not worth it only to find
    # that there is no network. (Once Keras is loaded, trying costs nothing.)
    if "keras" not in sys.modules and not _download_host_answers():
        raise MnistError(missing)
    try:
        return import_keras().datasets.mnist.load_data()
    except Exception as err:  # any network or disk failure means: not available here
        raise MnistError(missing) from err


def _download_host_answers() -> bool:
    """True if the download's server takes a connection, or a proxy would be asked instead."""
    if urllib.request.getproxies().get("https"):
        return True  # only Keras, through the proxy, can tell
    try:
        socket.create_connection((DOWNLOAD_HOST, 443), timeout=DOWNLOAD_CHECK_S).close()
    except OSError:  # no route, no name resolution, refused, timed out
        return False
    return True
