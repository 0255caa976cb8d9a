"""A background thread that runs the window's jobs in order: ``Worker``.

Nothing a job does may touch a widget (Tk is not thread-safe): the worker puts each job's
result in its ``results`` queue, which the window polls from the Tk thread.
"""

from __future__ import annotations

import queue
import threading
import traceback
from typing import Any, Callable

from digit_recognizer.app.background.job_results import Failed

__all__ = ["Worker"]


class Worker:
    """One background thread that runs jobs in order and puts their results in ``results``.

    A job submitted under the same ``kind`` as a pending one replaces it: only the latest
    drawing matters, so stale predictions are never computed.
    """

    def __init__(self, name: str) -> None:
        self.results: queue.Queue = queue.Queue()
        self._pending: dict[str, Callable[[], Any]] = {}
        self._running: str | None = None
        self._stopping = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, kind: str, job: Callable[[], Any]) -> None:
        """Run ``job`` after the jobs already waiting, replacing a waiting one of ``kind``."""
        with self._cond:
            self._pending.pop(kind, None)  # re-inserted last: runs after jobs asked for before
            self._pending[kind] = job
            self._cond.notify()

    @property
    def busy(self) -> bool:
        """True while a job runs or waits."""
        with self._cond:
            return bool(self._pending) or self._running is not None

    def has_pending(self, kind: str) -> bool:
        """True if a job of ``kind`` waits (not counting one that runs)."""
        with self._cond:
            return kind in self._pending

    def finished(self) -> list[Any]:
        """The results that are ready, oldest first, without waiting."""
        done = []
        while True:
            try:
                done.append(self.results.get_nowait())
            except queue.Empty:
                return done

    def stop(self, wait: float = 0.0) -> None:
        """Drop pending jobs; the thread ends after the running job, waited for up to ``wait`` s."""
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._cond.notify()
        self._thread.join(wait)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                kind = next(iter(self._pending))
                job = self._pending.pop(kind)
                self._running = kind
            try:
                result = job()
            except Exception as err:  # the thread's edge: a failed job must reach the window
                traceback.print_exc()
                result = Failed(kind, f"{type(err).__name__}: {err}")
            with self._cond:
                self._running = None
            self.results.put(result)
