"""A live lightctl for the page tests: the real daemon, API and web server on a free port.

The sensor is a ``file`` sensor (tests set the light by writing the file), the relay a
mock; 24 h of simulated light and the switches the core makes of it are recorded in
the history beforehand, so the chart has a night to draw.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from lightctl.config import Config, RelayConfig, SensorConfig, WebConfig
from lightctl.core.model import Settings

CURRENT_LUX = 123.4
DAY = 86_400.0


def seed_history(state_dir: Path, now: float, settings: Settings, step: float = 120.0) -> int:
    """Record 24 h of simulated light (one sample per ``step`` s) and the core's switches."""
    from lightctl.core.replay import replay
    from lightctl.history import History
    from lightctl.sensors.simulated import lux_at

    samples = [(t, lux_at(t)) for t in _frange(now - DAY + step, now - 1.0, step)]
    hist = History(state_dir / "history", flush_interval=0)
    hist.open(now)
    for t, lux in samples:
        hist.add_sample(t, lux)
    events = replay(samples, settings)
    for ev in events:
        hist.add_event(ev.at.wall, ev.on, ev.reason.value)
    hist.close()
    return len(events)


def _frange(start: float, stop: float, step: float):
    t = start
    while t < stop:
        yield t
        t += step


@dataclass
class LiveServer:
    """The running parts a test may look at (the daemon is the source of truth)."""

    url: str
    app: object  # lightctl.bootstrap.App
    lux_file: Path
    recorded_events: int

    @property
    def daemon(self):
        return self.app.daemon

    def settings(self) -> Settings:
        return self.app.daemon.status().settings

    def set_light(self, lux: float) -> None:
        self.lux_file.write_text(f"{lux}\n")


@contextmanager
def running_switch(tmp_path: Path, *, password_hash: str = "", timezone: str | None = None):
    """The real daemon (file sensor, mock relay) with a recorded day, serving on port 0."""
    from lightctl.bootstrap import build

    state = tmp_path / "state"
    state.mkdir()
    lux_file = tmp_path / "lux.txt"
    lux_file.write_text(f"{CURRENT_LUX}\n")
    settings = Settings(threshold=20.0, hysteresis=20.0, on_delay=60.0, off_delay=120.0)
    cfg = Config(
        node_id="testnode",
        state_dir=state,
        timezone=timezone,
        sensor=SensorConfig(type="file", path=str(lux_file), interval=0.1),
        settings=settings,
        relay=RelayConfig(type="mock"),
        mqtt=None,
        web=WebConfig(host="127.0.0.1", port=0, password_hash=password_hash),
    )
    n_events = seed_history(state, time.time(), settings)
    app = build(cfg, environ={})
    app.start()
    try:
        _wait_for(lambda: app.daemon.status().light is not None, "the first reading")
        yield LiveServer(app.url.rstrip("/"), app, lux_file, n_events)
    finally:
        app.stop()


@pytest.fixture
def live_server(tmp_path: Path):
    """A running switch without a password (loopback only)."""
    with running_switch(tmp_path) as server:
        yield server


PASSWORD = "correct horse"


@pytest.fixture
def live_server_with_password(tmp_path: Path):
    """A running switch whose page needs a login (user admin, password PASSWORD)."""
    from lightctl.webapp.auth import hash_password

    with running_switch(tmp_path, password_hash=hash_password(PASSWORD)) as server:
        yield server


def _wait_for(cond, what: str, timeout: float = 5.0) -> None:
    """Poll real I/O (a sensor file read by the daemon thread) with a deadline."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
