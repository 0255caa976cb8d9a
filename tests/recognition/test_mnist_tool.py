"""``python mnist.py``: info, convert and pack run as a user runs them, on real MNIST bytes."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digit_recognizer.core.datasets.image_folder import find_labelled_images
from digit_recognizer.core.idx import read_idx, write_idx
from digit_recognizer.recognition import mnist_tool as mnist_cli

ROOT = Path(__file__).resolve().parents[2]


def mnist(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "mnist.py", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert all(word in lines[0] for word in words), lines[0]


@pytest.fixture(scope="module")
def test_set(mnist_dir) -> tuple[Path, Path]:
    return mnist_dir / "t10k-images-idx3-ubyte.gz", mnist_dir / "t10k-labels-idx1-ubyte.gz"


@pytest.fixture(scope="module")
def test_arrays(test_set) -> tuple[np.ndarray, np.ndarray]:
    return read_idx(test_set[0]), read_idx(test_set[1])


# ---------------------------------------------------------------------------------------- info


def test_info_on_training_images_prints_type_and_shape(mnist_dir):
    result = mnist("info", mnist_dir / "train-images-idx3-ubyte.gz")
    assert result.returncode == 0, result.stderr
    assert "uint8" in result.stdout and "(60000, 28, 28)" in result.stdout


def test_info_on_labels_prints_count_per_class(mnist_dir):
    path = mnist_dir / "train-labels-idx1-ubyte.gz"
    counts = np.bincount(read_idx(path), minlength=10)
    result = mnist("info", path)
    assert result.returncode == 0, result.stderr
    assert "  ".join(f"{digit}: {count}" for digit, count in enumerate(counts)) in result.stdout


def test_info_reports_each_file_and_fails_for_a_missing_one(test_set, tmp_path):
    result = mnist("info", test_set[0], tmp_path / "missing.gz", test_set[1])
    assert result.stdout.count("(10000") == 2
    assert_one_line_error(result, "missing.gz", "cannot be read")


def test_info_on_corrupt_file_is_one_line_error(test_set, tmp_path):
    cut = tmp_path / "cut-idx3-ubyte.gz"
    cut.write_bytes(test_set[0].read_bytes()[:5000])
    assert_one_line_error(mnist("info", cut), str(cut), "gzip")


def test_info_on_non_idx_file_is_one_line_error(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an idx file\n")
    assert_one_line_error(mnist("info", text), str(text), "not an IDX file")


# ------------------------------------------------------------------------------------- convert


def test_convert_to_png_writes_each_image_in_its_label_folder(test_set, test_arrays, tmp_path):
    images, labels = test_arrays
    result = mnist("convert", *test_set[:1], "--labels", test_set[1], "--to", "png",
                   tmp_path / "png", "--limit", 25)
    assert result.returncode == 0, result.stderr
    written = sorted((tmp_path / "png").glob("*/*.png"))
    assert len(written) == 25
    for path in written:
        index = int(path.stem)
        assert int(path.parent.name) == labels[index]
        assert np.array_equal(np.asarray(Image.open(path)), images[index])


def test_convert_to_png_without_labels_writes_one_flat_folder(test_set, test_arrays, tmp_path):
    result = mnist("convert", test_set[0], "--to", "png", tmp_path / "png", "--limit", 12)
    assert result.returncode == 0, result.stderr
    written = sorted((tmp_path / "png").iterdir())
    assert [p.name for p in written] == [f"{i:02d}.png" for i in range(12)]
    assert np.array_equal(np.asarray(Image.open(written[7])), test_arrays[0][7])


def test_convert_to_npz_holds_images_as_x_and_labels_as_y(test_set, test_arrays, tmp_path):
    out = tmp_path / "test.npz"
    result = mnist("convert", test_set[0], "--labels", test_set[1], "--to", "npz", out,
                   "--limit", 300)
    assert result.returncode == 0, result.stderr
    with np.load(out) as npz:
        assert np.array_equal(npz["x"], test_arrays[0][:300])
        assert np.array_equal(npz["y"], test_arrays[1][:300])


def test_convert_to_csv_writes_label_then_784_pixels(test_set, test_arrays, tmp_path):
    out = tmp_path / "test.csv"
    # 2500 rows: more than one of the 1000-row chunks the writer formats at a time
    result = mnist("convert", test_set[0], "--labels", test_set[1], "--to", "csv", out,
                   "--limit", 2500)
    assert result.returncode == 0, result.stderr
    with open(out, newline="") as fh:
        header = next(csv.reader(fh))
    assert header == ["label"] + [f"pixel{i}" for i in range(784)]
    table = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.int64)
    assert np.array_equal(table[:, 0], test_arrays[1][:2500])
    assert np.array_equal(table[:, 1:], test_arrays[0][:2500].reshape(2500, 784))


def test_convert_to_csv_without_labels_has_pixel_columns_only(test_set, test_arrays, tmp_path):
    out = tmp_path / "test.csv"
    assert mnist("convert", test_set[0], "--to", "csv", out, "--limit", 40).returncode == 0
    table = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.int64)
    assert np.array_equal(table, test_arrays[0][:40].reshape(40, 784))


def test_convert_float_images_to_csv_keeps_exact_values(tmp_path):
    images = np.random.default_rng(0).random((5, 3, 4), dtype=np.float32)
    source = write_idx(tmp_path / "float-images.idx", images)
    out = tmp_path / "float.csv"
    assert mnist("convert", source, "--to", "csv", out).returncode == 0
    table = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.float32)
    assert np.array_equal(table, images.reshape(5, 12))


def test_convert_refuses_to_overwrite_an_existing_file(test_set, tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("precious\n")
    assert_one_line_error(mnist("convert", test_set[0], "--to", "csv", out), str(out), "--force")
    assert out.read_text() == "precious\n"


def test_convert_with_force_overwrites_an_existing_file(test_set, tmp_path):
    out = tmp_path / "old.npz"
    out.write_text("old\n")
    result = mnist("convert", test_set[0], "--to", "npz", out, "--limit", 3, "--force")
    assert result.returncode == 0, result.stderr
    with np.load(out) as npz:
        assert npz["x"].shape == (3, 28, 28)


def test_convert_with_labels_of_other_length_is_one_line_error(test_set, mnist_dir, tmp_path):
    train_labels = mnist_dir / "train-labels-idx1-ubyte.gz"
    result = mnist("convert", test_set[0], "--labels", train_labels, "--to", "npz",
                   tmp_path / "x.npz")
    assert_one_line_error(result, "60000 labels", "10000 images")
    assert not (tmp_path / "x.npz").exists()


def test_convert_labels_file_as_images_is_one_line_error(test_set, tmp_path):
    result = mnist("convert", test_set[1], "--to", "png", tmp_path / "png")
    assert_one_line_error(result, str(test_set[1]), "(10000,)")


def test_convert_float_images_to_png_is_one_line_error(tmp_path):
    source = write_idx(tmp_path / "f.idx", np.zeros((2, 28, 28), np.float32))
    assert_one_line_error(mnist("convert", source, "--to", "png", tmp_path / "png"), "uint8")


def test_convert_missing_file_is_one_line_error(tmp_path):
    missing = tmp_path / "missing-idx3-ubyte.gz"
    assert_one_line_error(mnist("convert", missing, "--to", "npz", tmp_path / "x.npz"),
                          str(missing))


def test_convert_unknown_format_is_one_line_usage_error(test_set, tmp_path):
    result = mnist("convert", test_set[0], "--to", "jpeg", tmp_path / "x")
    assert result.returncode == 2
    assert_one_line_error(result, "jpeg", "png, npz, csv")


def test_convert_limit_must_be_positive(test_set, tmp_path):
    result = mnist("convert", test_set[0], "--to", "npz", tmp_path / "x.npz", "--limit", 0)
    assert_one_line_error(result, "--limit")


# ---------------------------------------------------------------------------------------- pack


def save_digits(folder: Path, images: np.ndarray, labels: np.ndarray, scale: int = 1,
                dark_on_light: bool = False) -> list[Path]:
    """Save each image as a PNG in folder/<label>/, optionally enlarged and inverted."""
    paths = []
    for index, (image, label) in enumerate(zip(images, labels)):
        picture = np.kron(image, np.ones((scale, scale), np.uint8))
        picture = 255 - picture if dark_on_light else picture
        path = folder / str(label) / f"digit{index:03d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(picture).save(path)
        paths.append(path)
    return paths


def two_per_class(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    picks = np.concatenate([np.flatnonzero(labels == digit)[:2] for digit in range(10)])
    return images[picks], labels[picks]


@pytest.fixture
def digits_folder(test_arrays, tmp_path) -> Path:
    """tmp_path/digits: two test digits of each class, saved as PNGs in their label folders."""
    save_digits(tmp_path / "digits", *two_per_class(*test_arrays))
    return tmp_path / "digits"


def nearest_source(packed: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """For each packed digit, the index of the source digit it correlates with best."""
    a = packed.reshape(len(packed), -1).astype(np.float64)
    b = sources.reshape(len(sources), -1).astype(np.float64)
    a = (a - a.mean(1, keepdims=True)) / a.std(1, keepdims=True)
    b = (b - b.mean(1, keepdims=True)) / b.std(1, keepdims=True)
    return np.argmax(a @ b.T, axis=1)


@pytest.mark.parametrize("scale, dark_on_light", [(1, False), (4, True)],
                         ids=["mnist-style-28px", "dark-on-light-112px"])
def test_pack_builds_an_idx_dataset_from_label_folders(test_arrays, tmp_path, scale,
                                                       dark_on_light):
    images, labels = two_per_class(*test_arrays)
    save_digits(tmp_path / "digits", images, labels, scale, dark_on_light)
    out_images, out_labels = tmp_path / "my-images-idx3-ubyte.gz", tmp_path / "my-labels.gz"
    result = mnist("pack", tmp_path / "digits", "--images", out_images, "--labels", out_labels)
    assert result.returncode == 0, result.stderr
    packed, packed_labels = read_idx(out_images), read_idx(out_labels)
    assert (packed.dtype, packed.shape) == (np.uint8, (20, 28, 28))
    assert np.array_equal(packed_labels, labels)  # folders 0..9 in order, files sorted
    # each packed digit looks most like a source digit of its own class (two '1's may swap)
    assert np.array_equal(labels[nearest_source(packed, images)], labels)
    assert packed[:, 0, :].max() < packed.max()  # ink high on a dark background


def test_pack_uses_the_project_preprocessing_when_it_imports(test_arrays, tmp_path):
    from digit_recognizer.recognition.preprocess.canvas import canvas_to_mnist
    from digit_recognizer.recognition.preprocess.images import load_image

    [path] = save_digits(tmp_path, test_arrays[0][:1], test_arrays[1][:1], 3, True)
    convert, method = mnist_cli.digit_converter()
    expected = np.rint(canvas_to_mnist(load_image(path)) * 255).astype(np.uint8)
    assert method == "the app's preprocessing"
    assert np.array_equal(convert(path), expected)


def test_pack_says_how_it_made_the_digits_without_naming_code(test_arrays, tmp_path):
    save_digits(tmp_path / "digits", test_arrays[0][:2], test_arrays[1][:2])
    result = mnist("pack", tmp_path / "digits", "--images", tmp_path / "i.gz",
                   "--labels", tmp_path / "l.gz")
    assert result.returncode == 0, result.stderr
    assert "by the app's preprocessing" in result.stdout
    assert "digit_recognizer" not in result.stdout and "canvas_to_mnist" not in result.stdout


def test_pack_leaves_out_hidden_and_other_files(test_arrays, tmp_path):
    [path] = save_digits(tmp_path / "digits", test_arrays[0][:1], test_arrays[1][:1])
    (path.parent / "._digit000.png").write_bytes(b"a Mac's metadata, not an image")
    (path.parent / "notes.txt").write_text("not an image")
    upper = path.with_name("DIGIT001.PNG")
    upper.write_bytes(path.read_bytes())
    found = find_labelled_images(tmp_path / "digits")
    assert found == [(upper, int(path.parent.name)), (path, int(path.parent.name))]


def test_pack_falls_back_to_plain_resize_without_preprocess(test_arrays, tmp_path, monkeypatch):
    # None in sys.modules makes the import fail, as when preprocessing is not available.
    monkeypatch.setitem(sys.modules, "digit_recognizer.recognition.preprocess.canvas", None)
    [path] = save_digits(tmp_path, test_arrays[0][:1], test_arrays[1][:1], 4, True)
    convert, method = mnist_cli.digit_converter()
    assert "plain resize" in method
    assert np.array_equal(convert(path), test_arrays[0][0])  # inverted back, 4x4 averaged


def test_pack_stops_at_an_unreadable_image_naming_it(digits_folder, tmp_path):
    broken = digits_folder / "4" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a PNG")
    out = tmp_path / "out-images.gz"
    result = mnist("pack", digits_folder, "--images", out, "--labels", tmp_path / "l.gz")
    assert_one_line_error(result, str(broken), "--skip-bad")
    assert not out.exists()


def test_pack_stops_at_a_blank_image_naming_it(digits_folder, tmp_path):
    blank = digits_folder / "7" / "blank.png"
    Image.fromarray(np.full((50, 50), 255, np.uint8)).save(blank)
    result = mnist("pack", digits_folder, "--images", tmp_path / "i.gz",
                   "--labels", tmp_path / "l.gz")
    assert_one_line_error(result, str(blank))


def test_pack_skip_bad_leaves_out_unreadable_images_with_a_warning(digits_folder, test_arrays,
                                                                   tmp_path):
    _, labels = two_per_class(*test_arrays)
    broken = digits_folder / "0" / "zzz.png"
    broken.write_bytes(b"garbage")
    out_labels = tmp_path / "l.gz"
    result = mnist("pack", digits_folder, "--images", tmp_path / "i.gz",
                   "--labels", out_labels, "--skip-bad")
    assert result.returncode == 0, result.stderr
    assert "warning: skipped" in result.stderr and str(broken) in result.stderr
    assert "skipped 1 unusable" in result.stdout
    assert np.array_equal(read_idx(out_labels), labels)


def test_pack_folder_without_digit_subfolders_is_one_line_error(tmp_path):
    (tmp_path / "cats").mkdir()
    result = mnist("pack", tmp_path, "--images", tmp_path / "i.gz", "--labels", tmp_path / "l.gz")
    assert_one_line_error(result, "no subfolders named 0 to 9")


def test_pack_missing_folder_is_one_line_error(tmp_path):
    missing = tmp_path / "nowhere"
    result = mnist("pack", missing, "--images", tmp_path / "i.gz", "--labels", tmp_path / "l.gz")
    assert_one_line_error(result, str(missing))


# ------------------------------------------------------------------------------ help and module


@pytest.mark.parametrize("command", ["info", "convert", "pack"])
def test_help_explains_each_command_with_examples(command):
    result = mnist(command, "--help")
    assert result.returncode == 0
    assert "example" in result.stdout and f"python mnist.py {command}" in result.stdout


def test_unknown_command_is_one_line_usage_error():
    result = mnist("shrink", "x")
    assert result.returncode == 2
    assert_one_line_error(result, "shrink")


def test_mnist_module_reexports_the_readers(test_set):
    code = "import sys, mnist; print(mnist.read_idx(sys.argv[1]).shape, mnist.load_mnist)"
    result = subprocess.run([sys.executable, "-c", code, str(test_set[0])], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("(10000, 28, 28) <function load_mnist")
