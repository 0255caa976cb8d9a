"""The datasets ``evaluate --dataset`` measures on: USPS, the styles set, and folders of digits."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from digit_recognizer.core.catalogue import BUNDLED_MODELS, ENSEMBLE, MODELS_DIR
from digit_recognizer.core.confidence import THRESHOLD_KEY
from digit_recognizer.core.datasets.errors import DatasetError
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.datasets.usps import USPS, USPS_FILES
from digit_recognizer.core.idx import write_idx
from digit_recognizer.evaluation import evaluate
from digit_recognizer.evaluation.datasets import load_dataset
from digit_recognizer.evaluation.nondigits import FAMILIES, build_nondigits
from digit_recognizer.evaluation.styles import STYLES, build_styles, parse_variant
from digit_recognizer.training.data.synthetic import render_drawn_digit
from digit_recognizer.training.data.usps import load_usps, usps_to_mnist

ROOT = Path(__file__).resolve().parents[2]
# The README's counts of each digit in USPS' test split.
USPS_TEST_COUNTS = [359, 264, 198, 166, 200, 160, 170, 147, 166, 177]
# The styles the issue lists, and the digit each one writes.
LISTED_STYLES = {
    "1 with a flag": 1, "1 with a flag and a base": 1, "7 crossed": 7, "7 with a hooked top": 7,
    "0 slashed": 0, "4 with an open top": 4, "4 closed": 4, "5 with a detached bar": 5,
    "9 with a straight stem": 9, "2 with a loop": 2, "6 with an open loop": 6,
    "9 with an open loop": 9, "3 with a flat top": 3,
}


def run_command(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digit_recognizer", *args], cwd=ROOT,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
                          capture_output=True, text=True, timeout=300)


def one_error_line(result: subprocess.CompletedProcess) -> bool:
    return result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


@pytest.fixture(scope="session")
def usps_dir() -> Path:
    """The folder with USPS' two files, from USPS_DIR or ../shared/data/usps."""
    folder = USPS.chosen()
    if not (folder / USPS_FILES["test"][0]).is_file():
        pytest.fail(f"USPS not found in {folder}: set USPS_DIR to the folder with zip.test.gz "
                    "and zip.train.gz (see ../shared/data/usps/README.md)")
    return folder


@pytest.fixture(scope="module")
def usps_test(usps_dir) -> tuple[np.ndarray, np.ndarray]:
    return load_usps("test", usps_dir)


# -- USPS --------------------------------------------------------------------------------------


def test_usps_test_split_has_2007_digits_with_the_readmes_counts(usps_test):
    images, labels = usps_test
    assert images.shape == (2007, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == USPS_TEST_COUNTS


@pytest.mark.slow
def test_usps_train_split_has_7291_digits(usps_dir):
    images, labels = load_usps("train", usps_dir)
    assert images.shape == (7291, 28, 28) and labels.shape == (7291,)


def test_usps_labels_are_the_files_first_column(usps_test, usps_dir):
    with gzip.open(usps_dir / "zip.test.gz", "rt") as text:
        first_column = np.loadtxt(text, usecols=0)
    assert np.array_equal(usps_test[1], first_column.astype(np.uint8))


def extent(ink: np.ndarray) -> np.ndarray:
    """Per row of ``ink`` (N, 28): last minus first index holding ink, plus one."""
    first = ink.argmax(axis=1)
    last = ink.shape[1] - 1 - ink[:, ::-1].argmax(axis=1)
    return last - first + 1


def test_usps_digits_fill_a_20_px_box_centred_by_mass(usps_test):
    images = usps_test[0].astype(np.float64)
    rows, cols = images.sum(axis=2), images.sum(axis=1)  # (N, 28) each
    assert (np.maximum(extent(rows > 0), extent(cols > 0)) == 20).all()
    mass = rows.sum(axis=1, keepdims=True)
    centre = np.concatenate([rows @ np.arange(28)[:, None], cols @ np.arange(28)[:, None]],
                            axis=1) / mass
    # MNIST's centring moves by whole pixels, and stops where ink would leave the field.
    assert np.abs(centre - 14).max() < 1
    assert np.abs(centre.mean(axis=0) - 14).max() < 0.5


def test_usps_ink_becomes_high_like_mnist():
    grid = np.full((16, 16), -1.0)
    grid[:, 6:9] = 1.0  # a vertical bar of ink on paper, edge to edge as USPS stores digits
    digit = usps_to_mnist(grid)
    assert digit.dtype == np.uint8 and digit.max() == 255 and digit[0, 0] == 0
    assert (digit.sum(axis=1) > 0).sum() == 20  # the bar is 20 px tall, as MNIST's box


def corrupt_copy(usps_dir: Path, folder: Path, change) -> Path:
    """A copy of the USPS folder whose test file's bytes went through ``change``."""
    for name in ("zip.train.gz", "zip.test.gz"):
        shutil.copy(usps_dir / name, folder / name)
    test = folder / "zip.test.gz"
    test.chmod(0o644)
    test.write_bytes(change(test.read_bytes()))
    return folder


def test_usps_with_a_changed_digit_fails_the_readmes_hash(usps_dir, tmp_path):
    def change(data: bytes) -> bytes:
        text = gzip.decompress(data)
        relabelled = b"1" if text[:1] != b"1" else b"2"  # the first digit's label
        return gzip.compress(relabelled + text[1:])

    folder = corrupt_copy(usps_dir, tmp_path, change)
    with pytest.raises(DatasetError, match="SHA-256") as caught:
        load_usps("test", folder)
    assert "\n" not in str(caught.value)


def test_truncated_usps_file_exits_2_with_one_line(usps_dir, tmp_path):
    folder = corrupt_copy(usps_dir, tmp_path, lambda data: data[: len(data) // 2])
    result = run_command("evaluate", "--dataset", "usps", "--usps-dir", str(folder))
    assert result.returncode == 2 and one_error_line(result)
    assert "zip.test.gz" in result.stderr


def test_missing_usps_folder_names_the_option(tmp_path):
    with pytest.raises(DatasetError, match="--usps-dir"):
        load_usps("test", tmp_path / "nowhere")


# -- the styles set ----------------------------------------------------------------------------


def test_every_listed_style_has_ten_variants_or_more():
    written = {style.name: (style.label, len(style.variants)) for style in STYLES}
    for name, label in LISTED_STYLES.items():
        assert written[name][0] == label, name
        assert written[name][1] >= 10, name


# The two drawn test sets: the styles and the non-digits, written alike as stroke paths.
DRAWN_SETS = pytest.mark.parametrize(("groups", "build"), [(STYLES, build_styles),
                                                           (FAMILIES, build_nondigits)],
                                     ids=["styles", "nondigits"])


@DRAWN_SETS
def test_drawn_set_strokes_stay_in_the_unit_box(groups, build):
    for group in groups:
        for text in group.variants:
            points = np.concatenate([pen.points for pen in parse_variant(text)])
            assert points.min() >= 0 and points.max() <= 1.05, (group.name, text)


@DRAWN_SETS
def test_drawn_set_is_the_same_for_the_same_seed(groups, build):
    first, again = build(seed=3, renderings=1), build(seed=3, renderings=1)
    assert np.array_equal(first.images, again.images)
    assert not np.array_equal(first.images, build(seed=4, renderings=1).images)


def test_styles_set_holds_every_style_with_its_label():
    built = build_styles(seed=0, renderings=1)
    assert built.images.shape == (len(built.labels), 28, 28) and built.images.dtype == np.uint8
    found = dict(zip(built.styles.tolist(), built.labels.tolist()))
    assert {name: found[name] for name in LISTED_STYLES} == LISTED_STYLES


# What training runs: the commands, the data they learn from (the non-digits of ``outliers``
# among them) and USPS' reader, which calibration shares with ``evaluate``.
TRAINING_MODULES = ["training.train_cli", "training.fine_tuning.cli", "training.calibration",
                    "training.data.augment", "training.data.synthetic", "training.data.outliers",
                    "training.data.usps"]


@pytest.mark.parametrize("test_set", ["styles", "nondigits"])
def test_training_code_never_imports_the_test_sets(test_set):
    modules = ", ".join(f"digit_recognizer.{name}" for name in TRAINING_MODULES)
    code = (f"import sys, {modules}; "
            f"print('digit_recognizer.evaluation.{test_set}' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    assert result.stdout.strip() == "False"


# -- evaluate --dataset ------------------------------------------------------------------------


@pytest.mark.slow
def test_evaluate_usps_json_reports_each_digit_and_the_confusion_matrix(usps_dir):
    result = run_command("evaluate", "--dataset", "usps", "--limit", "200", "--json",
                         USPS_DIR=str(usps_dir))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dataset"] == "USPS test" and report["images"] == 200
    for model in report["models"]:
        assert len(model["per_class_accuracy"]) == 10
        assert np.array(model["confusion_matrix"]).sum() == 200
        assert model["accuracy"] > 0.9


@pytest.mark.slow
def test_evaluate_styles_json_reports_each_style():
    result = run_command("evaluate", "--dataset", "styles", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for model in report["models"]:
        assert np.array(model["confusion_matrix"]).sum() == report["images"] == model[
            "test_images"]
        assert len(model["per_class_accuracy"]) == 10
        assert model["per_class_accuracy"][8] is None  # no style of 8 is listed
        assert set(model["per_style_accuracy"]) == {style.name for style in STYLES}


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    return load_mnist(mnist_dir)[1]


def evaluate_json(capsys, *args: str) -> dict:
    assert evaluate.main(["--model", "model2", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_evaluate_reads_a_folder_of_per_label_images(tmp_path, mnist_test, capsys):
    rng = np.random.default_rng(0)
    images, labels = mnist_test
    for i in range(12):
        (tmp_path / str(labels[i])).mkdir(exist_ok=True)
        cv2.imwrite(str(tmp_path / str(labels[i]) / f"{i}.png"),
                    render_drawn_digit(images[i], rng))
    report = evaluate_json(capsys, "--dataset", str(tmp_path))
    (model,) = report["models"]
    assert report["images"] == 12 and np.array(model["confusion_matrix"]).sum() == 12
    assert model["accuracy"] >= 10 / 12


def test_evaluate_reads_a_folder_holding_an_idx_pair(tmp_path, mnist_test, capsys):
    images, labels = mnist_test
    write_idx(tmp_path / "mine-images-idx3-ubyte.gz", images[:100])
    write_idx(tmp_path / "mine-labels-idx1-ubyte.gz", labels[:100])
    (model,) = evaluate_json(capsys, "--dataset", str(tmp_path))["models"]
    assert model["test_images"] == 100 and model["accuracy"] > 0.95


def test_evaluate_folder_with_a_subfolder_not_a_digit_exits_2_with_one_line(tmp_path):
    (tmp_path / "seven").mkdir()
    cv2.imwrite(str(tmp_path / "seven" / "a.png"), np.full((28, 28), 255, np.uint8))
    result = run_command("evaluate", "--dataset", str(tmp_path))
    assert result.returncode == 2 and one_error_line(result)
    assert "'seven' is not a digit label" in result.stderr


@pytest.mark.parametrize("make, message", [
    (lambda folder: None, "neither an IDX pair"),
    (lambda folder: (folder / "3").mkdir(), "no image files"),
    (lambda folder: write_idx(folder / "x-labels-idx1-ubyte", np.array([12], np.uint8)),
     "labels must be 0-9"),
])
def test_evaluate_folder_without_usable_digits_exits_2(tmp_path, capsys, make, message):
    make(tmp_path)
    assert evaluate.main(["--model", "model2", "--dataset", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_evaluate_unknown_dataset_exits_2_naming_the_choices(capsys):
    assert evaluate.main(["--dataset", "no-such-set"]) == 2
    assert ("use mnist, usps, semeion, unipen, styles, nondigits, validation or the path of a "
            "folder") in capsys.readouterr().err


@pytest.mark.parametrize("name", ["styles", "nondigits"])
def test_evaluate_made_sets_have_no_training_split(capsys, name):
    assert evaluate.main(["--dataset", name, "--split", "train"]) == 2
    assert "measuring only" in capsys.readouterr().err


def test_load_dataset_mnist_train_split_is_the_training_set(mnist_dir):
    assert len(load_dataset("mnist", split="train", mnist_dir=mnist_dir)) == 60000


# -- evaluate and the not-a-digit flag ---------------------------------------------------------


def models_with_thresholds(folder: Path, model: object, both: object) -> Path:
    """The bundled networks (linked) with metadata recording ``model`` as each model's
    threshold and ``both`` as the average's; None records none."""
    for bundled in BUNDLED_MODELS:
        for suffix in (".h5", ".onnx"):
            source = bundled.path().with_suffix(suffix)
            (folder / source.name).symlink_to(source)
    names = [m.path().with_suffix(".json").name for m in BUNDLED_MODELS]
    for name, value in [(n, model) for n in names] + [(ENSEMBLE.metadata_file, both)]:
        source = MODELS_DIR / name
        metadata = json.loads(source.read_text()) if source.is_file() else {}
        metadata.pop(THRESHOLD_KEY, None)
        if value is not None:
            metadata[THRESHOLD_KEY] = value
        (folder / name).write_text(json.dumps(metadata))
    return folder


def evaluate_report(capsys, *args: str) -> dict:
    assert evaluate.main(["--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_evaluate_nondigits_reports_the_share_flagged_overall_and_per_family(capsys):
    """The bundled models with the thresholds their training recorded: issue 10's target."""
    report = evaluate_report(capsys, "--dataset", "nondigits")
    assert report["dataset"] == "non-digits (seed 0)"
    model1, model2, both = report["models"]
    recorded = [json.loads((MODELS_DIR / name).read_text())[THRESHOLD_KEY] for name in
                [m.path().with_suffix(".json").name for m in BUNDLED_MODELS]
                + [ENSEMBLE.metadata_file]]
    assert [m["not_a_digit_threshold"] for m in report["models"]] == recorded
    assert model2["flagged_as_not_a_digit"] >= 0.9
    for model in report["models"]:
        flagged, families = model["flagged_as_not_a_digit"], model["per_family_flagged"]
        assert 0.8 < flagged < 1
        assert list(families) == [family.name for family in FAMILIES]
        sizes = [len(family.variants) for family in FAMILIES]  # each drawn as often
        assert np.average(list(families.values()), weights=sizes) == pytest.approx(flagged,
                                                                                 abs=1e-4)
        assert sum(model["named_as_digits"]) == report["images"] - model["flagged_images"]
        assert model["flagged_images"] == round(flagged * report["images"])


@pytest.mark.slow
def test_evaluate_nondigits_text_report_names_each_family(tmp_path, capsys):
    folder = models_with_thresholds(tmp_path, model=0.999, both=None)
    assert evaluate.main(["--dataset", "nondigits", "--model", "model2", "--models-dir",
                          str(folder)]) == 0
    out = capsys.readouterr().out
    assert "flagged as not a digit: " in out and "threshold 0.999)" in out
    assert all(f"    {family.name} " in out for family in FAMILIES)


@pytest.mark.slow
def test_evaluate_nondigits_without_a_threshold_flags_nothing(tmp_path, capsys):
    folder = models_with_thresholds(tmp_path, model=None, both=None)
    args = ("--dataset", "nondigits", "--model", "both", "--models-dir", str(folder))
    (model,) = evaluate_report(capsys, *args)["models"]
    assert model["not_a_digit_threshold"] is None and model["flagged_as_not_a_digit"] == 0
    assert sum(model["named_as_digits"]) == model["test_images"]
    assert evaluate.main(list(args)) == 0
    assert "flagged as not a digit: none (no threshold recorded" in capsys.readouterr().out


@pytest.mark.slow
def test_evaluate_threshold_option_overrides_every_models_own(tmp_path, capsys):
    folder = models_with_thresholds(tmp_path, model=0.999, both=None)
    report = evaluate_report(capsys, "--dataset", "nondigits", "--limit", "100",
                             "--models-dir", str(folder), "--not-a-digit-threshold", "0.5")
    assert [m["not_a_digit_threshold"] for m in report["models"]] == [0.5, 0.5, 0.5]


@pytest.mark.parametrize("value", ["0", "1", "1.2", "nan", "half"])
def test_evaluate_threshold_option_outside_0_to_1_is_refused(value, capsys):
    with pytest.raises(SystemExit) as caught:
        evaluate.main(["--not-a-digit-threshold", value])
    assert caught.value.code == 2
    assert "is not a number between 0 and 1" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_usps_reports_digits_wrongly_flagged(tmp_path, usps_dir, capsys):
    folder = models_with_thresholds(tmp_path, model=0.999, both=0.999)
    args = ("--dataset", "usps", "--usps-dir", str(usps_dir), "--limit", "300", "--model",
            "model2", "--models-dir", str(folder))
    (model,) = evaluate_report(capsys, *args)["models"]
    assert 0 < model["flagged_as_not_a_digit"] < 0.5  # real digits: mostly sure
    assert evaluate.main(list(args)) == 0
    share, count = model["flagged_as_not_a_digit"], model["flagged_images"]
    assert count == round(share * 300)
    assert (f"flagged as not a digit: {share:.2%} ({count} of 300 digits; threshold 0.999)"
            in capsys.readouterr().out)


@pytest.mark.slow
def test_evaluate_digits_without_a_threshold_say_nothing_of_the_flag(tmp_path, capsys):
    folder = models_with_thresholds(tmp_path, model=None, both=None)
    args = ("--dataset", "styles", "--limit", "50", "--model", "model1", "--models-dir",
            str(folder))
    (model,) = evaluate_report(capsys, *args)["models"]
    assert "flagged_as_not_a_digit" not in model
    assert evaluate.main(list(args)) == 0
    assert "not a digit" not in capsys.readouterr().out


def test_recording_the_averages_accuracy_keeps_its_threshold(tmp_path):
    folder = models_with_thresholds(tmp_path, model=None, both=0.8)
    result = {"name": ENSEMBLE.label, "accuracy": 0.9961, "per_class_accuracy": [0.99] * 10}
    evaluate.save_ensemble_metadata(result, str(folder))
    metadata = json.loads((folder / ENSEMBLE.metadata_file).read_text())
    assert metadata[THRESHOLD_KEY] == 0.8 and metadata["test_accuracy"] == 0.9961


@pytest.mark.slow
def test_the_bundled_models_flag_at_most_two_percent_of_usps_test_digits(capsys):
    report = evaluate_report(capsys, "--dataset", "usps")
    for model in report["models"]:
        assert model["not_a_digit_threshold"] is not None, model["name"]
        assert model["flagged_as_not_a_digit"] <= 0.02, model["name"]
