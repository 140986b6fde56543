"""The daemon's loop in-process: liveness, and commands from other threads."""

from __future__ import annotations

import threading
import time

from lightctl.clock import SystemClock
from lightctl.config import Config, SensorConfig
from lightctl.daemon import Daemon
from lightctl.relays.mock import MockRelay
from tests.util import wait_until


class HangingSensor:
    """Reads 100 lx, or hangs (a locked-up I²C bus) while ``hang`` is set."""

    def __init__(self):
        self.hang = threading.Event()
        self.release = threading.Event()

    def read(self) -> float:
        if self.hang.is_set():
            self.release.wait(10)
        return 100.0

    def close(self) -> None:
        self.release.set()


def test_a_hung_sensor_read_makes_the_loop_not_alive_then_recovers():
    """A read that never returns stops the heartbeat (/healthz 503, no WATCHDOG); it comes back."""
    sensor = HangingSensor()
    pings: list[float] = []
    d = Daemon(
        Config(sensor=SensorConfig(type="file", interval=0.05)),
        clock=SystemClock(),
        sensor=sensor,
        relay=MockRelay(),
        watchdog=lambda: pings.append(time.monotonic()),
        watchdog_period=0.05,
        stall_after=0.5,
    )
    d.start()
    try:
        wait_until(d.alive, what="alive")
        sensor.hang.set()
        wait_until(lambda: not d.alive(), timeout=5, what="stall noticed")
        n = len(pings)
        time.sleep(0.3)
        assert len(pings) == n, "no WATCHDOG=1 while the loop is stuck"
        sensor.hang.clear()
        sensor.release.set()
        wait_until(d.alive, timeout=5, what="alive again")
    finally:
        d.stop()


def test_commands_from_many_threads_are_serialised():
    """Threads changing settings at once never lose an update nor corrupt the state."""
    d = Daemon(
        Config(sensor=SensorConfig(type="file", interval=0.05)),
        clock=SystemClock(),
        sensor=HangingSensor(),
        relay=MockRelay(),
    )
    d.start()
    try:

        def work(k: int) -> None:
            for i in range(20):
                d.update_settings({"threshold": float(k * 100 + i)})

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert d.status().settings.threshold in {float(k * 100 + 19) for k in range(4)}
    finally:
        d.stop()
