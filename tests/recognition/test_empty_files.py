"""An empty file (0 bytes) is reported as empty, not as "not an image file": by ``load_image``,
which the window's File ▸ Open and the ``predict`` command both read files through.

    python -m pytest tests/recognition/test_empty_files.py -q
"""

from __future__ import annotations

import pytest

from digit_recognizer.recognition.predict import predict_file
from digit_recognizer.recognition.preprocess.errors import ImageError
from digit_recognizer.recognition.preprocess.images import load_image


class Unused:
    """A recognizer that fails the test if a file's problem reaches it."""

    def recognize(self, *args, **kwargs):
        raise AssertionError("the file should have been refused before recognition")

    recognize_number = recognize


@pytest.fixture
def empty_png(tmp_path):
    path = tmp_path / "digit.png"
    path.touch()
    return path


def test_empty_file_is_reported_as_empty(empty_png):
    with pytest.raises(ImageError, match=r"digit\.png is empty") as raised:
        load_image(empty_png)
    assert "not an image" not in str(raised.value)


def test_predict_gives_an_empty_file_an_is_empty_error_entry(empty_png):
    entry = predict_file(Unused(), str(empty_png), number=False, photo=False)
    assert entry["file"] == str(empty_png)
    assert f"{empty_png} is empty" in entry["error"]


def test_file_that_is_not_an_image_is_still_called_so(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    with pytest.raises(ImageError, match="is not an image file"):
        load_image(path)
