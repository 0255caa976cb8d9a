"""Digit Recognizer: draw a digit, and a CNN trained on MNIST tells which one it is.

The package is in layers; each imports only the layers below it (tests/test_layers.py checks):

- ``devtools``: the virtual display, the window driver and the screenshot, for tests and
  benchmarks.
- ``app``: the desktop window, its background jobs, teaching and the personal model.
- ``evaluation``: the test sets and ``evaluate``; training never imports it.
- ``training``: the networks, their training data, ``train``, fine-tuning, calibration, export.
- ``recognition``: preprocessing and the model runners: any image -> a digit.
- ``core``: files, IDX, MNIST, result types, the confidence policy, the model catalogue and
  strokes.

``__main__`` is the command line (``python -m digit_recognizer COMMAND``).
"""

__version__ = "1.0.0"
