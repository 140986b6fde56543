"""The seams between the shell's adapters: what a sensor, a relay and the controller offer.

Adapters (web, MQTT) only see :class:`Controller`;
:class:`lightctl.services.controller.SwitchController` implements it over the daemon.
Readers get an immutable :class:`Status`; commands go to the control thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from lightctl.core.model import DUSK_ELEVATION, Mode, Settings
from lightctl.counters import Totals
from lightctl.location import NO_LOCATION, Location
from lightctl.skylearn import describe_dusk


class Sensor(Protocol):
    """A light sensor. ``read()`` returns lux or raises SensorError; never blocks long."""

    def read(self) -> float: ...

    def close(self) -> None: ...


class Relay(Protocol):
    """The lamp's switch. ``set()`` raises RelayError when it cannot switch."""

    def set(self, on: bool) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class OverrideInfo:
    """A manual override in force: lamp state, and its end (epoch s) if timed."""

    on: bool
    until: float | None


@dataclass(frozen=True, slots=True)
class Status:
    """A snapshot of the switch, swapped by reference after every control step."""

    lamp: bool
    mode: Mode
    mode_until: float | None  # epoch seconds, for a timed mode
    light: float | None  # smoothed lux
    raw: float | None  # last good raw reading
    dark: bool  # the twilight decision (hysteresis and delays applied)
    reason: str
    problem: str | None
    override: OverrideInfo | None
    settings: Settings
    since: float | None  # epoch seconds of the last switch
    mqtt: str  # "connected" | "disconnected" | "disabled"
    updated: float  # epoch seconds of this snapshot
    started: float  # epoch seconds the daemon started
    node_id: str = "lightctl"
    version: str = ""
    #: the Pi's time zone, in which every time is shown (IANA name, or "" when unnamed)
    timezone: str = ""
    utc_offset: float = 0.0  # s east of UTC at ``updated``, for a zone without a name
    clock_speed: float = 1.0  # simulated seconds per real second (the demo runs faster)
    #: switches since start, by (lamp "on"/"off", reason); for /metrics
    switches: tuple[tuple[str, str, int], ...] = ()
    #: the location in use and where it came from (configured, the time zone, none)
    location: Location = NO_LOCATION
    #: night lights the sky kept from switching the lamp off, since start
    rejected_lights: int = 0
    #: where fail_safe "sun" switches (sun elevation, °) and from how many evenings it
    #: was learned (0: the default)
    dusk_elevation: float = DUSK_ELEVATION
    dusk_evenings: int = 0
    #: what an automatic ON adds to the level (lx, median of the last ones), if measured
    lamp_delta: float | None = None
    #: a hysteresis that clears the lamp's own light, when the current one does not
    proposed_hysteresis: float | None = None
    #: epoch seconds the installer's test ends (None: not testing)
    test_until: float | None = None
    #: ON time, energy and relay cycles (today, this month, all time)
    counters: Totals | None = None
    #: epoch seconds of away mode's next drawn time (OFF, or the morning spell's start
    #: or end); None when not away
    away_next: float | None = None

    def to_json(self, *, settings: bool = True) -> dict[str, Any]:
        """The `/api/status` body; MQTT state uses the same with lamp ON/OFF.
        ``settings=False`` leaves ``settings`` None, for a caller that has them encoded."""
        from lightctl.core.settings import to_dict

        out = {
            "lamp": "on" if self.lamp else "off",
            "mode": self.mode.value,
            "mode_until": self.mode_until,
            "light": None if self.light is None else round(self.light, 3),
            "raw": self.raw,
            "dark": self.dark,
            "reason": self.reason,
            "problem": self.problem,
            "override": None
            if self.override is None
            else {"state": "on" if self.override.on else "off", "until": self.override.until},
            "mqtt": self.mqtt,
            "settings": to_dict(self.settings) if settings else None,
            "since": self.since,
            "updated": self.updated,
            "started": self.started,
            "node_id": self.node_id,
            "version": self.version,
            "timezone": self.timezone,
            "utc_offset": self.utc_offset,
            "clock_speed": self.clock_speed,
            "location": self.location.to_json(),
            "rejected_lights": self.rejected_lights,
            "fail_safe_sun": {
                "elevation": self.dusk_elevation,
                "evenings": self.dusk_evenings,
                "text": describe_dusk(self.dusk_elevation, self.dusk_evenings),
            },
            "lamp_delta": None if self.lamp_delta is None else round(self.lamp_delta, 1),
            "proposed_hysteresis": self.proposed_hysteresis,
            "test_until": self.test_until,
            "counters": None if self.counters is None else self.counters.to_json(),
        }
        if self.away_next is not None:  # away mode only: the other modes' state is unchanged
            out["away_next"] = self.away_next
        return out


class Controller(Protocol):
    """What adapters may ask of the running switch. All methods are thread-safe.

    Command methods block until the control thread applied them (a few ms) and
    return the new status; bad input raises ``SettingsError``/``ValueError`` and
    changes nothing.
    """

    def status(self) -> Status: ...

    def update_settings(self, patch: Mapping[str, Any]) -> Status: ...

    def set_mode(self, mode: Mode, duration: float | None = None) -> Status: ...

    def set_lamp(self, on: bool | None, duration: float | None = None) -> Status:
        """``on=None`` clears the override."""
        ...

    def history(self, hours: float, *, stream: bool = False) -> Any:
        """The last ``hours`` of recorded samples (as columns, or as blocks to read one
        at a time with ``stream``), switch events and marks: a
        :class:`lightctl.services.reads.HistoryWindow`; the web API thins it for a chart."""
        ...

    def preview(self, patch: Mapping[str, Any], hours: float, mode: Any = None) -> dict[str, Any]:
        """What-if over recorded history: ``{"events": [...], "summary": {...}}``; ``mode``
        auto or away (None: away while away, else auto)."""
        ...

    def savings(self) -> dict[str, Any]:
        """What the rules saved against a plain photocell: ``{"definition", "day",
        "week"}`` (lightctl/savings.py)."""
        ...

    def set_test(self, on: bool) -> Status:
        """Start (ten minutes) or end the installer's test."""
        ...

    def suggestion(self, days: float = 7.0) -> dict[str, Any]:
        """The sensor's reading at civil dusk on recent evenings, and a threshold."""
        ...

    def alive(self) -> bool:
        """True while the control loop keeps stepping."""
        ...

    def submit(self, command: Callable[[], Any]) -> Future:
        """Run ``command`` (calls of the methods above) on the control thread without
        waiting; the future holds its result or exception."""
        ...
