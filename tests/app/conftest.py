"""Fixtures of the window tests that teach: the user's data folder and the app's own loader
with its model process, each warm for a whole module."""

from __future__ import annotations

from pathlib import Path

import pytest

from digit_recognizer.app.background.model_loading import ModelLoader
from digit_recognizer.app.background.model_process import PersonaliseOptions
from digit_recognizer.app.personal_model import personal_path

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
REPLAY = 6000  # MNIST training digits the child keeps for replay: enough, and quick to load


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """The user's data folder, shared by the module's windows (each test empties it)."""
    return tmp_path_factory.mktemp("data") / "digit-recognizer"


@pytest.fixture(scope="module")
def loader(data, mnist_dir):
    """The app's own loader and teacher, warm for the whole module."""
    options = PersonaliseOptions(data_dir=str(mnist_dir), replay_limit=REPLAY)
    model_loader = ModelLoader(MODELS_DIR, personal=personal_path(data / "corrections"),
                               options=options)
    yield model_loader
    model_loader.close()


@pytest.fixture
def app(open_window, tmp_path):
    """A window on the bundled models from their ONNX copies, ready, without a model process
    (teaching only saves). Modules whose windows need more define their own ``app``."""
    from digit_recognizer.devtools.window_driver import pump_until
    from digit_recognizer.recognition.recognizer import Recognizer

    window = open_window(lambda choice: Recognizer.from_choice(choice, MODELS_DIR,
                                                                runtime="onnx"),
                         models_dir=MODELS_DIR, settings_file=tmp_path / "settings.json",
                         corrections=tmp_path / "corrections")
    pump_until(window, lambda: window.recognizer is not None and window.state == "ready", 60)
    return window
