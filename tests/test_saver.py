"""The saver thread: a burst of changes is written once, the newest one, soon after."""

from __future__ import annotations

import threading
import time

from lightctl.loop.keeper import SETTLE as RUNTIME_SETTLE
from lightctl.problems import Problems
from lightctl.saver import RuntimeSaver


def test_a_burst_is_written_once_with_the_newest_state():
    saved: list[int] = []
    saver = RuntimeSaver(saved.append, Problems(), settle=0.2)
    try:
        for i in range(200):  # an automation's volley, well inside the settle time
            saver.submit(i)
        assert saver.flush(5)
        assert saved == [199]
        saver.submit(200)
        assert saver.flush(5)
        assert saved == [199, 200]
    finally:
        saver.stop()


def test_the_runtime_is_on_disk_well_within_a_second():
    done = threading.Event()
    saver = RuntimeSaver(lambda _state: done.set(), Problems(), settle=RUNTIME_SETTLE)
    try:
        t0 = time.monotonic()
        saver.submit({"mode": "on"})
        assert done.wait(5)
        assert time.monotonic() - t0 < 1.0
    finally:
        saver.stop()
