"""Shared fixtures: where MNIST is, and quiet TensorFlow logs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder holding the four MNIST files, from MNIST_DIR (CI sets it)."""
    value = os.environ.get("MNIST_DIR")
    if not value or not Path(value).is_dir():
        pytest.fail("MNIST_DIR must name the folder with the four MNIST files "
                    "(e.g. MNIST_DIR=../shared/data/mnist); see README 'Getting MNIST'")
    return Path(value)
