"""Shared fixtures: where MNIST is, a virtual display for widgets, and quiet TensorFlow logs."""

from __future__ import annotations

import gc
import logging
import os
from pathlib import Path

import pytest

from digit_recognizer.devtools.xvfb import XvfbError, virtual_display

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(autouse=True)
def package_log_as_it_was():
    """Put the ``digit_recognizer`` logger back as it was after each test.

    The app's ``main`` sends the package's log to the stderr of that moment, which pytest
    captures per test; a later test's log line would go to that closed capture and print
    "--- Logging error ---" into its own output.
    """
    logger = logging.getLogger("digit_recognizer")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder holding the four MNIST files, from MNIST_DIR (CI sets it)."""
    value = os.environ.get("MNIST_DIR")
    if not value or not Path(value).is_dir():
        pytest.fail("MNIST_DIR must name the folder with the four MNIST files "
                    "(e.g. MNIST_DIR=../shared/data/mnist); see README 'Getting MNIST'")
    return Path(value)


@pytest.fixture(scope="session")
def small_model_path(tmp_path_factory, mnist_dir) -> Path:
    """A real model 1 trained for 2 epochs on 3,000 images (~94%), once per test session.

    Tests that need a model file but not the bundled models' accuracy use it, so they do not
    depend on models/ and check the code paths with a file this session wrote.
    """
    from digit_recognizer.training.train import TrainConfig, train

    path = tmp_path_factory.mktemp("small-model") / "m.h5"
    train(TrainConfig("adadelta", path, epochs=2, limit=3000, data_dir=mnist_dir, variants=False),
          figures=False, verbose=0)
    return path


@pytest.fixture(scope="session")
def display():
    """A virtual X display (Xvfb) for the whole session; DISPLAY points at it meanwhile.

    Widget tests take it as an argument. Only they start Xvfb: the rest of the suite runs
    without one.
    """
    try:
        with virtual_display() as name:
            yield name
    except XvfbError as err:
        pytest.fail(str(err))


@pytest.fixture
def open_window(display):
    """A function that opens app windows, ``open_window(loader, **options)``, whose error
    dialogs are collected in ``app.errors`` as (title, message) instead of shown; the windows
    are closed after the test."""
    import tkinter as tk

    from digit_recognizer.app.gui import DigitRecognizerApp

    apps = []

    def open_(loader, **options) -> DigitRecognizerApp:
        app = DigitRecognizerApp(tk.Tk(), loader, **options)
        app.errors = []
        app.show_error = lambda title, message: app.errors.append((title, message))
        apps.append(app)
        return app

    yield open_
    for app in apps:
        app.close()


@pytest.fixture(scope="module")
def collect_garbage_on_tk_thread():
    """Keep the cycle collector off the worker threads while windows come and go.

    Each test leaves a destroyed window behind (widgets form reference cycles). If a worker
    thread's allocations triggered the collector, it would free those Tk objects there, and Tk
    must only be called from its own thread. So collection runs here, between tests, instead.
    Window test modules use it for all their tests:
    ``pytestmark = pytest.mark.usefixtures("collect_garbage_on_tk_thread")``.
    """
    gc.collect()
    gc.disable()
    yield
    gc.collect()
    gc.enable()
