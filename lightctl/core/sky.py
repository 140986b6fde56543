"""The sky as a second sensor: where the sun is, for the rules that check the light; pure.

The site is the configured latitude/longitude, else the location the shell estimated
from the time zone (``ControlState.site``). The elevation is computed once
a minute (astral, as the sun guard does) and cached in the state, so a replay that
asks for the same minutes gets the same numbers.
"""

from __future__ import annotations

from lightctl.core.model import (
    DAY_ELEVATION,
    NIGHT_ELEVATION,
    ControlState,
    Instant,
)
from lightctl.core.schedule import CLOCK_VALID_FROM, sun_elevation

COVERED = "the sensor reads dark in daylight: covered, dirty or miswired?"


def elevation(state: ControlState, now: Instant, changes: dict) -> float | None:
    """The sun's elevation at the site this minute; None without a site or a set clock."""
    s = changes.get("settings", state.settings)
    if s.latitude is not None and s.longitude is not None:
        lat, lon = s.latitude, s.longitude  # configured coordinates, as given
    elif state.site is not None:
        lat, lon = state.site  # estimated from the time zone
    else:
        return None
    if now.wall < CLOCK_VALID_FROM:
        return None
    key = (int(now.wall // 60), lat, lon)
    if changes.get("sky_key", state.sky_key) == key:
        return changes.get("sky_elevation", state.sky_elevation)
    elev = sun_elevation(lat, lon, key[0] * 60.0)
    changes["sky_key"], changes["sky_elevation"] = key, elev
    return elev


def deep_night(elev: float | None) -> bool:
    return elev is not None and elev < NIGHT_ELEVATION


def broad_day(elev: float | None) -> bool:
    return elev is not None and elev > DAY_ELEVATION
