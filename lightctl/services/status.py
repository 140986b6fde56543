"""The status snapshot: the core state plus what the shell knows, as one immutable value.

The daemon builds one after every change and publishes it (web, MQTT, metrics read it);
:func:`worth_telling` decides which changes the listeners hear about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from lightctl import __version__
from lightctl.clock import Clock, utc_offset, zone_name
from lightctl.core import selflight
from lightctl.core.model import ControlState, Mode
from lightctl.counters import Totals
from lightctl.location import NO_LOCATION, Location, effective
from lightctl.ports import OverrideInfo, Status


@dataclass(frozen=True)
class Shell:
    """What the status shows beyond the core state: where, since when, and the
    problems and counts the shell keeps."""

    clock: Clock
    started: float
    node_id: str
    tz: tzinfo | None = None
    zone_location: Location = NO_LOCATION
    mqtt: Callable[[], str] = lambda: "disabled"


def status_of(
    st: ControlState,
    shell: Shell,
    *,
    problems: tuple[str | None, ...] = (),
    switches: tuple[tuple[str, str, int], ...] = (),
    counters: Totals | None = None,
) -> Status:
    """The snapshot of ``st``; ``problems`` are the shell's (relay, disk, ...), shown
    after the core's."""
    clock = shell.clock
    loop = selflight.problem(st)
    parts = (st.problem, st.sky_problem, loop, st.chatter_problem, *problems)
    ov = st.override
    mono, wall = clock.mono(), clock.wall()
    return Status(
        lamp=bool(st.lamp),
        mode=st.mode,
        mode_until=st.mode_until_wall,
        light=st.light,
        raw=st.raw,
        dark=bool(st.want),
        reason=st.reason.value,
        problem="; ".join(p for p in parts if p) or None,
        override=None if ov is None else OverrideInfo(ov.on, ov.until_wall),
        settings=st.settings,
        since=None if st.since is None else wall - (mono - st.since),
        mqtt=shell.mqtt(),
        updated=wall,
        started=shell.started,
        node_id=shell.node_id,
        version=__version__,
        timezone=zone_name(shell.tz),
        utc_offset=utc_offset(shell.tz, wall),
        clock_speed=float(getattr(clock, "speed", 1.0)),
        location=effective(st.settings.latitude, st.settings.longitude, shell.zone_location),
        rejected_lights=st.rejected,
        dusk_elevation=st.dusk_elevation,
        dusk_evenings=st.dusk_evenings,
        lamp_delta=selflight.lamp_delta(st),
        proposed_hysteresis=selflight.proposed_hysteresis(st),
        test_until=st.test_until_wall,
        switches=switches,
        counters=counters,
        away_next=_away_next(st, mono, wall),
    )


def _away_next(st: ControlState, mono: float, wall: float) -> float | None:
    """Away mode's next drawn time on the wall clock (the core keeps it monotonic)."""
    if st.mode is not Mode.AWAY or st.away_next_mono is None:
        return None
    return round(wall + (st.away_next_mono - mono), 3)


def worth_telling(a: Status, b: Status) -> tuple[bool, bool]:
    """(tell the listeners, and is it important) for a change from ``a`` to ``b``:
    anything a person sees changed is important; a new light level or another counted
    minute of ON time is worth a (rate-limited) state too."""
    important = (
        a.lamp != b.lamp
        or a.mode != b.mode
        or (a.settings is not b.settings and a.settings != b.settings)
        or a.problem != b.problem
        or a.override != b.override
        or a.reason != b.reason
        or a.dark != b.dark
        or a.mqtt != b.mqtt
    )
    return important or b.light != a.light or _counted_minute(a, b), important


def _counted_minute(a: Status, b: Status) -> bool:
    """Another minute of ON time was counted: a state for Home Assistant's energy and
    hours sensors, also through a night of perfectly steady light."""
    if a.counters is None or b.counters is None:
        return False
    return a.counters.total.on_seconds // 60 != b.counters.total.on_seconds // 60
