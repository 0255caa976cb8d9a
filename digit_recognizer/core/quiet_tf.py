"""Import Keras and TensorFlow without their start-up chatter, keeping real warnings.

    from digit_recognizer.core.quiet_tf import import_keras
    keras = import_keras()

TensorFlow's C++ side prints to the terminal before its logging is configured, so neither
``TF_CPP_MIN_LOG_LEVEL`` nor Python's ``warnings`` can stop it: "All log messages before
absl::InitializeLog()…", oneDNN and CUDA-stub notes, and on a machine without a GPU "failed
call to cuInit", which reads like a failure and is none. Here the process's stderr (file
descriptor 2, where C++ writes) is caught while TensorFlow loads and looks for devices; lines
known to be such notes are dropped, anything else is printed as it came.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from types import ModuleType

__all__ = ["import_keras", "is_chatter"]

# Start-up notes TensorFlow prints on every machine (C++ info lines, the absl preamble, the
# CPU-instructions hint) and on one without a GPU (the CUDA stub, cuInit).
CHATTER = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\)"
    r"|I0000 \S+ +\d+ \S+\] "
    r"|E0000 \S+ +\d+ cuda_\w+\.cc:\d+\] failed call to cuInit"
    r"|To enable the following instructions: .* rebuild TensorFlow"
    r"|\S+ \S+: I tensorflow/)"
)


def is_chatter(line: str) -> bool:
    """True for a line of TensorFlow's start-up notes, False for anything else."""
    return bool(CHATTER.match(line))


def import_keras() -> ModuleType:
    """``import keras`` with TensorFlow's start-up notes left out of stderr.

    Cheap after the first call. Real warnings and errors from the import still reach stderr,
    and an exception during the import propagates as usual (after them).
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            import keras

            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                tf.config.list_physical_devices()  # the device search prints here, once
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            _replay(caught.read().decode("utf-8", "replace"))
    return keras


def _replay(text: str) -> None:
    kept = [line for line in text.splitlines() if line.strip() and not is_chatter(line)]
    if kept:
        print("\n".join(kept), file=sys.stderr, flush=True)
