"""Where the switch is: configured coordinates, else an estimate from the time zone.

A user who never typed a latitude still has a time zone, and tzdata's ``zone1970.tab``
names a reference point for each zone (Europe/Paris: +4852+00220, i.e. 48.87 N 2.33 E),
usually a few hundred km from the Pi at most. Everything here is pure: it parses text
that the shell has read (see :func:`lightctl.bootstrap.zone_location`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CONFIGURED = "configured"
TIMEZONE = "timezone"
NONE = "none"

# ISO 6709 as tzdata writes it: ±DDMM±DDDMM or ±DDMMSS±DDDMMSS
_ISO6709 = re.compile(r"([+-])(\d{2})(\d{2})(\d{2})?([+-])(\d{3})(\d{2})(\d{2})?")


@dataclass(frozen=True)
class Location:
    """The coordinates the switch uses and where they came from."""

    latitude: float | None
    longitude: float | None
    source: str = NONE  # "configured" | "timezone" | "none"
    zone: str = ""  # the time zone an estimate was taken from

    @property
    def known(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def describe(self) -> str:
        """One line for people: ``48.87 N 2.33 E (estimated from the time zone Europe/Paris)``."""
        if not self.known:
            return "none (set schedule.latitude and schedule.longitude)"
        return f"{format_coordinates(self.latitude, self.longitude)} ({self.origin()})"

    def origin(self) -> str:
        if self.source == CONFIGURED:
            return "configured"
        if self.source == TIMEZONE:
            return f"estimated from the time zone {self.zone}"
        return "none"

    def to_json(self) -> dict[str, Any]:
        return {
            "latitude": self.latitude,
            "longitude": self.longitude,
            "source": self.source,
            "zone": self.zone or None,
            "text": self.describe(),
        }


NO_LOCATION = Location(None, None)


def format_coordinates(latitude: float, longitude: float) -> str:
    ns = "N" if latitude >= 0 else "S"
    ew = "E" if longitude >= 0 else "W"
    return f"{abs(latitude):.2f} {ns} {abs(longitude):.2f} {ew}"


def parse_iso6709(text: str) -> tuple[float, float]:
    """``+4852+00220`` -> (48.8667, 2.3333); raises ValueError on anything else."""
    m = _ISO6709.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"not an ISO 6709 coordinate pair: {text!r}")
    lsign, ld, lm, ls, osign, od, om, osec = m.groups()
    if (ls is None) != (osec is None):
        raise ValueError(f"latitude and longitude differ in precision: {text!r}")
    lat = int(ld) + int(lm) / 60 + int(ls or 0) / 3600
    lon = int(od) + int(om) / 60 + int(osec or 0) / 3600
    if int(lm) >= 60 or int(om) >= 60 or int(ls or 0) >= 60 or int(osec or 0) >= 60:
        raise ValueError(f"minutes or seconds of 60 or more: {text!r}")
    if lat > 90 or lon > 180:
        raise ValueError(f"coordinates out of range: {text!r}")
    return (-lat if lsign == "-" else lat), (-lon if osign == "-" else lon)


def parse_zone_table(text: str) -> dict[str, tuple[float, float]]:
    """Zone name -> reference point, from the text of ``zone1970.tab`` or ``zone.tab``
    (codes, coordinates, zone, comment; tab-separated). Bad lines are skipped."""
    table: dict[str, tuple[float, float]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 3:
            continue
        try:
            table[cols[2].strip()] = parse_iso6709(cols[1])
        except ValueError:
            continue
    return table


def zone_estimate(zone: str, tables: list[str]) -> Location:
    """The zone's reference point from the first table text that lists it, else none."""
    if zone:
        for text in tables:
            point = parse_zone_table(text).get(zone)
            if point is not None:
                return Location(round(point[0], 4), round(point[1], 4), TIMEZONE, zone)
    return NO_LOCATION


def effective(latitude: float | None, longitude: float | None, estimate: Location) -> Location:
    """Configured coordinates are used as given; without them, the estimate (maybe none)."""
    if latitude is not None and longitude is not None:
        return Location(latitude, longitude, CONFIGURED)
    return estimate
