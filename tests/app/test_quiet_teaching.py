"""A teaching session prints no warning and no traceback, with MNIST or without it.

The model process is started as the window starts it (``ModelProcess``, default options: the
replay digits bundled with the models), in a fresh Python whose stderr, which the child
inherits, is captured whole: MNIST_DIR unset, HOME empty (no Keras cache), so nothing could
be found or downloaded. It teaches twice, makes the ONNX copy, and has a fine-tuning learn nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SESSION = """
import sys
import numpy as np
from digit_recognizer.app.background.model_process import ModelProcess
from digit_recognizer.core.datasets.replay import load_replay
from digit_recognizer.core.results import ModelError

replay, out = load_replay(), sys.argv[1]
x, y = replay.images[3000:3010], replay.labels[3000:3010]  # digits the guard does not score
child = ModelProcess()
child.warm_up("model2")
print(child.personalise("model2", x[:5], y[:5], out).name)
print(child.personalise("model2", x, y, out).name)
child.export(out)
fours = replay.images[3000:][replay.labels[3000:] == 4][:40]
try:
    child.personalise("model2", fours, np.full(40, 9, np.uint8), out)
except ModelError as err:
    print("refused:", err)
child.close()
"""


@pytest.mark.training
@pytest.mark.parametrize("with_mnist", [False, True], ids=["without MNIST", "with MNIST"])
def test_a_teaching_session_prints_no_warning_or_traceback(tmp_path, mnist_dir, with_mnist):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MNIST_DIR", "TF_CPP_MIN_LOG_LEVEL", "PYTHONWARNINGS")}
    env |= {"HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    if with_mnist:
        env["MNIST_DIR"] = str(mnist_dir)
    out = tmp_path / "my_model.keras"
    done = subprocess.run([sys.executable, "-c", SESSION, str(out)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["Model 2 + 5 corrections", "Model 2 + 10 corrections"]
    assert done.stdout.splitlines()[2].startswith(
        "refused: none of the corrections can be learned, so your model stays as it was. "
        "Correction 1, a 4 taught as a 9, conflicts with how most people write")
    noisy = [line for line in done.stderr.splitlines()
             if any(word in line.lower() for word in ("warn", "traceback", "legacy", "error"))]
    assert noisy == [], done.stderr
    assert out.is_file() and out.with_suffix(".onnx").is_file()
    assert not out.with_suffix(".h5").exists() and not (tmp_path / ".keras" / "datasets").exists()
