"""What the sensor reads when the sun crosses civil dusk: a threshold taught by the sky.

Pure over recorded columns: for each recent evening, the median reading within two
minutes of the moment the sun sets through −4° at the site. The page shows the spread
("at civil dusk your sensor reads 12–18 lx") and offers the median as the threshold; it
fills the field and saves nothing.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from statistics import median

CIVIL_DUSK = -4.0
AROUND = 120.0  # s either side of the crossing


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
