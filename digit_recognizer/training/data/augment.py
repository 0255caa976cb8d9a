"""Training data augmentation: digits varied the way drawings vary, served in shuffled batches.

    batches = make_batches(x_fit, y_fit, batch_size=128, seed=0)   # a keras.utils.PyDataset
    images, targets = batches[0]   # float32 (128, 28, 28, 1) in [0, 1], float32 (128, 10)
    batches = make_batches(x_fit, y_fit, 128, 0, variants=make_variants(x_fit, y_fit, 0, 5000))

NumPy and OpenCV only (Keras just for the ``PyDataset`` base class), so the same batches feed
TensorFlow and JAX alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from digit_recognizer.core.quiet_tf import import_keras
from digit_recognizer.core.scoring import to_model_input

if TYPE_CHECKING:
    from digit_recognizer.training.data.variants import TrainingVariants

__all__ = ["Mix", "augment_digits", "make_batches", "random_affine", "warp_digits"]

NUM_CLASSES = 10

# OpenCV 5 filters at most 128 channels in one call.
MAX_CHANNELS = 128


@dataclass(frozen=True)
class Mix:
    """How often each batch shows the digits' variants (``variants.TrainingVariants``)."""

    restroked: float = 0.3  # share of digits shown re-drawn with the app's brush
    styled: float = 0.5  # share of digits with a style edit shown in that style
    non_digits: float = 0.125  # non-digits added to each batch, as a share of its digits
    widened: float = 0.0  # share of digits shown wider or narrower than they were written


def make_batches(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, augment: bool = True,
                 variants: TrainingVariants | None = None, mix: Mix = Mix(),
                 rotation: float = 10.0, zoom: float = 0.1):
    """A ``keras.utils.PyDataset`` of shuffled, augmented batches: float32 (B, 28, 28, 1), targets.

    Targets are (B, 10) float32 rows: one-hot for digits, uniform (0.1 each) for the
    non-digits of ``variants``, which teaches the network to be unsure of what is not a digit.
    Every digit appears once per epoch, as itself or as one of its ``variants`` as ``mix``
    says; the order, the choices and the augmentation come from ``seed``.
    """
    keras = import_keras()
    targets = np.eye(NUM_CLASSES, dtype=np.float32)[y]

    class AugmentedBatches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__(workers=1, use_multiprocessing=False)
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(x))

        def __len__(self) -> int:
            return int(np.ceil(len(x) / batch_size))

        def __getitem__(self, index: int):
            picked = self.order[index * batch_size:(index + 1) * batch_size]
            images, labels = x[picked], targets[picked]
            if variants is not None:
                images, labels = with_variants(images, labels, picked, variants, mix, self.rng)
            if augment:
                images = augment_digits(images, self.rng, rotation, zoom)
            return to_model_input(images), labels

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(x))

    return AugmentedBatches()


def with_variants(images: np.ndarray, labels: np.ndarray, picked: np.ndarray,
                  variants: TrainingVariants, mix: Mix, rng: np.random.Generator):
    """The batch's digits, some swapped for their variants, plus non-digits with uniform targets."""
    images = images.copy()
    restroked = rng.random(len(picked)) < mix.restroked
    images[restroked] = variants.restroked[picked[restroked]]
    styled = (rng.random(len(picked)) < mix.styled) & variants.has_style[picked]
    images[styled] = variants.styled[picked[styled]]
    if mix.widened:  # drawn only when asked for, so that older runs' streams stay as they were
        widened = (rng.random(len(picked)) < mix.widened) & ~styled
        images[widened] = variants.widened[picked[widened]]
    # A fixed count: every new batch shape costs a compilation under JAX and XLA.
    count = int(round(len(picked) * mix.non_digits)) if len(variants.non_digits) else 0
    others = variants.non_digits[rng.integers(0, len(variants.non_digits), count)]
    uniform = np.full((count, NUM_CLASSES), 1 / NUM_CLASSES, np.float32)
    return np.concatenate([images, others]), np.concatenate([labels, uniform])


def augment_digits(images: np.ndarray, rng: np.random.Generator, rotation: float = 10.0,
                   zoom: float = 0.1, shift: float = 2.0, thicken: float = 0.1) -> np.ndarray:
    """Vary uint8 (N, 28, 28) digits the way drawings vary: slant, size, position, pen width.

    Rotation (± degrees), zoom (± fraction) and shift (± pixels) are combined into one affine
    warp per image. Keras' RandomRotation, RandomZoom and RandomTranslation each resample the
    image, and three bilinear resamplings blur MNIST's strokes visibly; trained on that blur,
    the networks stalled near 99% validation accuracy. Then a random ``thicken`` share of
    digits gets thicker strokes and half as many thinner ones (grey-level dilation/erosion),
    since people draw with other brushes than MNIST's pens.
    """
    images = warp_digits(images, random_affine(len(images), rng, rotation, zoom, shift))
    kernel = np.ones((2, 2), np.uint8)
    for op, share in ((cv2.dilate, thicken), (cv2.erode, thicken / 2)):
        chosen = rng.random(len(images)) < share
        if chosen.any():
            images[chosen] = per_image(op, images[chosen], kernel)
    return images


def random_affine(count: int, rng: np.random.Generator, rotation: float, zoom: float,
                  shift: float) -> np.ndarray:
    """(count, 2, 3) OpenCV affine matrices: rotate and scale about the centre, then shift."""
    angles = np.radians(rng.uniform(-rotation, rotation, count))
    scales = rng.uniform(1 - zoom, 1 + zoom, count)
    cos, sin = scales * np.cos(angles), scales * np.sin(angles)
    centre = 13.5  # the middle of a 28-pixel axis
    matrices = np.empty((count, 2, 3))
    matrices[:, 0, :2] = np.stack([cos, sin], axis=1)
    matrices[:, 1, :2] = np.stack([-sin, cos], axis=1)
    matrices[:, :, 2] = centre - (matrices[:, :, :2] @ np.array([centre, centre]))
    matrices[:, :, 2] += rng.uniform(-shift, shift, (count, 2))
    return matrices


def warp_digits(images: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """Apply one affine matrix to each 28×28 image (bilinear, black outside)."""
    return np.stack([cv2.warpAffine(image, matrix, (28, 28), flags=cv2.INTER_LINEAR)
                     for image, matrix in zip(images, matrices)])


def per_image(op, images: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Apply a 2-D OpenCV morphology op to each of (N, H, W) images in one call per 128.

    OpenCV filters each channel separately, so the batch goes in as the channel axis.
    """
    out = np.empty_like(images)
    for start in range(0, len(images), MAX_CHANNELS):
        part = np.ascontiguousarray(images[start:start + MAX_CHANNELS].transpose(1, 2, 0))
        result = op(part, kernel).reshape(part.shape)  # one channel comes back 2-D
        out[start:start + MAX_CHANNELS] = result.transpose(2, 0, 1)
    return out
