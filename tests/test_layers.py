"""The package's layers import only downwards, and no module imports itself round a cycle.

The layers are import-linter's contract in pyproject.toml (devtools > app > evaluation >
training > recognition > core); within the app, the window's parts (``app.window``) sit below
the modules that drive them. Imports inside functions count: grimp, which import-linter is
built on, reads every import in a module, wherever it stands.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "digit_recognizer"
# Imports of the package's own modules inside functions: each keeps TensorFlow/Keras, OpenCV or
# matplotlib off a start path, and says so on its line or the line above.
MAX_INNER_IMPORTS = 15


def own_graph() -> dict[str, set[str]]:
    """Each of the package's modules -> the package's modules it imports."""
    graph = grimp.build_graph("digit_recognizer", cache_dir=None)
    return {module: {imported for imported in graph.find_modules_directly_imported_by(module)}
            for module in graph.modules}


def inner_imports() -> list[tuple[Path, int, str]]:
    """(file, line, source line) of each import of the package inside a function."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8").splitlines()
        for function in ast.walk(ast.parse("\n".join(source))):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                        "digit_recognizer") or isinstance(node, ast.Import) and any(
                        alias.name.startswith("digit_recognizer") for alias in node.names):
                    found.append((path, node.lineno, source[node.lineno - 1]))
    return sorted(set(found))


def test_each_layer_imports_only_the_layers_below_it():
    result = subprocess.run([Path(sys.executable).parent / "lint-imports", "--no-cache"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_window_parts_import_nothing_of_the_app_above_them():
    upward = sorted(f"{module} -> {imported}" for module, imports in own_graph().items()
                    if module.startswith("digit_recognizer.app.window")
                    for imported in imports if imported.startswith("digit_recognizer.app.")
                    and not imported.startswith("digit_recognizer.app.window"))
    assert upward == []


def test_no_import_cycles():
    try:
        tuple(graphlib.TopologicalSorter(own_graph()).static_order())
    except graphlib.CycleError as err:
        raise AssertionError(f"import cycle: {' -> '.join(err.args[1])}") from None


def test_imports_inside_functions_are_few_and_say_why():
    found = inner_imports()
    unexplained = [f"{path.relative_to(ROOT)}:{line}" for path, line, text in found
                   if "#" not in text and "#" not in
                   path.read_text(encoding="utf-8").splitlines()[line - 2]]
    assert unexplained == []
    assert len(found) <= MAX_INNER_IMPORTS, [f"{p.relative_to(ROOT)}:{n}" for p, n, _ in found]
