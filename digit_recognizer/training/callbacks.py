"""What watches a training run: learning-rate schedule, early stopping, checkpoint, log, SIGTERM.

    callbacks = training_callbacks(checkpoint, log, patience=6, config=asdict(config))
    model.fit(batches, validation_data=..., callbacks=callbacks)

Everything here judges the run by validation accuracy only; the test set is never seen.
"""

from __future__ import annotations

import math
import signal
import sys
import time
from pathlib import Path

from digit_recognizer.core.quiet_tf import import_keras
from digit_recognizer.training.checkpoint import RunState, save_checkpoint

keras = import_keras()

__all__ = ["BestCheckpoint", "StopOnSigterm", "training_callbacks"]


def training_callbacks(checkpoint: Path, log: Path, patience: int, config: dict,
                       past: RunState | None = None, ema: bool = False) -> list:
    """Plateau schedule and early stopping on validation accuracy, checkpoint, log, SIGTERM stop.

    The classic recipe's ``monitor='val_acc'`` never fires in Keras 3, where the metric is
    ``val_accuracy``; using the real name is what makes the plateau schedule work. ``past`` is
    the state a resumed run starts from: its best validation accuracy is the one to beat, and
    the log goes on after its rows. The best weights come back from the checkpoint file (see
    ``train``), so EarlyStopping keeps none. With ``ema`` (an optimizer with ``use_ema``) the
    weights' moving average is swapped in for validation only, so the epoch is judged on it
    while the checkpoint keeps the optimizer's state as training left it.
    """
    swap = [keras.callbacks.SwapEMAWeights()] if ema else []
    best = past.best_val_accuracy if past is not None else None
    return swap + [
        keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5,
                                          patience=2, min_lr=1e-5, verbose=1),
        keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=patience,
                                      baseline=best, verbose=1),
        BestCheckpoint(checkpoint, config, past),
        keras.callbacks.CSVLogger(str(log), append=past is not None),
        StopOnSigterm(),
    ]


class BestCheckpoint(keras.callbacks.Callback):
    """Save the resume checkpoint whenever validation accuracy beats the best so far.

    Keras' ModelCheckpoint writes in place, so a kill during its save would break the one file
    that must survive an interrupted run, and it keeps no run state; ``save_checkpoint`` writes
    beside and renames, and stores the state with the weights. It comes after the plateau
    schedule in the callbacks, so the logs it keeps hold the learning rate.
    """

    def __init__(self, path: Path, config: dict, past: RunState | None = None) -> None:
        super().__init__()
        self.path, self.config = path, config
        self.history = {key: list(values) for key, values in past.history.items()} if past else {}
        self.best = past.best_val_accuracy if past else -math.inf
        self.earlier_seconds = past.training_seconds if past else 0.0
        self.started = time.monotonic()

    def on_train_begin(self, logs=None) -> None:
        self.started = time.monotonic()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs or {}
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        score = logs.get("val_accuracy")
        if score is None or score <= self.best:
            return
        self.best = float(score)
        seconds = self.earlier_seconds + time.monotonic() - self.started
        save_checkpoint(self.model, self.path, RunState(
            epoch=epoch + 1, best_val_accuracy=self.best,
            iterations=int(self.model.optimizer.iterations.numpy()),
            training_seconds=round(seconds, 1), history=self.history, config=self.config))


class StopOnSigterm(keras.callbacks.Callback):
    """On SIGTERM, finish the current batch and end training normally (best epoch kept).

    Ctrl-C aborts and leaves the output file alone; SIGTERM (``kill PID``, ``timeout``) is the
    way to say 'enough, keep what you have'. The handler only sets a flag, read at the end of
    each batch: a handler runs wherever the main thread happens to be, and under JAX that can
    be inside a traced training step, where touching the model ended a ``timeout`` stop in a
    JAX traceback instead of a saved model.
    """

    def __init__(self) -> None:
        super().__init__()
        self.requested = False
        self.previous = None

    def on_train_begin(self, logs=None) -> None:
        self.previous = signal.signal(signal.SIGTERM, self._request)

    def _request(self, signum, frame) -> None:
        self.requested = True  # nothing else: see the class docstring

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        self._stop_if_requested()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self._stop_if_requested()  # a signal during validation: no batch of this epoch is left

    def on_train_end(self, logs=None) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)

    def _stop_if_requested(self) -> None:
        if self.requested and not self.model.stop_training:
            print("\nSIGTERM: stopping after this batch and keeping the best epoch so far",
                  file=sys.stderr)
            self.model.stop_training = True
