"""A fine-tuning's files: ``fine_tune_file(choice, extra_data, out)``, the command's work.

It checks the base model file and ``--out`` (the bundled models are never written), reads the
corrections (``run_data.load_extra_data``) and the bundled replay digits (``core.datasets.replay``),
fine-tunes them as the window does (``pipeline``: under the guard, the conflicting
corrections left out), and unless nothing could be learned writes beside ``out`` the model,
its metadata ``<stem>.json`` and its ONNX copy ``<stem>.onnx``, each atomically
(``save_fine_tuned``, which the window's teaching uses too).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from digit_recognizer.core.catalogue import BUNDLED_MODELS, find_bundled
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.datasets.replay import load_replay
from digit_recognizer.core.files import atomic_write_text
from digit_recognizer.core.scoring import score_probabilities, to_model_input
from digit_recognizer.recognition.recognizer import MODEL_SUFFIXES, bundled_path
from digit_recognizer.training.fine_tuning.fine_tune import RECIPE, FineTuneError, Personaliser
from digit_recognizer.training.fine_tuning.pipeline import FineTuned, fine_tune_corrections
from digit_recognizer.training.run_data import load_extra_data
from digit_recognizer.training.run_files import export_copy, save_model

__all__ = ["base_file", "check_out", "fine_tune_file", "save_fine_tuned"]


def base_file(choice: str) -> Path:
    """The Keras file of ``choice``: a bundled model's key or a model file's path.

    Raises ``ModelError`` (a missing bundled model) or ``FineTuneError``.
    """
    if find_bundled(choice):
        return bundled_path(choice)
    path = Path(choice)
    keys = ", ".join(m.key for m in BUNDLED_MODELS)
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise FineTuneError(f"unknown model {choice!r}: choose {keys} or a .h5/.keras file")
    if not path.is_file():
        raise FineTuneError(f"{path}: no such model file")
    return path


def check_out(out: str | os.PathLike) -> Path:
    """``out`` if a fine-tuned model may be written there, else ``FineTuneError``."""
    out = Path(out)
    if out.suffix.lower() not in MODEL_SUFFIXES:
        raise FineTuneError(f"--out {out}: a model file must end in .h5 or .keras")
    if not out.parent.is_dir():
        raise FineTuneError(f"--out {out}: the folder {out.parent} does not exist")
    if out.is_dir():
        raise FineTuneError(f"--out {out} is a folder; name the model file to write")
    for model in BUNDLED_MODELS:
        # The same stem in the same folder would overwrite the bundled model's metadata and
        # ONNX copy too, whatever the suffix.
        bundled = model.path()
        if out.stem == bundled.stem and _same_folder(out.parent, bundled.parent):
            raise FineTuneError(f"--out {out} is the bundled {model.key}'s file; the bundled "
                                "models are never written, choose another --out")
    return out


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # either missing: not the same
        return False


def fine_tune_file(choice: str, extra_data: str | os.PathLike, out: str | os.PathLike, *,
                   epochs: int = 2, seed: int = 0, data_dir: str | os.PathLike | None = None,
                   onnx: bool = True, mnist_test: bool = False,
                   cache_dir: str | os.PathLike | None = None) -> FineTuned:
    """Fine-tune model ``choice`` on the IDX pair in ``extra_data`` (``pipeline``: the
    corrections that conflict with common writing are left out, and recorded there), and save
    it unless nothing could be learned; return what was done.

    ``choice``: 'model1', 'model2' or a model file. It replays the bundled replay digits
    (``core.datasets.replay``); ``mnist_test`` also scores it on MNIST's test set (from
    ``data_dir``).
    ``cache_dir`` keeps the base's pools for the next run (``pool_cache``; None: not kept).
    Every input is checked before Keras is imported. Raises ``FineTuneError``,
    ``ModelError``, ``IdxFolderError``, ``ReplayError`` or ``MnistError``.
    """
    started = time.monotonic()
    base, out = base_file(choice), check_out(out)
    if epochs < 1:
        raise FineTuneError(f"--epochs must be at least 1, got {epochs}")
    images, labels = load_extra_data(extra_data)
    if not len(images):
        raise FineTuneError(f"{extra_data}: holds no samples to fine-tune on")
    replay = load_replay()
    test = load_mnist(data_dir)[1] if mnist_test else None
    personaliser = Personaliser(RECIPE, keep=1, cache_dir=cache_dir)
    tuned = fine_tune_corrections(personaliser, base, images, labels, replay=replay.pair,
                                  held=replay.held_out, folder=extra_data, epochs=epochs,
                                  seed=seed)
    if tuned.model is not None and test is not None:
        tuned.metadata.update(_test_scores(tuned.model, test))
    tuned.metadata["seconds"] = round(time.monotonic() - started, 1)  # the whole command's
    if tuned.model is not None:  # else nothing is written: ``out`` keeps what it held
        save_fine_tuned(tuned.model, out, tuned.metadata, onnx=onnx)
    return tuned


def _test_scores(model, test: tuple[np.ndarray, np.ndarray]) -> dict:
    """Its accuracy on MNIST's test set, in all and per class."""
    probabilities = model.predict(to_model_input(test[0]), batch_size=1000, verbose=0)
    found = score_probabilities(probabilities, test[1])
    return {"test_accuracy": found["accuracy"],
            "per_class_accuracy": found["per_class_accuracy"]}


def save_fine_tuned(model, out: str | os.PathLike, metadata: dict, onnx: bool = True) -> None:
    """Write ``model`` to ``out``, then ``metadata`` to ``<stem>.json``, each atomically.

    With ``onnx``, also the ONNX copy the app runs (``<stem>.onnx``); a failed conversion
    costs only that copy, with a warning on stderr.
    """
    out = Path(out)
    save_model(model, out)
    atomic_write_text(out.with_suffix(".json"), json.dumps(metadata, indent=2) + "\n")
    if onnx:
        export_copy(out, model)
