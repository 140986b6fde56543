"""A small driver for the pure core: feeds events with injected time, keeps the effects.

Tests read like a story ("dark for 30 s, then ..."), with no clock and no sleeps: the
driver owns a monotonic and a wall time and advances both unless told otherwise.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from lightctl.core.control import initial_state, step
from lightctl.core.model import (
    ChangeSettings,
    ClearOverride,
    ControlState,
    Effect,
    Instant,
    Mode,
    ProblemChanged,
    Sample,
    SensorLimits,
    SetLamp,
    SetMode,
    Settings,
    Switch,
    Tick,
)

PARIS = ZoneInfo("Europe/Paris")


def local(text: str, tz=PARIS) -> float:
    """Epoch seconds of a local ISO time, e.g. local("2026-01-15T22:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


#: A winter evening in Paris: long nights, far from any DST change.
WINTER_EVENING = local("2026-01-15T18:00")

#: Settings with no delays and no smoothing: each reading decides at once.
INSTANT = Settings(on_delay=0, off_delay=0, smoothing=1)


class Driver:
    """Steps the core with events at an injected time and records every effect."""

    def __init__(
        self,
        settings: Settings = INSTANT,
        *,
        limits: SensorLimits | None = None,
        tz=None,
        mono: float = 1000.0,
        wall: float = WINTER_EVENING,
        site: tuple[float, float] | None = None,
    ):
        self.state: ControlState = initial_state(settings, limits=limits, tz=tz, site=site)
        self.mono, self.wall = mono, wall
        self.effects: list[Effect] = []

    # time -------------------------------------------------------------------
    @property
    def now(self) -> Instant:
        return Instant(self.mono, self.wall)

    def advance(self, dt: float) -> None:
        """Both clocks move on by ``dt`` seconds."""
        self.mono += dt
        self.wall += dt

    def jump_wall(self, dt: float) -> None:
        """Only the wall clock moves (NTP sync); monotonic time stays put."""
        self.wall += dt

    # events -----------------------------------------------------------------
    def send(self, event) -> list[Effect]:
        """Step one event; return its effects."""
        self.state, effects = step(self.state, event)
        self.effects.extend(effects)
        return effects

    def sample(self, lux: float | None, dt: float = 1.0, error: str | None = None) -> list[Switch]:
        """Advance by ``dt`` then take one reading; return the switches it caused."""
        self.advance(dt)
        return switches(self.send(Sample(self.now, lux, error)))

    def hold(self, lux: float | None, seconds: float, dt: float = 1.0) -> list[Switch]:
        """Readings of ``lux`` every ``dt`` for ``seconds``; return the switches."""
        out: list[Switch] = []
        for _ in range(round(seconds / dt)):
            out += self.sample(lux, dt)
        return out

    def tick(self, dt: float = 1.0) -> list[Switch]:
        self.advance(dt)
        return switches(self.send(Tick(self.now)))

    def lamp_cmd(self, on: bool, duration: float | None = None) -> list[Switch]:
        return switches(self.send(SetLamp(self.now, on, duration)))

    def mode_cmd(self, mode: Mode, duration: float | None = None) -> list[Switch]:
        return switches(self.send(SetMode(self.now, mode, duration)))

    def clear(self) -> list[Switch]:
        return switches(self.send(ClearOverride(self.now)))

    def settings(self, settings: Settings) -> list[Switch]:
        return switches(self.send(ChangeSettings(self.now, settings)))

    # reading ----------------------------------------------------------------
    @property
    def lamp(self) -> bool | None:
        return self.state.lamp

    @property
    def switches(self) -> list[Switch]:
        return switches(self.effects)

    @property
    def problems(self) -> list[ProblemChanged]:
        return [e for e in self.effects if isinstance(e, ProblemChanged)]


def switches(effects) -> list[Switch]:
    """Only the relay commands among effects."""
    return [e for e in effects if isinstance(e, Switch)]


def on_off(sw: list[Switch]) -> list[tuple[bool, str]]:
    """Switches as (on, reason) pairs, easy to compare."""
    return [(s.on, s.reason.value) for s in sw]
