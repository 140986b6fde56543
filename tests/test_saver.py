"""The saver thread: a lone change is written at once; a burst at most every MIN_GAP
seconds, the newest state each time."""

from __future__ import annotations

import threading
import time

from lightctl.problems import Problems
from lightctl.saver import MIN_GAP, RuntimeSaver


def test_a_burst_is_written_a_few_times_ending_with_the_newest_state():
    saved: list[int] = []
    saver = RuntimeSaver(saved.append, Problems())
    try:
        t0 = time.monotonic()
        for i in range(200):  # an automation's volley
            saver.submit(i)
            time.sleep(0.002)
        assert saver.flush(5)
        spent = time.monotonic() - t0
        assert saved[-1] == 199
        assert saved == sorted(saved)  # never an older state after a newer one
        assert len(saved) <= spent / MIN_GAP + 2, (len(saved), spent)
    finally:
        saver.stop()


def test_a_lone_change_is_written_at_once():
    done = threading.Event()
    saver = RuntimeSaver(lambda _state: done.set(), Problems())
    try:
        t0 = time.monotonic()
        saver.submit({"mode": "on"})
        assert done.wait(5)
        assert time.monotonic() - t0 < MIN_GAP
    finally:
        saver.stop()


def test_every_change_of_a_burst_is_on_disk_within_a_second():
    """However long a burst goes on, each change is covered by a save of it or of a
    newer state within a second of its submit (the promise the docs make)."""
    saved_at: dict[int, float] = {}
    saver = RuntimeSaver(lambda i: saved_at.setdefault(i, time.monotonic()), Problems())
    submitted: dict[int, float] = {}
    try:
        for i in range(150):  # 1.5 s of a slider being dragged
            submitted[i] = time.monotonic()
            saver.submit(i)
            time.sleep(0.01)
        assert saver.flush(5)
    finally:
        saver.stop()
    lags = [min(at for j, at in saved_at.items() if j >= i) - t for i, t in submitted.items()]
    assert max(lags) < 1.0, max(lags)
    assert len(saved_at) < len(submitted) / 10  # a burst, not a save per change
