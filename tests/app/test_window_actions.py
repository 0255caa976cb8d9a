"""The window's one table of actions, in the real window on Xvfb: every menu entry, shortcut
and button is bound to a callable of the table when the window is built, a name the table
lacks is refused then (not when a person presses the key), and a table missing an action
cannot be made. Also: what teaching may use of the app is what ``TeachingHost`` names.

    MNIST_DIR=../shared/data/mnist python -m pytest tests/app/test_window_actions.py -q
"""

from __future__ import annotations

import ast
import inspect
import tkinter as tk
from dataclasses import replace

import pytest

from digit_recognizer.app import user_files
from digit_recognizer.app.action_table import window_actions
from digit_recognizer.app.teaching_view import TeachingHost
from digit_recognizer.app.window import main_window, toolbar
from digit_recognizer.app.window.actions import UnknownActionError, WindowActions, action_names
from digit_recognizer.app.window.help_info import SHORTCUTS

pytestmark = pytest.mark.usefixtures("collect_garbage_on_tk_thread")



def tcl_command(widget: tk.Misc, name: str) -> bool:
    """Whether ``name`` is a Tcl command, as Tk makes one of each Python callable bound."""
    return bool(name) and bool(widget.tk.call("info", "commands", name))


def menu_commands(menu: tk.Menu) -> dict[str, str]:
    """label -> the Tcl command of each entry that acts (not separators nor cascades)."""
    return {str(menu.entrycget(i, "label")): str(menu.entrycget(i, "command"))
            for i in range(menu.index("end") + 1)
            if menu.type(i) in ("command", "radiobutton", "checkbutton")}


def test_every_menu_entry_is_bound_to_a_callable(app):
    w = app.window
    menus = {"File": w.file_menu, "Model": w.model_menu, "Help": w.help_menu}
    for title, menu in menus.items():
        commands = menu_commands(menu)
        assert commands, title
        unbound = [label for label, command in commands.items()
                   if not tcl_command(menu, command)]
        assert unbound == [], f"{title} menu entries without an action: {unbound}"
    labels = {label for menu in menus.values() for label in menu_commands(menu)}
    for items in (main_window.FILE_MENU, main_window.HELP_MENU):
        assert {item[0] for item in items if item is not None} <= labels


def test_every_shortcut_and_button_is_bound_to_a_callable(app):
    w = app.window
    sequences = [s for sequences, *_ in SHORTCUTS for s in sequences]
    sequences += [f"<Control-Key-{digit}>" for digit in range(10)]
    unbound = [sequence for sequence in sequences if not app.root.bind(sequence)]
    assert unbound == []
    buttons = [w.toolbar.undo_button, w.toolbar.redo_button, w.toolbar.clear_button,
               w.toolbar.predict_button, *w.teach_bar.buttons]
    assert [b for b in buttons if not tcl_command(b, str(b.cget("command")))] == []
    assert w.canvas.pick == w.answer.pick == w.actions.pick_digit


def test_menu_entries_and_keys_do_what_they_say(app):
    """Through the table, not by name: Help ▸ Keyboard shortcuts opens its window, File ▸
    Save drawing with nothing drawn says so, and F1 opens the shortcuts too."""
    help_menu = app.window.help_menu
    help_menu.invoke(help_menu.index("Keyboard shortcuts"))
    app.root.update()
    tops = [c for c in app.root.winfo_children() if isinstance(c, tk.Toplevel)]
    assert [top.title() for top in tops] == ["Keyboard shortcuts"]
    tops[0].destroy()
    file_menu = app.window.file_menu
    file_menu.invoke(file_menu.index("Save drawing…"))
    assert app.window.status.text == "Nothing to save yet: draw a digit first."
    app.window.canvas.focus_force()
    app.window.canvas.event_generate("<F1>")
    app.root.update()
    assert any(isinstance(c, tk.Toplevel) for c in app.root.winfo_children())


@pytest.mark.parametrize("where", ["menu", "shortcut", "toolbar"])
def test_a_name_the_table_lacks_is_refused_while_the_window_is_built(app, monkeypatch, where):
    if where == "menu":
        monkeypatch.setattr(main_window, "HELP_MENU",
                            (*main_window.HELP_MENU, ("Bogus", "", "shwo_about")))
        app.window.help_menu.add_command(label="Bogus")  # as _menus would have built it
    elif where == "shortcut":
        monkeypatch.setattr(main_window, "SHORTCUTS",
                            (*SHORTCUTS, (("<F2>",), "F2", "Bogus", "shwo_about")))
    else:
        monkeypatch.setattr(toolbar, "TOOLBAR_BUTTONS",
                            (*toolbar.TOOLBAR_BUTTONS[:2], ("Clear", "claer")))
    with pytest.raises(UnknownActionError, match="shwo_about|claer"):
        app.window.connect(window_actions(app))  # what the app's constructor does


def test_a_table_missing_an_action_or_holding_no_callable_cannot_be_made(app):
    table = window_actions(app)
    present = {name: getattr(table, name) for name in action_names() if name != "undo"}
    with pytest.raises(TypeError, match="undo"):
        WindowActions(**present)
    with pytest.raises(TypeError, match="'teach' is not callable"):
        replace(table, teach="teach")


def test_teaching_uses_only_what_teaching_host_names(app):
    """``PersonalTeaching`` reaches the app only through ``TeachingHost``'s members, and the
    real app has every one of them."""
    tree = ast.parse(inspect.getsource(user_files.PersonalTeaching))
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute) and node.value.attr == "app"
            and isinstance(node.value.value, ast.Name) and node.value.value.id == "self"}
    used |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
             and isinstance(node.value, ast.Name) and node.value.id == "app"}
    named = {name for name in dir(TeachingHost) if not name.startswith("_")}
    named |= set(TeachingHost.__annotations__)
    assert used and used <= named, used - named
    assert isinstance(app, TeachingHost)
    assert inspect.signature(user_files.PersonalTeaching).parameters["app"].annotation \
        == "TeachingHost"
