"""The guard after each fit: a personal model may not forget everyone else's digits.

    guarded = guarded_fit(prepared, images, labels, epochs=2, seed=0, recipe=RECIPE)
    guarded.model      # the fitted model, or None: every fit cost too much
    guarded.sentence() # what happened, for the status bar or the terminal

Each fit is scored on replay digits held out from it (``Prepared.held_out``: for the bundled
replay set, digits of the validation split the bundled models never trained on), on all of
them and on each digit class. If it reads more than ``MAX_LOSS`` (0.3 points) fewer of them
right than its base, or more than ``MAX_CLASS_LOSS`` (2 points) fewer of any one class (a
clear 4 taught as a 9 spoils the 4s while the average barely moves), it is fitted again more
gently (``gentler``: a third of the learning rate, twice the replay). If that loses too, no
model comes back, and ``Guarded.cost`` says what it would cost; which corrections to blame
and leave out is the fine-tuning's to decide (``pipeline``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from digit_recognizer.core.conflicts import cost_phrase
from digit_recognizer.training.fine_tuning.head import head_scores, train_head
from digit_recognizer.training.fine_tuning.mix import Prepared, Recipe

__all__ = ["MAX_CLASS_LOSS", "MAX_LOSS", "Guarded", "gentler", "guarded_fit"]

MAX_LOSS = 0.003  # accuracy on the held-out digits a fit may lose against its base: 0.3 points
# ... and on the held-out digits of any one class: 2 points, about 6 of the ~300 of each
MAX_CLASS_LOSS = 0.02


@dataclass(frozen=True)
class Guarded:
    """What a guarded fit did."""

    model: Any | None  # the Keras model to use; None: every fit lost too much
    base_accuracy: float  # the base's, on the held-out replay digits
    accuracy: float  # the kept fit's, or the last one tried
    held_out: int  # how many digits were scored
    gentle: bool  # the first fit lost too much, so a gentler one was tried
    worst_class: int = 0  # the digit class that lost most in that fit
    class_loss: float = 0.0  # points of that class's held-out accuracy it lost (<0: gained)

    @property
    def loss(self) -> float:
        """Points of held-out accuracy lost against the base (negative: gained)."""
        return (self.base_accuracy - self.accuracy) * 100

    def cost(self) -> tuple[float, int | None]:
        """What the fit costs, as the guard judges it: (points, the digit class that loses
        them, or None for all digits). A class over its limit is named before the average."""
        if self.class_loss > MAX_CLASS_LOSS * 100:
            return self.class_loss, self.worst_class
        return self.loss, None

    def sentence(self) -> str:
        """What happened, in a sentence (the window's status, the command's output)."""
        if self.model is None:
            return f"Even fitted gently, it would cost {cost_phrase(*self.cost())}."
        kept = (f"{self.accuracy:.2%} of {self.held_out:,} held-out MNIST digits read right "
                f"(base {self.base_accuracy:.2%})")
        how = "fitted gently, as the first fit forgot too much: " if self.gentle else ""
        return f"{how.capitalize()}{kept}."


def gentler(recipe: Recipe) -> Recipe:
    """The second try: a third of the learning rate, and the whole replay pool each epoch."""
    return replace(recipe, learning_rate=recipe.learning_rate / 3,
                   replay_digits=recipe.replay_pool, confusable_digits=2 * recipe.confusable_digits)


def guarded_fit(prepared: Prepared, images: np.ndarray, labels: np.ndarray, *, epochs: int,
                seed: int, recipe: Recipe, verbose: int = 0, max_loss: float = MAX_LOSS,
                max_class_loss: float = MAX_CLASS_LOSS) -> Guarded:
    """Fit the head on the corrections (``train_head``), and again gently if the first fit
    lost more than ``max_loss`` of held-out accuracy, or more than ``max_class_loss`` of one
    class's; see the module's docstring."""
    base, count = prepared.base_accuracy, len(prepared.held_out_labels)
    for gentle, tried in ((False, recipe), (True, gentler(recipe))):
        model = train_head(prepared, images, labels, epochs=epochs, seed=seed, recipe=tried,
                           verbose=verbose)
        accuracy, per_class = head_scores(prepared.head, prepared.held_out,
                                          prepared.held_out_labels)
        lost = prepared.base_class_accuracy - per_class
        worst = int(np.argmax(lost))
        found = Guarded(model, base, accuracy, count, gentle, worst, float(lost[worst]) * 100)
        if base - accuracy <= max_loss and lost[worst] <= max_class_loss:
            return found
    return replace(found, model=None)
