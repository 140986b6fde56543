"""`lightctl run --demo`: the pieces that make a demo look like a day on a real switch.

- Each start begins afresh: the demo's state folder (marked by a ``DEMO`` file, so a
  folder that is not the demo's is never emptied) is cleared, and the simulated clock
  starts ten minutes before today's sunset over Paris.
- The 24 h before that start are simulated at once with the demo's own sensor and
  decision code and written to the history, so the first page shows a full day.
- The log tells the simulated time every half hour even when nothing changes, and its
  time stamps are the simulated clock in the demo's zone, as on the page.
"""

from __future__ import annotations

import logging
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from lightctl.config import Config

MARKER = "DEMO"
PAST = 86_400.0  # s of simulated past written at start
START_BEFORE_SUNSET = 600.0  # s


def prepare_state_dir(state_dir: Path) -> bool:
    """Empty the demo's own folder (marked ``DEMO``) and mark it; False when the folder
    holds something else (then it is used as it is, never emptied)."""
    state_dir = Path(state_dir)
    marker = state_dir / MARKER
    if state_dir.is_dir() and any(state_dir.iterdir()) and not marker.exists():
        return False
    if marker.exists():
        for child in state_dir.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    state_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("made by `lightctl run --demo`; emptied at each demo start\n")
    return True


def is_demo_dir(state_dir: Path) -> bool:
    return (Path(state_dir) / MARKER).exists()


def demo_clock(cfg: Config, now: float | None = None):
    """An accelerated clock starting ten minutes before the next sunset."""
    from lightctl.clock import AcceleratedClock
    from lightctl.sensors.simulated import demo_start

    start = demo_start(time.time() if now is None else now, before=START_BEFORE_SUNSET)
    return AcceleratedClock(cfg.sensor.speed, start_wall=start)


def fill_past(cfg: Config, tz: Any, end: float, span: float = PAST) -> tuple[int, int]:
    """Simulate the ``span`` seconds before ``end`` (one reading per sensor interval, the
    demo's settings) and record them as history; returns (samples, switches)."""
    from lightctl.core.fastreplay import fast_replay_arrays
    from lightctl.history import History
    from lightctl.sensors.simulated import lux_at

    step = cfg.sensor.interval
    n = int(span // step)
    times = [end - (n - i) * step for i in range(n)]
    lux = [lux_at(t, cfg.sensor.seed) for t in times]
    events = fast_replay_arrays(times, lux, cfg.settings, limits=cfg.sensor.limits(), tz=tz)
    hist = History(Path(cfg.state_dir) / "history", flush_interval=0)
    hist.open(end)
    for t, v in zip(times, lux, strict=True):
        hist.add_sample(t, v)
    for e in events:
        hist.add_event(e.at.wall, e.on, e.reason.value)
    hist.close()
    return n, len(events)


class SimulatedTimeFormatter(logging.Formatter):
    """Log time stamps from the demo's clock, in its zone: the log, the page and
    `lightctl status` then tell the same time."""

    def __init__(self, clock: Any, tz: Any):
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self.clock, self.tz = clock, tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(self.clock.wall(), self.tz).strftime("%H:%M:%S")


def use_simulated_time(clock: Any, tz: Any) -> None:
    for handler in logging.getLogger().handlers:
        handler.setFormatter(SimulatedTimeFormatter(clock, tz))


class Heartbeat:
    """Tells the simulated time, light and lamp every ``every`` simulated seconds; called
    once a real second by the demo's main loop, so the log speaks at night too."""

    def __init__(self, daemon: Any, clock: Any, log: logging.Logger, every: float = 1800.0):
        self.daemon, self.clock, self.log, self.every = daemon, clock, log, every
        self.last = clock.wall()

    def __call__(self) -> None:
        now = self.clock.wall()
        if now - self.last < self.every:
            return
        self.last = now
        st = self.daemon.status()
        light = "no reading" if st.light is None else f"{st.light:.1f} lx"
        lamp = "ON" if st.lamp else "OFF"
        self.log.info("demo: light %s, lamp %s (%s)", light, lamp, st.reason)
