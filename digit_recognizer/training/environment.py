"""The machine a training run uses: which devices it spans, and the report of them it keeps.

    strategy = choose_distribution()      # MirroredStrategy with several GPUs, else None
    hardware_description(), library_versions()   # for the model's metadata
"""

from __future__ import annotations

import os
import platform
import sys

import cv2
import numpy as np

from digit_recognizer.core.quiet_tf import import_keras

__all__ = ["choose_distribution", "hardware_description", "library_versions"]


def choose_distribution(devices: list[str] | None = None):
    """Return a ``tf.distribute`` strategy when training should span several devices, else None.

    With more than one GPU visible, TensorFlow's MirroredStrategy replicates the model on each
    without any flag. ``devices`` names them explicitly (tests split the CPU into two logical
    devices to run this path). Under JAX the same is ``keras.distribution.DataParallel``, which
    is set globally, so it returns None there too.
    """
    # Each backend's module is imported only once Keras runs on it: the other may not even be
    # installed, and this module loads with ``train`` before TensorFlow is imported.
    keras = import_keras()
    if keras.backend.backend() == "jax":
        import jax

        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        if len(gpus) > 1:
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=gpus))
        return None
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    if devices:
        return tf.distribute.MirroredStrategy(devices)
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return None


def hardware_description() -> dict:
    """The Keras backend, CPU and GPUs this process trains on."""
    keras = import_keras()
    info = {"backend": keras.backend.backend(), "machine": platform.machine(),
            "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count()}
    if info["backend"] == "tensorflow":  # the backend's module only, as in choose_distribution
        import tensorflow as tf

        info["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    elif info["backend"] == "jax":
        import jax

        info["gpus"] = [str(d) for d in jax.devices() if d.platform == "gpu"]
    return info


def library_versions() -> dict:
    """Versions of Python and of the libraries that shaped the trained weights."""
    keras = import_keras()
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "keras": keras.__version__, "opencv": cv2.__version__}
    for name in ("tensorflow", "jax"):
        module = sys.modules.get(name)  # only the backend that ran, never imported here
        if module is not None:
            versions[name] = module.__version__
    return versions
