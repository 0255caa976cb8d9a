"""The ONNX copies of the models: made by ``export``, run by OpenCV, checked against the .h5.

The equality tests use the real bundled models in ``models/``; the tests of bad copies work on
copies of them in a temporary folder, so ``models/`` is never written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest

from digit_recognizer.core.catalogue import BUNDLED_MODELS, MODELS_DIR, STROKE_MODEL_FILE
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.results import ModelError
from digit_recognizer.core.scoring import to_model_input
from digit_recognizer.recognition.inference import (
    SOURCE_SHA256,
    OnnxCopyError,
    file_sha256,
    load_onnx_copy,
    onnx_copy_path,
)
from digit_recognizer.recognition.recognizer import Recognizer, load_keras_file
from digit_recognizer.training.data.synthetic import render_drawn_digit
from digit_recognizer.training.export import export_onnx, is_up_to_date

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = {m.key: m.file for m in BUNDLED_MODELS}
EQUALITY_IMAGES = 1000
TOLERANCE = 1e-5


def run_command(*args: str, mnist_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if mnist_dir is not None:
        env["MNIST_DIR"] = str(mnist_dir)
    return subprocess.run([sys.executable, "-m", "digit_recognizer", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    return load_mnist(mnist_dir)[1]


@pytest.fixture
def models_copy(tmp_path) -> Path:
    """The bundled models, their ONNX copies and metadata, copied to a folder tests may spoil."""
    folder = tmp_path / "models"
    shutil.copytree(MODELS_DIR, folder, ignore=shutil.ignore_patterns("*.png", "*.csv"))
    return folder


@pytest.fixture(scope="module")
def drawing(tmp_path_factory, mnist_test) -> Path:
    """A drawn 7 (MNIST test digit 0) as a PNG."""
    path = tmp_path_factory.mktemp("drawing") / "seven.png"
    cv2.imwrite(str(path), render_drawn_digit(mnist_test[0][0], np.random.default_rng(0)))
    return path


# -- the bundled copies ------------------------------------------------------------------------


@pytest.mark.parametrize("which", list(BUNDLED))
def test_bundled_onnx_copy_is_up_to_date(which):
    assert is_up_to_date(MODELS_DIR / BUNDLED[which]), \
        "run: python -m digit_recognizer export (the .h5 changed since its .onnx was made)"


@pytest.mark.parametrize("which", list(BUNDLED))
def test_onnx_and_keras_probabilities_agree_on_1000_test_images(which, mnist_test):
    x = to_model_input(mnist_test[0][:EQUALITY_IMAGES])
    on_onnx = Recognizer.bundled(which, runtime="onnx")
    on_keras = Recognizer.bundled(which, runtime="keras")
    assert (on_onnx.runtime, on_keras.runtime) == ("onnx", "keras")
    np.testing.assert_allclose(on_onnx.predict(x), on_keras.predict(x), rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("which", list(BUNDLED))
def test_onnx_copy_gives_the_same_answer_one_image_at_a_time(which, mnist_test):
    x = to_model_input(mnist_test[0][:20])
    recognizer = Recognizer.bundled(which, runtime="onnx")
    one_by_one = np.concatenate([recognizer.predict(image[None]) for image in x])
    np.testing.assert_allclose(one_by_one, recognizer.predict(x), rtol=0, atol=1e-6)


@pytest.mark.slow
def test_onnx_path_reproduces_the_readme_accuracy_table(mnist_dir):
    result = run_command("evaluate", "--runtime", "onnx", "--json", mnist_dir=mnist_dir)
    assert result.returncode == 0, result.stderr
    models = json.loads(result.stdout)["models"]
    assert [m["runtime"] for m in models] == ["onnx", "onnx", "onnx"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for model in models[:2]:
        # the README's row for this model: "| Model 1 — … | **99.37%** (63 errors) | …"
        expected = json.loads(Path(model["path"]).with_suffix(".json").read_text())
        assert model["accuracy"] == expected["test_accuracy"]
        row = f"{model['accuracy']:.2%}** ({model['errors']} errors)"
        assert row in readme, f"README has no row with {row!r}"
    both = models[2]
    assert both["accuracy"] == json.loads((MODELS_DIR / "both.json").read_text())["test_accuracy"]
    assert re.search(rf"Both models \(average\) \| {both['accuracy']:.2%}", readme)


def test_predict_and_the_window_loader_never_import_tensorflow(drawing):
    code = (
        "import sys, runpy\n"
        "from digit_recognizer.recognition.predict import main\n"
        f"assert main(['--model', 'both', {str(drawing)!r}]) == 0\n"
        "from digit_recognizer.app.background.model_loading import load_model_choice\n"
        "assert load_model_choice('model1').runtime == 'onnx'\n"
        "loaded = sorted(m for m in ('tensorflow', 'keras', 'h5py') if m in sys.modules)\n"
        "print('imported:', loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "imported: []" in result.stdout
    assert json.loads(result.stdout.splitlines()[0])["digit"] == 7


# -- bad copies: each gets one clear sentence, and Keras takes over ----------------------------


def spoil_stale(folder: Path) -> Path:
    """Model 2's .h5 replaced by model 1's: its .onnx now belongs to another file."""
    shutil.copy(folder / BUNDLED["model1"], folder / BUNDLED["model2"])
    return onnx_copy_path(folder / BUNDLED["model2"])


def spoil_random(folder: Path) -> Path:
    copy = onnx_copy_path(folder / BUNDLED["model2"])
    copy.write_bytes(np.random.default_rng(0).bytes(5000))
    return copy


def spoil_truncated(folder: Path) -> Path:
    copy = onnx_copy_path(folder / BUNDLED["model2"])
    copy.write_bytes(copy.read_bytes()[: copy.stat().st_size // 2])
    return copy


def spoil_empty(folder: Path) -> Path:
    copy = onnx_copy_path(folder / BUNDLED["model2"])
    copy.write_bytes(b"")
    return copy


def spoil_missing(folder: Path) -> Path:
    copy = onnx_copy_path(folder / BUNDLED["model2"])
    copy.unlink()
    return copy


def spoil_other_network(folder: Path) -> Path:
    """Model 1's network with model 2's hash recorded: readable, but says something else."""
    copy = onnx_copy_path(folder / BUNDLED["model2"])
    proto = onnx.load(onnx_copy_path(folder / BUNDLED["model1"]))
    del proto.metadata_props[:]
    onnx.helper.set_model_props(proto, {SOURCE_SHA256: file_sha256(folder / BUNDLED["model2"])})
    # Cut the softmax off: the copy now returns scores, not probabilities.
    last = proto.graph.node[-1]
    assert last.op_type == "Softmax"
    proto.graph.node[-2].output[0] = last.output[0]
    del proto.graph.node[-1]
    onnx.save(proto, copy)
    return copy


SPOILERS = {
    "stale": (spoil_stale, "is out of date"),
    "random bytes": (spoil_random, "is damaged"),
    "truncated": (spoil_truncated, "is damaged"),
    "empty": (spoil_empty, "does not say which model it was made from"),
    "missing": (spoil_missing, "has no ONNX copy"),
    "no softmax": (spoil_other_network, "does not return ten probabilities"),
}


@pytest.mark.parametrize("case", list(SPOILERS))
def test_bad_onnx_copy_raises_one_clear_sentence(case, models_copy):
    spoil, says = SPOILERS[case]
    copy = spoil(models_copy)
    with pytest.raises(OnnxCopyError, match=re.escape(says)) as caught:
        load_onnx_copy(models_copy / BUNDLED["model2"])
    message = str(caught.value)
    assert copy.name in message and "python -m digit_recognizer export" in message
    assert "\n" not in message
    assert isinstance(caught.value, ModelError)


@pytest.mark.parametrize("case", ["stale", "truncated"])
def test_bad_onnx_copy_falls_back_to_keras_and_says_why(case, models_copy, mnist_test):
    spoil, says = SPOILERS[case]
    spoil(models_copy)
    recognizer = Recognizer.bundled("model2", models_copy)
    assert recognizer.runtime == "keras"
    (notice,) = recognizer.notices
    assert says in notice and "Keras" in notice
    x = to_model_input(mnist_test[0][:200])
    assert (recognizer.predict(x).argmax(axis=1) == mnist_test[1][:200]).mean() > 0.95
    with pytest.raises(OnnxCopyError, match=re.escape(says)):
        Recognizer.bundled("model2", models_copy, runtime="onnx")


def test_ensemble_with_one_bad_copy_says_so_once(models_copy):
    spoil_stale(models_copy)
    both = Recognizer.from_choice("both", models_copy)
    assert both.runtime == "mixed"
    assert len(both.notices) == 1 and "is out of date" in both.notices[0]


@pytest.mark.slow
def test_predict_with_a_stale_copy_answers_and_notes_it_on_stderr(models_copy, drawing):
    spoil_stale(models_copy)
    result = run_command("predict", "--models-dir", str(models_copy), str(drawing))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["digit"] == 7
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and "digit_model1.onnx is out of date" in notes[0]


def test_predict_runtime_onnx_refuses_a_damaged_copy(models_copy, drawing):
    spoil_random(models_copy)
    result = run_command("predict", "--runtime", "onnx", "--models-dir", str(models_copy),
                         str(drawing))
    assert result.returncode == 2
    assert result.stderr.startswith("error: digit_model1.onnx is damaged")
    assert result.stderr.count("\n") == 1


def test_the_stroke_model_opened_as_a_picture_model_is_refused_in_one_sentence():
    # its copy is up to date and returns ten probabilities, but of pen paths, not pictures
    with pytest.raises(ModelError) as caught:
        Recognizer.load_onnx(MODELS_DIR / STROKE_MODEL_FILE)
    assert str(caught.value) == (f"{STROKE_MODEL_FILE} does not read pictures of digits: its "
                                 "network takes inputs of shape (64, 1, 5), not (28, 28, 1).")


# -- export --------------------------------------------------------------------------------------


@pytest.mark.parametrize("in_memory", [False, True], ids=["loaded", "given"])
def test_export_records_the_source_hash_and_matches_keras(small_model_path, tmp_path, mnist_test,
                                                          in_memory):
    # given: the network that train and fine-tune have just saved, which they pass along
    model = tmp_path / "m.h5"
    shutil.copy(small_model_path, model)
    copy = export_onnx(model, load_keras_file(model) if in_memory else None)
    assert copy == tmp_path / "m.onnx"
    props = {p.key: p.value for p in onnx.load(copy).metadata_props}
    assert props[SOURCE_SHA256] == file_sha256(model)
    x = to_model_input(mnist_test[0][:300])
    np.testing.assert_allclose(Recognizer.load_onnx(model).predict(x),
                               Recognizer.load(model).predict(x), rtol=0, atol=TOLERANCE)


def test_training_writes_an_up_to_date_copy(small_model_path):
    assert onnx_copy_path(small_model_path).is_file()
    assert is_up_to_date(small_model_path)


@pytest.mark.slow
def test_export_command_remakes_only_stale_copies(models_copy):
    spoil_stale(models_copy)
    fresh = onnx_copy_path(models_copy / BUNDLED["model1"])
    before = fresh.stat().st_mtime_ns
    result = run_command("export", "--models-dir", str(models_copy))
    assert result.returncode == 0, result.stderr
    assert f"{fresh} is up to date" in result.stdout
    assert f"wrote {onnx_copy_path(models_copy / BUNDLED['model2'])}" in result.stdout
    assert fresh.stat().st_mtime_ns == before
    assert Recognizer.bundled("model2", models_copy).runtime == "onnx"


def test_export_of_a_missing_model_exits_2_naming_it(tmp_path):
    result = run_command("export", str(tmp_path / "gone.h5"))
    assert result.returncode == 2
    assert "gone.h5 does not exist" in result.stderr


def test_export_refuses_a_model_that_carries_code(tmp_path):
    import keras

    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Lambda(lambda t: t * 1.0)(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    keras.Model(inputs, outputs).save(tmp_path / "lambda.h5")
    result = run_command("export", str(tmp_path / "lambda.h5"))
    assert result.returncode == 2
    assert "refused" in result.stderr and "Lambda" in result.stderr
    assert not (tmp_path / "lambda.onnx").exists()
