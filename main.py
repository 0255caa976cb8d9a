"""Start the Digit Recognizer window: ``python main.py [--model model1|model2|both|PATH]``."""

import sys

from digit_recognizer.app.gui import main

if __name__ == "__main__":
    sys.exit(main(prog="python main.py"))
