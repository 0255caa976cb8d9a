"""The README's module map lists every subpackage of the package, and names each module under
its own subpackage, so a newcomer's map is never short of a module."""

from __future__ import annotations

import re
from pathlib import Path

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
