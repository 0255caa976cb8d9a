# Two commands on a fresh Linux machine with Python 3.11:
#   make run    installs everything into .venv/ and starts the app
#   make test   installs everything (and Xvfb) and runs the whole test suite (about 8 min on 2 cores)
# For the inner loop: make quick runs the quick tier (under 2 minutes): every test not marked
# slow, so no training, no window and no notebook (the markers are in pyproject.toml;
# tests/conftest.py marks by fixture).
# Other targets: make bench (benchmarks table), make notebook (re-runs the notebook over the
# bundled models, outputs saved in place), make onnx (remakes the models' ONNX copies that are
# out of date; training makes them by itself), make screenshot (re-takes docs/screenshot.png
# from the real app on a virtual display; the tests never write it).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP_INSTALL := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt
MNIST_DIR ?= $(wildcard ../shared/data/mnist)
export MNIST_DIR
export TF_CPP_MIN_LOG_LEVEL ?= 2
# Two pytest-xdist workers, a test file each at a time (a file's module fixtures are made once);
# they share the one training run that tests/conftest.py starts. WORKERS= runs in one process.
WORKERS ?= -n 2 --dist loadfile

.PHONY: run test quick bench screenshot notebook onnx xvfb check-tk

run: $(VENV)/.installed check-tk
	$(PY) main.py

test: $(VENV)/.installed-dev check-tk xvfb
	$(PY) -m pytest $(WORKERS)

quick: $(VENV)/.installed-dev check-tk
	$(PY) -m pytest $(WORKERS) -m "not slow"

bench: $(VENV)/.installed-dev xvfb
	$(PY) benchmarks/run_all.py

screenshot: $(VENV)/.installed-dev xvfb
	$(PY) -m digit_recognizer.devtools.screenshot --out docs/screenshot.png

onnx: $(VENV)/.installed
	$(PY) -m digit_recognizer export

notebook: $(VENV)/.installed
	$(PY) -m papermill digit_recognizer.ipynb digit_recognizer.ipynb -p QUICK False

$(VENV)/.installed: requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $@

# Tk ships with Python, except on distributions that split it out (Debian: python3-tk).
check-tk:
	@$(PY) -c "import tkinter" 2>/dev/null || { \
	  echo "Python's Tk support is missing: install it (Debian/Ubuntu: apt-get install python3-tk)"; \
	  exit 1; }

# The window tests run on a virtual display. Install Xvfb where we may (root with apt-get);
# elsewhere say what is missing: those tests then fail with the same message.
xvfb:
	@command -v Xvfb >/dev/null && command -v xdotool >/dev/null && command -v import >/dev/null \
	|| { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	       apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	         xvfb xdotool x11-utils imagemagick >/dev/null; \
	     else echo "Xvfb, xdotool or ImageMagick missing and not root: install xvfb, xdotool, \
	x11-utils and imagemagick for the window tests"; fi; }
