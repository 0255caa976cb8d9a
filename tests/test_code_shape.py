"""The package stays easy to find one's way in: a short listing at its root, small subpackages,
short modules, functions and classes, one home for the list of bundled models, and light
modules that stay light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from digit_recognizer.core.catalogue import BUNDLED_MODELS, ENSEMBLE

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "digit_recognizer"
MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 300
MAX_MODULE_LINES = 400
MAX_ROOT_ENTRIES = 12  # the package's own listing: __init__, __main__ and the layers
MAX_SUBPACKAGE_MODULES = 15


def modules() -> list[Path]:
    """Every module of the package, in every subpackage."""
    return sorted(PACKAGE.rglob("*.py"))


def definitions() -> list[tuple[str, ast.AST]]:
    """Every function and class in the package, with the file it is in."""
    found = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.append((str(path.relative_to(PACKAGE)), node))
    return found


def lines(node: ast.AST) -> int:
    return node.end_lineno - node.lineno + 1


def test_no_function_is_longer_than_60_lines():
    long = [f"{file}: {node.name} ({lines(node)} lines)" for file, node in definitions()
            if not isinstance(node, ast.ClassDef) and lines(node) > MAX_FUNCTION_LINES]
    assert long == []


def test_no_class_is_longer_than_300_lines():
    large = [f"{file}: {node.name} ({lines(node)} lines)" for file, node in definitions()
             if isinstance(node, ast.ClassDef) and lines(node) > MAX_CLASS_LINES]
    assert large == []


def code_strings(path: Path) -> list[str]:
    """The string constants in a module's code, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and id(node) not in docstrings]


def test_only_the_catalogue_names_the_bundled_model_files():
    names = [m.file for m in BUNDLED_MODELS] + [ENSEMBLE.metadata_file]
    naming = sorted({path.name for path in modules()
                     if any(name in text for text in code_strings(path) for name in names)})
    assert naming == ["catalogue.py"]


def test_the_package_root_lists_only_its_layers():
    entries = [p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"]
    assert len(entries) <= MAX_ROOT_ENTRIES, sorted(entries)
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py", "__main__.py"]


def test_no_subpackage_holds_more_than_15_modules():
    crowded = {str(folder.relative_to(PACKAGE)): count for folder in [PACKAGE, *PACKAGE.rglob("*/")]
               if folder.name != "__pycache__"
               and (count := len([p for p in folder.glob("*.py") if p.name != "__init__.py"]))
               > MAX_SUBPACKAGE_MODULES}
    assert crowded == {}


def test_no_module_is_longer_than_400_lines():
    long = {str(path.relative_to(PACKAGE)): count for path in modules()
            if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


@pytest.mark.parametrize("module", ["", ".core.catalogue", ".core.results", ".app.settings",
                                    ".app.gui"])
def test_light_modules_import_neither_tensorflow_nor_opencv(module):
    heavy = "('tensorflow', 'keras', 'cv2')"
    code = (f"import sys, digit_recognizer{module}; "
            f"print([m for m in {heavy} if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
