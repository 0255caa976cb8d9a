"""The bundled networks without TensorFlow: their ONNX copies, run by OpenCV's DNN module.

    forward = load_onnx_copy(Path("models/digit_model1.h5"))   # reads models/digit_model1.onnx
    probabilities = forward(x)                                  # (N, 28, 28, 1) -> (N, 10)

Importing TensorFlow takes seconds; OpenCV is already loaded for preprocessing and runs these
small CNNs in well under a millisecond per drawing. The ``.h5`` stays the model (training,
the notebook and Keras users read it); the ``.onnx`` beside it is derived from it by
``python -m digit_recognizer export`` (``digit_recognizer.training.export``) and records the SHA-256
of the ``.h5`` it was made from. A copy whose ``.h5`` has changed since, or that cannot be
read, raises ``OnnxCopyError`` with one sentence for the user; callers then use Keras.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import onnx
from google.protobuf.message import DecodeError

from digit_recognizer.core.results import ModelError

__all__ = ["OnnxCopyError", "onnx_copy_path", "file_sha256", "read_onnx_metadata",
           "load_onnx_copy", "SOURCE_SHA256", "EXPORT_COMMAND"]

# The ONNX metadata key that holds the SHA-256 of the Keras file the copy was made from.
SOURCE_SHA256 = "source_sha256"
EXPORT_COMMAND = "python -m digit_recognizer export"
IMAGE_SHAPE = (28, 28, 1)  # one input of the picture models

Forward = Callable[[np.ndarray], np.ndarray]


class OnnxCopyError(ModelError):
    """A model's ONNX copy is missing, out of date or unreadable; the message says which."""


def onnx_copy_path(model_path: str | Path) -> Path:
    """Where the ONNX copy of a Keras model file lives: beside it, ``.onnx`` for ``.h5``."""
    return Path(model_path).with_suffix(".onnx")


def file_sha256(path: str | Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def read_onnx_metadata(data: bytes) -> dict[str, str] | None:
    """The ``metadata_props`` of a serialised ONNX model, or None if it cannot be parsed."""
    model = _parsed(data)
    return None if model is None else _metadata(model)


def _parsed(data: bytes) -> onnx.ModelProto | None:
    try:
        return onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError):
        return None


def _metadata(model: onnx.ModelProto) -> dict[str, str]:
    return {prop.key: prop.value for prop in model.metadata_props}


def _input_shape(model: onnx.ModelProto) -> tuple[int, ...]:
    """One input's shape, as the graph declares it (a picture model's when it does not)."""
    inputs = model.graph.input
    dims = tuple(d.dim_value for d in inputs[0].type.tensor_type.shape.dim[1:]) if inputs else ()
    return dims if dims and all(dims) else IMAGE_SHAPE


def load_onnx_copy(model_path: str | Path, input_shape: tuple[int, ...] | None = IMAGE_SHAPE,
                   reads: str = "pictures of digits") -> Forward:
    """A forward function for the ONNX copy of ``model_path``, checked against it; it takes
    (N, *input_shape): a picture model's by default, another network's (the stroke model's)
    where given, ``reads`` saying what in words; None: whatever its graph declares.

    Raises ``OnnxCopyError`` when the copy is missing, was made from another version of
    ``model_path``, is damaged, or does not return ten probabilities; ``ModelError`` when
    its graph takes another input (a stroke model where a picture model is wanted).
    """
    model_path = Path(model_path)
    copy = onnx_copy_path(model_path)
    remake = f"Remake it with: {EXPORT_COMMAND}"
    if not copy.is_file():
        raise OnnxCopyError(f"{model_path.name} has no ONNX copy ({copy.name}). {remake}")
    data = copy.read_bytes()  # one read: the hash check and the network see the same bytes
    model = _parsed(data)
    if model is None:
        raise OnnxCopyError(f"{copy.name} is damaged: it is not a readable ONNX model. {remake}")
    metadata = _metadata(model)
    declared = _input_shape(model)
    if input_shape is not None and declared not in (input_shape, input_shape[:-1]):
        raise ModelError(f"{model_path.name} does not read {reads}: its network takes inputs "
                         f"of shape {declared}, not {input_shape}.")
    recorded = metadata.get(SOURCE_SHA256)
    if recorded is None:
        raise OnnxCopyError(f"{copy.name} does not say which model it was made from. {remake}")
    if recorded != file_sha256(model_path):
        raise OnnxCopyError(f"{copy.name} is out of date: {model_path.name} has changed since "
                            f"it was made. {remake}")
    try:
        net = cv2.dnn.readNetFromONNX(np.frombuffer(data, np.uint8))
    except cv2.error as err:
        raise OnnxCopyError(f"{copy.name} is damaged: OpenCV cannot read it. {remake}") from err
    forward = _net_forward(net, declared)
    _check_output(forward, declared, copy.name, remake)
    return forward


def _net_forward(net: cv2.dnn.Net, input_shape: tuple[int, ...]) -> Forward:
    """(N, *input_shape) float32 -> (N, 10) float32 through the network; not thread-safe."""

    def forward(x: np.ndarray) -> np.ndarray:
        net.setInput(np.ascontiguousarray(x, dtype=np.float32).reshape(-1, *input_shape))
        return net.forward()

    return forward


def _check_output(forward: Forward, input_shape: tuple[int, ...], name: str, remake: str
                  ) -> None:
    """Run the network once (this also prepares it, so the first drawing is fast)."""
    try:
        out = np.asarray(forward(np.zeros((1, *input_shape), np.float32)))
    except cv2.error as err:
        raise OnnxCopyError(f"{name} is damaged: OpenCV cannot run it. {remake}") from err
    if out.shape != (1, 10) or not np.isfinite(out).all() or abs(float(out.sum()) - 1) > 1e-3:
        raise OnnxCopyError(f"{name} does not return ten probabilities. {remake}")
