"""What the sky teaches from history; pure over recorded columns and events.

- **A threshold**: for each recent evening, the median reading within two minutes of
  the moment the sun sets through −4° at the site. The page shows the spread ("at civil
  dusk your sensor reads 12–18 lx") and offers the median as the threshold; it fills the
  field and saves nothing.
- **Where fail_safe "sun" switches**: the sun's elevation at this sensor's own dusk ON
  on recent evenings (the median, clamped to a sane range), so a failing sensor's lamp
  goes on when it usually does, not at a textbook −4°.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from statistics import median

from lightctl.core.model import DUSK_ELEVATION, Reason
from lightctl.core.schedule import sun_elevation

CIVIL_DUSK = -4.0
AROUND = 120.0  # s either side of the crossing
#: fail_safe "sun" learns from this many recent evenings, and needs at least MIN_EVENINGS
LEARN_EVENINGS = 14
MIN_EVENINGS = 3
#: a dusk ON counts when the sun was setting between these elevations (not the lamp
#: going on after a night's off window, not a covered sensor at noon) ...
DUSK_BAND = (-12.0, 10.0)
#: ... and the learned elevation is kept within these
LEARNED_RANGE = (-8.0, 2.0)


def dusk_times(
    site: tuple[float, float], tz: tzinfo | None, since: float, until: float
) -> list[float]:
    """Epoch seconds of each evening's sun crossing CIVIL_DUSK (setting), in [since, until]."""
    from astral import Observer
    from astral.sun import SunDirection, time_at_elevation

    observer = Observer(*site)
    zone = tz or UTC
    day = datetime.fromtimestamp(since, zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(until, zone).date()
    out = []
    while day <= last:
        try:
            when = time_at_elevation(
                observer, CIVIL_DUSK, date=day, direction=SunDirection.SETTING, tzinfo=zone
            )
        except ValueError:  # polar day or night: no dusk that evening
            day += timedelta(days=1)
            continue
        t = when.timestamp()
        if since <= t <= until:
            out.append(t)
        day += timedelta(days=1)
    return out


def dusk_readings(
    times: Sequence[float], lux: Sequence[float], crossings: Sequence[float]
) -> list[float]:
    """The median good reading around each crossing (evenings without readings skipped)."""
    out = []
    for c in crossings:
        i, j = bisect_left(times, c - AROUND), bisect_right(times, c + AROUND)
        good = [v for v in lux[i:j] if v == v and math.isfinite(v) and v >= 0]
        if good:
            out.append(median(good))
    return out


def suggestion(readings: Sequence[float]) -> dict | None:
    """The spread and the suggested threshold, or None without any evening."""
    if not readings:
        return None
    return {
        "evenings": len(readings),
        "low": round(min(readings), 1),
        "high": round(max(readings), 1),
        "threshold": round(median(readings), 1),
        "elevation": CIVIL_DUSK,
    }


def dusk_on_elevations(
    events: Sequence[tuple[float, bool, str]], site: tuple[float, float], tz: tzinfo | None
) -> list[tuple[float, float]]:
    """(time, sun elevation) of each evening's first automatic dusk ON (reason ``dark``,
    the sun setting inside :data:`DUSK_BAND`), oldest first; one per local date."""
    seen: set = set()
    out = []
    for t, on, reason in events:
        if not on or reason != Reason.DARK.value:
            continue
        day = datetime.fromtimestamp(t, tz or UTC).date()
        if day in seen:
            continue
        elev = sun_elevation(site[0], site[1], t)
        if not DUSK_BAND[0] <= elev <= DUSK_BAND[1]:
            continue
        if sun_elevation(site[0], site[1], t + 600.0) >= elev:
            continue  # the sun is rising: a morning ON, not dusk
        seen.add(day)
        out.append((t, elev))
    return out


def learned_dusk(
    events: Sequence[tuple[float, bool, str]], site: tuple[float, float], tz: tzinfo | None
) -> tuple[float, int] | None:
    """(elevation, evenings): the median sun elevation at the last LEARN_EVENINGS dusk
    ONs, clamped to LEARNED_RANGE and rounded to 0.1°; None with fewer than MIN_EVENINGS."""
    found = dusk_on_elevations(events, site, tz)[-LEARN_EVENINGS:]
    if len(found) < MIN_EVENINGS:
        return None
    value = min(max(median(e for _, e in found), LEARNED_RANGE[0]), LEARNED_RANGE[1])
    return round(value, 1), len(found)


def describe_dusk(elevation: float, evenings: int) -> str:
    """``switches at −3.6° (learned from 12 evenings)`` or the default's reason."""
    text = f"switches at {elevation:.1f}°".replace("-", "−")
    if evenings:
        return f"{text} (learned from {evenings} evening{'s' if evenings != 1 else ''})"
    if elevation == DUSK_ELEVATION:
        return f"{text} (the default until {MIN_EVENINGS} evenings are recorded)"
    return text
