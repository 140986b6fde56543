"""Reading recorded light levels for `lightctl replay`: our CSV and Home Assistant's export.

Formats (detected from the header):

- ``time,lux`` — one row per sampling period; time as epoch seconds or ISO-8601
  (naive times are local); an empty or non-numeric lux is a failed reading.
- ``entity_id,state,last_changed`` — Home Assistant's history export. It only holds
  changes, so each value is carried forward every ``interval`` seconds until the
  next change (the sensor would have kept reading it); ``unavailable``/``unknown``
  become failed readings.
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo
from typing import TextIO

from lightctl.errors import LightctlError

#: Times a replay accepts: 1970 to 2100 (epoch seconds). Past that, dates overflow.
TIME_RANGE = (0.0, 4_102_444_800.0)


class InputError(LightctlError, ValueError):
    """A replay input that cannot be read; names the line."""


def read_columns(
    source: str | TextIO,
    *,
    tz: tzinfo | None,
    interval: float = 1.0,
    notes: list[str] | None = None,
):
    """``(times, lux)`` numpy columns (NaN = failed reading), sorted by time.

    ``source`` is a file path or an open text stream. Plain ``time,lux`` CSV with epoch
    times goes through numpy's C parser (a week at 1 Hz in about 0.2 s); anything else
    (ISO times, empty or text lux values, Home Assistant's export) through
    :func:`read_samples`. ``notes`` collects what a person should know about the
    input (rows whose lux is not a number).
    """
    import numpy as np

    if isinstance(source, str):
        with open(source, encoding="utf-8", errors="replace") as fh:
            head = fh.readline()
        if head.strip().lower().replace(" ", "") == "time,lux":
            data = _loadtxt(source)
            if data is not None:
                return data
        with open(source, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    else:
        text = source.read()
        head, _, body = text.partition("\n")
        if head.strip().lower().replace(" ", "") == "time,lux" and body.strip():
            data = _loadtxt(io.StringIO(body), skip=0)
            if data is not None:
                return data
    samples = read_samples(io.StringIO(text), tz=tz, interval=interval, notes=notes)
    times = np.array([t for t, _ in samples], dtype=float)
    lux = np.array([np.nan if v is None else v for _, v in samples], dtype=float)
    return times, lux


def _lux_or_nan(text: str) -> float:
    """An empty lux field is a failed reading (NaN); other text makes loadtxt give up."""
    return float(text) if text.strip() else math.nan


def _loadtxt(source, skip: int = 1):
    """numpy's fast path for epoch,lux rows; None when the rows need the careful reader.

    Plain floats parse fastest without a converter; a file with empty lux fields
    (failed readings) is read again with one that turns them into NaN.
    """
    import numpy as np

    if not isinstance(source, str):
        source = source.read().splitlines()
    data = None
    for converters in (None, {1: _lux_or_nan}):
        try:
            with warnings.catch_warnings():  # "input contained no data": the caller says it
                warnings.simplefilter("ignore", UserWarning)
                data = np.loadtxt(
                    source,
                    delimiter=",",
                    dtype=float,
                    ndmin=2,
                    comments="#",
                    skiprows=skip,
                    encoding="utf-8",
                    converters=converters,
                )
            break
        except ValueError:
            continue
    if data is None or data.shape[0] == 0 or data.shape[1] != 2:
        return None
    lo, hi = TIME_RANGE
    if not ((data[:, 0] >= lo) & (data[:, 0] < hi)).all():
        return None  # the careful reader names the line
    times, lux = data[:, 0], data[:, 1]
    if len(times) > 1 and not (np.diff(times) >= 0).all():
        order = np.argsort(times, kind="stable")
        times, lux = times[order], lux[order]
    return np.ascontiguousarray(times), np.ascontiguousarray(lux)


def parse_time(text: str, tz: tzinfo | None) -> float:
    """Epoch seconds from epoch text or ISO-8601 (naive -> ``tz``)."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        if not TIME_RANGE[0] <= value < TIME_RANGE[1]:
            raise ValueError(f"time {text!r} is not epoch seconds between 1970 and 2100")
        return value
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"time {text!r} is neither epoch seconds nor ISO-8601") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz) if tz is not None else dt.astimezone()
    return dt.timestamp()


def parse_lux(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def read_samples(
    lines: Iterable[str],
    *,
    tz: tzinfo | None,
    interval: float = 1.0,
    notes: list[str] | None = None,
) -> list[tuple[float, float | None]]:
    """Samples ``(epoch, lux or None)`` in time order from either CSV format; rows whose
    lux is text are failed readings, counted in ``notes``."""
    rows = csv.reader(line for line in lines if line.strip() and not line.startswith("#"))
    header = next(rows, None)
    if header is None:
        return []
    names = [h.strip().lower() for h in header]
    if {"entity_id", "state", "last_changed"} <= set(names):
        return list(_home_assistant(rows, names, tz, interval))
    if names[:2] == ["time", "lux"]:
        body: Iterable[list[str]] = rows
    elif len(names) >= 2 and _looks_numeric(header[0]):
        body = _chain([header], rows)  # no header: the first line is data
    else:
        raise InputError(
            "line 1: expected a header 'time,lux' or 'entity_id,state,last_changed', "
            f"got {','.join(header)!r}"
        )
    out: list[tuple[float, float | None]] = []
    bad: list[tuple[int, str]] = []
    for n, row in enumerate(body, start=2):
        if len(row) < 2:
            raise InputError(f"line {n}: expected time,lux, got {','.join(row)!r}")
        try:
            t = parse_time(row[0], tz)
        except ValueError as exc:
            raise InputError(f"line {n}: {exc}") from None
        lux = parse_lux(row[1])
        if lux is None and row[1].strip():
            bad.append((n, row[1].strip()))
        out.append((t, lux))
    if bad and notes is not None:
        n, text = bad[0]
        rows = "1 row has" if len(bad) == 1 else f"{len(bad)} rows have"
        notes.append(
            f"{rows} a lux that is not a number (first: line {n}, {text[:20]!r}); "
            "counted as failed readings"
        )
    out.sort(key=lambda s: s[0])
    return out


def _home_assistant(
    rows: Iterable[list[str]], names: list[str], tz: tzinfo | None, interval: float
) -> Iterator[tuple[float, float | None]]:
    i_state, i_time = names.index("state"), names.index("last_changed")
    changes: list[tuple[float, float | None]] = []
    for n, row in enumerate(rows, start=2):
        try:
            changes.append((parse_time(row[i_time], tz), parse_lux(row[i_state])))
        except (ValueError, IndexError) as exc:
            raise InputError(f"line {n}: {exc}") from None
    changes.sort(key=lambda s: s[0])
    for (t, v), nxt in zip(changes, [*changes[1:], None], strict=True):
        yield t, v
        if nxt is None:
            break
        k = 1
        while t + k * interval < nxt[0]:
            yield t + k * interval, v
            k += 1


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _chain(first: list[list[str]], rest: Iterable[list[str]]) -> Iterator[list[str]]:
    yield from first
    yield from rest
