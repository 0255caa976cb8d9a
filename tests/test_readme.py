"""The README's module map lists every subpackage of the package, and names each module under
its own subpackage, so a newcomer's map is never short of a module; its Python example runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from digit_recognizer.core.strokes import DRAWING_SIDE, Stroke, render_strokes

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "digit_recognizer"
MAP_HEADING = "### The package, layer by layer"


def readme_map() -> dict[str, set[str]]:
    """Each subpackage the map lists (``core``, ``app/window``...) -> the modules it names."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(MAP_HEADING, 1)[1].split("\n#", 1)[0]
    entries = re.split(r"^- ", section, flags=re.M)[1:]
    listed = {}
    for entry in entries:
        folder = re.match(r"`([\w/]+)/`", entry)
        if folder:
            listed[folder.group(1)] = set(re.findall(r"`(\w+)`", entry))
    return listed


def package_map() -> dict[str, set[str]]:
    """Each subpackage of the package -> its modules (``__init__`` left out)."""
    found = {}
    for init in PACKAGE.rglob("__init__.py"):
        folder = init.parent.relative_to(PACKAGE).as_posix()
        if folder != ".":
            found[folder] = {p.stem for p in init.parent.glob("*.py") if p.stem != "__init__"}
    return found


def test_the_module_map_lists_every_subpackage():
    assert sorted(readme_map()) == sorted(package_map())


def test_the_module_map_names_every_module_where_it_lives():
    listed = readme_map()
    missing = {folder: sorted(modules - listed.get(folder, set()))
               for folder, modules in package_map().items() if modules - listed.get(folder, set())}
    assert missing == {}


def python_example(heading: str) -> str:
    """The first Python code block under ``heading`` in the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("\n```", 1)[0]


def test_the_use_it_from_python_example_runs(tmp_path, mnist_dir):
    seven = [Stroke(18.0, [(80, 60), (200, 60), (130, 230)])]
    one = [Stroke(18.0, [(140, 40), (140, 240)])]
    render_strokes(seven, DRAWING_SIDE).save(tmp_path / "digit.png")
    number = np.hstack([np.asarray(render_strokes(s, DRAWING_SIDE)) for s in (one, seven)])
    Image.fromarray(number).save(tmp_path / "number.png")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MNIST_DIR": str(mnist_dir)}
    result = subprocess.run([sys.executable, "-c", python_example("## Use it from Python")],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    digit, number_text, accuracy = result.stdout.splitlines()
    assert digit.split()[0] == "7" and digit.endswith("False")
    assert number_text == "17"
    assert float(accuracy) > 0.95
