"""The real :class:`Daemon` driven by a manual clock, turn by turn, with its state on disk.

``Rig`` does what the control loop does (wait for the next sample or core deadline,
then ``turn()``), but on the test's thread and with a clock it moves itself, so a
scenario of days runs in milliseconds and always the same way. Restarts build a new
``Daemon`` over the same ``state_dir``: runtime settings and history come back from disk,
as after a real restart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lightctl.clock import ManualClock
from lightctl.config import Config, SensorConfig
from lightctl.core.model import Settings
from lightctl.daemon import Daemon
from lightctl.errors import SensorError
from lightctl.history import History
from lightctl.relays.mock import MockRelay
from lightctl.store import SettingsStore


class ScriptedSensor:
    """Reads whatever ``value`` holds (None: a read error); ``slow`` s per read move the
    clock, as a sensor that takes its time would."""

    def __init__(self, clock: ManualClock, value: float | None = 100.0):
        self.clock = clock
        self.value = value
        self.slow = 0.0

    def read(self) -> float:
        if self.slow:
            self.clock.advance(self.slow)
        if self.value is None:
            raise SensorError("scripted read error")
        return self.value

    def close(self) -> None:
        pass


class Rig:
    """A daemon, its clock, sensor, relay, store and history over one state folder."""

    def __init__(
        self,
        state_dir: Path,
        settings: Settings | None = None,
        *,
        interval: float = 1.0,
        fault_after: int = 3,
        tz=None,
        clock: ManualClock | None = None,
    ):
        self.state_dir = Path(state_dir)
        self.cfg = Config(
            sensor=SensorConfig(type="file", interval=interval, fault_after=fault_after),
            settings=settings or Settings(),
            state_dir=Path(state_dir),
        )
        self.tz = tz
        self.clock = clock or ManualClock()
        self.sensor = ScriptedSensor(self.clock)
        self.relays: list[MockRelay] = []
        self.daemon: Daemon | None = None
        self.start()

    def start(self) -> Daemon:
        """A fresh daemon over the folder (runtime state and history from disk)."""
        hist = History(self.state_dir / "history", flush_interval=0.0)
        hist.open(self.clock.wall())
        relay = MockRelay()
        self.relays.append(relay)
        self.daemon = Daemon(
            self.cfg,
            clock=self.clock,
            sensor=self.sensor,
            relay=relay,
            store=SettingsStore(self.state_dir),
            history=hist,
            tz=self.tz,
            **self.parts(),
        )
        self.daemon.open()
        return self.daemon

    def parts(self) -> dict:
        """More keyword parts for each new Daemon (a subclass adds, e.g., counters)."""
        return {}

    def restart(self, down: float = 0.0) -> Daemon:
        """Stop (history flushed), stay down ``down`` s (at least a millisecond, as any
        real restart: history orders a run's records by time), start again."""
        self.daemon.stop()
        self.clock.advance(max(down, 0.001))
        return self.start()

    def run(self, seconds: float) -> None:
        """Let ``seconds`` pass as the control loop would: every sample and deadline."""
        end = round(self.clock.mono() + seconds, 6)
        while True:
            due = self.daemon.next_due()
            if due > end:
                break
            if due > self.clock.mono():
                self.clock.advance(due - self.clock.mono())
            self.daemon.turn()
        if end > self.clock.mono():
            self.clock.advance(end - self.clock.mono())

    def command(self, fn: Callable[[Daemon], object]) -> None:
        """A command from the web or MQTT, at the clock's current time."""
        fn(self.daemon)

    @property
    def lamp(self) -> bool:
        return bool(self.daemon.state.lamp)

    def history(self) -> History:
        """The history on disk, as ``lightctl replay`` reads it (flushes first)."""
        self.daemon.hist.flush()
        return self.daemon.hist
