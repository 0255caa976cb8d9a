"""The resume checkpoint: one file that holds everything ``train --resume`` needs.

    <out stem>.checkpoint.keras      e.g. models/digit_model1.checkpoint.keras

It is a Keras ``.keras`` archive saved with its optimizer (the weights; the optimizer's
variables: iteration count, learning rate where the plateau schedule left it, Adadelta's or
RMSprop's running statistics, the weights' moving average) plus one more member,
``run_state.json``: the epochs done, the best validation accuracy, the per-epoch history, the
training seconds and the run's configuration. Keras ignores the extra member, so the file loads
with plain ``keras.models.load_model`` in safe mode; ``resume_state`` reads the state alone,
without Keras. It is written to a temporary name and renamed, so a kill never leaves half a file.

Training saves it whenever validation accuracy improves: it is where a resumed run goes on and
where the finished model's weights come from. Its network holds the raw training weights; with
``use_ema`` their moving average (what validation scored) is in the optimizer, and
``use_average_weights`` moves it into the network.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from digit_recognizer.core.files import atomic_path
from digit_recognizer.core.quiet_tf import import_keras

__all__ = [
    "SAME_RUN_KEYS",
    "ResumeError",
    "RunState",
    "best_model",
    "checkpoint_path",
    "load_checkpoint",
    "resume_state",
    "save_checkpoint",
    "use_average_weights",
]

STATE_MEMBER = "run_state.json"
# A resumed run must hold out the same validation images as the first, or it would be judged
# on images it has already trained on: the seed and the limit choose them.
SAME_RUN_KEYS = ("architecture", "seed", "limit")


class ResumeError(Exception):
    """There is no run to resume at this output path, or it does not match the arguments."""


@dataclass
class RunState:
    """Where a run stood when its checkpoint was saved."""

    epoch: int  # epochs done: a resumed run starts with this (0-based) epoch
    best_val_accuracy: float
    iterations: int  # optimizer steps, to check that the optimizer's state came back
    training_seconds: float
    history: dict[str, list[float]]  # per-epoch logs up to ``epoch``, as ``History.history``
    config: dict  # the run's configuration (``train.TrainConfig`` as a dict)


def checkpoint_path(out: str | Path) -> Path:
    """The checkpoint of the run that writes the model ``out``."""
    out = Path(out)
    return out.with_name(out.stem + ".checkpoint.keras")


def save_checkpoint(model, path: Path, state: RunState) -> None:
    """Save ``model`` with its optimizer and ``state`` as one file, atomically."""
    with atomic_path(path) as tmp:
        model.save(tmp)
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(STATE_MEMBER, json.dumps(asdict(state), indent=1))


def resume_state(path: Path, config: dict) -> RunState:
    """The state saved in the checkpoint at ``path``, checked against this run's ``config``.

    Raises ``ResumeError`` (one line) if there is no readable checkpoint, or if it was trained
    with another value of one of ``SAME_RUN_KEYS``.
    """
    if not path.is_file():
        raise ResumeError(f"nothing to resume: {path} is missing (an earlier run at this --out "
                          "writes it after its first epoch)")
    try:
        with zipfile.ZipFile(path) as archive:
            state = RunState(**json.loads(archive.read(STATE_MEMBER)))
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as err:
        raise ResumeError(f"{path} is not a training checkpoint this version can read "
                          f"({err})") from err
    for key in SAME_RUN_KEYS:
        if state.config.get(key) != config.get(key):
            raise ResumeError(f"{path} was trained with {key} {state.config.get(key)!r}, "
                              f"not {config.get(key)!r}")
    return state


def load_checkpoint(path: Path, state: RunState):
    """The compiled model saved at ``path``, its optimizer's state restored.

    Call it inside a distribution strategy's scope to train it there.
    """
    model = _load(path)
    # Keras skips optimizer variables that do not fit, with only a warning: check they came.
    if int(model.optimizer.iterations.numpy()) != state.iterations:
        raise ResumeError(f"{path}: the optimizer's state did not load; start a new run "
                          "without --resume")
    return model


def best_model(path: Path):
    """The network of the checkpoint at ``path`` as validation scored it (weights' average)."""
    model = _load(path)
    use_average_weights(model)
    return model


def use_average_weights(model) -> None:
    """With ``use_ema``, put the weights' moving average (what validation scored) in ``model``."""
    model.optimizer.finalize_variable_values(model.trainable_variables)


def _load(path: Path):
    return import_keras().models.load_model(path, safe_mode=True)
