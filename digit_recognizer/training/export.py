"""Keras model file -> its ONNX copy beside it, which the app, ``predict`` and ``evaluate`` run.

    python -m digit_recognizer export                    # the bundled models, if out of date
    python -m digit_recognizer export my_model.h5        # my_model.onnx
    python -m digit_recognizer export --force            # remake even the up-to-date copies

Keras converts (``model.export(format="onnx")``, which uses tf2onnx); the copy records the
SHA-256 of the file it was made from, so ``inference.load_onnx_copy`` can tell when the
``.h5`` has changed since. ``train`` exports each model it saves. Exit code 2 when a model
cannot be loaded or converted; the copies that could be made are still written.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from digit_recognizer.core.catalogue import BUNDLED_MODELS
from digit_recognizer.core.files import atomic_path
from digit_recognizer.core.results import ModelError
from digit_recognizer.recognition.inference import (
    SOURCE_SHA256,
    OnnxCopyError,
    file_sha256,
    load_onnx_copy,
    onnx_copy_path,
)
from digit_recognizer.recognition.recognizer import load_keras_file
from digit_recognizer.recognition.stroke_model import stroke_model_path

__all__ = ["export_onnx", "is_up_to_date", "main"]


def export_onnx(model_path: str | Path, model=None) -> Path:
    """Write the ONNX copy of the Keras file ``model_path`` beside it; return the copy's path.

    The file is loaded with the same safety checks as the app's, unless the caller that has
    just saved it passes the ``model`` it holds (a second load costs about a second).
    Raises ``ModelError``.
    """
    import onnx

    model_path = Path(model_path)
    model = model if model is not None else load_keras_file(model_path)
    source_sha256 = file_sha256(model_path)
    model(np.zeros((1, *model.input_shape[1:]), np.float32))  # Keras exports only run models
    with tempfile.TemporaryDirectory(prefix="onnx-export-") as tmp:
        converted = Path(tmp) / "model.onnx"
        try:
            with warnings.catch_warnings():  # tf2onnx's own NumPy deprecation notices
                warnings.simplefilter("ignore", FutureWarning)
                model.export(str(converted), format="onnx", verbose=False)
        except Exception as err:  # the converter raises many types; all mean the same here
            raise ModelError(f"{model_path} could not be converted to ONNX ({err}).") from err
        proto = onnx.load(converted)
    onnx.helper.set_model_props(proto, {SOURCE_SHA256: source_sha256,
                                        "source_file": model_path.name,
                                        "made_by": "python -m digit_recognizer export"})
    target = onnx_copy_path(model_path)
    with atomic_path(target) as tmp_path:
        onnx.save(proto, tmp_path)
    return target


def is_up_to_date(model_path: str | Path) -> bool:
    """True if the ONNX copy of ``model_path`` exists, matches it and runs."""
    try:
        load_onnx_copy(model_path, input_shape=None)  # a picture or a stroke model
    except OnnxCopyError:
        return False
    return True


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Make the ONNX copy that the app runs without TensorFlow, beside each "
                    "Keras model file.",
    )
    parser.add_argument("models", nargs="*", metavar="MODEL",
                        help=".h5/.keras files (default: the bundled models)")
    parser.add_argument("--models-dir",
                        help="folder of the bundled models (default: models/ in the repository)")
    parser.add_argument("--force", action="store_true",
                        help="remake copies that are already up to date")
    return parser


def main(argv: list[str] | None = None, prog: str = "python -m digit_recognizer export") -> int:
    args = build_parser(prog).parse_args(argv)
    paths = [Path(p) for p in args.models] or [
        *(m.path(args.models_dir) for m in BUNDLED_MODELS), stroke_model_path(args.models_dir)]
    failed = False
    for path in paths:
        if not args.force and is_up_to_date(path):
            print(f"{onnx_copy_path(path)} is up to date")
            continue
        try:
            print(f"wrote {export_onnx(path)}")
        except (ModelError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            failed = True
    return 2 if failed else 0
