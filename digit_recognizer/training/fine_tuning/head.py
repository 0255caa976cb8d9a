"""Cut a base model into a frozen trunk and a head, and train the head on corrections.

    prepared = prepare_base(base, (x_train, y_train))   # seconds: the pools through the trunk
    model = train_head(prepared, images, labels, epochs=2, seed=0, recipe=RECIPE)

Only the last ``Recipe.trainable_layers`` layers with weights learn; the convolutions and every
BatchNorm layer stay frozen, BatchNorm in inference mode. ``fine_tune.Personaliser`` keeps a
``Prepared`` per base between calls. Imports Keras when called, not when imported.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from digit_recognizer.core.confidence import misread as misread_rows
from digit_recognizer.core.quiet_tf import import_keras
from digit_recognizer.core.results import ModelError
from digit_recognizer.core.scoring import score_probabilities, to_model_input
from digit_recognizer.recognition.recognizer import INPUT_SHAPES, OUTPUT_SHAPE, load_keras_file
from digit_recognizer.training.data.augment import augment_digits
from digit_recognizer.training.data.outliers import non_digits
from digit_recognizer.training.fine_tuning.mix import (
    CORRECTION_VARIATION,
    RECIPE,
    Prepared,
    Recipe,
    correction_copies,
    epoch_mix,
)
from digit_recognizer.training.fine_tuning.pool_cache import (
    POOL_ARRAYS,
    load_pools,
    pool_key,
    save_pools,
)

__all__ = ["head_model", "head_scores", "head_start", "make_pools", "prepare_base",
           "reset_head", "save_unsaved_pools", "train_head", "trunk_outputs", "weights_digest"]


# Head layers without weights that may sit between the trunk and the first layer that learns.
# Cutting before them keeps the trunk's output small and lets dropout run while the head learns.
SHAPE_AND_NOISE_LAYERS = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "Flatten",
                          "Reshape", "GaussianNoise")


def weights_digest(weights: list[np.ndarray]) -> bytes:
    """A short fingerprint of ``weights``: it changes when any of them does."""
    digest = hashlib.blake2b(digest_size=16)
    for array in weights:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.digest()


def prepare_base(base, replay: tuple[np.ndarray, np.ndarray], recipe: Recipe = RECIPE,
                 pool_seed: int = 0, held: int = 0,
                 cache_dir: str | os.PathLike | None = None) -> Prepared:
    """Load or copy ``base``, cut it before its head and pass the pools through its trunk.

    ``held``: the first ``held`` replay digits are only scored on (``Prepared.held_out``);
    0: ``recipe.held_out_digits`` random ones are set apart from the pool instead.
    ``cache_dir``: where the trunk's outputs are kept for the next process (``pool_cache``):
    read from there now, written there by the first fit (``save_unsaved_pools``); None: made
    here and kept in memory only.
    """
    keras = import_keras()
    loaded = checked_model(base)
    work = keras.models.clone_model(loaded)
    weights = loaded.get_weights()
    work.set_weights(weights)
    start = head_start(work, recipe.trainable_layers)
    trunk = keras.Model(work.inputs, work.layers[start - 1].output)
    digest = weights_digest(weights)
    key = pool_key(digest, replay, recipe, pool_seed, held) if cache_dir else None
    pools = load_pools(cache_dir, key) if cache_dir else None
    unsaved = None
    if pools is None or pools["pool"].shape[1:] != tuple(trunk.outputs[0].shape[1:]):
        pools = make_pools(trunk, loaded, replay, recipe, pool_seed, held)
        unsaved = (cache_dir, key) if cache_dir else None  # written by the first fit
    head = head_model(work, start, recipe)
    accuracy, per_class = head_scores(head, pools["held_out"], pools["held_out_labels"])
    return Prepared(base=loaded, replay=replay[0], weights=weights, digest=digest, work=work,
                    start=start, trunk=trunk, head=head, **pools, base_accuracy=accuracy,
                    base_class_accuracy=per_class, unsaved=unsaved)


def save_unsaved_pools(prepared: Prepared) -> None:
    """Write ``prepared``'s pools to the cache it was given, if they were made, not read.

    Called when a fit uses them, not when they are made: a window that warms up ahead of a
    teach that never comes writes nothing to the user's disk (about 48 MB for model 2).
    """
    if prepared.unsaved is not None:
        cache_dir, key = prepared.unsaved
        prepared.unsaved = None
        save_pools(cache_dir, key, {name: getattr(prepared, name) for name in POOL_ARRAYS})


def make_pools(trunk, base, replay: tuple[np.ndarray, np.ndarray], recipe: Recipe,
               pool_seed: int, held: int) -> dict[str, np.ndarray]:
    """The trunk's outputs for the replay pool (augmented once, as in training), the
    non-digits and the held-out digits (as they are: the test set is not varied), with
    their labels and targets: ``pool_cache.POOL_ARRAYS``."""
    rng = np.random.default_rng(pool_seed)
    x_replay, y_replay = replay
    picked, scored = _split_replay(len(x_replay), held, recipe, rng)
    augmented = augment_digits(x_replay[picked], rng)
    others = non_digits(recipe.non_digit_pool, rng) if recipe.non_digits else \
        np.zeros((0, 28, 28), np.uint8)
    if recipe.uniform_non_digits or not len(others):
        targets = np.full((len(others), 10), 0.1, np.float32)
    else:  # what the base answers for them, whatever that is
        targets = base.predict(to_model_input(others), verbose=0).astype(np.float32)
    # one pass for all three: each predict() call is traced anew, a fraction of a second
    outputs = trunk_outputs(trunk, np.concatenate([augmented, others, x_replay[scored]]))
    ends = np.cumsum([len(augmented), len(others)])
    return {"pool": outputs[:ends[0]],
            "pool_labels": np.asarray(y_replay)[picked].astype(np.uint8),
            "others": outputs[ends[0]:ends[1]], "other_targets": targets,
            "held_out": outputs[ends[1]:],
            "held_out_labels": np.asarray(y_replay)[scored].astype(np.uint8)}


def _split_replay(total: int, held: int, recipe: Recipe, rng: np.random.Generator):
    """Indexes of the replay pool and of the held-out digits, which never overlap."""
    if held:
        scored = np.arange(min(held, recipe.held_out_digits))
        rest = np.arange(held, total)
    else:  # a plain replay pair: set random digits apart, at most a third of them
        order = rng.permutation(total)
        count = min(recipe.held_out_digits, total // 3)
        scored, rest = np.sort(order[:count]), order[count:]
    if not len(scored) or not len(rest):
        raise ModelError(f"{total} replay digits cannot be split into a pool to replay and "
                         f"digits held out to score on (held out: {held})")
    return rng.choice(rest, min(recipe.replay_pool, len(rest)), replace=False), scored


def as_head_input(outputs: np.ndarray) -> np.ndarray:
    """float16 trunk outputs as float32, the head's input. They are kept in float16 to halve
    the cache, but a float16 tensor in the head's graph makes TensorFlow's oneDNN print an
    error line to the user's terminal on CPUs without AVX-512 half precision."""
    return outputs.astype(np.float32, copy=False)


def head_scores(head, outputs: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """The share of ``labels`` that ``head`` reads right from the trunk ``outputs``, in all
    and per digit class ((10,) float; 0 for a class with no digits)."""
    keras = import_keras()
    probabilities = keras.ops.convert_to_numpy(head(as_head_input(outputs), training=False))
    scores = score_probabilities(probabilities, np.asarray(labels))
    return scores["accuracy"], np.asarray(scores["per_class_accuracy"])


def checked_model(base):
    """``base`` loaded from its file with the app's checks, or the Keras model ``base``."""
    if isinstance(base, (str, os.PathLike)):
        model, name = load_keras_file(Path(base)), Path(base)
    else:
        model, name = base, getattr(base, "name", "the model")
    keras = import_keras()
    if not isinstance(model, keras.Sequential):
        raise ModelError(f"{name} is not a Sequential Keras model; only those are fine-tuned.")
    shapes = tuple(model.inputs[0].shape), tuple(model.outputs[0].shape)
    if len(model.inputs) != 1 or len(model.outputs) != 1 or shapes[0] not in INPUT_SHAPES \
            or shapes[1] != OUTPUT_SHAPE:
        raise ModelError(f"{name} is not a digit model: it maps {shapes[0]} to {shapes[1]}, "
                         f"not 28x28 images to {OUTPUT_SHAPE[1]} probabilities.")
    return model


def head_start(model, count: int) -> int:
    """The index in ``model.layers`` where the head begins: the first of the last ``count``
    layers with weights (BatchNorm aside), moved back over dropout and reshaping layers."""
    keras = import_keras()
    weighted = [i for i, layer in enumerate(model.layers) if layer.weights
                and not isinstance(layer, keras.layers.BatchNormalization)]
    start = weighted[-count] if 0 < count <= len(weighted) else 0
    while start > 0 and type(model.layers[start - 1]).__name__ in SHAPE_AND_NOISE_LAYERS:
        start -= 1
    if start == 0:
        raise ModelError(f"{model.name} has no layers before its last {count} with weights to "
                         "freeze; it cannot be fine-tuned this way.")
    return start


def trunk_outputs(trunk, images: np.ndarray) -> np.ndarray:
    """float16 trunk outputs of uint8 (N, 28, 28) images; float16 halves the cache, and
    ``as_head_input`` gives them to the head as float32."""
    if not len(images):
        return np.zeros((0, *trunk.outputs[0].shape[1:]), np.float16)
    return trunk.predict(to_model_input(images), batch_size=256, verbose=0).astype(np.float16)


def head_model(work, start: int, recipe: Recipe):
    """A compiled model from the trunk's output (``as_head_input``) to the probabilities.

    It shares ``work``'s head layers with weights, so what it learns is in ``work``: the last
    ``recipe.trainable_layers`` of them learn, BatchNorm stays frozen (in inference mode). Its
    layers without weights (dropout, flatten) are copies, whose dropout ``reset_head`` seeds.
    """
    keras = import_keras()
    layers = work.layers[start:]
    learning = [layer for layer in layers if layer.weights and
                not isinstance(layer, keras.layers.BatchNormalization)][-recipe.trainable_layers:]
    inputs = keras.Input(shape=work.layers[start - 1].output.shape[1:], dtype="float32")
    x = inputs
    for layer in layers:
        layer.trainable = any(layer is chosen for chosen in learning)
        x = (layer if layer.weights else type(layer).from_config(layer.get_config()))(x)
    head = keras.Model(inputs, x)
    head.compile(optimizer=keras.optimizers.SGD(recipe.learning_rate, momentum=0.9),
                 loss="categorical_crossentropy")  # soft targets for the non-digits
    return head


def reset_head(prepared: Prepared, seed: int, recipe: Recipe) -> None:
    """Start again from the base: its weights, no momentum, dropout drawn from ``seed``.

    The head stays compiled between calls: building and tracing a new one costs ~0.4 s.
    """
    keras = import_keras()
    prepared.work.set_weights(prepared.weights)
    optimizer = prepared.head.optimizer
    for variable in optimizer.variables:  # the step count and the momentum
        variable.assign(np.zeros(variable.shape, variable.dtype))
    optimizer.learning_rate = recipe.learning_rate
    dropouts = [layer for layer in prepared.head.layers
                if isinstance(layer, keras.layers.Dropout)]
    for index, layer in enumerate(dropouts):
        layer.seed_generator.state.assign(np.array([seed, index], "uint32")
                                          .astype(layer.seed_generator.state.dtype))


def train_head(prepared: Prepared, images: np.ndarray, labels: np.ndarray, *, epochs: int,
               seed: int, recipe: Recipe, verbose: int = 0):
    """Train the head of ``prepared`` on the corrections' mixes; return a new full model."""
    keras = import_keras()
    reset_head(prepared, seed, recipe)
    rng = np.random.default_rng(seed)  # the mix of each epoch and its variations
    own = trunk_outputs(prepared.trunk, images)
    as_read = keras.ops.convert_to_numpy(prepared.head(as_head_input(own), training=False))
    wrong = misread_rows(as_read, labels)  # the policy: wrong, or right but unsure
    misread = as_read.argmax(axis=1)[wrong]  # the classes the corrections are confused with
    copies = correction_copies(len(images), np.flatnonzero(wrong), epochs, recipe, rng)
    varied = [augment_digits(images[c], rng, **CORRECTION_VARIATION) for c in copies]
    outputs = trunk_outputs(prepared.trunk, np.concatenate(varied))  # (epochs × count, ...)
    count = len(copies[0])
    for epoch, picked in enumerate(copies):
        taught = outputs[epoch * count:(epoch + 1) * count]
        x, y = epoch_mix(prepared, taught, labels[picked], misread, recipe, rng)
        # already shuffled by ``rng``: Keras' shuffle would follow another random stream
        prepared.head.fit(as_head_input(x), y, batch_size=recipe.batch_size, epochs=1,
                          shuffle=False, verbose=verbose)
    model = keras.models.clone_model(prepared.work)  # the caller's, untouched by the next call
    model.set_weights(prepared.work.get_weights())
    for layer in model.layers:  # saved like the base, so nothing later inherits the freeze
        layer.trainable = True
    return model
