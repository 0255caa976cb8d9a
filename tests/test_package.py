"""The package as users get it: its public names, its metadata, and a wheel that installs and
reads a digit with its own bundled models, away from the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import digit_recognizer
from digit_recognizer.core.catalogue import MODELS_DIR
from digit_recognizer.core.strokes import DRAWING_SIDE, Stroke, render_strokes

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SEVEN = [Stroke(18.0, [(80, 60), (200, 60), (130, 230)])]
# What a wheel is built from: the working tree's, so the test sees changes not yet committed.
SOURCES = ("pyproject.toml", "README.md", "digit_recognizer", "models")


# -- the public API ----------------------------------------------------------------------------


def test_every_public_name_is_there():
    missing = [name for name in digit_recognizer.__all__ if not hasattr(digit_recognizer, name)]
    assert missing == []
    assert set(digit_recognizer.__all__) == {*digit_recognizer._PUBLIC, "__version__"}
    assert {"Recognizer", "Recognition", "NumberRecognition", "read_idx", "write_idx",
            "load_mnist", "ModelError", "ImageError", "IdxError", "MnistError"} \
        <= set(digit_recognizer.__all__)


def test_the_recognizer_has_what_the_readme_promises():
    for method in ("bundled", "load", "recognize", "recognize_number", "predict"):
        assert callable(getattr(digit_recognizer.Recognizer, method)), method


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        digit_recognizer.nothing  # noqa: B018


# -- pyproject.toml ----------------------------------------------------------------------------


def pins(name: str) -> dict[str, str]:
    """Package name (lower case) -> the version a requirements file pins it to."""
    lines = [line.split("#")[0].strip()
             for line in (ROOT / name).read_text(encoding="utf-8").splitlines()]
    return {req.name.lower(): str(req.specifier).removeprefix("==")
            for req in (Requirement(line) for line in lines if "==" in line)}


def test_the_pinned_versions_fall_in_the_packages_ranges():
    pinned = pins("requirements.txt") | pins("requirements-dev.txt")
    ranges = [Requirement(text) for text in PYPROJECT["project"]["dependencies"]]
    ranges += [Requirement(text) for extra in PYPROJECT["project"]["optional-dependencies"]
               .values() for text in extra]
    outside = [f"{req} ({pinned.get(req.name.lower())})" for req in ranges
               if pinned.get(req.name.lower()) not in req.specifier]
    assert outside == []


def test_the_wheel_lists_every_subpackage():
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "digit_recognizer").rglob("__init__.py")}
    assert set(PYPROJECT["tool"]["setuptools"]["packages"]) == found | {"digit_recognizer.models"}


def test_a_checkout_uses_its_top_level_models_folder():
    assert MODELS_DIR == ROOT / "models"
    assert not (ROOT / "digit_recognizer" / "models").exists()


# -- the wheel, installed away from the checkout -----------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the checkout, offline, with the venv's setuptools."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", out, source)
    [built] = out.glob("digit_recognizer-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel installed into a folder of its own; its dependencies come from the venv."""
    target = tmp_path_factory.mktemp("target")
    pip("install", "--no-deps", "--no-index", "--target", target, wheel)
    return target


def pip(*args: str | Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check",
                             *map(str, args)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def run_installed(target: Path, cwd: Path, *command: str | Path) -> subprocess.CompletedProcess:
    """``command`` run from ``cwd`` with only ``target`` (and the venv) to import from."""
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run(list(map(str, command)), cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def drawn_seven(tmp_path) -> Path:
    path = tmp_path / "seven.png"
    render_strokes(SEVEN, DRAWING_SIDE).save(path)
    return path


def test_the_wheel_carries_the_models_and_py_typed(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = {f"digit_recognizer/models/{p.name}" for p in (ROOT / "models").iterdir()
               if p.suffix in (".h5", ".onnx", ".json") or p.name.startswith("replay-")}
    assert bundled <= names
    assert "digit_recognizer/py.typed" in names
    assert not [n for n in names if n.endswith((".png", ".csv")) or n.startswith("tests/")]


def test_the_installed_package_reads_a_digit_with_its_own_model(installed, drawn_seven):
    code = ("from PIL import Image; from digit_recognizer import Recognizer; "
            "from digit_recognizer.core.catalogue import MODELS_DIR; "
            "r = Recognizer.bundled('model2'); "
            f"print(r.recognize(Image.open({str(drawn_seven)!r})).digit, r.runtime, MODELS_DIR)")
    result = run_installed(installed, drawn_seven.parent, sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    digit, runtime, models_dir = result.stdout.split()
    assert (digit, runtime) == ("7", "onnx")
    assert Path(models_dir) == installed / "digit_recognizer" / "models"


def test_the_installed_command_predicts(installed, drawn_seven):
    assert (installed / "bin" / "digit-recognizer-gui").is_file()
    result = run_installed(installed, drawn_seven.parent,
                           installed / "bin" / "digit-recognizer", "predict", drawn_seven.name)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["digit"] == 7


def test_the_installed_scripts_name_themselves_in_their_usage(installed, tmp_path):
    """A user who typed ``digit-recognizer`` is told ``digit-recognizer predict ...``, not the
    ``python -m`` form, and the GUI script its own name."""
    bin_dir = installed / "bin"
    top = run_installed(installed, tmp_path, bin_dir / "digit-recognizer", "--help")
    predict = run_installed(installed, tmp_path, bin_dir / "digit-recognizer", "predict", "--help")
    gui = run_installed(installed, tmp_path, bin_dir / "digit-recognizer-gui", "--help")
    assert top.stdout.startswith("usage: digit-recognizer COMMAND"), top.stdout
    assert "Run 'digit-recognizer COMMAND --help'" in top.stdout
    assert predict.stdout.startswith("usage: digit-recognizer predict"), predict.stdout
    assert gui.stdout.startswith("usage: digit-recognizer-gui"), gui.stdout
    assert "python -m" not in top.stdout + predict.stdout + gui.stdout
