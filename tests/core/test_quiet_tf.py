"""TensorFlow's start-up chatter stays out of the terminal; real messages still reach it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from digit_recognizer.core.quiet_tf import _replay, is_chatter

ROOT = Path(__file__).resolve().parents[2]

# Lines TensorFlow 2.21 printed on the project's 2-core machine without a GPU.
CHATTER = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795837966.050946   10743 port.cc:153] oneDNN custom operations are on. You "
    "may see slightly different numerical results due to floating-point round-off errors.",
    "I0000 00:00:1795837966.051233   10743 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.",
    "E0000 00:00:1795837968.682947   10743 cuda_platform.cc:52] failed call to cuInit: "
    "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.",
]
REAL = [
    "E0000 00:00:1795837968.682947   10743 op_kernel.cc:1818] OP_REQUIRES failed: out of memory",
    "UserWarning: the model was saved with a newer Keras",
    "Traceback (most recent call last):",
]


@pytest.mark.parametrize("line", CHATTER)
def test_start_up_notes_are_chatter(line):
    assert is_chatter(line)


@pytest.mark.parametrize("line", REAL)
def test_real_warnings_and_errors_are_not_chatter(line):
    assert not is_chatter(line)


def test_replay_prints_only_what_is_not_chatter(capsys):
    _replay("\n".join(CHATTER[:2] + REAL[:1] + CHATTER[2:] + REAL[1:2]) + "\n")
    assert capsys.readouterr().err.splitlines() == REAL[:2]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-m", "digit_recognizer", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_command_that_loads_tensorflow_prints_nothing_else_to_stderr(tmp_path):
    image = np.full((280, 280), 255, np.uint8)
    cv2.line(image, (140, 40), (140, 240), 0, 18)
    cv2.imwrite(str(tmp_path / "one.png"), image)
    result = run("predict", "--runtime", "keras", str(tmp_path / "one.png"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert '"digit": 1' in result.stdout


def test_an_error_while_loading_with_keras_still_reaches_stderr(tmp_path):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    result = run("predict", "--model", str(broken), str(tmp_path / "none.png"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "broken.keras" in result.stderr


def test_the_app_with_a_keras_model_prints_nothing_to_the_terminal(display, small_model_path,
                                                                    tmp_path):
    trace = tmp_path / "trace.txt"
    env = {**{k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"},
           "DIGIT_RECOGNIZER_TRACE": str(trace), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    app = subprocess.Popen([sys.executable, "main.py", "--model", str(small_model_path)],
                           cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        deadline = time.monotonic() + 120
        while not (trace.exists() and "ready" in trace.read_text()):
            assert app.poll() is None and time.monotonic() < deadline, "the app did not load"
            time.sleep(0.1)
    finally:
        app.terminate()
        out, err = app.communicate(timeout=30)
    assert err == "" and out == ""
