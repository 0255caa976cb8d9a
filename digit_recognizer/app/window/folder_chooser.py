"""A folder chooser in which a typed path and Enter choose that folder: ``ask_folder``.

Tk's own chooser on X11 (a Tcl dialog) takes Enter in its path entry as "go into this
folder" for a folder that exists, and as nothing at all, the first time, for a new one: a
typed path and Enter seemed to do nothing. ``ask_folder`` opens that chooser with Enter
rebound: the path typed (relative to the folder shown, ``~`` allowed) is chosen, a new one
included, and a path that is a file gets a message and leaves the chooser open. The native
choosers of Windows and macOS keep their own behaviour.
"""

from __future__ import annotations

import tkinter as tk
from functools import partial
from pathlib import Path
from tkinter import filedialog

__all__ = ["ask_folder", "chooser_path", "not_a_folder_message"]

DIALOG = "__tk_choosedir"  # the name Tk gives its chooser, a child of the parent
ENTRY = "contents.f2.ent"  # its path entry, inside it
SHOWN = f"::tk::dialog::file::{DIALOG}(selectPath)"  # the folder it shows
CHOSEN = "::tk::Priv(selectFilePath)"  # setting it ends the chooser with that path
RETRY_MS = 20  # until the chooser's entry exists


def ask_folder(parent: tk.Misc, *, initialdir: str, title: str) -> str:
    """Ask for a folder, new or existing; its path, or '' if the user cancelled."""
    pending: list[str] = []  # the call that will rebind Enter, until it has
    if parent.tk.call("tk", "windowingsystem") == "x11":
        pending.append(parent.after_idle(_take_enter, parent, pending))
    try:
        return filedialog.askdirectory(parent=parent, mustexist=False, initialdir=initialdir,
                                       title=title)
    finally:
        for after_id in pending:  # the chooser never opened (a test's stand-in for it)
            parent.after_cancel(after_id)


def chooser_path(parent: tk.Misc) -> str:
    """The Tcl path of the chooser that ``ask_folder(parent, …)`` opens."""
    return f"{'' if str(parent) == '.' else parent}.{DIALOG}"


def not_a_folder_message(path: Path) -> str:
    return f"{path} is a file, not a folder. Type the path of a folder (a new one is made)."


def _take_enter(parent: tk.Misc, pending: list[str]) -> None:
    """Bind Enter in the chooser's entry to ``_choose_typed``, once the chooser is up."""
    pending.clear()
    dialog = chooser_path(parent)
    entry = f"{dialog}.{ENTRY}"
    if not int(parent.tk.call("winfo", "exists", entry)):
        pending.append(parent.after(RETRY_MS, _take_enter, parent, pending))
        return
    command = parent.register(partial(_choose_typed, parent, dialog, entry))
    for sequence in ("<Return>", "<KP_Enter>"):
        parent.tk.call("bind", entry, sequence, f"{command}; break")


def _choose_typed(parent: tk.Misc, dialog: str, entry: str) -> None:
    """Enter in the entry: choose the folder typed (the one shown if nothing is), or say why
    a file cannot be one."""
    call = parent.tk.call
    typed = Path(str(call(entry, "get")).strip()).expanduser()
    path = Path(str(call("set", SHOWN))) / typed  # an absolute path typed replaces it
    if path.exists() and not path.is_dir():
        call("tk_messageBox", "-parent", dialog, "-icon", "warning", "-type", "ok",
             "-title", "Not a folder", "-message", not_a_folder_message(path))
        call("focus", entry)
        return
    call("set", CHOSEN, str(path))
