"""The guard after each fit: a personal model may not forget everyone else's digits.

    guarded = guarded_fit(prepared, images, labels, epochs=2, seed=0, recipe=RECIPE)
    guarded.model      # the fitted model, or None: keep the previous one
    guarded.sentence() # what happened, for the status bar or the terminal

Each fit is scored on replay digits held out from it (``Prepared.held_out``: for the bundled
replay set, digits of the validation split the bundled models never trained on). If it reads
more than ``MAX_LOSS`` (0.3 points) fewer of them right than its base, it is fitted again more
gently (``gentler``: a third of the learning rate, twice the replay). If that loses too, no
model comes back, and the correction the base reads most surely as another digit is named as
the one that conflicts with common writing: a correction the base already reads as taught
cannot pull the head away from MNIST, a confident misreading is what does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from digit_recognizer.core.conflicts import CorrectionConflict, conflict_sentence
from digit_recognizer.core.quiet_tf import import_keras
from digit_recognizer.core.scoring import to_model_input
from digit_recognizer.training.fine_tuning.head import head_accuracy, train_head
from digit_recognizer.training.fine_tuning.mix import Prepared, Recipe

__all__ = ["MAX_LOSS", "Guarded", "conflicting", "gentler", "guarded_fit"]

MAX_LOSS = 0.003  # accuracy on the held-out digits a fit may lose against its base: 0.3 points


@dataclass(frozen=True)
class Guarded:
    """What a guarded fit did."""

    model: Any | None  # the Keras model to use; None: every fit lost too much, keep the old one
    base_accuracy: float  # the base's, on the held-out replay digits
    accuracy: float  # the kept fit's, or the last one tried
    held_out: int  # how many digits were scored
    gentle: bool  # the first fit lost too much, so a gentler one was tried
    conflict: int | None = None  # index of the correction that conflicts with common writing
    label: int | None = None  # that correction's taught digit
    read_as: int | None = None  # what the base reads it as

    @property
    def loss(self) -> float:
        """Points of held-out accuracy lost against the base (negative: gained)."""
        return (self.base_accuracy - self.accuracy) * 100

    def sentence(self) -> str:
        """What happened, in a sentence (the window's status, the command's output)."""
        kept = (f"{self.accuracy:.2%} of {self.held_out:,} held-out MNIST digits read right "
                f"(base {self.base_accuracy:.2%})")
        if self.model is not None:
            how = "fitted gently, as the first fit forgot too much: " if self.gentle else ""
            return f"{how.capitalize()}{kept}."
        return conflict_sentence(self.conflict, self.label, self.read_as, self.loss,
                                 self.together)

    @property
    def together(self) -> bool:
        """No correction is misread by the base: only together do they pull too far."""
        return self.read_as == self.label

    def error(self) -> CorrectionConflict:
        """The refusal as the error the window hears (``core.conflicts``)."""
        return CorrectionConflict(self.conflict, self.label, self.read_as, self.loss,
                                  self.together)


def gentler(recipe: Recipe) -> Recipe:
    """The second try: a third of the learning rate, and the whole replay pool each epoch."""
    return replace(recipe, learning_rate=recipe.learning_rate / 3,
                   replay_digits=recipe.replay_pool, confusable_digits=2 * recipe.confusable_digits)


def guarded_fit(prepared: Prepared, images: np.ndarray, labels: np.ndarray, *, epochs: int,
                seed: int, recipe: Recipe, verbose: int = 0,
                max_loss: float = MAX_LOSS) -> Guarded:
    """Fit the head on the corrections (``train_head``), and again gently if the first fit
    lost more than ``max_loss`` of held-out accuracy; see the module's docstring."""
    base, count = prepared.base_accuracy, len(prepared.held_out_labels)
    for gentle, tried in ((False, recipe), (True, gentler(recipe))):
        model = train_head(prepared, images, labels, epochs=epochs, seed=seed, recipe=tried,
                           verbose=verbose)
        accuracy = head_accuracy(prepared.head, prepared.held_out, prepared.held_out_labels)
        if base - accuracy <= max_loss:
            return Guarded(model, base, accuracy, count, gentle)
    index, read_as = conflicting(prepared, images, labels)
    return Guarded(None, base, accuracy, count, True, index, int(labels[index]), read_as)


def conflicting(prepared: Prepared, images: np.ndarray, labels: np.ndarray) -> tuple[int, int]:
    """The correction the base reads most surely as another digit: (its index, that digit)."""
    keras = import_keras()
    probabilities = keras.ops.convert_to_numpy(
        prepared.base(to_model_input(images), training=False))
    index = int(np.argmin(probabilities[np.arange(len(labels)), labels]))
    return index, int(probabilities[index].argmax())
