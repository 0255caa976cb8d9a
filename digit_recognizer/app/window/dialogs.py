"""Small windows the app opens over itself: keyboard shortcuts, About, and a message's details.

Each is a Toplevel transient to its parent, centred over it, closed by its Close button,
Escape or Enter, and returned so that callers and tests can inspect it. Text is laid out in
aligned columns and never wrapped by Tk: a long value such as a file path shows whole, on one
line, in a read-only entry that can be selected and copied.

Closing any dialog, these (``close_dialog``) and Tk's own, file choosers and questions
(``return_focus``; ``ask_yes_no`` asks one, No by default), gives the keyboard focus back to
the window under it. ``StartFolder`` says where a file chooser opens.
"""

from __future__ import annotations

import math
import os
import tkinter as tk
from collections.abc import Sequence
from pathlib import Path
from tkinter import font as tkfont
from tkinter import messagebox, ttk

from digit_recognizer.app.window.widgets import INK, style_background

__all__ = [
    "StartFolder",
    "about_dialog",
    "ask_yes_no",
    "centre",
    "close_dialog",
    "details_dialog",
    "return_focus",
    "shortcuts_dialog",
    "wrap_lines",
]

MUTED_TEXT = "#555"  # labels beside values, as the window's own captions
DETAILS_WIDTH = 64  # characters per line of the details text
DETAILS_MAX_LINES = 16  # beyond this the details text scrolls
SCREEN_SHARE = 0.9  # a dialog never asks for more of the screen's width than this


def shortcuts_dialog(parent: tk.Misc, rows: Sequence[tuple[str, str]], *,
                     modal: bool = False) -> tk.Toplevel:
    """"Keyboard shortcuts": keys in the left column, what they do in the right.

    Widgets are named ``keys<i>`` and ``action<i>`` (row i), for tests.
    """
    top, body = _open(parent, "Keyboard shortcuts")
    key_font = tkfont.nametofont("TkHeadingFont")  # bold: the keys are what one looks for
    for i, (keys, action) in enumerate(rows):
        # no wraplength: each row stays on one line, however wide the column grows
        ttk.Label(body, name=f"keys{i}", text=keys, font=key_font).grid(
            row=i, column=0, sticky="w", padx=(0, 18), pady=1)
        ttk.Label(body, name=f"action{i}", text=action).grid(row=i, column=1, sticky="w", pady=1)
    return _finish(top, body, len(rows), modal)


def about_dialog(parent: tk.Misc, title: str, lines: Sequence[tuple[str, str]], *,
                 modal: bool = False) -> tk.Toplevel:
    """``title`` over rows of label and value (versions, model, file, accuracy…).

    A row ``("", "")`` leaves a gap between groups. Values are read-only entries named
    ``value<i>``, as wide as their text, so that a path shows whole and can be copied.
    """
    top, body = _open(parent, title)
    room = round(top.winfo_screenwidth() * SCREEN_SHARE)
    for i, (label, value) in enumerate(lines):
        if not label and not value:
            body.rowconfigure(i, minsize=10)
            continue
        ttk.Label(body, name=f"label{i}", text=label, foreground=MUTED_TEXT).grid(
            row=i, column=0, sticky="nw", padx=(0, 12), pady=1)
        _value_entry(body, f"value{i}", value, room).grid(row=i, column=1, sticky="w", pady=1)
    return _finish(top, body, len(lines), modal)


def details_dialog(parent: tk.Misc, title: str, text: str, *,
                   modal: bool = False) -> tk.Toplevel:
    """The whole of ``text`` (e.g. a status message and the error behind it), selectable.

    The text widget is named ``text``; it scrolls only when the text is longer than
    ``DETAILS_MAX_LINES`` lines.
    """
    top, body = _open(parent, title)
    body.columnconfigure(0, weight=1)
    body.rowconfigure(0, weight=1)
    view = tk.Text(body, name="text", wrap="word", width=DETAILS_WIDTH,
                   height=DETAILS_MAX_LINES, font="TkTextFont", foreground=INK,
                   padx=6, pady=4, relief="flat", highlightthickness=1)
    view.insert("1.0", text)
    # disabled: read-only, as idlelib's text viewer; selecting and copying still work
    view.configure(state="disabled")
    view.bind("<1>", lambda _event: view.focus_set())  # so that Ctrl+C reaches it
    view.grid(row=0, column=0, sticky="nsew")
    # Counted here, not by the Text: it lays its lines out only once the dialog is mapped.
    font = tkfont.nametofont("TkTextFont")
    lines = len(wrap_lines(text, font, DETAILS_WIDTH * font.measure("0")))
    view.configure(height=min(lines, DETAILS_MAX_LINES))
    if lines > DETAILS_MAX_LINES:
        scroll = ttk.Scrollbar(body, orient="vertical", command=view.yview)
        view.configure(yscrollcommand=scroll.set)
        scroll.grid(row=0, column=1, sticky="ns")
    return _finish(top, body, 1, modal)


def wrap_lines(text: str, font: tkfont.Font, width: int) -> list[str]:
    """``text`` broken at spaces into lines at most ``width`` pixels wide in ``font``.

    Lines break where the text has newlines, and otherwise only between words, as Tk's own
    word wrap does; a word wider than ``width`` keeps a line of its own (and overflows it).
    """
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and font.measure(candidate) > width:
                lines.append(line)
                candidate = word
            line = candidate
        lines.append(line)
    return lines


# -- shared by every dialog ------------------------------------------------------------------


def _open(parent: tk.Misc, title: str) -> tuple[tk.Toplevel, ttk.Frame]:
    """A withdrawn Toplevel over ``parent`` and the padded frame that holds its content."""
    top = tk.Toplevel(parent)
    top.withdraw()  # shown by _finish once placed, so it never flashes at the screen's corner
    top.title(title)
    top.transient(parent.winfo_toplevel())
    top.configure(background=style_background(parent))
    top.columnconfigure(0, weight=1)
    top.rowconfigure(0, weight=1)
    body = ttk.Frame(top, name="body", padding=14)
    body.grid(row=0, column=0, sticky="nsew")
    top.protocol("WM_DELETE_WINDOW", lambda: close_dialog(top))
    for sequence in ("<Escape>", "<Return>", "<KP_Enter>"):
        top.bind(sequence, lambda _event: close_dialog(top))
    return top, body


def _finish(top: tk.Toplevel, body: ttk.Frame, row: int, modal: bool) -> tk.Toplevel:
    """Add the Close button under ``row``, place the dialog over its parent and show it."""
    close = ttk.Button(body, name="close", text="Close", command=lambda: close_dialog(top),
                       default="active")
    close.grid(row=row, column=0, columnspan=2, sticky="e", pady=(14, 0))
    centre(top)
    top.deiconify()
    close.focus_set()
    if modal:
        top.wait_visibility()  # a grab needs a viewable window
        top.grab_set()
    return top


def centre(top: tk.Toplevel) -> None:
    """Put ``top`` over the middle of its parent's window, inside the screen."""
    top.update_idletasks()
    owner = top.master.winfo_toplevel()
    width, height = top.winfo_reqwidth(), top.winfo_reqheight()
    x = owner.winfo_rootx() + (owner.winfo_width() - width) // 2
    y = owner.winfo_rooty() + (owner.winfo_height() - height) // 3
    x = max(0, min(x, top.winfo_screenwidth() - width))
    y = max(0, min(y, top.winfo_screenheight() - height))
    top.geometry(f"+{x}+{y}")


def _value_entry(parent: tk.Misc, name: str, value: str, room: int) -> tk.Entry:
    """A flat read-only entry that looks like a label, as wide as ``value`` (up to ``room``)."""
    font = tkfont.nametofont("TkDefaultFont")
    # Entry widths count average characters ("0"); measure the real text so none is hidden.
    chars = math.ceil(min(font.measure(value), room) / font.measure("0")) + 1
    entry = tk.Entry(parent, name=name, font=font, width=chars, relief="flat", borderwidth=0,
                     highlightthickness=0, foreground=INK, takefocus=0,
                     readonlybackground=style_background(parent))
    entry.insert(0, value)
    entry.configure(state="readonly")
    return entry


def close_dialog(top: tk.Toplevel) -> None:
    """Close ``top`` as its Close button, Escape, Enter and the title bar's close box do.

    The keyboard focus goes back to the window under it first, while this app still holds it:
    once ``top`` is gone, the window manager decides, and may give it to no window, so that the
    main window's keys (Ctrl+Q, Enter…) would do nothing until a click.
    """
    if top.master.winfo_exists():
        _last_focus(top.master).focus_set()
    top.destroy()


def ask_yes_no(parent: tk.Misc, title: str, question: str, *, warning: bool = False) -> bool:
    """Ask ``question`` with Yes and No (Tk's own dialog); True for Yes.

    No is the default button: Enter, pressed out of habit, changes nothing. The keyboard focus
    comes back to ``parent``'s window afterwards (``return_focus``).
    """
    answer = messagebox.askyesno(title, question, parent=parent, default=messagebox.NO,
                                 icon=messagebox.WARNING if warning else messagebox.QUESTION)
    return_focus(parent)
    return bool(answer)


def return_focus(window: tk.Misc) -> None:
    """After one of Tk's own dialogs (a file chooser, a question) has returned, put the keyboard
    focus back on the widget of ``window``'s toplevel that last had it.

    Tk gives it back only to a widget that had it when the dialog opened, and its file chooser
    is hidden rather than destroyed, so Tk may still believe it has the focus that X has taken
    away. The user has just answered this app, so the focus is taken back (``focus -force``).
    """
    if window.winfo_exists():
        _last_focus(window).focus_force()


def _last_focus(window: tk.Misc) -> tk.Misc:
    """The widget of ``window``'s toplevel that last had the focus, else the toplevel."""
    owner = window.winfo_toplevel()
    return owner.focus_lastfor() or owner


class StartFolder:
    """Where a file chooser opens: the folder of what the user last chose this session (a file
    opened or saved, an export), else the home folder, never the folder the app runs in."""

    def __init__(self) -> None:
        self.last: Path | None = None

    def __str__(self) -> str:
        """The folder, for a chooser's ``initialdir``."""
        if self.last is not None and self.last.is_dir():
            return str(self.last)
        return str(Path.home())

    def chose(self, path: str | os.PathLike | None) -> None:
        """The user chose ``path`` (a file, or a folder to export into; None or '': nothing):
        the next chooser opens in the folder that holds it."""
        if path:
            self.last = Path(path).expanduser().absolute().parent
