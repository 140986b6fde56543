"""Replay: the live fold over recorded samples, and a summary of what it switched.

The daemon steps the core with one :class:`Sample` per sampling period; a recording
of those samples, folded here with the same ``step``, gives the same decisions.
Recorded data has one clock only, so its epoch time serves as both ``mono`` and
``wall`` (a live wall-clock jump between two samples is the one thing a recording
cannot reproduce).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo

from lightctl.core.control import initial_state, step
from lightctl.core.model import (
    DUSK_ELEVATION,
    Instant,
    Sample,
    SensorLimits,
    Settings,
    Switch,
)


def replay(
    samples: Iterable[tuple[float, float | None]],
    settings: Settings,
    *,
    limits: SensorLimits | None = None,
    tz: tzinfo | None = None,
    site: tuple[float, float] | None = None,
    dusk_elevation: float = DUSK_ELEVATION,
) -> list[Switch]:
    """Fold ``(epoch, lux or None)`` samples through the core; return its switches.

    ``site``/``dusk_elevation``: the estimated location and fail_safe "sun"'s elevation,
    as the daemon gives them to its core."""
    state = initial_state(settings, limits=limits, tz=tz, site=site, dusk_elevation=dusk_elevation)
    out: list[Switch] = []
    for t, lux in samples:
        state, effects = step(state, Sample(Instant(t, t), lux, None))
        for eff in effects:
            if isinstance(eff, Switch):
                out.append(eff)
    return out


def night_of(t: float, tz: tzinfo | None) -> str:
    """The night an instant belongs to: local noon to noon, named by its evening's date."""
    local = datetime.fromtimestamp(t, tz or UTC) - timedelta(hours=12)
    return local.date().isoformat()


def summarize(
    events: list[Switch], tz: tzinfo | None, *, span: tuple[float, float] | None = None
) -> dict:
    """Switches per night, first ON and last OFF of each night (local time)."""
    nights: dict[str, dict] = {}
    for ev in events:
        key = night_of(ev.at.wall, tz)
        n = nights.setdefault(
            key, {"night": key, "switches": 0, "first_on": None, "last_off": None}
        )
        n["switches"] += 1
        stamp = datetime.fromtimestamp(ev.at.wall, tz or UTC).isoformat(timespec="seconds")
        if ev.on and n["first_on"] is None:
            n["first_on"] = stamp
        if not ev.on:
            n["last_off"] = stamp
    total = len(events)
    days = None
    if span is not None and span[1] > span[0]:
        days = (span[1] - span[0]) / 86400
    return {
        "switches": total,
        "on_switches": sum(1 for e in events if e.on),
        "days": None if days is None else round(days, 3),
        "switches_per_day": None if not days else round(total / days, 2),
        "nights": list(nights.values()),
    }
