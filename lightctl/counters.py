"""What the lamp costs and how worn the relay is: ON time, energy and switch cycles.

The daemon feeds :class:`Counters` from its switch effects and its clock; the core is
not involved (the counts change no decision). ON time is measured on the monotonic
clock, so a wall-clock jump never adds or removes hours; the wall clock only says
which local day and month an ON second belongs to. Energy is ON time times the lamp
power in force at that time (a power change counts from the moment it is made).

A relay cycle is one switch ON (a close and its later open): what a relay's rated
electrical life counts.

Persistence is in ``state_dir/counters.json`` plus a copy, ``counters.json.bak``, each
written atomically (temp file, fsync, rename, folder fsync) every ``flush_period``
seconds and at stop, so a kill -9 loses at most one flush period. Loading takes the
readable file with the highest totals, so a corrupted or missing file falls back on
the other; and a counter never goes backwards, since totals only ever grow.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import time as dt_time
from pathlib import Path
from typing import Any

from lightctl.core.model import Instant, evolve

log = logging.getLogger("lightctl.counters")

FILE_NAME = "counters.json"
BACKUP_SUFFIX = ".bak"
FORMAT_VERSION = 1
FLUSH_PERIOD = 60.0  # s
WEAR_PROBLEM = 0.9  # share of the rated cycles past which the relay is a problem
PROBLEM_KEY = "relay-wear"


@dataclass(frozen=True, slots=True)
class Tally:
    """ON seconds and energy (Wh) over one period; ``period`` names it ("" for all time)."""

    period: str = ""
    on_seconds: float = 0.0
    energy_wh: float = 0.0

    def add(self, seconds: float, power: float) -> Tally:
        # built directly: dataclasses.replace costs several times more, at every step
        return Tally(
            self.period, self.on_seconds + seconds, self.energy_wh + seconds * power / 3600.0
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "on_hours": round(self.on_seconds / 3600.0, 6),
            "energy_kwh": round(self.energy_wh / 1000.0, 6),
        }


@dataclass(frozen=True, slots=True)
class Totals:
    """A snapshot of every counter; ``rated`` is the relay's rated cycles."""

    total: Tally = Tally()
    today: Tally = Tally()
    month: Tally = Tally()
    cycles: int = 0
    rated: int = 100_000

    @property
    def wear(self) -> float:
        """Share of the rated cycles used (1.0 = rated life reached)."""
        return self.cycles / self.rated if self.rated > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """The ``counters`` object of /api/status and the MQTT state."""
        return {
            "on_seconds": round(self.total.on_seconds, 3),
            "on_hours": round(self.total.on_seconds / 3600.0, 6),
            "energy_kwh": round(self.total.energy_wh / 1000.0, 6),
            "today": {"date": self.today.period, **self.today.to_json()},
            "month": {"month": self.month.period, **self.month.to_json()},
            "relay_cycles": self.cycles,
            "relay_rated_cycles": self.rated,
            "relay_wear_percent": round(100.0 * self.wear, 2),
        }


def _tally(data: Any, name: str) -> Tally:
    if not isinstance(data, dict):
        raise ValueError(f"{name} must be an object")
    period = data.get("period", "")
    seconds, wh = data.get("on_seconds"), data.get("energy_wh")
    for value in (seconds, wh):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} needs finite, non-negative on_seconds and energy_wh")
    if not isinstance(period, str):
        raise ValueError(f"{name}.period must be text")
    return Tally(period, float(seconds), float(wh))


def totals_from_json(data: Any) -> Totals:
    """Parse a counters file's object; ValueError naming the problem."""
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise ValueError(f"not a version {FORMAT_VERSION} counters object")
    cycles = data.get("cycles")
    if not isinstance(cycles, int) or isinstance(cycles, bool) or cycles < 0:
        raise ValueError(f"cycles must be a whole number >= 0, got {cycles!r}")
    return Totals(
        total=_tally(data.get("total"), "total"),
        today=_tally(data.get("today"), "today"),
        month=_tally(data.get("month"), "month"),
        cycles=cycles,
    )


def totals_to_json(t: Totals, saved_at: float) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "saved_at": saved_at,
        "total": asdict(t.total),
        "today": asdict(t.today),
        "month": asdict(t.month),
        "cycles": t.cycles,
    }


class CounterFile:
    """The two atomically written copies of the counters in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / FILE_NAME
        self.backup = self.folder / (FILE_NAME + BACKUP_SUFFIX)

    def load(self) -> Totals | None:
        """The readable copy with the highest totals; None when neither is readable."""
        best: Totals | None = None
        for path in (self.path, self.backup):
            try:
                t = totals_from_json(json.loads(path.read_bytes().decode("utf-8")))
            except FileNotFoundError:
                continue
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                log.error("counters file %s is unreadable (%s); using the other copy", path, exc)
                continue
            if best is None or _key(t) > _key(best):
                best = t
        return best

    def save(self, t: Totals, saved_at: float) -> None:
        """Write both copies, each so that a kill at any instant leaves old or new."""
        data = json.dumps(totals_to_json(t, saved_at), allow_nan=False, sort_keys=True)
        self.folder.mkdir(mode=0o750, parents=True, exist_ok=True)
        for path in (self.path, self.backup):
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(data + "\n")
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
            _fsync_dir(self.folder)


def _key(t: Totals) -> tuple[float, float, int]:
    return (t.total.on_seconds, t.total.energy_wh, t.cycles)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        with contextlib.suppress(OSError):  # some filesystems refuse; the data is synced
            os.fsync(fd)
    finally:
        os.close(fd)


def _periods(wall: float, tz: tzinfo | None) -> tuple[str, str]:
    local = datetime.fromtimestamp(wall, tz or UTC)
    return local.date().isoformat(), local.strftime("%Y-%m")


class _Days:
    """The local day (and month) of a wall time, and that day's midnight, remembered for
    the day in hand: the counters ask at every step, and the zone's arithmetic was a
    good part of a command's cost. Exact: a day is remembered only once its end is
    checked, so a zone that changes its clock at midnight is still asked each time."""

    def __init__(self, tz: tzinfo | None):
        self.tz = tz or UTC
        self._day: tuple[float, float, str, str] | None = None  # start, end, day, month

    def at(self, wall: float) -> tuple[str, str, float]:
        """(day "YYYY-MM-DD", month "YYYY-MM", local midnight of that day) at ``wall``."""
        day = self._day
        if day is not None and day[0] <= wall < day[1]:
            return day[2], day[3], day[0]
        local = datetime.fromtimestamp(wall, self.tz)
        name, month = local.date().isoformat(), local.strftime("%Y-%m")
        start = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        nxt = datetime.combine(local.date() + timedelta(days=1), dt_time(), self.tz).timestamp()
        # remembered only when both ends hold: [start, nxt) is that local day
        ends = (_periods(start, self.tz)[0], _periods(nxt - 0.001, self.tz)[0])
        if start <= wall < nxt and ends == (name, name) and _periods(nxt, self.tz)[0] != name:
            self._day = (start, nxt, name, month)
        return name, month, start


class Counters:
    """ON time, energy and relay cycles; fed on the control thread, read as :class:`Totals`.

    ``store`` is a :class:`CounterFile` (None keeps the counts in memory only). A flush
    hands ``(totals, wall)`` to :attr:`sink`, by default the store's save; the daemon
    sets it to a saver thread's submit so no fsync waits on the control thread.
    """

    def __init__(
        self,
        store: CounterFile | None = None,
        *,
        tz: tzinfo | None = None,
        flush_period: float = FLUSH_PERIOD,
        rated: int = 100_000,
        power: float = 0.0,
    ):
        self.store = store
        self.tz = tz
        self._days = _Days(tz)
        self.flush_period = flush_period
        self.power = power
        self._on = False
        self._last: Instant | None = None
        self._next_flush: float | None = None
        self._totals = Totals(rated=rated)
        if store is not None:
            loaded = store.load()
            if loaded is not None:
                self._totals = replace(loaded, rated=rated)
        self._dirty = False
        self.sink: Callable[[tuple[Totals, float]], None] | None = (
            None if store is None else (lambda item: store.save(*item))
        )

    @property
    def totals(self) -> Totals:
        return self._totals

    def advance(self, at: Instant, power: float | None = None, rated: int | None = None) -> None:
        """Count the time up to ``at`` at the power in force, then take ``power`` and
        ``rated`` (the settings from now on)."""
        t = self._totals
        if self._last is not None and self._on:
            self._count(self._last, at)
            t = self._totals
        else:  # keep today/month named after the clock even while the lamp is off
            day, month, _ = self._days.at(at.wall)
            if day != t.today.period or month != t.month.period:
                t = evolve(
                    t,
                    {
                        "today": t.today if day == t.today.period else Tally(day),
                        "month": t.month if month == t.month.period else Tally(month),
                    },
                )
        if self._last is None or at.mono >= self._last.mono:
            self._last = at
        if power is not None:
            self.power = power
        if rated is not None and rated != t.rated:
            t = evolve(t, {"rated": rated})
        if t is not self._totals:
            self._totals = t

    def switch(self, at: Instant, on: bool) -> None:
        """The relay switched at ``at``: count up to then; an ON is one relay cycle."""
        self.advance(at)
        if on and not self._on:
            self._totals = evolve(self._totals, {"cycles": self._totals.cycles + 1})
            self._dirty = True
            self._next_flush = -math.inf  # a few a day: saved at once, the count stays exact
        self._on = on

    def _count(self, start: Instant, end: Instant) -> None:
        """Add ON time between two instants; split at local midnight for today/month."""
        seconds = end.mono - start.mono
        if seconds <= 0:
            return
        t = self._totals
        day, month, midnight = self._days.at(end.wall)
        first_day, first_month, _ = self._days.at(end.wall - seconds)
        # a span that crosses local midnight: only its part since midnight is today's
        in_day = seconds if first_day == day else min(seconds, max(0.0, end.wall - midnight))
        in_month = seconds if first_month == month else in_day
        today = t.today if t.today.period == day else Tally(day)
        month_t = t.month if t.month.period == month else Tally(month)
        self._totals = evolve(
            t,
            {
                "total": t.total.add(seconds, self.power),
                "today": today.add(in_day, self.power),
                "month": month_t.add(in_month, self.power),
            },
        )
        self._dirty = True

    def maybe_flush(self, now_mono: float, wall: float) -> bool:
        """Save when a flush period has passed since the last save; True if saved."""
        if self._next_flush is None:
            self._next_flush = now_mono + self.flush_period
        if now_mono < self._next_flush:
            return False
        self._next_flush = now_mono + self.flush_period
        return self.flush(wall)

    def flush(self, wall: float | None = None) -> bool:
        """Save now (when anything changed); raises OSError when the disk refuses."""
        if self.sink is None or not self._dirty:
            return False
        self.sink((self._totals, time.time() if wall is None else wall))
        self._dirty = False
        return True

    def wear_problem(self) -> str | None:
        """A problem text past :data:`WEAR_PROBLEM` of the rated cycles, else None."""
        t = self._totals
        if t.wear < WEAR_PROBLEM:
            return None
        return (
            f"relay has switched {t.cycles} times, {100 * t.wear:.0f} % of its rated "
            f"{t.rated} cycles: plan to replace it"
        )
