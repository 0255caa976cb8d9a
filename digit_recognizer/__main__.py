"""The command line: ``python -m digit_recognizer COMMAND [options]``, or ``digit-recognizer
COMMAND [options]`` where the package is installed.

Commands: ``gui`` (the desktop app), ``train``, ``fine-tune``, ``evaluate``, ``predict``,
``export``, ``calibrate``. Each lives in its own module and is imported only when asked for,
so ``gui`` starts without importing TensorFlow.
"""

from __future__ import annotations

import gc
import importlib
import sys

COMMANDS = {
    "gui": ("digit_recognizer.app.gui", "open the drawing window"),
    "train": ("digit_recognizer.training.train_cli", "train a CNN on MNIST"),
    "fine-tune": ("digit_recognizer.training.fine_tuning.cli",
                  "teach a model your corrections in seconds"),
    "evaluate": ("digit_recognizer.evaluation.evaluate", "test-set accuracy of the models"),
    "predict": ("digit_recognizer.recognition.predict", "recognize digits in image files"),
    "export": ("digit_recognizer.training.export", "make the ONNX copies the app runs"),
    "calibrate": ("digit_recognizer.training.calibration", "choose where \"not a digit\" begins"),
}


def usage() -> str:
    lines = ["usage: python -m digit_recognizer COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<10}{help_text}" for name, (_, help_text) in COMMANDS.items()]
    lines += ["", "Run 'python -m digit_recognizer COMMAND --help' for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        print(f"error: unknown command {argv[0]!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return module.main(argv[1:])


def entry_point() -> int:
    """``python -m digit_recognizer`` and the ``digit-recognizer`` script: ``main``, then exit."""
    code = main()
    # The collection at interpreter exit walks TensorFlow's whole object graph: a second on 2
    # cores, longer than a fine-tune's fit. Frozen objects are skipped; exit handlers still run.
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(entry_point())
