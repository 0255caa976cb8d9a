"""``predict FOLDER`` and ``predict ... | head``: run as a user runs them, with the bundled
model 2 (its ONNX copy, no TensorFlow) on drawn digits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digit_recognizer.core.strokes import DRAWING_SIDE, Stroke, render_strokes
from digit_recognizer.recognition.predict import FolderError, expand_folders

ROOT = Path(__file__).resolve().parents[2]
DRAWN = {  # digit -> the pen's path on a 280 px square
    1: [(140, 40), (140, 240)],
    2: [(90, 80), (140, 50), (190, 80), (190, 130), (90, 230), (200, 230)],
    7: [(80, 60), (200, 60), (130, 230)],
}


def draw(path: Path, digit: int) -> Path:
    render_strokes([Stroke(18.0, DRAWN[digit])], DRAWING_SIDE).save(path)
    return path


def predict(*args: str | Path, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digit_recognizer", "predict", *map(str, args)],
                          cwd=ROOT, text=True, timeout=120, **popen)


def assert_quiet_end(stderr: str) -> None:
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr


@pytest.fixture
def folder(tmp_path) -> Path:
    """Three drawings named out of order, in two cases and two formats, beside non-images."""
    draw(tmp_path / "b-seven.PNG", 7)
    draw(tmp_path / "c-two.bmp", 2)
    draw(tmp_path / "a-one.png", 1)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "._a-one.png").write_bytes(b"a Mac's metadata file, not an image")
    (tmp_path / "inner.png").mkdir()
    return tmp_path


def test_expand_folders_puts_a_folders_images_in_its_place_sorted_by_name(folder):
    names = [Path(p).name for p in expand_folders(["x.png", str(folder), "missing.png"])]
    assert names == ["x.png", "a-one.png", "b-seven.PNG", "c-two.bmp", "missing.png"]


def test_expand_folders_refuses_a_folder_without_images(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(FolderError, match="without image files"):
        expand_folders([str(tmp_path)])


def test_predict_reads_a_folders_images_in_name_order(folder):
    result = predict(folder, capture_output=True)
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(e["file"]).name for e in entries] == ["a-one.png", "b-seven.PNG", "c-two.bmp"]
    assert [e["digit"] for e in entries] == [1, 7, 2]


@pytest.mark.parametrize("content", [[], ["notes.txt"]], ids=["empty", "no-images"])
def test_predict_folder_without_images_is_a_one_line_error_exiting_2(tmp_path, content):
    for name in content:
        (tmp_path / name).write_text("not an image")
    result = predict(tmp_path, capture_output=True)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    assert str(tmp_path) in result.stderr and "without image files" in result.stderr
    assert "not a file" not in result.stderr


def test_predict_ends_quietly_when_its_output_is_already_closed(folder):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line: every write fails
    try:
        result = predict(folder, stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert_quiet_end(result.stderr)
    assert result.returncode == 141


def test_predict_piped_into_head_ends_quietly(folder):
    for index in range(40):  # more lines than head takes, so predict writes after it has gone
        draw(folder / f"d-{index:02d}.png", 7)
    command = f"{sys.executable} -m digit_recognizer predict {folder} | head -2"
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert len(result.stdout.splitlines()) == 2
    assert_quiet_end(result.stderr)
