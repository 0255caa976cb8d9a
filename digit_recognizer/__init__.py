"""Digit Recognizer: draw a digit, and a CNN trained on MNIST tells which one it is.

Modules, each with one job, in the order data flows through them:
``idx`` (bytes <-> arrays), ``data`` (finding and verifying MNIST), ``models`` (network builders),
``train`` (training and evaluation), ``preprocess`` (any image -> MNIST-style 28x28),
``recognizer`` (model file -> predictions), ``gui`` (the window), ``__main__`` (the command line).
"""

__version__ = "1.0.0"
