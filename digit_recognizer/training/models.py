"""The two CNN architectures, as Keras 3 builders using standard layers only.

Standard layers mean the saved ``.h5`` files load anywhere with plain ``keras.models.load_model``
and Keras' safe mode, with no custom code. Both take (28, 28, 1) float32 in [0, 1], ink high
(as MNIST), and return 10 softmax probabilities.

Augmentation is not part of the networks: the training pipeline (``augment.make_batches``)
does it, so a bundled model is exactly the network that runs in the app.
"""

from __future__ import annotations

from digit_recognizer.core.quiet_tf import import_keras

keras = import_keras()  # without TensorFlow's start-up chatter
layers = keras.layers

__all__ = ["BUILDERS", "build_adadelta_cnn", "build_model", "build_rmsprop_cnn"]

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def _conv_bn(filters: int, kernel: int, padding: str) -> list[layers.Layer]:
    # BatchNorm before the activation lets the optimisers run at their classic high rates.
    # Momentum 0.9 (not 0.99) so its inference statistics settle within ~30 steps, which
    # keeps quick runs (--limit, the notebook's QUICK mode) meaningful.
    return [
        layers.Conv2D(filters, kernel, padding=padding, use_bias=False),
        layers.BatchNormalization(momentum=0.9),
        layers.Activation("relu"),
    ]


def _pool_and_classify(units: int) -> list[layers.Layer]:
    """MaxPool -> Dropout -> Flatten -> Dense -> Dropout -> softmax, the end of both networks."""
    return [
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(units, use_bias=False),
        layers.BatchNormalization(momentum=0.9),
        layers.Activation("relu"),
        layers.Dropout(0.5),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ]


def _compiled(model: keras.Model, optimizer: keras.optimizers.Optimizer) -> keras.Model:
    # Soft targets: one-hot rows for digits, uniform rows for non-digits (outlier exposure).
    model.compile(optimizer=optimizer, loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def build_adadelta_cnn() -> keras.Model:
    """Model 1: conv layers -> max-pooling -> dropout -> dense -> dropout -> softmax.

    The classic Keras MNIST CNN (32 and 64 3×3 filters, dense 128) plus BatchNorm. Compiled
    with ``Adadelta(learning_rate=1.0)``: tf.keras changed Adadelta's default rate to 0.001,
    which is why the original project stopped at ~92%.
    """
    model = keras.Sequential(
        [keras.Input(shape=INPUT_SHAPE)]
        + _conv_bn(32, 3, "valid")
        + _conv_bn(64, 3, "valid")
        + _pool_and_classify(128),
        name="adadelta_cnn",
    )
    return _compiled(model, keras.optimizers.Adadelta(learning_rate=1.0))


def build_rmsprop_cnn() -> keras.Model:
    """Model 2: [[Conv2D→relu]×2 → MaxPool2D → Dropout]×2 → Flatten → Dense → Dropout → Out.

    3×3 kernels with 'same' padding (32 then 64 filters) instead of the original's 5×5 first
    block: the same receptive field after two layers at under half the arithmetic, which on a
    2-core CPU buys more epochs of augmentation. Compiled with RMSprop (1e-3); training adds
    ReduceLROnPlateau on ``val_accuracy``. RMSprop keeps an exponential moving average of the
    weights (Keras' ``use_ema``; ``train.ema_momentum`` sets its span for the run's length), and
    validation, checkpoints and the saved network use that average: single-step noise at the
    end of training otherwise moves the test accuracy by a few hundredths of a point from one
    epoch to the next.
    """
    model = keras.Sequential(
        [keras.Input(shape=INPUT_SHAPE)]
        + _conv_bn(32, 3, "same")
        + _conv_bn(32, 3, "same")
        + [layers.MaxPooling2D(2), layers.Dropout(0.25)]
        + _conv_bn(64, 3, "same")
        + _conv_bn(64, 3, "same")
        + _pool_and_classify(256),
        name="rmsprop_cnn",
    )
    return _compiled(model, keras.optimizers.RMSprop(learning_rate=1e-3, use_ema=True))


# architecture -> builder; which bundled file each one makes is in ``catalogue``
BUILDERS = {"adadelta": build_adadelta_cnn, "rmsprop": build_rmsprop_cnn}


def build_model(name: str) -> keras.Model:
    """Build and compile the architecture called ``name`` ('adadelta' or 'rmsprop')."""
    if name not in BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(BUILDERS)}")
    return BUILDERS[name]()
