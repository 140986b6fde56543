"""A controller for web tests: the real pure core (``step``) on a manual clock, no threads.

It implements :class:`lightctl.ports.Controller` the way the daemon does (settings
through ``apply_patch``, so a bad patch raises SettingsError and changes nothing),
and records what it was asked so tests can check what reached it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from lightctl.clock import ManualClock
from lightctl.core.control import initial_state, run, step
from lightctl.core.model import (
    ChangeSettings,
    ClearOverride,
    Event,
    Instant,
    Mode,
    Sample,
    SetLamp,
    SetMode,
    Settings,
    Switch,
)
from lightctl.core.settings import apply_patch, to_dict
from lightctl.ports import OverrideInfo, Status


class FakeController:
    """The switch without a daemon: feed it readings, send it commands, read its status."""

    def __init__(self, settings: Settings | None = None, *, clock: ManualClock | None = None):
        self.clock = clock or ManualClock()
        self._lock = threading.Lock()
        self.state = initial_state(settings or Settings())
        self.started = self.clock.wall()
        self.samples: list[tuple[float, float | None]] = []
        self.events: list[tuple[float, bool, str]] = []
        self.since: float | None = None
        self.mqtt = "disabled"
        self.running = True
        self.fail_with: Exception | None = None  # raised by status(), to test 500s
        self.asked: list[tuple[str, Any]] = []  # (method, arguments) of every call

    # --- test helpers -------------------------------------------------------------------

    def feed(self, lux: float | None, seconds: float = 1.0) -> None:
        """Let ``seconds`` pass, then take one reading."""
        self.clock.advance(seconds)
        now = self.clock.now()
        self.samples.append((now.wall, lux))
        self._apply(Sample(now, lux, None if lux is not None else "read error"))

    def _apply(self, event: Event) -> None:
        with self._lock:
            self.state, effects = step(self.state, event)
            for eff in effects:
                if isinstance(eff, Switch):
                    self.events.append((eff.at.wall, eff.on, eff.reason.value))
                    self.since = eff.at.wall

    # --- Controller ---------------------------------------------------------------------

    def status(self) -> Status:
        if self.fail_with is not None:
            raise self.fail_with
        s = self.state
        override = None
        if s.override is not None:
            override = OverrideInfo(on=s.override.on, until=s.override.until_wall)
        return Status(
            lamp=bool(s.lamp),
            mode=s.mode,
            mode_until=s.mode_until_wall,
            light=s.light,
            raw=s.raw,
            dark=bool(s.want),
            reason=s.reason.value,
            problem=s.problem,
            override=override,
            settings=s.settings,
            since=self.since,
            mqtt=self.mqtt,
            updated=self.clock.wall(),
            started=self.started,
            node_id="fake",
            version="0.0-test",
        )

    def update_settings(self, patch: Mapping[str, Any]) -> Status:
        self.asked.append(("update_settings", dict(patch)))
        new = apply_patch(self.state.settings, patch)
        self._apply(ChangeSettings(self.clock.now(), new))
        return self.status()

    def set_mode(self, mode: Mode, duration: float | None = None) -> Status:
        self.asked.append(("set_mode", (mode, duration)))
        self._apply(SetMode(self.clock.now(), Mode(mode), duration))
        return self.status()

    def set_lamp(self, on: bool | None, duration: float | None = None) -> Status:
        self.asked.append(("set_lamp", (on, duration)))
        now = self.clock.now()
        self._apply(ClearOverride(now) if on is None else SetLamp(now, on, duration))
        return self.status()

    def history(self, hours: float, points: int | None = None) -> dict[str, Any]:
        self.asked.append(("history", hours))  # thinning is left to the API here
        since = self.clock.wall() - hours * 3600
        return {
            "samples": [[t, v] for t, v in self.samples if t >= since],
            "events": [[t, "on" if on else "off", r] for t, on, r in self.events if t >= since],
        }

    def set_test(self, on: bool):
        raise ValueError("the fake switch has no installer's test")

    def suggestion(self, days: float = 7.0) -> dict[str, Any]:
        return {"suggestion": None, "why": "no location known"}

    def preview(self, patch: Mapping[str, Any], hours: float) -> dict[str, Any]:
        self.asked.append(("preview", (dict(patch), hours)))
        settings = apply_patch(self.state.settings, patch)
        since = self.clock.wall() - hours * 3600
        t0 = self.clock.mono() - self.clock.wall()
        samples = [
            Sample(Instant(t + t0, t), v, None if v is not None else "read error")
            for t, v in self.samples
            if t >= since
        ]
        _, effects = run(initial_state(settings), samples)
        events = [
            [e.at.wall, "on" if e.on else "off", e.reason.value]
            for e in effects
            if isinstance(e, Switch)
        ]
        return {
            "settings": to_dict(settings),
            "events": events,
            "summary": {"switches": len(events)},
        }

    def alive(self) -> bool:
        return self.running
