"""IDX and MNIST tools, as a command and as a module.

    python mnist.py info ../shared/data/mnist/train-images-idx3-ubyte.gz
    python mnist.py --help

    import mnist
    images = mnist.read_idx("train-images-idx3-ubyte.gz")  # (60000, 28, 28) uint8
    (x_train, y_train), (x_test, y_test) = mnist.load_mnist()
"""

import sys

from digit_recognizer.core.datasets.errors import MnistError
from digit_recognizer.core.datasets.mnist import load_mnist
from digit_recognizer.core.idx import IdxError, read_header, read_idx, write_idx
from digit_recognizer.recognition.mnist_tool import main

__all__ = ["IdxError", "MnistError", "load_mnist", "main", "read_header", "read_idx", "write_idx"]

if __name__ == "__main__":
    sys.exit(main())
