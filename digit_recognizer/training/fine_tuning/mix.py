"""What each epoch of a fine-tuning trains on: ``epoch_mix(prepared, taught, ...)``.

The ``Recipe`` says how much of each: varied copies of the corrections (``correction_copies``),
replay digits from MNIST's training set, digits of the classes the corrections were misread
as, and non-digits. All but the corrections are drawn from pools a base model's frozen trunk
has already seen (``Prepared``, made by ``head.prepare_base``), so a mix is float16
trunk outputs and (K, 10) target rows. Why these amounts: ``fine_tune``'s docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CORRECTION_VARIATION", "MAX_EXTRA_COPIES", "MIN_COPIES", "RECIPE", "Prepared",
           "Recipe", "correction_copies", "epoch_mix"]


@dataclass(frozen=True)
class Recipe:
    """How a fine-tuning trains, per epoch; the values were measured (``fine_tune``'s docstring)."""

    learning_rate: float = 0.03  # SGD, momentum 0.9
    correction_copies: int = 200  # varied copies of the corrections, spread evenly over them
    replay_digits: int = 2000  # random MNIST training digits
    confusable_digits: int = 800  # MNIST digits of the classes the corrections were misread as
    non_digits: int = 300  # drawings of no digit (``outliers``)
    # Their target: 0.1 for every class, as the bundled models were trained (outlier exposure);
    # False: the base's own output on them, for a base never trained that way, where uniform
    # targets cost the old model 1 0.1-0.2 points of MNIST accuracy.
    uniform_non_digits: bool = True
    # The pools the replay, confusable and non-digit examples are drawn from. Their trunk
    # output is computed once per base: 4,000 covers two epochs of fresh replay digits.
    replay_pool: int = 4000
    non_digit_pool: int = 600
    trainable_layers: int = 2  # the last layers with weights (the dense head) learn
    # Replay digits never trained on, only scored on after each fit (``guard``): 0.3 points
    # of accuracy is 9 of 3,000. Fewer cost the first fit of a base less, but flip sooner.
    held_out_digits: int = 3000
    # 128, not 64: half the steps, and over 3 seeds MNIST accuracy after 50 corrections fell
    # 0.02 (model 1) and 0.09 points (model 2) instead of 0.1 and 0.1
    batch_size: int = 128


RECIPE = Recipe()
MIN_COPIES = 40  # per misread correction and epoch
MAX_EXTRA_COPIES = 2000  # per epoch: about the replay's size, so MNIST keeps its weight
# Lighter than training's augmentation (10°, 10%, 2 px): a correction is one person's drawing,
# and varied too far it starts to cover neighbouring digits (a flagged 1 becomes any 7).
CORRECTION_VARIATION = {"rotation": 5.0, "zoom": 0.05, "shift": 1.0}


@dataclass
class Prepared:
    """A base model cut into a frozen trunk and a head that learns, with the trunk's output for
    the replay and non-digit pools computed once (the bulk of every mix)."""

    base: Any  # the caller's model or the one loaded from its file; held so its id stays unique
    replay: np.ndarray  # the caller's replay images, held so that their memory stays theirs
    weights: list[np.ndarray]  # the base's weights when prepared: every call starts from them
    digest: bytes  # of those weights: a change in the base means the cached outputs are stale
    work: Any  # a copy of the base whose head layers learn
    start: int  # index of the first head layer in ``work.layers``
    trunk: Any  # ``work``'s input -> the head's input
    head: Any  # the head's input -> probabilities, compiled; its learning layers are ``work``'s
    pool: np.ndarray  # float16 trunk outputs of augmented replay digits
    pool_labels: np.ndarray  # (P,) their digits
    others: np.ndarray  # float16 trunk outputs of non-digits
    other_targets: np.ndarray  # (Q, 10) float32: what the non-digits are trained towards
    held_out: np.ndarray  # float16 trunk outputs of replay digits no fit trains on
    held_out_labels: np.ndarray  # (H,) their digits
    base_accuracy: float  # the base's accuracy on them, what a fit is held to (``guard``)
    # (10,) the base's accuracy on each class of them, what each class is held to
    base_class_accuracy: np.ndarray = field(default_factory=lambda: np.zeros(10))
    # (cache folder, key) of pools made here and not yet written there: the first fit writes
    # them (``head.save_unsaved_pools``); None: read from the cache, or none to write to
    unsaved: tuple[Any, str] | None = None


def correction_copies(total: int, wrong: np.ndarray, epochs: int, recipe: Recipe,
                      rng: np.random.Generator) -> list[np.ndarray]:
    """Which corrections each epoch's copies are of: ``recipe.correction_copies`` spread evenly
    over all (at least one each), then ``MIN_COPIES`` more of each one the base reads wrong
    (``MAX_EXTRA_COPIES`` in all at most).

    Spread evenly over hundreds of corrections, the one just taught would get a copy or two
    and stay misread; all copies on the misread ones would starve the writer's other drawings.
    """
    spread = max(recipe.correction_copies, total)
    extra = min(MIN_COPIES * len(wrong), MAX_EXTRA_COPIES)
    return [np.concatenate([np.resize(rng.permutation(total), spread),
                            rng.choice(wrong, extra) if extra else wrong[:0]])
            for _ in range(epochs)]


def epoch_mix(prepared: Prepared, taught: np.ndarray, taught_labels: np.ndarray,
              misread: np.ndarray, recipe: Recipe, rng: np.random.Generator):
    """One epoch's shuffled mix: float16 trunk outputs and (K, 10) float32 target rows.

    The corrections' copies (``taught``), replay digits, confusable digits shared among the
    classes in ``misread`` as often as each occurs there, and non-digits, whose target rows
    are ``Prepared.other_targets`` (uniform, 0.1 each, unless the recipe says otherwise).
    """
    pool_labels = prepared.pool_labels
    picked = [rng.choice(len(pool_labels), min(recipe.replay_digits, len(pool_labels)),
                         replace=False)]
    for digit, count in zip(*np.unique(misread, return_counts=True)):
        same = np.flatnonzero(pool_labels == digit)
        share = round(recipe.confusable_digits * count / len(misread))
        if len(same) and share:
            picked.append(rng.choice(same, share))
    picked = np.concatenate(picked)
    others = rng.choice(len(prepared.others), min(recipe.non_digits, len(prepared.others)),
                        replace=False)
    x = np.concatenate([taught, prepared.pool[picked], prepared.others[others]])
    one_hot = np.eye(10, dtype=np.float32)
    y = np.concatenate([one_hot[taught_labels], one_hot[pool_labels[picked]],
                        prepared.other_targets[others]])
    order = rng.permutation(len(x))
    return x[order], y[order]
