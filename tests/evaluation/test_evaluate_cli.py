"""``python -m digit_recognizer evaluate`` as a first-time user meets it: what it shows while it
works, and how it says that the data is missing.

    MNIST_DIR=../shared/data/mnist python -m pytest tests/evaluation/test_evaluate_cli.py -q
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digit_recognizer.evaluation import evaluate

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 1100  # images scored: more than two of the slices predict cuts, so the bar moves


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, as when a person runs the command."""

    def isatty(self) -> bool:
        return True


class Labeller:
    """A stand-in model that calls every image a 3, and notes what stdout held when it began."""

    runtime, path, notices, not_a_digit_threshold = "onnx", None, (), None

    def __init__(self, name: str, seen: list[str], capsys) -> None:
        self.name, self.seen, self.capsys = name, seen, capsys

    def predict(self, x: np.ndarray) -> np.ndarray:
        if not self.seen or self.seen[-1] != self.name:
            self.seen += [self.capsys.readouterr().out, self.name]
        probabilities = np.zeros((len(x), 10), np.float32)
        probabilities[:, 3] = 1
        return probabilities


def run(argv: list[str], stderr: io.StringIO, monkeypatch) -> tuple[int, str]:
    """``evaluate.main(argv)`` with ``stderr`` as sys.stderr: exit code, what stdout got."""
    stdout = io.StringIO()
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", stdout)
        patch.setattr(sys, "stderr", stderr)
        code = evaluate.main(argv)
    return code, stdout.getvalue()


# -- progress ------------------------------------------------------------------------------------


def test_each_models_report_is_printed_before_the_next_model_starts(monkeypatch, capsys,
                                                                     mnist_dir):
    seen: list[str] = []
    models = [Labeller("first", seen, capsys), Labeller("second", seen, capsys)]
    monkeypatch.setattr(evaluate, "load_recognizers", lambda *args: (models, []))
    assert evaluate.main(["--data-dir", str(mnist_dir), "--limit", "50"]) == 0
    before_first, _, before_second, _ = seen
    assert before_first == ""
    assert before_second.startswith("MNIST test: 50 images\n\nfirst, run by")
    assert "confusion matrix" in before_second


def test_text_report_is_the_one_it_printed_all_at_once(monkeypatch, mnist_dir):
    args = ["--data-dir", str(mnist_dir), "--model", "both", "--limit", "200"]
    _, text = run(args, io.StringIO(), monkeypatch)
    _, as_json = run([*args, "--json"], io.StringIO(), monkeypatch)
    results = json.loads(as_json)["models"]
    assert text == ("MNIST test: 200 images\n\n"
                    + "\n\n".join(evaluate.format_report(r) for r in results) + "\n")


def test_terminal_shows_a_bar_per_model_on_stderr_and_json_stays_clean(monkeypatch, mnist_dir):
    args = ["--data-dir", str(mnist_dir), "--model", "model1", "--limit", str(LIMIT), "--json"]
    terminal = Terminal()
    code, shown = run(args, terminal, monkeypatch)
    piped = io.StringIO()
    _, logged = run(args, piped, monkeypatch)
    assert code == 0 and shown == logged
    assert json.loads(shown)["models"][0]["test_images"] == LIMIT
    progress = terminal.getvalue()
    assert "loading the models" in progress
    assert "Model 1 — Adadelta CNN:   0%" in progress and f"0/{LIMIT}" in progress
    assert progress.endswith("\r")  # erased once done: only the report stays on the screen
    assert piped.getvalue() == ""  # piped or logged: no progress frames in the log


def test_scoring_in_steps_gives_the_probabilities_of_one_call(monkeypatch, mnist_dir):
    from digit_recognizer.core.datasets.mnist import load_mnist
    from digit_recognizer.core.scoring import to_model_input
    from digit_recognizer.recognition.recognizer import Recognizer

    images = load_mnist(mnist_dir)[1][0][:LIMIT]
    recognizer = Recognizer.bundled("model1", runtime="onnx")
    steps: list[int] = []
    in_steps = evaluate.predict_in_steps(recognizer, images, steps.append)
    assert steps == [512, 512, LIMIT - 1024]
    np.testing.assert_array_equal(in_steps, recognizer.predict(to_model_input(images)))


# -- missing data --------------------------------------------------------------------------------

# Run in a child: this process has long imported TensorFlow. No way to download MNIST (the check
# says the server does not answer), so the test never touches the network.
CHILD = """
import sys
import digit_recognizer.core.datasets.mnist as mnist
mnist._download_host_answers = lambda: False
from digit_recognizer.evaluation.evaluate import main
code = main(sys.argv[1:])
print(code, "tensorflow" in sys.modules, "keras" in sys.modules)
"""


@pytest.mark.parametrize("args", [
    ["--data-dir", "{missing}"],
    [],  # no --data-dir, no MNIST_DIR, no Keras cache: the download is the last resort
    ["--dataset", "usps", "--usps-dir", "{missing}"],
    ["--dataset", "semeion", "--semeion-dir", "{missing}"],
], ids=["mnist-folder", "mnist-nowhere", "usps", "semeion"])
def test_missing_data_is_one_error_line_and_tensorflow_is_never_imported(tmp_path, args):
    env = {k: v for k, v in os.environ.items() if k not in ("MNIST_DIR", "USPS_DIR",
                                                           "SEMEION_DIR")}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(ROOT))  # an empty home: no Keras cache
    argv = [a.format(missing=tmp_path / "absent") for a in args]
    done = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120, check=False)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert done.stdout.split() == ["2", "False", "False"]


# -- validation digits -------------------------------------------------------------------------


def test_validation_is_the_split_the_run_held_out_and_reads_as_it_did_in_training(
        trained_run, mnist_dir, monkeypatch):
    """The digits drawn again from the model's metadata (MNIST, its --extra-data and written
    digits) are the ones its training scored: the same count and the same accuracy."""
    metadata = json.loads(trained_run.file(".json").read_text())
    code, out = run(["--dataset", "validation", "--model", str(trained_run.out), "--json",
                     "--data-dir", str(mnist_dir)], io.StringIO(), monkeypatch)
    assert code == 0
    report = json.loads(out)
    assert report["images"] == metadata["validation_images"]
    assert report["models"][0]["accuracy"] == pytest.approx(metadata["best_val_accuracy"],
                                                            abs=1.5 / report["images"])


@pytest.mark.parametrize("flag, named", [("--stretch-to-square", ", stretched to a square"),
                                         ("--scanned-form", ", as scanned forms"),
                                         ("--redrawn", ", re-drawn")])
def test_validation_digits_are_stretched_scanned_or_redrawn_as_asked(flag, named, trained_run,
                                                                     mnist_dir, monkeypatch):
    code, out = run(["--dataset", "validation", "--model", str(trained_run.out), "--json",
                     flag, "--data-dir", str(mnist_dir)], io.StringIO(), monkeypatch)
    assert code == 0
    assert json.loads(out)["dataset"].endswith(named)


def test_redrawn_digits_keep_their_labels_and_change_their_ink(mnist_dir):
    from digit_recognizer.evaluation.datasets import load_dataset, redrawn

    data = load_dataset("mnist", mnist_dir=mnist_dir).head(50)
    drawn = redrawn(data)
    np.testing.assert_array_equal(drawn.images, redrawn(data).images)
    assert np.array_equal(drawn.labels, data.labels)
    # one brush width along the centre line: the ink moves, the digit's place does not
    moved = [(np.abs(a.astype(int) - b) > 64).mean() for a, b in zip(drawn.images, data.images)]
    assert min(moved) > 0.01
    overlap = [((a > 127) & (b > 127)).sum() / max(1, (b > 127).sum())
               for a, b in zip(drawn.images, data.images)]
    assert np.median(overlap) > 0.5


def test_scanned_forms_are_the_stretched_digits_coarsened_to_16_px(mnist_dir):
    from digit_recognizer.evaluation.datasets import load_dataset, scanned_forms

    data = load_dataset("mnist", mnist_dir=mnist_dir).head(100)
    once, again = scanned_forms(data), scanned_forms(data)
    np.testing.assert_array_equal(once.images, again.images)  # one set to compare models on
    assert np.array_equal(once.labels, data.labels) and once.images.shape == data.images.shape
    heights, widths = zip(*[(np.ptp(ys) + 1, np.ptp(xs) + 1)
                            for ys, xs in (np.nonzero(i > 127) for i in once.images)])
    assert np.median(np.divide(widths, heights)) > 0.85  # stretched, as on the forms


def test_stretching_makes_digits_as_wide_as_tall_up_to_four_times_their_width(mnist_dir):
    from digit_recognizer.evaluation.datasets import load_dataset, stretched_to_square

    data = load_dataset("mnist", mnist_dir=mnist_dir).head(200)
    stretched = stretched_to_square(data)

    def box(image):
        ys, xs = np.nonzero(image)
        return ys.max() - ys.min() + 1, xs.max() - xs.min() + 1

    before = np.array([box(i) for i in data.images])
    after = np.array([box(i) for i in stretched.images])
    square = before[:, 1] * 4 >= before[:, 0]  # no more than 4x to widen
    # A stray speck in the box the stretch measures can keep a few from a square.
    assert np.mean(np.abs(after[square, 0] - after[square, 1]) <= 3) >= 0.9
    assert np.all(after[~square, 1] < after[~square, 0])  # the narrowest 1s stay upright
    assert np.all(after[~square, 1] > before[~square, 1])
    assert np.array_equal(stretched.labels, data.labels)


@pytest.mark.parametrize("args, said", [
    (["--dataset", "validation", "--model", "{foreign}"], "records no training run"),
    (["--dataset", "nondigits", "--stretch-to-square"], "--stretch-to-square is for digit sets"),
    (["--dataset", "nondigits", "--scanned-form"], "--scanned-form is for digit sets"),
    (["--dataset", "nondigits", "--redrawn"], "--redrawn is for digit sets"),
], ids=["model-without-run", "nondigits-stretched", "nondigits-scanned", "nondigits-redrawn"])
def test_validation_and_stretch_refuse_what_they_cannot_do_in_one_line(
        args, said, small_model_path, tmp_path, mnist_dir, monkeypatch):
    foreign = tmp_path / "foreign.h5"  # a Keras file from elsewhere: no metadata beside it
    foreign.write_bytes(small_model_path.read_bytes())
    stderr = io.StringIO()
    code, out = run([a.format(foreign=foreign) for a in args] + ["--data-dir", str(mnist_dir)],
                    stderr, monkeypatch)
    assert code == 2 and out == ""
    errors = [line for line in stderr.getvalue().splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and said in errors[0]


def test_models_that_held_out_different_digits_are_scored_one_at_a_time(tmp_path, mnist_dir,
                                                                         monkeypatch):
    import shutil

    from digit_recognizer.core.catalogue import MODELS_DIR

    folder = tmp_path / "models"
    shutil.copytree(MODELS_DIR, folder)
    path = folder / "digit_model.json"
    metadata = json.loads(path.read_text())
    metadata["config"]["usps_train"] = not metadata["config"].get("usps_train", False)
    path.write_text(json.dumps(metadata))
    stderr = io.StringIO()
    code, _ = run(["--dataset", "validation", "--models-dir", str(folder), "--data-dir",
                   str(mnist_dir)], stderr, monkeypatch)
    assert code == 2
    assert "held out different validation digits" in stderr.getvalue()
    assert "--model" in stderr.getvalue()


def test_the_average_is_scored_on_the_digits_its_members_held_out(tmp_path, mnist_dir,
                                                                  monkeypatch):
    """``--model both`` has no file of its own: its members' runs say which digits to read."""
    import shutil

    from digit_recognizer.core.catalogue import MODELS_DIR

    folder = tmp_path / "models"
    shutil.copytree(MODELS_DIR, folder)
    for name in ("digit_model.json", "digit_model1.json"):  # as if trained on 300 digits
        path = folder / name
        metadata = json.loads(path.read_text())
        metadata["config"].update(limit=300, usps_train=False, written=0.25, seed=0, pen=0.0)
        path.write_text(json.dumps(metadata))
    code, out = run(["--dataset", "validation", "--model", "both", "--models-dir", str(folder),
                     "--data-dir", str(mnist_dir), "--json"], io.StringIO(), monkeypatch)
    assert code == 0
    report = json.loads(out)
    assert report["images"] == (300 + 75) // 10
    assert [m["name"] for m in report["models"]] == ["Both models (average)"]
