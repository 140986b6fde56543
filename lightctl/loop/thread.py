"""The control thread: one thread, one queue, so the core state needs no lock.

It turns when a sample or a core deadline is due, and in between runs the jobs other
threads (web, MQTT) hand it, in order. Why a plain loop and not a scheduler: sampling,
commands and the watchdog all run on one thread in one order, so the watchdog really
proves the loop is alive, and the loop runs from any clock (the demo's is accelerated,
tests move theirs by hand).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from lightctl.core.settings import SettingsError
from lightctl.errors import LightctlError

log = logging.getLogger("lightctl")

STALL_AFTER = 10.0  # s without a loop turn: /healthz says 503


class ControlThread:
    """Runs ``turn()`` whenever ``next_due()`` (monotonic s on ``clock``) is reached, and
    the jobs of :meth:`call` / :meth:`post` in between."""

    def __init__(
        self,
        *,
        clock,
        turn: Callable[[], None],
        next_due: Callable[[], float],
        watchdog: Callable[[], None] | None = None,
        watchdog_period: float | None = None,
        stall_after: float = STALL_AFTER,
    ):
        self.clock = clock
        self._turn = turn
        self._next_due = next_due
        self._watchdog = watchdog
        self._watchdog_period = watchdog_period
        self._stall_after = stall_after
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future]] = queue.SimpleQueue()
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._heartbeat = time.monotonic()

    def start(self) -> None:
        self._heartbeat = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="lightctl-control", daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Ask the loop to end and wait for it (at most ``timeout`` s)."""
        self.stopping.set()
        self.post(lambda: None)  # wakes the loop from its wait at once
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def alive(self) -> bool:
        """The loop turns at least every 0.5 s (it waits on its queue no longer), plus
        one sensor read; 10 s without a turn means it is stuck, whatever the interval."""
        running = self._thread is not None and self._thread.is_alive()
        return running and time.monotonic() - self._heartbeat < self._stall_after

    def elsewhere(self) -> bool:
        """True on a thread other than the running loop's (a job must be queued)."""
        return self._thread is not None and threading.current_thread() is not self._thread

    def call(self, job: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run ``job`` on the control thread and return its result (or raise its error)."""
        if not self.elsewhere():
            return job()  # not running (tests, start-up) or already on the control thread
        fut: Future = Future()
        self._queue.put((job, fut))
        return fut.result(timeout)

    def submit(self, job: Callable[[], Any]) -> Future:
        """Run ``job`` on the control thread without waiting; the Future tells how it went."""
        fut: Future = Future()
        if self.elsewhere():
            self._queue.put((job, fut))
        else:
            _run_job(job, fut)
        return fut

    def post(self, job: Callable[[], Any]) -> None:
        """Queue ``job`` for the control thread without waiting for it."""
        self._queue.put((job, Future()))

    def _run(self) -> None:
        next_watchdog = 0.0
        while not self.stopping.is_set():
            self._heartbeat = time.monotonic()
            if self._watchdog and self._watchdog_period and self._heartbeat >= next_watchdog:
                self._watchdog()
                next_watchdog = self._heartbeat + self._watchdog_period
            wait = max(0.0, (self._next_due() - self.clock.mono()) / self.clock.speed)
            try:
                job, fut = self._queue.get(timeout=min(wait, 0.5))
            except queue.Empty:
                pass
            else:
                _run_job(job, fut)
                continue
            if self.clock.mono() >= self._next_due():
                self._turn()


def _run_job(job: Callable[[], Any], fut: Future) -> None:
    if not fut.set_running_or_notify_cancel():
        return
    try:
        fut.set_result(job())
    except (SettingsError, ValueError, LightctlError) as exc:
        fut.set_exception(exc)
    except Exception as exc:  # a bug must not kill the control loop
        log.exception("command failed")
        fut.set_exception(exc)
