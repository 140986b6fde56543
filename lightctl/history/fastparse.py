"""A day's samples file read with numpy: 8 days load in a fraction of the time, with no
Python object per line.

A file as the daemon writes it (``epoch,lux`` lines, digits and at most one dot per
number, an empty lux for a failed reading) is read here column by column. Each number
is read as the integer N of its digits and its count d of decimals, then divided by
10**d: N < 2**53 and 10**d are exact in float64 and IEEE division rounds correctly, so
the result is the float nearest the decimal text, bit for bit what ``float()`` gives.
Anything else (another character, more than 15 digits, a time outside the file's day or
going back) returns None and the file is read line by line instead, which skips and
counts the bad lines.
"""

from __future__ import annotations

import numpy as np

MAX_DIGITS = 15  # N < 10**15 < 2**53: exact in float64
PIECE = 1 << 18  # bytes of a file read at a time (about 12,000 lines)
_COMMA, _NEWLINE, _DOT, _ZERO = ord(","), ord("\n"), ord("."), ord("0")


def parse_samples(data: bytes, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(times, lux with NaN for an empty lux) of the complete lines of ``data``, or None
    when a line is not a plain ``epoch,lux``, or a time is outside [lo, hi) or goes back."""
    end = data.rfind(b"\n") + 1  # a last line cut short by a crash is not read
    n = data.count(b"\n", 0, end)
    times, lux = np.empty(n), np.empty(n)
    start = done = 0
    while start < end:  # a piece at a time: the temporaries stay a few hundred KB
        stop = data.rfind(b"\n", start, start + PIECE) + 1
        if stop <= start:
            return None  # a line longer than a piece: not a samples line
        found = _piece(np.frombuffer(data, np.uint8, count=stop - start, offset=start))
        if found is None:
            return None
        m = len(found[0])
        times[done : done + m], lux[done : done + m] = found
        done += m
        start = stop
    if n and not (times[0] >= lo and times[-1] < hi and (times[1:] >= times[:-1]).all()):
        return None
    return times, lux


def _piece(b: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The numbers of whole lines ``b`` (ending with a newline)."""
    seps = np.flatnonzero((b == _COMMA) | (b == _NEWLINE))
    n = len(seps) // 2
    commas, newlines = seps[0::2], seps[1::2]
    if len(seps) % 2 or (b[commas] != _COMMA).any() or (b[newlines] != _NEWLINE).any():
        return None  # not one comma per line
    starts = np.empty(n, np.int64)
    starts[0], starts[1:] = 0, newlines[:-1] + 1
    times = _numbers(b, starts, commas)
    lux = _numbers(b, commas + 1, newlines, empty=True)
    if times is None or lux is None:
        return None
    return times, lux


def _numbers(b: np.ndarray, starts: np.ndarray, ends: np.ndarray, *, empty: bool = False):
    """The numbers in the fields ``b[starts:ends]`` (an empty field is NaN when ``empty``),
    or None when a field is not digits with at most one dot."""
    lengths = ends - starts
    width = int(lengths.max())
    if width > MAX_DIGITS + 1:
        return None
    n = len(starts)
    value = np.zeros(n, np.int64)
    decimals = np.zeros(n, np.int64)
    digits = np.zeros(n, np.int64)
    dot = np.zeros(n, bool)
    bad = np.zeros(n, bool)
    last = len(b) - 1
    for j in range(width):
        inside = lengths > j
        c = b[np.minimum(starts + j, last)]
        d = c - np.uint8(_ZERO)  # wraps round below "0": > 9
        is_digit = inside & (d <= 9)
        np.copyto(value, value * 10 + d, where=is_digit)
        decimals += is_digit & dot
        digits += is_digit
        is_dot = inside & (c == _DOT)
        bad |= (is_dot & dot) | (inside & ~is_digit & ~is_dot)
        dot |= is_dot
    bad |= digits == 0
    if empty:
        bad &= lengths > 0
    if bad.any() or digits.max() > MAX_DIGITS:
        return None
    out = value / 10.0**decimals
    if empty:
        out[lengths == 0] = np.nan
    return out
