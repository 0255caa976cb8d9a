"""The model in a child process: same answers as in-process, same errors, no stray processes.

    MNIST_DIR=../shared/data/mnist python -m pytest tests/test_model_process.py -q
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.app.background.model_process import (
    PROCESS_NAME,
    STOPPED,
    ModelProcess,
    load_in_child,
)
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.results import ModelError
from digit_recognizer.core.scoring import to_model_input
from digit_recognizer.recognition.recognizer import Recognizer
from digit_recognizer.training.data.synthetic import render_drawn_digit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local(small_model_path) -> Recognizer:
    return Recognizer.load(small_model_path)


@pytest.fixture(scope="module")
def child(small_model_path) -> Recognizer:
    return load_in_child(str(small_model_path))


@pytest.fixture
def process(small_model_path):
    """A model process of its own with the small model loaded, for tests that stop it."""
    model_process = ModelProcess()
    model_process.load(str(small_model_path))
    yield model_process
    model_process.close()


@pytest.fixture(scope="module")
def test_images(mnist_dir) -> np.ndarray:
    _, (x_test, _) = load_mnist(mnist_dir)
    return x_test[:600]


def is_running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not is_running(pid)


def model_children() -> set[multiprocessing.Process]:
    """This process's running model processes (other tests' fixtures may own some)."""
    return {p for p in multiprocessing.active_children() if p.name == PROCESS_NAME}


# -- answers -----------------------------------------------------------------------------------


def test_predictions_in_child_equal_in_process_ones(child, local, test_images):
    x = to_model_input(test_images)  # 600 images: more than one batch crosses the pipe
    np.testing.assert_allclose(child.predict(x), local.predict(x), atol=1e-5)


def test_recognized_canvas_in_child_equals_in_process(child, local, test_images):
    canvas = render_drawn_digit(test_images[0], np.random.default_rng(0))  # (280, 280) uint8
    in_child, in_process = child.recognize(canvas), local.recognize(canvas)
    assert in_child.digit == in_process.digit
    np.testing.assert_allclose(in_child.probabilities, in_process.probabilities, atol=1e-5)


def test_child_recognizer_has_the_model_name_path_and_metadata(child, local):
    assert (child.name, child.path, child.metadata) == (local.name, local.path, local.metadata)


# -- errors ------------------------------------------------------------------------------------


def test_missing_model_raises_the_childs_model_error(tmp_path):
    path = tmp_path / "missing.h5"
    with pytest.raises(ModelError) as in_child:
        load_in_child(str(path))
    with pytest.raises(ModelError) as in_process:
        Recognizer.load(path)
    assert str(in_child.value) == str(in_process.value)


def test_model_with_lambda_layer_is_refused_in_the_child(tmp_path):
    import keras

    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    path = tmp_path / "evil.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(ModelError, match="Lambda"):
        load_in_child(str(path))


def test_failed_load_leaves_no_child_process(tmp_path):
    before = model_children()
    with pytest.raises(ModelError):
        load_in_child(str(tmp_path / "missing.h5"))
    assert model_children() == before


def test_killed_child_raises_model_error_on_predict(process, small_model_path):
    process.process.kill()
    process.process.join()
    with pytest.raises(ModelError, match="stopped unexpectedly") as err:
        process.forward(str(small_model_path), np.zeros((1, 28, 28, 1), np.float32))
    assert str(err.value) == STOPPED


def test_one_child_keeps_several_models_and_reloads_none(process, small_model_path, tmp_path,
                                                         test_images, local):
    other = tmp_path / "other.h5"
    shutil.copy(small_model_path, other)
    before = model_children()
    first = load_in_child(str(small_model_path), process=process)
    second = load_in_child(str(other), process=process)
    started = time.monotonic()
    again = load_in_child(str(small_model_path), process=process)
    assert time.monotonic() - started < 0.3  # kept in the child: no second load
    x = to_model_input(test_images[:50])
    for recognizer in (first, second, again):
        np.testing.assert_allclose(recognizer.predict(x), local.predict(x), atol=1e-6)
    assert model_children() == before  # no child started for them


def test_a_failed_load_leaves_a_shared_child_running(process, tmp_path):
    with pytest.raises(ModelError, match="missing.h5"):
        load_in_child(str(tmp_path / "missing.h5"), process=process)
    assert process.process.is_alive()


# -- stopping ----------------------------------------------------------------------------------


def test_close_stops_the_child_cleanly(process):
    process.close()
    assert not process.process.is_alive()
    assert process.process.exitcode == 0  # it read EOF and exited; it was not killed


def test_closing_during_a_warm_up_cuts_it_short_and_leaves_no_child():
    process = ModelProcess()
    outcome: list[object] = []

    def warm_up() -> None:  # imports TensorFlow in the child: seconds, which close skips
        try:
            process.warm_up("model1")
            outcome.append("finished")
        except ModelError as err:
            outcome.append(err)

    thread = threading.Thread(target=warm_up)
    thread.start()
    while process.asking != "warm" and thread.is_alive():
        time.sleep(0.01)
    process.close()
    thread.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], ModelError)  # cut short, not waited
    assert not process.process.is_alive() and not is_running(process.process.pid)
    with pytest.raises(ModelError, match="closed"):
        process.load("model1")


def test_dropping_the_recognizer_stops_its_child(small_model_path):
    before = model_children()
    recognizer = load_in_child(str(small_model_path))
    (started,) = model_children() - before
    del recognizer
    gc.collect()
    assert not started.is_alive()


def run_parent(code: str) -> subprocess.Popen:
    """Start ``python -c code`` in the repository, printing lines to a pipe."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def test_loading_through_the_child_imports_no_tensorflow_in_the_parent(small_model_path):
    code = ("import sys; from digit_recognizer.app.background.model_process import load_in_child; "
            f"r = load_in_child({str(small_model_path)!r}); "
            "print([m for m in ('tensorflow', 'keras', 'h5py') if m in sys.modules], r.name)")
    parent = run_parent(code)
    out, _ = parent.communicate(timeout=120)
    assert parent.returncode == 0
    assert out.startswith("[] ")


def test_child_exits_when_its_parent_is_killed(small_model_path):
    code = ("import multiprocessing, time; "
            "from digit_recognizer.app.background.model_process import load_in_child; "
            f"r = load_in_child({str(small_model_path)!r}); "
            "print(multiprocessing.active_children()[0].pid, flush=True); time.sleep(120)")
    parent = run_parent(code)
    try:
        pid = int(parent.stdout.readline())
        assert is_running(pid)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
    assert wait_gone(pid)


# -- fine-tuning the personal model in the child -------------------------------------------------


@pytest.fixture(scope="module")
def teacher(mnist_dir):
    """A model process that fine-tunes model 2, with a small replay set for speed."""
    from digit_recognizer.app.background.model_process import PersonaliseOptions

    model_process = ModelProcess()
    options = PersonaliseOptions(data_dir=str(mnist_dir), replay_limit=6000)
    model_process.warm_up("model2", options)
    yield model_process, options
    model_process.close()


@pytest.mark.training
def test_personalise_saves_the_model_and_runs_it_in_the_child(teacher, test_images,
                                                             mnist_dir, tmp_path):
    process, options = teacher
    _, (_, y_test) = load_mnist(mnist_dir)
    out = tmp_path / "my_model.keras"
    loaded = process.personalise("model2", test_images[:5], y_test[:5], out, options)
    assert loaded.name == "Model 2 + 5 corrections" and loaded.path == out
    assert loaded.metadata["base_model"] == "model2" and loaded.metadata["corrections"] == 5
    assert Recognizer.load(out).name == "Model 2 + 5 corrections"  # saved, with its metadata
    probabilities = process.forward(str(out), to_model_input(test_images[:2]))
    assert probabilities.shape == (2, 10)


@pytest.mark.slow
def test_personalise_from_a_missing_mnist_folder_says_why_in_one_sentence(teacher, test_images,
                                                                         tmp_path):
    from digit_recognizer.app.background.model_process import PersonaliseOptions

    process, _ = teacher
    with pytest.raises(ModelError, match="^MNIST's training digits could not be read for replay"):
        process.personalise("model2", test_images[:1], np.array([1]), tmp_path / "m.h5",
                            PersonaliseOptions(data_dir=str(tmp_path / "none")))
    assert not (tmp_path / "m.h5").exists()


def test_a_model_file_replaced_on_disk_is_loaded_again(teacher, small_model_path, tmp_path):
    process, _ = teacher
    path = tmp_path / "mine.h5"
    shutil.copy(small_model_path, path)
    assert process.load(str(path)).metadata == {}
    shutil.copy(small_model_path.with_suffix(".json"), path.with_suffix(".json"))
    os.replace(shutil.copy(small_model_path, tmp_path / "new.h5"), path)  # a new file there
    assert process.load(str(path)).metadata != {}


def test_an_old_h5_personal_model_loads_under_its_keras_name(teacher, tmp_path):
    process, _ = teacher
    # what the code before .keras saved: a model 2 network as my_model.h5
    shutil.copyfile(ROOT / "models" / "digit_model1.h5", tmp_path / "my_model.h5")
    loaded = process.load(str(tmp_path / "my_model.keras"))
    assert loaded.path == tmp_path / "my_model.h5" and loaded.runtime == "keras"
    probabilities = process.forward(str(tmp_path / "my_model.keras"),
                                    np.zeros((1, 28, 28, 1), np.float32))
    assert probabilities.shape == (1, 10)
