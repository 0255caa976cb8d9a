"""Shared fixtures: where MNIST is, one small training run and its model, a virtual display
for widgets; and the tiers' marks (``training``, ``window``, ``slow``)."""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from digit_recognizer.devtools.xvfb import XvfbError, virtual_display

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


# The tiers (``make quick`` runs ``pytest -m "not slow"``): tests that use these fixtures,
# directly or through others, are marked as the pyproject's markers describe.
TRAINING_FIXTURES = {"trained_run", "small_model_path"}
WINDOW_FIXTURES = {"display"}


def pytest_collection_modifyitems(items):
    """Mark tests by the fixtures they use; each training or window test is slow too."""
    for item in items:
        used = set(item.fixturenames)  # with the fixtures' own fixtures
        if used & TRAINING_FIXTURES:
            item.add_marker(pytest.mark.training)
        if used & WINDOW_FIXTURES:
            item.add_marker(pytest.mark.window)
        if item.get_closest_marker("training") or item.get_closest_marker("window"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def package_log_as_it_was():
    """Put the ``digit_recognizer`` logger back as it was after each test.

    The app's ``main`` sends the package's log to the stderr of that moment, which pytest
    captures per test; a later test's log line would go to that closed capture and print
    "--- Logging error ---" into its own output.
    """
    logger = logging.getLogger("digit_recognizer")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder holding the four MNIST files, from MNIST_DIR (CI sets it)."""
    value = os.environ.get("MNIST_DIR")
    if not value or not Path(value).is_dir():
        pytest.fail("MNIST_DIR must name the folder with the four MNIST files "
                    "(e.g. MNIST_DIR=../shared/data/mnist); see README 'Getting MNIST'")
    return Path(value)


@dataclass(frozen=True)
class TrainedRun:
    """What ``trained_run`` ran and where its files lie."""

    out: Path  # the model file; the run's other files lie beside it (``file``)
    done: subprocess.CompletedProcess  # the command's exit status, stdout and stderr
    limit: int  # MNIST training images it took: the first ``limit``
    extra: Path  # the --extra-data folder: MNIST training images ``limit`` to ``limit + 50``

    def file(self, suffix: str) -> Path:
        """The file the run wrote beside its model, e.g. ``file(".log.csv")``."""
        return self.out.with_name(self.out.stem + suffix)


class StartedRun:
    """``trained_run``'s train command, running in its own process group; ``wait()`` for it.

    The run lives in a folder named for this pytest session, shared by its xdist workers
    (``make test`` runs two): the first worker to create the folder starts the command, and
    every worker waits for the exit status the command's shell leaves there (``rc``).
    """

    LIMIT = 3000

    def __init__(self, folder: Path):
        self.folder = folder
        self.extra = folder / "extra"
        self.out = folder / "quick.h5"

    def start(self, mnist_dir: Path) -> None:
        """Write the --extra-data digits and start the command; returns at once. If it cannot
        start, the folder says so as a failed run would, so no worker waits for nothing."""
        from digit_recognizer.core.datasets.mnist import load_mnist
        from digit_recognizer.core.idx import write_idx

        try:
            (x, y), _ = load_mnist(mnist_dir)
        except Exception as err:
            (self.folder / "stdout.txt").write_text("")
            (self.folder / "stderr.txt").write_text(f"MNIST could not be read: {err}")
            (self.folder / "rc").write_text("1")
            raise
        write_idx(self.extra / "more-images-idx3-ubyte", x[self.LIMIT:self.LIMIT + 50])
        write_idx(self.extra / "more-labels-idx1-ubyte", y[self.LIMIT:self.LIMIT + 50])
        # Files, not pipes: nobody reads a pipe meanwhile, and a full one would stop the run.
        # The shell leaves the exit status where every worker can see it, "rc" last.
        script = 'd=$1; shift; "$@" >"$d/stdout.txt" 2>"$d/stderr.txt"; echo $? >"$d/rc.tmp"; ' \
                 'mv "$d/rc.tmp" "$d/rc"'
        process = subprocess.Popen(["sh", "-c", script, "sh", self.folder, *self.args(mnist_dir)],
                                   cwd=ROOT, start_new_session=True)
        (self.folder / "pgid").write_text(str(process.pid))

    def args(self, mnist_dir: Path) -> list[str]:
        return [sys.executable, "-m", "digit_recognizer", "train", "--model", "adadelta",
                "--limit", str(self.LIMIT), "--epochs", "2", "--extra-data", str(self.extra),
                "--data-dir", str(mnist_dir), "--out", str(self.out)]

    def wait(self, mnist_dir: Path, timeout: float = 900) -> TrainedRun:
        rc, waited = self.folder / "rc", 0.0
        while not rc.exists():
            if waited > timeout:
                self.stop()
                pytest.fail(f"the train command ran past {timeout:.0f} s")
            time.sleep(0.5)
            waited += 0.5
        done = subprocess.CompletedProcess(self.args(mnist_dir), int(rc.read_text()),
                                           (self.folder / "stdout.txt").read_text(),
                                           (self.folder / "stderr.txt").read_text())
        return TrainedRun(self.out, done, self.LIMIT, self.extra)

    def stop(self) -> None:
        """End the command if it still runs (a session stopped early: -x, Ctrl-C)."""
        pgid = self.folder / "pgid"
        if pgid.exists() and not (self.folder / "rc").exists():
            try:
                os.killpg(int(pgid.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass


def shared_run() -> StartedRun:
    """This session's ``StartedRun``, the same folder in every xdist worker."""
    session = os.environ["DIGIT_RECOGNIZER_TEST_SESSION"]
    return StartedRun(Path(tempfile.gettempdir()) / f"digit-recognizer-trained-run-{session}")


def pytest_configure(config):
    # Set before xdist starts its workers, which inherit it; theirs then stays.
    os.environ.setdefault("DIGIT_RECOGNIZER_TEST_SESSION", f"{os.getpid()}-{time.time_ns()}")


def pytest_collection_finish(session):
    """Start ``trained_run``'s command as soon as the tests are known, if one of them uses it.

    It then trains beside the first tests (the window tests leave a core idle) instead of
    holding up the first test that needs it.
    """
    mnist = os.environ.get("MNIST_DIR")
    if session.config.option.collectonly or not mnist or not Path(mnist).is_dir():
        return  # without MNIST, the mnist_dir fixture fails those tests with the reason
    if any("trained_run" in getattr(item, "fixturenames", ()) for item in session.items):
        run = shared_run()
        try:
            run.folder.mkdir()  # one worker wins; the others find the run started
        except FileExistsError:
            return
        run.start(Path(mnist))


def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput"):
        return  # a worker: the controller ends the run once every worker is done
    run = shared_run()
    run.stop()
    shutil.rmtree(run.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def trained_run(mnist_dir) -> TrainedRun:
    """One small run of the train command, made once per session, that several tests read.

    Model 1, 2 epochs over the first 3,000 MNIST images plus 50 more through --extra-data,
    with figures and training variants as by default (~1-2 min; started at the session's
    start, ``pytest_collection_finish``). Tests must not write into its folder: copy the files
    they change.
    """
    run = shared_run()
    try:
        run.folder.mkdir()  # not started by collection: a test asked for it by itself
        run.start(mnist_dir)
    except FileExistsError:
        pass
    return run.wait(mnist_dir)


@pytest.fixture(scope="session")
def small_model_path(tmp_path_factory, trained_run) -> Path:
    """A real model trained this session (``trained_run``'s, ~90%), with its ONNX copy and its
    metadata less the not-a-digit threshold: a user's model that flags nothing.

    Tests that need a model file but not the bundled models' accuracy use it, so they do not
    depend on models/ and check the code paths with a file this session wrote.
    """
    from digit_recognizer.core.confidence import THRESHOLD_KEY

    if trained_run.done.returncode != 0:
        pytest.fail(f"the train command failed:\n{trained_run.done.stderr[-2000:]}")
    path = tmp_path_factory.mktemp("small-model") / "m.h5"
    shutil.copy(trained_run.out, path)
    shutil.copy(trained_run.file(".onnx"), path.with_suffix(".onnx"))
    metadata = json.loads(trained_run.file(".json").read_text())
    for key in (THRESHOLD_KEY, "not_a_digit_validation"):
        metadata.pop(key, None)
    path.with_suffix(".json").write_text(json.dumps(metadata, indent=2))
    return path


@pytest.fixture(scope="session")
def display():
    """A virtual X display (Xvfb) for the whole session; DISPLAY points at it meanwhile.

    Widget tests take it as an argument. Only they start Xvfb: the rest of the suite runs
    without one.
    """
    try:
        with virtual_display() as name:
            yield name
    except XvfbError as err:
        pytest.fail(str(err))


@pytest.fixture
def open_window(display):
    """A function that opens app windows, ``open_window(loader, **options)``, whose error
    dialogs are collected in ``app.errors`` as (title, message) instead of shown; the windows
    are closed after the test."""
    import tkinter as tk

    from digit_recognizer.app.gui import DigitRecognizerApp

    apps = []

    def open_(loader, **options) -> DigitRecognizerApp:
        app = DigitRecognizerApp(tk.Tk(), loader, **options)
        app.errors = []
        app.show_error = lambda title, message: app.errors.append((title, message))
        apps.append(app)
        return app

    yield open_
    for app in apps:
        app.close()


@pytest.fixture(scope="module")
def collect_garbage_on_tk_thread():
    """Keep the cycle collector off the worker threads while windows come and go.

    Each test leaves a destroyed window behind (widgets form reference cycles). If a worker
    thread's allocations triggered the collector, it would free those Tk objects there, and Tk
    must only be called from its own thread. So collection runs here, between tests, instead.
    Window test modules use it for all their tests:
    ``pytestmark = pytest.mark.usefixtures("collect_garbage_on_tk_thread")``.
    """
    gc.collect()
    gc.disable()
    yield
    gc.collect()
    gc.enable()
