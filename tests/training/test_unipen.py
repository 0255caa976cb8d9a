"""The pen data: UNIPEN's pen-written digits read from the shared file, split by writer, drawn
with the app's brush, trained on (``train --pen``) and scored (``evaluate --dataset unipen``)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.core.datasets.errors import DatasetError
from digit_recognizer.core.datasets.unipen import UNIPEN, UNIPEN_FILE, load_unipen, writer_split
from digit_recognizer.training.calibration import shared_held_out, validation_digits
from digit_recognizer.training.data.pen_drawing import draw_pen_digit, pen_images
from digit_recognizer.training.run_data import held_out_split

ROOT = Path(__file__).resolve().parents[2]
PER_CLASS = [793, 857, 824, 772, 782, 718, 754, 761, 753, 721]  # the data's README
PER_SITE = {"aga": 203, "apa": 367, "apb": 1018, "app": 529, "art": 104, "cea": 3, "ceb": 3,
            "ced": 683, "gmd": 217, "ibm": 785, "imp": 128, "pri": 49, "syn": 2365, "tos": 270,
            "uqb": 299, "val": 712}


@pytest.fixture(scope="module")
def unipen_dir() -> Path:
    folder = UNIPEN.chosen()
    if not (folder / UNIPEN_FILE).is_file():
        pytest.fail(f"the pen data must be at {folder} (../shared/data/unipen) or in $UNIPEN_DIR")
    return folder


@pytest.fixture(scope="module")
def pen(unipen_dir):
    return load_unipen(unipen_dir)


def run_command(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digit_recognizer", *args], cwd=ROOT,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
                          capture_output=True, text=True, timeout=300)


def test_the_file_holds_what_its_readme_counts(pen):
    assert len(pen) == 7735 and len(set(pen.writers)) == 131
    assert np.bincount(pen.labels, minlength=10).tolist() == PER_CLASS
    sites, counts = np.unique(pen.sites, return_counts=True)
    assert dict(zip(sites.tolist(), counts.tolist())) == PER_SITE
    assert all(stroke.ndim == 2 and stroke.shape[1] == 2 for s in pen.strokes for stroke in s)


def test_the_split_holds_out_a_fifth_of_the_writers_whole_on_every_site(pen):
    train, held = writer_split(pen)
    assert sorted(np.concatenate([train, held]).tolist()) == list(range(len(pen)))
    train_writers, held_writers = set(pen.writers[train]), set(pen.writers[held])
    assert not train_writers & held_writers
    assert len(held_writers) == round(0.2 * 131)
    for site in PER_SITE:
        writers = set(pen.writers[pen.sites == site])
        if len(writers) >= 2:  # a site's only writer trains; every other site is on both sides
            assert writers & train_writers and (writers & held_writers or len(writers) < 5)
        else:
            assert not writers & held_writers
    again = writer_split(load_unipen())
    assert all((a == b).all() for a, b in zip(again, (train, held)))


def copy_with(tmp_path: Path, raw: bytes) -> Path:
    (tmp_path / UNIPEN_FILE).write_bytes(raw)
    return tmp_path


@pytest.mark.parametrize("damage, says", [
    ("missing", "is missing"),
    ("truncated", "truncated or damaged"),
    ("altered", "content does not match the SHA-256 in the pen data's README"),
    ("wrong shape", "line 2: not a pen digit"),
    ("no folder", "does not exist"),
])
def test_a_bad_file_gets_one_sentence_naming_it(tmp_path, unipen_dir, damage, says):
    raw = (unipen_dir / UNIPEN_FILE).read_bytes()
    lines = gzip.decompress(raw).splitlines()
    folder = tmp_path
    if damage == "truncated":
        copy_with(tmp_path, raw[: len(raw) // 2])
    elif damage == "altered":  # a label changed: still well formed, no longer the published file
        record = json.loads(lines[0])
        record["label"] = (record["label"] + 1) % 10
        copy_with(tmp_path, gzip.compress(b"\n".join([json.dumps(record).encode(), *lines[1:]])))
    elif damage == "wrong shape":
        copy_with(tmp_path, gzip.compress(b"\n".join([lines[0], b'{"label": 3, "strokes": 1}'])))
    elif damage == "no folder":
        folder = tmp_path / "nowhere"
    with pytest.raises(DatasetError, match=says) as caught:
        load_unipen(folder)
    assert str(folder) in str(caught.value) and "\n" not in str(caught.value)


def test_digits_are_drawn_with_the_apps_brush_and_preprocessing(pen):
    _, held = writer_split(pen)
    some = pen.subset(held[:60])
    images, labels = pen_images(some, 1, None, workers=1)
    assert images.shape == (60, 28, 28) and (labels == some.labels).all()
    again, _ = pen_images(some, 1, None, workers=2)
    assert (images == again).all()  # as written: the same drawing every time
    y, x = np.indices((28, 28))
    for image in images.astype(float):
        mass = image.sum()
        assert mass > 0 and abs((y * image).sum() / mass - 13.5) < 1.5
    varied, varied_labels = pen_images(some, 2.5, seed=1, workers=1)
    assert 120 <= len(varied) <= 180 and set(varied_labels) <= set(some.labels)
    assert (pen_images(some, 2.5, seed=1, workers=2)[0] == varied).all()  # deterministic


def test_a_two_stroke_digit_arrives_as_written(pen):
    fours = [s for s, label in zip(pen.strokes, pen.labels) if label == 4 and len(s) == 2]
    paper = draw_pen_digit(fours[0])
    assert paper.shape == (320, 320)
    # each stroke leaves its own ink: drawing only the first leaves ink out
    assert (draw_pen_digit(fours[0][:1]) < 128).sum() < (paper < 128).sum()


def test_runs_with_pen_data_hold_out_its_validation_writers(pen, mnist_dir):
    config = {"seed": 0, "limit": 3000, "pen": 0.2, "written": 0.0}
    x, y = held_out_split(config, mnist_dir)
    plain = held_out_split({**config, "pen": 0.0}, mnist_dir)[0]
    held = len(writer_split(pen)[1])
    assert len(x) == len(plain) + held and len(y) == len(x)
    # every share holds out the same writers; without pen data a run held out other digits
    assert len(shared_held_out([config, {**config, "pen": 0.5}], mnist_dir)[0]) == len(x)
    with pytest.raises(ValueError, match="different validation digits"):
        shared_held_out([config, {**config, "pen": 0.0}], mnist_dir)
    digits = validation_digits(plain, 0, usps_trained=True, pen_held_out=x[len(plain):])
    assert len(digits["pen validation writers"]) == held


def test_train_names_the_pen_option_and_refuses_a_bad_file_before_tensorflow(tmp_path):
    assert "--pen" in run_command("train", "--help").stdout
    code = ("import sys; from digit_recognizer.training.train_cli import main; "
            f"code = main(['--pen', '0.3', '--unipen-dir', {str(tmp_path)!r}, '--limit', '100', "
            f"'--out', {str(tmp_path / 'm.h5')!r}]); "
            "print('tensorflow' in sys.modules); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and done.stdout.strip() == "False"
    assert done.stderr.strip().count("\n") == 0 and f"{tmp_path / UNIPEN_FILE} is missing" \
        in done.stderr


def test_evaluate_scores_the_validation_writers_per_class_and_site():
    done = run_command("evaluate", "--dataset", "unipen", "--model", "model2", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["models"][0]
    assert result["test_images"] == 1412 and 0.9 < result["accuracy"] <= 1
    assert len(result["per_class_accuracy"]) == 10 and len(result["confusion_matrix"]) == 10
    assert set(result["per_site_accuracy"]) <= set(PER_SITE)
    text = run_command("evaluate", "--dataset", "unipen", "--model", "model2").stdout
    assert "accuracy per site" in text and "validation writers" in text


def test_the_threshold_flags_few_of_a_new_persons_pen_digits():
    from digit_recognizer.training.calibration import FALSE_FLAG_SHARE, PEN_FLAG_SHARE, calibrate

    rng = np.random.default_rng(0)
    digits = {"validation": np.zeros((1000, 28, 28), np.uint8),
              "pen validation writers": np.ones((500, 28, 28), np.uint8)}
    tops = {0: rng.uniform(0.9, 1.0, 1000), 1: rng.uniform(0.3, 1.0, 500)}

    def forward(x):  # the pen digits are read much less surely than the others
        top = tops[int(x[0].max() > 0)][: len(x)]
        return np.stack([top, *([(1 - top) / 9] * 9)], axis=1)

    found = calibrate(forward, digits)
    flagged = found["not_a_digit_validation"]["digits_flagged"]
    assert flagged["pen validation writers"] <= PEN_FLAG_SHARE
    assert flagged["validation"] <= FALSE_FLAG_SHARE
    alone = calibrate(forward, {"validation": digits["validation"]})
    assert found["not_a_digit_threshold"] < alone["not_a_digit_threshold"]


@pytest.mark.parametrize("command", [["evaluate", "--dataset", "validation"], ["calibrate"],
                                     ["evaluate", "--dataset", "unipen"]])
def test_the_commands_that_read_the_validation_writers_refuse_a_missing_file_in_one_line(
        tmp_path, mnist_dir, command):
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models)  # calibrate writes beside the models it calibrates
    done = run_command(*command, "--unipen-dir", str(tmp_path), "--models-dir", str(models),
                       "--data-dir", str(mnist_dir))
    assert done.returncode == 2
    assert f"{tmp_path / UNIPEN_FILE} is missing" in done.stderr
    assert "Traceback" not in done.stderr
