"""Local-time off window and the sun guard, from wall time; pure.

A wall time before :data:`CLOCK_VALID_FROM` means the Pi has not synced its clock yet
(no RTC; fake-hwclock or 1970). Then neither the window nor the sun guard can be
judged, and both stay out of the way rather than act on a wrong time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as dtime
from functools import lru_cache

CLOCK_VALID_FROM = 1_704_067_200.0  # 2024-01-01T00:00:00Z

_WINDOW = re.compile(r"^\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*$", re.ASCII)


@lru_cache(maxsize=64)
def parse_window(text: str) -> tuple[int, int]:
    """'23:30-05:30' -> (start, end) in minutes after midnight; ValueError (the rule) if not."""
    m = _WINDOW.match(text)
    if not m:
        raise ValueError('must look like "23:30-05:30" (HH:MM-HH:MM)')
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError("hours go from 00 to 23 and minutes from 00 to 59")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ValueError("start and end are the same time")
    return start, end


def local_minute(wall: float, tz: tzinfo | None) -> float:
    """Minutes after local midnight (with seconds as a fraction) at epoch ``wall``."""
    dt = datetime.fromtimestamp(wall, tz or UTC)
    return dt.hour * 60 + dt.minute + dt.second / 60


def in_window(window: str | None, wall: float, tz: tzinfo | None) -> bool:
    """True when ``wall`` falls in the [start, end) local-time window (may cross midnight).

    The window is open when the last boundary the local clock reached was its start.
    Each boundary acts once a day, at the first moment the local clock shows it: on
    the spring-forward day a time the clock skips is reached when the clock jumps
    over it; on the fall-back day a repeated time acts at its first occurrence, so
    the window does not close and reopen during the repeated hour.
    """
    if not window or wall < CLOCK_VALID_FROM:
        return False
    start, end = parse_window(window)
    zone = tz or UTC
    today = datetime.fromtimestamp(wall, zone).date()
    return _last_reached(start, today, zone, wall) > _last_reached(end, today, zone, wall)


def _last_reached(minute: int, today: date, zone: tzinfo, wall: float) -> float:
    """Epoch of the latest moment, up to ``wall``, the local clock reached ``minute``."""
    at = _reached(today, minute, zone)
    return at if at <= wall else _reached(today - timedelta(days=1), minute, zone)


@lru_cache(maxsize=256)
def _reached(day: date, minute: int, zone: tzinfo) -> float:
    """Epoch at which the local clock first shows ``minute`` (after midnight) on ``day``."""
    naive = datetime.combine(day, dtime(minute // 60, minute % 60))
    first = naive.replace(tzinfo=zone).timestamp()  # fold=0: the first occurrence
    if datetime.fromtimestamp(first, zone).replace(tzinfo=None) == naive:
        return first
    # skipped by a jump forward: find the jump, between the readings with either offset
    lo, hi = naive.replace(tzinfo=zone, fold=1).timestamp(), first
    lo, hi = min(lo, hi), max(lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi


def sun_elevation(latitude: float, longitude: float, wall: float) -> float:
    """Solar elevation in degrees above the horizon (astral), at epoch ``wall``."""
    from astral import Observer
    from astral.sun import elevation

    return elevation(Observer(latitude, longitude), datetime.fromtimestamp(wall, UTC))
