"""Model files are untrusted input: read their architecture as plain JSON and refuse code.

    from digit_recognizer.recognition.model_safety import read_model_config, refuse_code
    refuse_code(path, read_model_config(path))     # raises ModelError if it carries code

Before Keras sees a file, its architecture is read without running Keras (``config.json`` in a
``.keras`` archive, the ``model_config`` attribute of an ``.h5`` file) and refused if it carries
code: a ``Lambda`` layer, a layer that wraps foreign code (``TFSMLayer``,
``TorchModuleWrapper``, ``JaxLayer``, ``FlaxLayer``), a serialised Python function, or an
object from outside Keras. ``recognizer.load_keras_file`` then has Keras load it in safe mode
as a second guard.
"""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

from digit_recognizer.core.results import ModelError

__all__ = ["read_model_config", "refuse_code", "CODE_LAYERS"]

# Layers whose config holds or points at code that would run on load or on predict.
CODE_LAYERS = frozenset({"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"})
# Library error text goes here (the terminal), not into the sentences users see.
_log = logging.getLogger(__name__)


def read_model_config(path: Path) -> dict:
    """The architecture stored in a model file, read as plain JSON without running Keras."""
    if path.suffix.lower() == ".keras":
        try:
            with zipfile.ZipFile(path) as archive:
                text = archive.read("config.json")
        except (zipfile.BadZipFile, KeyError, OSError) as err:
            _log.info("%s: %s", path, err)
            raise ModelError(f"{path} is not a readable .keras model: it is damaged or not a "
                             "model file.") from err
    else:
        # Here, not at the top: only .h5 files need h5py, and the ONNX path (``predict``, the
        # window's loader) must not import it, as test_onnx checks.
        import h5py

        try:
            with h5py.File(path, "r") as h5:
                text = h5.attrs.get("model_config")
        except OSError as err:
            _log.info("%s: %s", path, err)
            raise ModelError(f"{path} is not a readable .h5 model: it is damaged or not a "
                             "model file.") from err
        if text is None:
            raise ModelError(f"{path} holds no model architecture (is it a weights-only file?).")
    try:
        config = json.loads(text)
    except (ValueError, TypeError) as err:
        _log.info("%s: %s", path, err)
        raise ModelError(f"{path} is damaged: the description of its layers is unreadable.") \
            from err
    if not isinstance(config, dict):
        raise ModelError(f"{path} is damaged: the description of its layers is unreadable.")
    return config


def refuse_code(path: Path, config: dict) -> None:
    """Raise ``ModelError`` if the architecture in ``config`` carries code of any kind."""
    found = sorted(set(_code_carrying_parts(config)))
    if found:
        raise ModelError(
            f"{path} was refused: it contains code ({', '.join(found)}) that would run on "
            "this computer; only models made of standard Keras layers are loaded."
        )


def _code_carrying_parts(config: dict) -> list[str]:
    """Describe each object in a model config that is, or would import, Python code."""
    found, stack = [], [config]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
            kind, module = item.get("class_name"), item.get("module")
            if kind in CODE_LAYERS:
                found.append(f"a {kind} layer")
            elif kind == "__lambda__":
                found.append("a Python function")
            elif isinstance(module, str) and module.split(".")[0] not in ("keras", "builtins"):
                found.append(f"{kind} from module {module!r}")
    return found
