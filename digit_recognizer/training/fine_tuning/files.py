"""A fine-tuning's files: ``fine_tune_file(choice, extra_data, out)``, the command's work.

It checks the base model file and ``--out`` (the bundled models are never written), reads the
corrections (``run_data.load_extra_data``) and the bundled replay digits (``core.replay``),
fine-tunes under the guard (``guard``), and unless the guard refuses the fit writes beside
``out`` the model, its metadata ``<stem>.json`` and its ONNX copy ``<stem>.onnx``, each
atomically (``save_fine_tuned``, which the window's teaching uses too).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from digit_recognizer.core.catalogue import (
    BUNDLED_MODELS,
    choice_for_file,
    choice_label,
    find_bundled,
    recorded_accuracy,
    recorded_threshold,
)
from digit_recognizer.core.confidence import THRESHOLD_KEY
from digit_recognizer.core.conflicts import CONFLICTS_FILE, marked
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.datasets.replay import load_replay
from digit_recognizer.core.datasets.sources import dataset_sha256
from digit_recognizer.core.files import atomic_write_text
from digit_recognizer.core.scoring import score_probabilities, to_model_input
from digit_recognizer.recognition.inference import file_sha256
from digit_recognizer.recognition.recognizer import MODEL_SUFFIXES, bundled_path
from digit_recognizer.training.fine_tuning.fine_tune import (
    RECIPE,
    FineTuneError,
    Guarded,
    Personaliser,
)
from digit_recognizer.training.run_data import load_extra_data
from digit_recognizer.training.run_files import export_copy, save_model

__all__ = ["base_file", "check_out", "fine_tune_file", "guard_record", "save_fine_tuned"]


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
                   cache_dir: str | os.PathLike | None = None) -> dict:
    """Fine-tune model ``choice`` on the IDX pair in ``extra_data`` under the guard, save it
    unless the guard refused it; return its metadata (``"guard"`` says what happened).

    ``choice``: 'model1', 'model2' or a model file. It replays the bundled replay digits
    (``core.replay``); ``mnist_test`` also scores it on MNIST's test set (from ``data_dir``).
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
    conflicting = marked(extra_data, images, labels)  # refused before, by the window's guard
    images, labels = images[~conflicting], labels[~conflicting]
    if not len(images):
        raise FineTuneError(f"{extra_data}: every sample is marked as conflicting with common "
                            f"writing ({CONFLICTS_FILE})")
    replay = load_replay()
    test = load_mnist(data_dir)[1] if mnist_test else None
    base_sha256 = file_sha256(base)  # before training: ``out`` may be ``base`` itself
    personaliser = Personaliser(RECIPE, keep=1, cache_dir=cache_dir)
    guarded = personaliser.guarded(base, images, labels, replay=replay.pair,
                                   held=replay.held_out, epochs=epochs, seed=seed)
    metadata = {
        "name": f"{choice_label(choice_for_file(base))} + {len(labels)} corrections",
        "base_model": choice_for_file(base),
        "base_model_file": str(base.resolve()),
        "base_model_sha256": base_sha256,
        "base_test_accuracy": recorded_accuracy(base),
        "corrections": len(labels),
        "corrections_sha256": dataset_sha256(images, labels),
        "corrections_folder": str(Path(extra_data).resolve()),
        "left_out": int(conflicting.sum()),
        **guard_record(guarded),
    }
    if guarded.model is None:  # nothing is written: ``out`` keeps what it held
        kept = np.flatnonzero(~conflicting)  # its number among all the folder's samples
        metadata |= guard_record(replace(guarded, conflict=int(kept[guarded.conflict])))
        metadata["seconds"] = round(time.monotonic() - started, 1)
        return metadata
    metadata |= _scores(guarded.model, images, labels, test)
    metadata |= {"seconds": round(time.monotonic() - started, 1), "epochs": epochs,
                 "seed": seed, "recipe": asdict(RECIPE),
                 "date": datetime.now(UTC).isoformat(timespec="seconds")}
    threshold = recorded_threshold(base)
    if threshold is not None:  # the non-digits in every mix keep the base's low top probability
        metadata[THRESHOLD_KEY] = threshold
    save_fine_tuned(guarded.model, out, metadata, onnx=onnx)
    return metadata


def guard_record(guarded: Guarded) -> dict:
    """What the guard did, for a fine-tuned model's metadata."""
    return {"guard": "refused" if guarded.model is None else
            "gentle" if guarded.gentle else "passed",
            "guard_sentence": guarded.sentence(),
            "held_out_digits": guarded.held_out,
            "held_out_accuracy": guarded.accuracy,
            "base_held_out_accuracy": guarded.base_accuracy,
            "conflict": guarded.conflict}


def _scores(model, images: np.ndarray, labels: np.ndarray, test) -> dict:
    """How many corrections read as taught, and with ``test`` its MNIST test scores."""
    x = images if test is None else np.concatenate([test[0], images])
    # One predict() for both: each call costs a tracing of its own, a second on a CPU.
    probabilities = model.predict(to_model_input(x), batch_size=1000, verbose=0)
    taught = probabilities[len(x) - len(images):]
    scores = {"corrections_accuracy": float(np.mean(taught.argmax(axis=1) == labels))}
    if test is not None:
        found = score_probabilities(probabilities[:len(test[0])], test[1])
        scores |= {"test_accuracy": found["accuracy"],
                   "per_class_accuracy": found["per_class_accuracy"]}
    return scores


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
