"""An existing user's files still load: corrections, personal model and settings written by the
code before the package was split into layers (commit c87f2d5).

``tests/data/user_files_c87f2d5/`` holds what that code wrote into a user's data folder after
three corrections were taught (``corrections/``, the personal model's ``my_model.json``) and
the ``settings.json`` it saved. The personal model's ``.h5`` is a Keras file of model 2's
network, as every fine-tuning writes one; the bundled ``digit_model1.h5`` stands in for it, so
the repository does not carry a second 3.5 MB copy of the same network.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.app.personal_model import personal_file, personal_path, read_personal
from digit_recognizer.app.settings import load_settings
from digit_recognizer.app.teaching import read_corrections
from digit_recognizer.core.catalogue import recorded_threshold
from digit_recognizer.core.datasets.sources import dataset_sha256
from digit_recognizer.recognition.recognizer import Recognizer

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = ROOT / "tests" / "data" / "user_files_c87f2d5"


@pytest.fixture
def user_data(tmp_path) -> Path:
    """A copy of the old user's data folder, with the personal model's network beside."""
    folder = tmp_path / "digit-recognizer"
    shutil.copytree(WRITTEN, folder)
    shutil.copyfile(ROOT / "models" / "digit_model1.h5", folder / "my_model.h5")
    return folder


def test_old_corrections_read_as_they_were_saved(user_data):
    saved = read_corrections(user_data / "corrections")
    assert saved.labels.tolist() == [7, 2, 0]
    assert saved.images.shape == (3, 28, 28) and saved.images.dtype == np.uint8
    recorded = read_personal(personal_path(user_data / "corrections"))
    # the personal model's metadata recorded the SHA-256 of exactly these bytes
    assert dataset_sha256(saved.images, saved.labels) == (
        "6a28c0da86cadaeaaa286d0a71b950b7b7232cc8eafe34645ddb6f411591661b")
    assert recorded.corrections == len(saved.labels)


def test_old_personal_model_loads_with_its_menu_entry_and_threshold(user_data):
    personal = read_personal(personal_path(user_data / "corrections"))
    assert personal.base == "model2"
    assert personal.label == "My model: Model 2 + 3 corrections"
    assert recorded_threshold(personal.path) == pytest.approx(0.5375)
    # Saved as my_model.h5 then; the window now names it my_model.keras and reads the .h5
    assert personal.path.name == "my_model.keras" and personal_file(personal.path).name == \
        "my_model.h5"
    recognizer = Recognizer.load(personal_file(personal.path))
    taught = read_corrections(user_data / "corrections")
    answers = [recognizer.recognize(255 - np.kron(image, np.ones((10, 10), np.uint8))).digit
               for image in taught.images]
    assert answers == [7, 2, 0]


def test_old_settings_load(user_data):
    settings = load_settings(user_data / "settings.json")
    assert settings.model.endswith("my_model.h5")
    assert (settings.brush, settings.number_mode, settings.live) == (18, False, True)
