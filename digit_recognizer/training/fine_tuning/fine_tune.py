"""Teach a trained model the user's corrections in seconds, keeping what it knew of MNIST.

    python -m digit_recognizer fine-tune --model model2 \\
        --extra-data ~/.local/share/digit-recognizer/corrections \\
        --out ~/.local/share/digit-recognizer/my_model.keras

    fine_tune_corrections(Personaliser(cache_dir=...), base_file, images, labels,
                          replay=pair, held=3000, folder=corrections)  # both, ``pipeline``

It starts from the chosen model's weights (``train --extra-data`` retrains from scratch, an hour
on a CPU) and trains for two short epochs (about 3,300 examples each) on a mix drawn afresh
each epoch:

- the corrections, ``Recipe.correction_copies`` lightly varied copies in all (small shifts,
  rotations and zooms), so that similar drawings read as taught too;
- a replay sample of MNIST training digits (2,000 of a pool of 4,000 augmented as in
  training), so the network keeps what it knew;
- extra MNIST digits of the classes the base model misread the corrections as: taught that a
  flagged 1 is a 1, the network must still see 7s called 7;
- non-digits (``outliers``) with a uniform target (0.1 for every class): the bundled models
  learnt to answer "not a digit" with a low top probability, and a fine-tune keeps that.

Only the last two layers with weights learn (the dense head); the convolutions and every
BatchNorm layer stay frozen, BatchNorm in inference mode. So the network is cut in two: the
frozen trunk's output for a pool of augmented MNIST digits and non-digits is computed once per
base model and cached (``Personaliser``), each call passes only the corrections' copies through
the trunk, and SGD trains the head alone on those outputs (``head``; each epoch's
mix: ``mix``). The head's weights then go into a copy of the base. Measured by
``benchmarks/bench_fine_tune.py`` on 2 cores with the retrained models: with 50 corrections a
call takes 1.3 s on model 1 and 1.2 s on model 2 (medians), with 500 2.1 s and 1.6 s; the first
call for a base adds 2-3 s for the pools (``Personaliser.prepare`` can pay that earlier). After 50
corrections MNIST test accuracy went from 99.33% to 99.40% (model 1) and from 99.58% to 99.57%
(model 2), and the non-digits under the not-a-digit threshold from 98.1% to 98.2% and 99.2% to
99.2%. A one-off ``fine-tune`` keeps the pools on disk (``pool_cache``): its first run with a
model takes about 13 s in all for 20 corrections, TensorFlow's import included, later ones 7.5 s.

Measured on model 2 with 20 and 50 "continental 1s" that it read as 7 (MNIST 1s given a long
flag; table in the README): SGD with momentum on the head kept MNIST test accuracy within 0.1
points, read every correction and 97% of held-out similar drawings as 1. Adam lost 0.15 points
on the head and took three times as long on every layer; without the confusable digits it lost
0.2 points, mostly 7s read as 1.

The window and the command fine-tune through one pipeline (``pipeline``), under a guard
(``guard``): each fit is scored on replay digits held out from it, fitted again gently if it
lost more than 0.3 points against its base, or 2 points on one digit class, and refused if that
loses too; the pipeline then leaves out the corrections to blame and learns the rest. They
replay the digits bundled with the models (``core.datasets.replay``).

The command (``cli``, ``files``) writes beside ``--out`` (``.h5`` or
``.keras``) ``<stem>.json``, the metadata (base model and its SHA-256, the corrections' count
and SHA-256, MNIST test accuracy after, seconds, the base's not-a-digit threshold), and the ONNX
copy ``<stem>.onnx`` the app runs; each file atomically. The bundled models are never written.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from digit_recognizer.training.fine_tuning.guard import Guarded, guarded_fit
from digit_recognizer.training.fine_tuning.head import (
    prepare_base,
    save_unsaved_pools,
    train_head,
    weights_digest,
)
from digit_recognizer.training.fine_tuning.mix import RECIPE, Prepared, Recipe

__all__ = [
    "RECIPE",
    "FineTuneError",
    "Guarded",
    "Personaliser",
    "Recipe",
    "fine_tune",
    "personalise",
]


class FineTuneError(ValueError):
    """A fine-tuning input cannot be used; the message says which and why."""


def fine_tune(base, images: np.ndarray, labels: np.ndarray, *,
              replay: tuple[np.ndarray, np.ndarray], epochs: int = 2, seed: int = 0,
              recipe: Recipe = RECIPE, verbose: int = 0):
    """Return ``base`` trained further on ``images`` (uint8 (N, 28, 28), ink high) and ``labels``.

    ``base``: a Keras model, which is left as it is (a copy learns), or the path of a ``.h5`` /
    ``.keras`` file, loaded with the app's safety checks. ``replay``: MNIST training images and
    labels (uint8 (M, 28, 28), (M,)) to draw the replay pool from. Imports Keras. One-off: a
    process that fine-tunes the same base again should call ``personalise``, which keeps the
    trunk's outputs between calls. Raises ``FineTuneError`` for unusable corrections or replay
    and ``ModelError`` for an unusable model.
    """
    return Personaliser(recipe, keep=1).personalise(base, images, labels, replay=replay,
                                                    epochs=epochs, seed=seed, verbose=verbose)


def check_corrections(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The corrections as uint8 arrays; ``FineTuneError`` unless (N, 28, 28) images, N digits."""
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise FineTuneError(f"corrections must be uint8 (N, 28, 28) images, got {images.dtype} "
                            f"{images.shape}")
    if len(images) == 0:
        raise FineTuneError("there are no corrections to fine-tune on")
    if labels.shape != (len(images),):
        raise FineTuneError(f"{len(images)} corrections need {len(images)} labels, got shape "
                            f"{labels.shape}")
    if not np.isin(labels, np.arange(10)).all():
        raise FineTuneError("correction labels must be digits 0-9")
    return images, labels.astype(np.uint8)


def check_replay(replay) -> tuple[np.ndarray, np.ndarray]:
    """The replay digits as given; ``FineTuneError`` unless uint8 (M, 28, 28) and M digits."""
    try:
        x, y = replay
    except (TypeError, ValueError) as err:
        raise FineTuneError("replay must be a pair (MNIST training images, their labels)") \
            from err
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.shape[1:] != (28, 28) \
            or not len(x):
        raise FineTuneError(f"replay images must be uint8 (M, 28, 28), M > 0, got "
                            f"{getattr(x, 'dtype', type(x).__name__)} {np.shape(x)}")
    y = np.asarray(y)
    if y.shape != (len(x),) or not np.isin(y, np.arange(10)).all():
        raise FineTuneError(f"{len(x)} replay images need {len(x)} labels 0-9, got shape "
                            f"{y.shape}")
    return x, y


class Personaliser:
    """Fine-tunes the head of base models on corrections, keeping per-base work between calls.

    The window's model process holds one (``model_server``) and calls it after
    every teach with the same base and a growing set of corrections. For each of the last
    ``keep`` bases it keeps a ``Prepared``: the trunk's outputs for ``Recipe.replay_pool``
    augmented MNIST digits, ``Recipe.held_out_digits`` held-out ones the guard scores on and
    ``Recipe.non_digit_pool`` non-digits, drawn with ``pool_seed`` (float16: about 120 MB for
    model 1, 40 MB for model 2). With ``cache_dir`` they are also kept on disk for the next
    process (``pool_cache``). Calls are serialised by a lock.
    """

    def __init__(self, recipe: Recipe = RECIPE, *, keep: int = 2, pool_seed: int = 0,
                 cache_dir: str | os.PathLike | None = None) -> None:
        self.recipe, self.keep, self.pool_seed = recipe, keep, pool_seed
        self.cache_dir = cache_dir
        self.pools_built = 0  # how many times a trunk pass over a pool was paid for
        self._prepared: OrderedDict[tuple, Prepared] = OrderedDict()
        self._lock = threading.Lock()

    def personalise(self, base, images: np.ndarray, labels: np.ndarray, *,
                    replay: tuple[np.ndarray, np.ndarray], epochs: int = 2, seed: int = 0,
                    verbose: int = 0, held: int = 0):
        """A new Keras model: ``base`` with its head trained on the corrections (see
        ``fine_tune`` for the arguments), unguarded; ``base`` itself is left as it was."""
        return self._fit(train_head, base, images, labels, replay, epochs, seed, verbose, held)

    def guarded(self, base, images: np.ndarray, labels: np.ndarray, *,
                replay: tuple[np.ndarray, np.ndarray], epochs: int = 2, seed: int = 0,
                verbose: int = 0, held: int = 0) -> Guarded:
        """As ``personalise``, with the guard (``guard.guarded_fit``): the fit is scored on
        replay digits held out from it (the first ``held`` of ``replay``, or random ones),
        fitted again gently if it lost too much, and refused if that loses too."""
        return self._fit(guarded_fit, base, images, labels, replay, epochs, seed, verbose, held)

    def _fit(self, fit, base, images: np.ndarray, labels: np.ndarray,
             replay: tuple[np.ndarray, np.ndarray], epochs: int, seed: int, verbose: int,
             held: int):
        """Check the arguments, then ``fit`` (``train_head`` or ``guarded_fit``) on the
        base's prepared pools, one call at a time."""
        images, labels = check_corrections(images, labels)
        _check_epochs(epochs)
        with self._lock:
            prepared = self._prepare(base, check_replay(replay), held)
            save_unsaved_pools(prepared)  # a fit happens: now the pools may go to disk
            return fit(prepared, images, labels, epochs=epochs, seed=seed, recipe=self.recipe,
                       verbose=verbose)

    def prepare(self, base, replay: tuple[np.ndarray, np.ndarray], held: int = 0) -> Prepared:
        """Cut ``base`` and make its pools now (seconds), so the next teach need not. Made
        pools are kept in memory: the first fit writes them to ``cache_dir``, so warming up
        for a teach that never comes leaves nothing on disk."""
        with self._lock:
            return self._prepare(base, check_replay(replay), held)

    def _prepare(self, base, replay: tuple[np.ndarray, np.ndarray], held: int) -> Prepared:
        # The replay by its memory (held in ``Prepared``, so not reused): the same arrays, or
        # views of them, hit the cache however the caller passes them.
        images = replay[0]
        key = _base_key(base) + (images.ctypes.data, images.shape, images.strides, held)
        prepared = self._prepared.get(key)
        if prepared is not None and _still_valid(prepared, base):
            self._prepared.move_to_end(key)
            return prepared
        self._prepared.pop(key, None)
        prepared = prepare_base(base, replay, self.recipe, self.pool_seed, held, self.cache_dir)
        self.pools_built += 1
        self._prepared[key] = prepared
        while len(self._prepared) > self.keep:
            self._prepared.popitem(last=False)  # the least recently used base
        return prepared


def _check_epochs(epochs: int) -> None:
    if epochs < 1:
        raise FineTuneError(f"epochs must be at least 1, got {epochs}")


def _base_key(base) -> tuple:
    """What identifies a base: its file as it is now, or the Keras model object."""
    if isinstance(base, (str, os.PathLike)):
        path = Path(base)
        try:
            stat = path.stat()
        except OSError:  # loading it will say what is wrong
            return ("file", str(path), None)
        return ("file", str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    return ("model", id(base))


def _still_valid(prepared: Prepared, base) -> bool:
    """Whether ``prepared`` was made from this base as its weights are now."""
    if isinstance(base, (str, os.PathLike)):
        return True  # the key holds the file's modification time and size
    return prepared.base is base and weights_digest(base.get_weights()) == prepared.digest


# ``personalise`` keeps each base's pools from one call to the next in this process; the
# window's model process holds Personalisers of its own.
_PERSONALISER = Personaliser()


def personalise(base, images: np.ndarray, labels: np.ndarray, *,
                replay: tuple[np.ndarray, np.ndarray], seed: int = 0):
    """``base`` (a Keras model or a model file) with its head fine-tuned on the corrections.

    ``images``: uint8 (N, 28, 28), ink high; ``labels``: (N,) digits; ``replay``: MNIST
    training images and labels. Call it again with the same ``base`` object and more
    corrections: the first call for a base passes ~7,600 pool digits through its trunk
    (seconds), later ones only the corrections' copies (about a second). ``base`` is left as
    it was. Raises ``FineTuneError`` or ``ModelError``.
    """
    return _PERSONALISER.personalise(base, images, labels, replay=replay, seed=seed)
