"""Away mode: an empty house that does not switch like a machine; pure.

While away, the light rules still switch the lamp ON at dusk, but each night the lamp
goes OFF at a time drawn inside ``away_off_window`` and, with ``away_morning``, may come
ON again for a spell before dawn (only while the latched decision says dark).

A *night* runs from local noon to the next local noon and is named by its evening's
date, like the replay summary's nights. Its times are drawn from a SHA-256 of
``away_seed`` and that date: the same seed and date give the same times in the daemon,
in ``lightctl replay`` and in the page's preview, on any machine; another date gives
other times. A window time before noon belongs to the morning after the evening.

Each time is a whole second of epoch time. The lamp is judged against them to the
millisecond, like every other time in the core, so a tick the daemon folds at a drawn
time (a deadline) and a replay's tick there decide alike.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

from lightctl.core.schedule import CLOCK_VALID_FROM, _reached, parse_window

if TYPE_CHECKING:
    from lightctl.core.settings import Settings

NOON = 12 * 60  # minutes after midnight: where one night ends and the next begins
#: Past this (year 9986) the next night's dates overflow datetime: away keeps out.
_LAST_WALL = 253_000_000_000.0


def _usable(wall: float) -> bool:
    """A set clock (see schedule.CLOCK_VALID_FROM) with dates datetime can hold."""
    return math.isfinite(wall) and CLOCK_VALID_FROM <= wall <= _LAST_WALL


def check_window(text: str) -> tuple[int, int]:
    """parse_window, and the window must not contain noon (a night ends there)."""
    a, b = parse_window(text)
    crosses_midnight = b < a
    if (not crosses_midnight and a < NOON < b) or (crosses_midnight and (a < NOON or b > NOON)):
        raise ValueError("must lie within one night: not across 12:00")
    return a, b


@dataclass(frozen=True, slots=True)
class Night:
    """One night's drawn times (epoch seconds): the OFF time, and the morning spell
    ``[spell_on, spell_off)`` when there is one that comes after the OFF time."""

    evening: date
    start: float  # local noon of the evening
    end: float  # local noon of the next day
    off_at: float
    spell_on: float | None = None
    spell_off: float | None = None

    @property
    def edges(self) -> tuple[float, ...]:
        """The times the lamp may change by the away rule (the deadlines)."""
        spell = () if self.spell_on is None else (self.spell_on, self.spell_off)
        return (self.off_at, *spell)


def _fraction(seed: int, evening: date, what: str) -> float:
    """A number in [0, 1) fixed by the seed, the evening's date and what it is for."""
    digest = hashlib.sha256(f"lightctl away {seed} {evening.isoformat()} {what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def _span(window: str, evening: date, zone: tzinfo) -> tuple[float, float]:
    """Epochs of a window's start and end in the night of ``evening``."""
    a, b = check_window(window)
    day = evening if a >= NOON else evening + timedelta(days=1)
    end_day = day if b > a else day + timedelta(days=1)
    return _reached(day, a, zone), _reached(end_day, b, zone)


def _draw(lo: float, hi: float, u: float) -> float:
    """A whole second in [lo, hi) (lo itself when the span is shorter than a second)."""
    return lo + float(int(u * max(0.0, hi - lo)))


@lru_cache(maxsize=128)
def night(window: str, morning: str | None, seed: int, evening: date, zone: tzinfo) -> Night:
    """The drawn times of the night of ``evening``.

    The OFF time is uniform over the window. The morning spell starts in the first half
    of ``morning`` and ends in the second half; a spell that would end before the OFF
    time is dropped, one that starts before it begins at it.
    """
    start = _reached(evening, NOON, zone)
    end = _reached(evening + timedelta(days=1), NOON, zone)
    lo, hi = _span(window, evening, zone)
    off_at = _draw(lo, hi, _fraction(seed, evening, "off"))
    if not morning:
        return Night(evening, start, end, off_at)
    lo, hi = _span(morning, evening, zone)
    mid = lo + float(int((hi - lo) / 2))
    spell_on = _draw(lo, mid, _fraction(seed, evening, "morning on"))
    spell_off = _draw(mid, hi, _fraction(seed, evening, "morning off"))
    if spell_off <= off_at or spell_off <= spell_on:
        return Night(evening, start, end, off_at)
    return Night(evening, start, end, off_at, max(spell_on, off_at), spell_off)


def evening_of(wall: float, zone: tzinfo) -> date:
    """The evening whose night holds ``wall``: local noon to local noon (exact epochs)."""
    day = datetime.fromtimestamp(wall, zone).date()
    return day if wall >= _reached(day, NOON, zone) else day - timedelta(days=1)


def night_at(s: Settings, wall: float, tz: tzinfo | None) -> Night:
    """The night that holds ``wall``, drawn with the settings' window, spell and seed."""
    zone = tz or UTC
    return night(s.away_off_window, s.away_morning, s.away_seed, evening_of(wall, zone), zone)


def reached(wall: float, at: float) -> bool:
    """True once ``wall`` has reached ``at``, to the millisecond (as ``model.elapsed``)."""
    return round((wall - at) * 1000.0) >= 0


def phase(s: Settings, wall: float, tz: tzinfo | None) -> tuple[bool, bool]:
    """(forced OFF, in the morning spell) at ``wall``; neither before the clock is set."""
    if not _usable(wall):
        return False, False
    n = night_at(s, wall, tz)
    if not reached(wall, n.off_at):
        return False, False
    spell = n.spell_on is not None and reached(wall, n.spell_on) and not reached(wall, n.spell_off)
    return not spell, spell


def next_edge(s: Settings, wall: float, tz: tzinfo | None) -> float | None:
    """The first drawn time after ``wall`` (by a millisecond at least), or None before
    the clock is set."""
    if not _usable(wall):
        return None
    n = night_at(s, wall, tz)
    for edge in n.edges:
        if round((edge - wall) * 1000.0) > 0:
            return edge
    later = night_at(s, n.end, tz)
    return later.off_at
