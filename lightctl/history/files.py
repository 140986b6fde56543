"""Recorded light samples and switch events, kept in memory and in daily CSV files.

The page's chart, ``/api/history``, ``/api/preview`` and ``lightctl replay`` read
this history. A Pi's SD card wears with every small write, so additions are
buffered in memory and appended to disk in batches (``maybe_flush``, every
``flush_interval`` s), without an fsync: a power cut may lose the last batch.
Only the runtime settings (``store.py``) are written with the full
fsync-and-rename ceremony.

On disk, one file per UTC day under ``state_dir/history``::

    samples-2026-11-27.csv   epoch,lux        (empty lux = failed reading)
    events-2026-11-27.csv    epoch,on|off,reason
    inputs-2026-11-27.csv    epoch,kind,{json}  (commands, settings changes, starts, stops)

The inputs are what a faithful replay needs besides the samples (lightctl/journal.py):
a person's commands, settings changes, and each start of the daemon with the state it
restored, so ``lightctl replay`` of this folder takes the daemon's own decisions.

Values are rounded to 3 decimals when added, so what the page shows live is
what it shows after a restart. Lines cut short by a crash are skipped on read
and the next append starts on a fresh line. Files wholly older than the
retention are deleted; a wall clock that jumps backwards (NTP at boot) is
tolerated: samples are kept sorted by time in memory, and each batch is written
in time order.

Each file is checked as it loads: a line's time must lie inside the file's UTC
day and not before the previous line's (so a bogus ``1000000000000000`` or a
line written before a backward clock step of more than one batch is dropped),
and its lux must be empty or a finite number >= 0. What is skipped is counted
and logged once per file with its name.

Samples files are read with numpy (:mod:`lightctl.history.fastparse`), line by line
only when a file holds a bad line. Once loaded, samples live in two float64 columns
(NaN = failed reading, :mod:`lightctl.history.columns`): 16 bytes a sample, about
11 MB for 8 days at 1 Hz, kept in files the kernel caches rather than in the daemon's
memory. An input is kept as its JSON text (about 0.5 KB for a
settings change, against 1.9 KB as a dict of 17 fields) and decoded when read: Home
Assistant may change a setting every few seconds, and 8 days of such changes must
not crowd a Pi Zero's memory.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import sys
from array import array
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("lightctl.history")

DAY = 86_400.0
NAN = math.nan
_FILE_RE = re.compile(r"^(samples|events|inputs)-(\d{4}-\d{2}-\d{2})\.csv$")
_REASON_BAD = re.compile(r"[\r\n,]")

Sample = tuple[float, float | None]
Event = tuple[float, bool, str]
Input = tuple[float, str, dict]
_Record = tuple[float, str, str]  # an input as kept in memory: (wall, kind, JSON text)


def _time(item: tuple) -> float:
    return item[0]


def _line_time(line: str) -> float:
    return float(line.partition(",")[0])


def _day(wall: float) -> int:
    return int(wall // DAY)


def _day_name(day: int) -> str:
    return datetime.fromtimestamp(day * DAY, UTC).strftime("%Y-%m-%d")


def _name_day(name: str) -> int | None:
    try:
        d = datetime.strptime(name, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return _day(d.timestamp())


def _num(value: float) -> str:
    """3 decimals, trailing zeros dropped: fewer bytes on the SD card."""
    text = f"{value:.3f}".rstrip("0")
    return text[:-1] if text.endswith(".") else text


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    lines.pop()  # "" after the last newline, or a last line cut by a crash
    return lines


def _parse_samples(text: str, day: int, times: array, values: array) -> int:
    """Append the valid ``epoch,lux`` lines of ``text`` (the file of UTC ``day``).

    Valid: the time inside that day and not before the previous valid line, the lux
    empty (a failed reading) or a finite number >= 0. Returns how many lines were
    skipped; a last line cut short by a crash is not counted.
    """
    lo, hi = day * DAY, (day + 1) * DAY
    last = lo
    skipped = 0
    for line in _lines(text):
        t, sep, v = line.partition(",")
        try:
            tf = float(t)
            vf = float(v) if v else NAN
        except ValueError:
            skipped += 1
            continue
        # NaN compares False everywhere: a "nan" time or lux is skipped too
        if sep and last <= tf < hi and (vf >= 0.0 and vf != math.inf or not v):
            times.append(tf)
            values.append(vf)
            last = tf
        else:
            skipped += 1
    return skipped


def _parse_events(text: str, day: int, out: list[Event]) -> int:
    """Append the valid ``epoch,on|off,reason`` lines; returns how many were skipped."""
    lo, hi = day * DAY, (day + 1) * DAY
    last = lo
    skipped = 0
    for line in _lines(text):
        parts = line.split(",", 2)
        if len(parts) != 3 or parts[1] not in ("on", "off"):
            skipped += 1
            continue
        try:
            t = float(parts[0])
        except ValueError:
            skipped += 1
            continue
        if last <= t < hi:
            out.append((t, parts[1] == "on", parts[2]))
            last = t
        else:
            skipped += 1
    return skipped


def _read_file(path: Path, kind: str, day: int, events: list[Event], inputs: list[_Record]) -> None:
    """Load one daily events or inputs file; bad lines are skipped, counted and logged once
    with its name. Raises OSError when the file cannot be read."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if kind == "inputs":
        _parse_inputs(text, inputs)
    else:
        _log_skipped(path, kind, _parse_events(text, day, events))


def _log_skipped(path: Path, kind: str, skipped: int) -> None:
    if skipped:
        log.warning(
            "history: skipped %d bad line%s in %s (time outside the file's day or going "
            "back, lux not a number >= 0, or not %s)",
            skipped,
            "" if skipped == 1 else "s",
            path,
            "epoch,lux" if kind == "samples" else "epoch,on|off,reason",
        )


def read_samples(path: Path, day: int):
    """(times, lux) of one daily samples file as float64 numpy arrays, in time order.

    Read with numpy; a file with a bad line is read line by line instead, and what is
    skipped is logged once with its name. Raises OSError when the file cannot be read.
    """
    import numpy as np

    from lightctl.history.fastparse import parse_samples

    data = path.read_bytes()
    found = parse_samples(data, day * DAY, (day + 1) * DAY)
    if found is not None:
        return found
    times, values = array("d"), array("d")
    text = data.decode("utf-8", errors="replace")
    _log_skipped(path, "samples", _parse_samples(text, day, times, values))
    return np.frombuffer(times, dtype=np.float64), np.frombuffer(values, dtype=np.float64)


def _parse_inputs(text: str, out: list[_Record]) -> None:
    """Append the valid ``epoch,kind,{json}`` lines, the JSON kept as text."""
    lines = text.split("\n")
    if not text.endswith("\n"):
        lines.pop()
    for line in lines:
        parts = line.split(",", 2)
        if len(parts) != 3:
            continue
        try:
            t = float(parts[0])
            data = json.loads(parts[2])
        except ValueError:
            continue
        if math.isfinite(t) and isinstance(data, dict):
            out.append((t, sys.intern(parts[1]), parts[2]))


def _list_files(folder: Path) -> list[tuple[int, str, Path]]:
    """(day, kind, path) of the history files in ``folder``, oldest first."""
    found = []
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        m = _FILE_RE.match(path.name)
        if m and (day := _name_day(m.group(2))) is not None:
            found.append((day, m.group(1), path))
    return sorted(found)


def append_lines(path: Path, lines: list[str]) -> None:
    with open(path, "ab+") as f:
        if f.tell() > 0:
            f.seek(-1, 2)
            if f.read(1) != b"\n":  # a line cut by a crash: do not glue onto it
                lines = ["\n", *lines]
        f.write("".join(lines).encode("utf-8"))


def prune_files(folder: Path, cutoff: float) -> None:
    """Delete the daily files wholly older than ``cutoff`` (epoch s)."""
    if not folder.is_dir():
        return
    for day, _kind, path in _list_files(folder):
        if (day + 1) * DAY <= cutoff:
            try:
                path.unlink()
            except OSError as exc:
                log.warning("cannot delete old history file %s: %s", path, exc)


def read_folder(folder: Path) -> tuple[list[Sample], list[Event]]:
    """Everything recorded in ``folder``, sorted, for ``lightctl replay``.

    Raises FileNotFoundError when the folder does not exist.
    """
    samples, events, _inputs = read_all(folder)
    return samples, events


def read_events(folder: Path) -> list[Event]:
    """Only the switch events recorded in ``folder``, sorted (``check-config``: no
    samples read); an empty list when there is no such folder."""
    events: list[Event] = []
    for day_no, kind, path in _list_files(Path(folder)):
        if kind == "events":
            with contextlib.suppress(OSError):
                _read_file(path, kind, day_no, events, [])
    return sorted(events, key=_time)


def read_all(folder: Path) -> tuple[list[Sample], list[Event], list[Input]]:
    """Samples, switch events and inputs recorded in ``folder``, each sorted by time."""
    times, lux, events, inputs = read_all_columns(folder)
    pairs = zip(times.tolist(), lux.tolist(), strict=True)
    return [(a, None if b != b else b) for a, b in pairs], events, inputs


def read_all_columns(folder: Path):
    """:func:`read_all` with the samples as two float64 columns (times, lux; NaN = a
    failed reading): 8 days at 1 Hz are 11 MB so, and about ten times that as tuples.
    Raises FileNotFoundError when the folder does not exist."""
    import numpy as np

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no history folder {folder}")
    times: list = []
    lux: list = []
    events: list[Event] = []
    records: list[_Record] = []
    for day_no, kind, path in _list_files(folder):
        if kind != "samples":
            _read_file(path, kind, day_no, events, records)
            continue
        t, v = read_samples(path, day_no)  # inside its day: the files come in time order
        times.append(t)
        lux.append(v)
    inputs = [(w, k, json.loads(x)) for w, k, x in sorted(records, key=_time)]
    columns = [np.concatenate(c) if c else np.empty(0) for c in (times, lux)]
    return columns[0], columns[1], sorted(events, key=_time), inputs


def load_since(folder: Path, cutoff: float):
    """Samples (:class:`lightctl.history.columns.Columns`), events and inputs (their JSON
    as text) from ``cutoff`` on; a file that cannot be read is logged and skipped."""
    from lightctl.history.columns import Columns, remove_stale

    files = [f for f in _list_files(folder) if (f[0] + 1) * DAY > cutoff]
    remove_stale(folder)  # a crash's
    columns = Columns(folder)  # in files there (in memory if they cannot be had)
    events: list[Event] = []
    inputs: list[_Record] = []
    for day_no, kind, path in files:
        try:
            if kind != "samples":
                _read_file(path, kind, day_no, events, inputs)
                continue
            t, v = read_samples(path, day_no)
        except OSError as exc:
            log.warning("cannot read %s: %s", path, exc)
            continue
        if day_no * DAY < cutoff:
            k = int(t.searchsorted(cutoff))
            t, v = t[k:], v[k:]
        columns.extend(t, v)  # inside its day: the files come in time order
        del t, v
    return columns, [e for e in events if e[0] >= cutoff], [e for e in inputs if e[0] >= cutoff]
