"""The command line: ``python -m digit_recognizer COMMAND [options]``, or ``digit-recognizer
COMMAND [options]`` where the package is installed.

Commands: ``gui`` (the desktop app), ``train``, ``train-strokes``, ``fine-tune``, ``evaluate``,
``predict``, ``export``, ``calibrate``. Each lives in its own module and is imported only when
asked for, so ``gui`` starts without importing TensorFlow.
"""

from __future__ import annotations

import gc
import importlib
import sys
from pathlib import Path

COMMANDS = {
    "gui": ("digit_recognizer.app.gui", "open the drawing window"),
    "train": ("digit_recognizer.training.train_cli", "train a CNN on MNIST"),
    "train-strokes": ("digit_recognizer.training.stroke_training",
                      "train the stroke model on the pen data"),
    "fine-tune": ("digit_recognizer.training.fine_tuning.cli",
                  "teach a model your corrections in seconds"),
    "evaluate": ("digit_recognizer.evaluation.evaluate", "test-set accuracy of the models"),
    "predict": ("digit_recognizer.recognition.predict", "recognize digits in image files"),
    "export": ("digit_recognizer.training.export", "make the ONNX copies the app runs"),
    "calibrate": ("digit_recognizer.training.calibration", "choose where \"not a digit\" begins"),
}


PROG = "python -m digit_recognizer"


def usage(prog: str = PROG) -> str:
    lines = [f"usage: {prog} COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<14}{help_text}" for name, (_, help_text) in COMMANDS.items()]
    lines += ["", f"Run '{prog} COMMAND --help' for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    """Run the command ``argv`` names; ``prog`` is how its usage lines say it was started."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(prog))
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        print(f"error: unknown command {argv[0]!r}\n\n{usage(prog)}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return module.main(argv[1:], prog=f"{prog} {argv[0]}")


def invoked_as() -> str:
    """How this process was started, for usage lines: the installed script's name, or PROG."""
    name = Path(sys.argv[0]).name
    return PROG if name in ("__main__.py", "-m", "-c", "") else name


def entry_point() -> int:
    """``python -m digit_recognizer`` and the ``digit-recognizer`` script: ``main``, then exit."""
    code = main(prog=invoked_as())
    # The collection at interpreter exit walks TensorFlow's whole object graph: a second on 2
    # cores, longer than a fine-tune's fit. Frozen objects are skipped; exit handlers still run.
    gc.freeze()
    return code


def gui_entry_point() -> int:
    """The ``digit-recognizer-gui`` script: the window, its usage named for the script."""
    # As for every command: the package's top loads nothing until a command is chosen.
    from digit_recognizer.app.gui import main as gui_main

    return gui_main(prog=invoked_as())


if __name__ == "__main__":
    sys.exit(entry_point())
