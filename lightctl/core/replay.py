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

from lightctl.core.control import catch_up, initial_state, step
from lightctl.core.model import (
    DUSK_ELEVATION,
    Instant,
    Mode,
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
    mode: Mode = Mode.AUTO,
) -> list[Switch]:
    """Fold ``(epoch, lux or None)`` samples through the core; return its switches.

    ``site``/``dusk_elevation``: the estimated location and fail_safe "sun"'s elevation,
    as the daemon gives them to its core. ``mode`` auto or away (away's drawn times are
    deadlines: the ticks the daemon folds between samples are folded here too)."""
    state = initial_state(
        settings, limits=limits, tz=tz, site=site, dusk_elevation=dusk_elevation, mode=mode
    )
    out: list[Switch] = []
    for t, lux in samples:
        at = Instant(t, t)
        state, effects = catch_up(state, at, inclusive=False)
        out.extend(eff for eff in effects if isinstance(eff, Switch))
        state, effects = step(state, Sample(at, lux, None))
        out.extend(eff for eff in effects if isinstance(eff, Switch))
    return out


def night_of(t: float, tz: tzinfo | None) -> str:
    """The night an instant belongs to: local noon to noon, named by its evening's date."""
    local = datetime.fromtimestamp(t, tz or UTC) - timedelta(hours=12)
    return local.date().isoformat()


def _new_night(key: str) -> dict:
    return {
        "night": key,
        "switches": 0,
        "first_on": None,
        "last_off": None,
        "on_hours": 0.0,
        "energy_kwh": 0.0,
    }


def on_periods(events: list[Switch], end: float | None = None) -> list[tuple[float, float]]:
    """(start, stop) epoch of each ON period; one still ON at the end runs to ``end``."""
    out: list[tuple[float, float]] = []
    since: float | None = None
    for ev in events:
        if ev.on and since is None:
            since = ev.at.wall
        elif not ev.on and since is not None:
            out.append((since, ev.at.wall))
            since = None
    if since is not None and end is not None and end > since:
        out.append((since, end))
    return out


def _split_by_night(a: float, b: float, tz: tzinfo | None) -> list[tuple[str, float]]:
    """(night, seconds) parts of the span a..b, cut at local noon."""
    parts: list[tuple[str, float]] = []
    while a < b:
        local = datetime.fromtimestamp(a, tz or UTC)
        noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
        if noon <= local:
            noon = (noon + timedelta(days=1)).replace(hour=12)
        cut = min(b, noon.timestamp())
        parts.append((night_of(a, tz), cut - a))
        a = cut
    return parts


def summarize(
    events: list[Switch],
    tz: tzinfo | None,
    *,
    span: tuple[float, float] | None = None,
    power: float = 0.0,
) -> dict:
    """Switches per night, first ON and last OFF of each night (local time), and the ON
    hours and energy (kWh at ``power`` W) of each night and in all."""
    nights: dict[str, dict] = {}
    for ev in events:
        key = night_of(ev.at.wall, tz)
        n = nights.setdefault(key, _new_night(key))
        n["switches"] += 1
        stamp = datetime.fromtimestamp(ev.at.wall, tz or UTC).isoformat(timespec="seconds")
        if ev.on and n["first_on"] is None:
            n["first_on"] = stamp
        if not ev.on:
            n["last_off"] = stamp
    on_seconds = 0.0
    for a, b in on_periods(events, None if span is None else span[1]):
        for key, seconds in _split_by_night(a, b, tz):
            n = nights.setdefault(key, _new_night(key))
            n["on_hours"] += seconds / 3600.0
            on_seconds += seconds
    for n in nights.values():
        n["energy_kwh"] = round(n["on_hours"] * power / 1000.0, 6)
        n["on_hours"] = round(n["on_hours"], 6)
    nights = dict(sorted(nights.items()))
    total = len(events)
    days = None
    if span is not None and span[1] > span[0]:
        days = (span[1] - span[0]) / 86400
    return {
        "switches": total,
        "on_switches": sum(1 for e in events if e.on),
        "days": None if days is None else round(days, 3),
        "switches_per_day": None if not days else round(total / days, 2),
        "on_hours": round(on_seconds / 3600.0, 6),
        "energy_kwh": round(on_seconds * power / 3.6e6, 6),
        "nights": list(nights.values()),
    }
