"""The real switch behind every web test, on a clock the test moves.

:func:`running_switch` builds lightctl as ``lightctl run`` does (``bootstrap.build``): a
``file`` sensor the test writes to, the mock relay, settings, history and counters in
a temporary folder, and the real control thread, but on a :class:`ManualClock`. Time
passes only in :meth:`Switch.advance`, which lets the loop take every sample and
deadline in between, so a scenario of hours runs in a fraction of a second and always
the same way. With ``serve`` the web server listens on a free loopback port (the page
tests); without it tests build their own app with ``create_app`` around ``daemon``.
With ``seed`` a simulated day of light and the switches the core makes of it are
written to the history files beforehand, so the chart has a night to draw (``seed``
may also be a list of readings to record instead).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from lightctl.clock import ManualClock
from lightctl.config import Config, MqttConfig, RelayConfig, SensorConfig, WebConfig
from lightctl.core.model import Settings
from lightctl.counters import CounterFile, Totals

CURRENT_LUX = 123.4
DAY = 86_400.0
START_WALL = 1_800_000_000.0  # 2027-01-15 08:00 UTC
#: the Controller calls a test may check the API made (and with what)
ASKED = ("update_settings", "set_mode", "set_lamp", "set_test", "history", "preview")


def simulated_day(now: float, step: float = 120.0) -> list[tuple[float, float]]:
    """24 h of simulated light before ``now``, one reading per ``step`` s."""
    from lightctl.sensors.simulated import lux_at

    return [(t, lux_at(t)) for t in _frange(now - DAY + step, now - 1.0, step)]


def record_history(
    state_dir: Path, now: float, settings: Settings, samples: list[tuple[float, float]]
) -> int:
    """Write ``samples`` (wall time, lux) and the switches the core makes of them to the
    history files, as a daemon running with ``settings`` would have; the switch count."""
    from lightctl.core.replay import replay
    from lightctl.history import History

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


class Switch:
    """A running switch and the handles a test pokes: the sensor file, the clock, and
    ``asked``, the Controller calls the web app made, as (name, arguments): the real
    controller (the daemon's commands, the services' reads) answers every one of them."""

    def __init__(self, app: Any, clock: ManualClock, lux_file: Path, recorded_events: int):
        self.app = app
        self.clock = clock
        self.lux_file = lux_file
        self.recorded_events = recorded_events
        self.asked: list[tuple[str, Any]] = []
        self._wake = app.daemon.update_settings  # unrecorded: a no-op patch changes nothing
        for name in ASKED:
            setattr(app.controller, name, self._recorded(name, getattr(app.controller, name)))

    def _recorded(self, name: str, method):
        """``method``, noting each call with its arguments (defaults filled in, patches
        as dicts; ``history`` by its hours alone)."""
        signature = inspect.signature(method)

        @functools.wraps(method)
        def call(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = [dict(v) if isinstance(v, Mapping) else v for v in bound.arguments.values()]
            shown = values[0] if len(values) == 1 or name == "history" else tuple(values)
            self.asked.append((name, shown))
            return method(*args, **kwargs)

        return call

    @property
    def daemon(self):
        return self.app.daemon

    @property
    def controller(self):
        """What the web app is given (``lightctl.services.controller.SwitchController``)."""
        return self.app.controller

    @property
    def url(self) -> str:
        return self.app.url.rstrip("/")

    @property
    def interval(self) -> float:
        return self.app.cfg.sensor.interval

    def settings(self) -> Settings:
        return self.daemon.status().settings

    def set_light(self, lux: float | str) -> None:
        """Write the sensor file atomically (the next sample reads it)."""
        tmp = self.lux_file.with_suffix(".tmp")
        tmp.write_text(f"{lux}\n")
        tmp.replace(self.lux_file)

    def feed(self, lux: float | str, seconds: float | None = None) -> None:
        """Set the light, then let ``seconds`` (one sampling interval) pass."""
        self.set_light(lux)
        self.advance(self.interval if seconds is None else seconds)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass as on a real Pi: the loop takes every sample and deadline
        in between, each at its own instant, and has finished when this returns."""
        end = round(self.clock.mono() + seconds, 6)
        while (due := self.daemon.next_due()) <= end:
            if due > self.clock.mono():
                self.clock.advance(due - self.clock.mono())
            self.settle()
        if end > self.clock.mono():
            self.clock.advance(end - self.clock.mono())

    def settle(self) -> None:
        """Wake the loop and wait until it has done everything due at the clock's time."""
        self._wake({})  # a command wakes the loop at once (it waits on its queue)
        deadline = time.monotonic() + 5.0
        while self.daemon.next_due() <= self.clock.mono():
            if time.monotonic() > deadline:
                raise AssertionError("the control loop did not take its turn")
            time.sleep(0.0002)
        self._wake({})  # queued behind the turn: returns once the turn is published

    def journal(self) -> list:
        """Every input the daemon recorded for replay (commands, starts)."""
        return self.daemon.hist.inputs(0.0)

    def snapshot(self) -> dict[str, Any]:
        """What a refused request must leave alone: the state, the saved runtime
        changes and the journal of commands."""
        st = self.daemon.status()
        self.daemon.flush_runtime()
        path = self.daemon.store.path
        return {
            "settings": st.settings,
            "mode": (st.mode, st.mode_until),
            "override": st.override,
            "lamp": st.lamp,
            "runtime": path.read_bytes() if path.exists() else None,
            "journal": len(self.journal()),
        }


@contextmanager
def running_switch(
    folder: Path,
    *,
    password_hash: str = "",
    timezone: str | None = None,
    settings: Settings | None = None,
    interval: float = 1.0,
    serve: bool = True,
    seed: bool | list[tuple[float, float]] = True,
    start: bool = True,
    wall: float = START_WALL,
    counters: Totals | None = None,
    mqtt: MqttConfig | None = None,
    lux: float = CURRENT_LUX,
) -> Iterator[Switch]:
    """The real switch over ``folder`` (created if missing); see the module docstring.
    ``start=False`` builds it without starting (no reading taken yet); ``counters`` are
    on disk before it starts, as after a year of service; ``mqtt`` links it to a broker;
    ``lux`` is in the sensor file for the first reading."""
    from lightctl.bootstrap import build

    folder = Path(folder)
    state = folder / "state"
    state.mkdir(parents=True)
    lux_file = folder / "lux.txt"
    lux_file.write_text(f"{lux}\n")
    settings = settings or Settings(threshold=20.0, hysteresis=20.0, on_delay=60.0, off_delay=120.0)
    cfg = Config(
        node_id="testnode",
        state_dir=state,
        timezone=timezone,
        sensor=SensorConfig(type="file", path=str(lux_file), interval=interval),
        settings=settings,
        relay=RelayConfig(type="mock"),
        mqtt=mqtt,
        web=WebConfig(host="127.0.0.1", port=0, password_hash=password_hash),
    )
    if seed is True:
        seed = simulated_day(wall)
    n_events = record_history(state, wall, settings, seed) if seed else 0
    if counters is not None:
        CounterFile(state).save(counters, wall)
    clock = ManualClock(wall=wall)
    app = build(cfg, clock=clock, web=serve, environ={})
    switch = Switch(app, clock, lux_file, n_events)
    try:
        if start:
            app.start()
            if not app.daemon.hist.loaded.wait(5.0):  # read on its own thread
                raise AssertionError("the history did not load")
            switch.settle()  # the first reading, taken at start
        yield switch
    finally:
        app.stop()


@pytest.fixture
def make_switch(tmp_path: Path):
    """Build switches (``running_switch``'s options), each in its own folder; all are
    stopped after the test."""
    numbers = itertools.count()
    with ExitStack() as stack:

        def make(**options) -> Switch:
            folder = tmp_path / f"switch{next(numbers)}"
            return stack.enter_context(running_switch(folder, **options))

        yield make


@pytest.fixture
def live_server(make_switch) -> Switch:
    """A served switch without a password (loopback only), with a recorded day."""
    return make_switch()


PASSWORD = "correct horse"


@pytest.fixture
def live_server_with_password(make_switch) -> Switch:
    """A served switch whose page needs a login (user admin, password PASSWORD)."""
    from lightctl.webapp.auth import hash_password

    return make_switch(password_hash=hash_password(PASSWORD))
