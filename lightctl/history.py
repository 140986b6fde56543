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

In memory, samples live in two ``array('d')`` columns (NaN = failed reading):
16 bytes a sample, about 11 MB for 8 days at 1 Hz. An input is kept as its JSON
text (about 0.5 KB for a settings change, against 1.9 KB as a dict of 17 fields)
and decoded when read: Home Assistant may change a setting every few seconds, and
8 days of such changes must not crowd a Pi Zero's memory.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import sys
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

from lightctl.problems import Problems

log = logging.getLogger("lightctl.history")
PROBLEM_KEY = "history-unsaved"
CHUNK = 65_536  # samples per step of the chart thinning (about 4 MB of temporaries)
MAX_PENDING = 100_000  # lines buffered for a refusing disk: about a day at 1 Hz

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


def _read_file(
    path: Path,
    kind: str,
    day: int,
    times: array,
    values: array,
    events: list[Event],
    inputs: list[_Record],
) -> None:
    """Load one daily file; bad lines are skipped, counted and logged once with its name.

    Raises OSError when the file cannot be read.
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    if kind == "inputs":
        _parse_inputs(text, inputs)
        return
    if kind == "samples":
        skipped = _parse_samples(text, day, times, values)
    else:
        skipped = _parse_events(text, day, events)
    if skipped:
        log.warning(
            "history: skipped %d bad line%s in %s (time outside the file's day or going "
            "back, lux not a number >= 0, or not %s)",
            skipped,
            "" if skipped == 1 else "s",
            path,
            "epoch,lux" if kind == "samples" else "epoch,on|off,reason",
        )


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


def _sorted_samples(times: array, values: array) -> tuple[array, array]:
    """The two columns in time order (no copy when they already are)."""
    if any(a > b for a, b in zip(times, times[1:], strict=False)):
        order = sorted(range(len(times)), key=times.__getitem__)
        times = array("d", (times[i] for i in order))
        values = array("d", (values[i] for i in order))
    return times, values


class History:
    """Samples and switch events of the last ``retention_days``; thread-safe.

    The control thread calls ``add_*`` and ``maybe_flush`` (cheap: no I/O except
    one batch per ``flush_interval``); web threads call ``samples``/``events``.
    """

    def __init__(
        self,
        folder: Path,
        *,
        retention_days: float = 8.0,
        flush_interval: float = 60.0,
        problems: Problems | None = None,
    ):
        if not retention_days > 0:
            raise ValueError(f"retention_days must be > 0, got {retention_days!r}")
        if not flush_interval >= 0:
            raise ValueError(f"flush_interval must be >= 0, got {flush_interval!r}")
        self.folder = Path(folder)
        self.retention = float(retention_days) * DAY
        self.flush_interval = float(flush_interval)
        self.problems = problems
        self.loaded = threading.Event()  # set once open() has read the files
        self._lock = threading.Lock()  # memory and pending buffers
        self._io_lock = threading.Lock()  # one writer at a time
        self._t = array("d")
        self._v = array("d")
        self._events: list[Event] = []
        self._inputs: list[_Record] = []
        self._pending: dict[tuple[str, int], list[str]] = {}
        self._last_flush: float | None = None
        self._failing = False

    # --- life cycle ------------------------------------------------------------

    def open_in_background(self, now_wall: float) -> threading.Thread:
        """:meth:`open` on its own thread: the lamp and the status never wait for it.

        Until it is done, ``loaded`` is clear (the chart and preview say "loading") and
        nothing is written, so no line is both read back and kept from memory.
        """
        thread = threading.Thread(
            target=self._open_logged, args=(now_wall,), name="lightctl-history", daemon=True
        )
        thread.start()
        return thread

    def _open_logged(self, now_wall: float) -> None:
        try:
            self.open(now_wall)
        except Exception:  # never leave the page saying "loading" for ever
            log.exception("history could not be loaded")
            self.loaded.set()

    def open(self, now_wall: float) -> None:
        """Create the folder, delete files past retention, load the rest into memory.

        A folder that cannot be created (read-only or full disk) is a reported problem,
        not an error: the history is then kept in memory only.
        """
        try:
            self.folder.mkdir(mode=0o750, parents=True, exist_ok=True)
        except OSError as exc:
            self._problem(exc)
            self._failing = True  # cleared by the first write that works
        else:
            self._prune_files(now_wall)
        cutoff = now_wall - self.retention
        # array('d') columns from the start: 8 bytes a sample, no list of float objects
        times, values = array("d"), array("d")
        events: list[Event] = []
        inputs: list[_Record] = []
        for day_no, kind, path in _list_files(self.folder):
            if (day_no + 1) * DAY <= cutoff:
                continue  # past retention (a read-only disk could not delete it)
            try:
                _read_file(path, kind, day_no, times, values, events, inputs)
            except OSError as exc:
                log.warning("cannot read %s: %s", path, exc)
        t, v = _sorted_samples(times, values)
        del times, values
        start = bisect_left(t, cutoff)
        del t[:start], v[:start]
        events = [e for e in events if e[0] >= cutoff]
        inputs = [e for e in inputs if e[0] >= cutoff]
        with self._lock:
            if self._t:  # added before open(): not on disk yet, merge in time order
                t, v = _sorted_samples(t + self._t, v + self._v)
            self._t, self._v = t, v
            self._events = sorted(events + self._events, key=_time)
            self._inputs = sorted(inputs + self._inputs, key=_time)
            self._last_flush = now_wall
        self.loaded.set()
        log.info(
            "history: %d samples and %d events loaded from %s",
            len(self._t),
            len(self._events),
            self.folder,
        )

    def _problem(self, exc: OSError | None) -> None:
        """Raise (or clear, ``exc`` None) the "history not saved" problem."""
        if self.problems is None:
            if exc is not None:
                log.error("cannot write history to %s: %s (kept in memory)", self.folder, exc)
            return
        if exc is None:
            self.problems.clear(PROBLEM_KEY, f"history writes to {self.folder} work again")
        else:
            reason = exc.strerror or str(exc)
            text = f"history not saved: {reason} (kept in memory)"
            self.problems.raise_(PROBLEM_KEY, text)

    def close(self) -> None:
        """Write what is buffered (the daemon calls this on stop)."""
        self.flush()

    # --- writing ---------------------------------------------------------------

    def add_sample(self, wall: float, lux: float | None) -> None:
        """Record one reading (None, NaN or inf = a failed reading); buffered."""
        wall = round(float(wall), 3)
        value = NAN if lux is None or not math.isfinite(lux) else round(float(lux), 3)
        line = f"{_num(wall)},{'' if value != value else _num(value)}\n"
        with self._lock:
            if not self._t or wall >= self._t[-1]:
                self._t.append(wall)
                self._v.append(value)
            else:  # the wall clock went back: keep the columns sorted
                i = bisect_right(self._t, wall)
                self._t.insert(i, wall)
                self._v.insert(i, value)
            self._pending.setdefault(("samples", _day(wall)), []).append(line)

    def add_event(self, wall: float, on: bool, reason: str) -> None:
        """Record a switch of the lamp with its reason; buffered."""
        wall = round(float(wall), 3)
        reason = _REASON_BAD.sub(" ", str(reason))
        line = f"{_num(wall)},{'on' if on else 'off'},{reason}\n"
        event = (wall, bool(on), reason)
        with self._lock:
            if not self._events or wall >= self._events[-1][0]:
                self._events.append(event)
            else:
                self._events.insert(bisect_right(self._events, wall, key=_time), event)
            self._pending.setdefault(("events", _day(wall)), []).append(line)

    def add_input(self, wall: float, kind: str, data: dict) -> None:
        """Record a command, settings change, start or stop for replay; buffered."""
        wall = round(float(wall), 3)
        kind = _REASON_BAD.sub(" ", str(kind))
        text = json.dumps(data, separators=(",", ":"), allow_nan=False)
        item = (wall, kind, text)  # the text, not a copy of the dict: a quarter the memory
        with self._lock:
            if not self._inputs or wall >= self._inputs[-1][0]:
                self._inputs.append(item)
            else:
                self._inputs.insert(bisect_right(self._inputs, wall, key=_time), item)
            self._pending.setdefault(("inputs", _day(wall)), []).append(
                f"{_num(wall)},{kind},{text}\n"
            )

    def maybe_flush(self, now_wall: float) -> bool:
        """Write the buffer once ``flush_interval`` has passed; prune. True if it wrote.

        A disk error is logged (once until it clears) and the lines stay buffered.
        """
        if not self.loaded.is_set():
            return False  # still loading: write nothing the loader could read back
        with self._lock:
            if self._last_flush is None:
                self._last_flush = now_wall
            # abs(): a wall clock that jumps back must not postpone writes for hours
            if abs(now_wall - self._last_flush) < self.flush_interval:
                return False
            self._last_flush = now_wall
        try:
            wrote = self.flush()
        except OSError as exc:
            if not self._failing:
                self._problem(exc)
            self._failing = True
            self._bound_pending()
            return False
        if self._failing:
            self._problem(None)
        self._failing = False
        self.prune(now_wall)
        return wrote

    def _bound_pending(self) -> None:
        """While the disk refuses, keep at most MAX_PENDING lines for it (the oldest days
        go first); the samples themselves stay in memory for the chart either way."""
        with self._lock:
            total = sum(len(lines) for lines in self._pending.values())
            for key in sorted(self._pending, key=lambda k: k[1]):
                if total <= MAX_PENDING:
                    break
                total -= len(self._pending.pop(key))

    def flush(self) -> bool:
        """Append the buffered lines to their daily files now; True if there were any.

        Raises OSError; lines not written stay buffered for the next try.
        """
        with self._io_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
            if not pending:
                return False
            if not self.folder.is_dir():
                self.folder.mkdir(mode=0o750, parents=True, exist_ok=True)
            try:
                for key in sorted(pending):
                    kind, day = key
                    # in time order: a file's lines must go forward (checked at load)
                    lines = sorted(pending[key], key=_line_time)
                    self._append(self.folder / f"{kind}-{_day_name(day)}.csv", lines)
                    del pending[key]
            finally:
                if pending:  # put back what was not written, before newer lines
                    with self._lock:
                        for key, lines in pending.items():
                            self._pending[key] = lines + self._pending.get(key, [])
            return True

    @staticmethod
    def _append(path: Path, lines: list[str]) -> None:
        with open(path, "ab+") as f:
            if f.tell() > 0:
                f.seek(-1, 2)
                if f.read(1) != b"\n":  # a line cut by a crash: do not glue onto it
                    lines = ["\n", *lines]
            f.write("".join(lines).encode("utf-8"))

    # --- reading ---------------------------------------------------------------

    def samples(self, since: float, until: float | None = None) -> list[Sample]:
        """(wall, lux or None) with since <= wall <= until, oldest first, buffered included."""
        with self._lock:
            i = bisect_left(self._t, since)
            j = len(self._t) if until is None else bisect_right(self._t, until)
            t = self._t[i:j]
            v = self._v[i:j]
        return [(a, None if b != b else b) for a, b in zip(t, v, strict=True)]

    def columns(self, since: float, until: float | None = None) -> tuple[array, array]:
        """Like samples() as two columns (times, lux with NaN for a failed reading).

        Copies of the in-memory arrays: no tuple per sample, so a week of 1 Hz samples
        goes to the fast replay in a few milliseconds.
        """
        with self._lock:
            i = bisect_left(self._t, since)
            j = len(self._t) if until is None else bisect_right(self._t, until)
            return self._t[i:j], self._v[i:j]

    def events(self, since: float, until: float | None = None) -> list[Event]:
        """(wall, on, reason) with since <= wall <= until, oldest first."""
        with self._lock:
            i = bisect_left(self._events, since, key=_time)
            j = len(self._events) if until is None else bisect_right(self._events, until, key=_time)
            return self._events[i:j]

    def inputs(
        self, since: float, until: float | None = None, *, kinds: Collection[str] | None = None
    ) -> list[Input]:
        """(wall, kind, data) with since <= wall <= until, oldest first; only those of
        ``kinds`` when given (the others are not decoded)."""
        with self._lock:
            i = bisect_left(self._inputs, since, key=_time)
            j = len(self._inputs) if until is None else bisect_right(self._inputs, until, key=_time)
            found = self._inputs[i:j]
        return [(t, k, json.loads(x)) for t, k, x in found if kinds is None or k in kinds]

    def __len__(self) -> int:
        return len(self._t)

    # --- retention -------------------------------------------------------------

    def prune(self, now_wall: float) -> None:
        """Drop samples, events and files older than the retention."""
        cutoff = now_wall - self.retention
        with self._lock:
            i = bisect_left(self._t, cutoff)
            if i:
                del self._t[:i]
                del self._v[:i]
            k = bisect_left(self._events, cutoff, key=_time)
            if k:
                del self._events[:k]
            k = bisect_left(self._inputs, cutoff, key=_time)
            if k:
                del self._inputs[:k]
        with contextlib.suppress(OSError):
            self._prune_files(now_wall)

    def _prune_files(self, now_wall: float) -> None:
        cutoff = now_wall - self.retention
        if not self.folder.is_dir():
            return
        for day, _kind, path in _list_files(self.folder):
            if (day + 1) * DAY <= cutoff:
                try:
                    path.unlink()
                except OSError as exc:
                    log.warning("cannot delete old history file %s: %s", path, exc)

    # --- offline ---------------------------------------------------------------

    @staticmethod
    def read_folder(folder: Path) -> tuple[list[Sample], list[Event]]:
        """Everything recorded in ``folder``, sorted, for ``lightctl replay``.

        Raises FileNotFoundError when the folder does not exist.
        """
        samples, events, _inputs = History.read_all(folder)
        return samples, events

    @staticmethod
    def read_events(folder: Path) -> list[Event]:
        """Only the switch events recorded in ``folder``, sorted (``check-config``: no
        samples read); an empty list when there is no such folder."""
        events: list[Event] = []
        for day_no, kind, path in _list_files(Path(folder)):
            if kind == "events":
                with contextlib.suppress(OSError):
                    _read_file(path, kind, day_no, array("d"), array("d"), events, [])
        return sorted(events, key=_time)

    @staticmethod
    def read_all(folder: Path) -> tuple[list[Sample], list[Event], list[Input]]:
        """Samples, switch events and inputs recorded in ``folder``, each sorted by time."""
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"no history folder {folder}")
        times, values = array("d"), array("d")
        events: list[Event] = []
        records: list[_Record] = []
        for day_no, kind, path in _list_files(folder):
            _read_file(path, kind, day_no, times, values, events, records)
        t, v = _sorted_samples(times, values)
        samples = [(a, None if b != b else b) for a, b in zip(t, v, strict=True)]
        inputs = [(w, k, json.loads(x)) for w, k, x in sorted(records, key=_time)]
        return samples, sorted(events, key=_time), inputs


def thin(samples: list[Sample], max_points: int) -> list[Sample]:
    """Downsample time-ordered samples for a chart, keeping what the eye must see.

    The time span is cut into equal buckets; each bucket keeps its lowest and its
    highest reading (a headlight flash or a short dip still shows) and, if it
    holds failed readings, one ``None`` so the line breaks at the gap. Points keep
    their time order; the result has at most ``max_points`` points and is a
    subset of the input. Input that already fits is returned as is.
    """
    if max_points < 3:
        raise ValueError(f"max_points must be at least 3, got {max_points!r}")
    if len(samples) <= max_points:
        return list(samples)
    if any(a[0] > b[0] for a, b in zip(samples, samples[1:], strict=False)):
        samples = sorted(samples, key=lambda s: s[0])
    has_gap = any(v is None or v != v for _, v in samples)
    buckets = max_points // 3 if has_gap else max_points // 2
    t0 = samples[0][0]
    span = samples[-1][0] - t0
    scale = buckets / span if span > 0 else 0.0
    out: list[Sample] = []
    current = -1
    lo = hi = gap = -1  # indices into samples, per bucket
    for i, (t, v) in enumerate(samples):
        b = min(int((t - t0) * scale), buckets - 1)
        if b != current:
            if current >= 0:
                out.extend(samples[k] for k in sorted({lo, hi, gap} - {-1}))
            current, lo, hi, gap = b, -1, -1, -1
        if v is None or v != v:
            if gap < 0:
                gap = i
        else:
            if lo < 0 or v < samples[lo][1]:
                lo = i
            if hi < 0 or v > samples[hi][1]:
                hi = i
    out.extend(samples[k] for k in sorted({lo, hi, gap} - {-1}))
    return out


def thin_columns(times, values, max_points: int, *, chunk: int = CHUNK) -> list[Sample]:
    """:func:`thin` over History's columns with numpy: the same points, no tuple per sample.

    The chart asks for 24 h (86,400 samples at 1 Hz) every minute per open page; this
    keeps that request at a few milliseconds. ``times`` must be in order (History keeps
    them so). The columns are walked ``chunk`` samples at a time, so the temporaries stay
    a few MB even over 8 days (a Pi Zero has 512 MB for everything). Proven equal to
    :func:`thin` by tests/test_history.py.
    """
    import numpy as np

    if max_points < 3:
        raise ValueError(f"max_points must be at least 3, got {max_points!r}")
    t_all = np.frombuffer(times, dtype=float) if isinstance(times, array) else np.asarray(times)
    v_all = np.frombuffer(values, dtype=float) if isinstance(values, array) else np.asarray(values)
    n = len(t_all)
    if n <= max_points:
        return [(float(a), None if b != b else float(b)) for a, b in zip(t_all, v_all, strict=True)]
    has_gap = any(bool(np.isnan(v_all[i : i + chunk]).any()) for i in range(0, n, chunk))
    buckets = max_points // 3 if has_gap else max_points // 2
    t0 = t_all[0]
    span = t_all[-1] - t0
    scale = buckets / span if span > 0 else 0.0
    keep: list[int] = []
    carry: list | None = None  # the bucket still open at a chunk's end
    for i in range(0, n, chunk):
        for seg in _bucket_extremes(np, t_all[i : i + chunk], v_all[i : i + chunk], i, t0, scale,
                                    buckets):  # fmt: skip
            if carry is not None and carry[0] == seg[0]:
                carry = _merge(carry, seg)
                continue
            if carry is not None:
                keep.extend(sorted({carry[2], carry[4], carry[5]} - {-1}))
            carry = seg
    if carry is not None:
        keep.extend(sorted({carry[2], carry[4], carry[5]} - {-1}))
    return [(float(t_all[k]), None if v_all[k] != v_all[k] else float(v_all[k])) for k in keep]


def _bucket_extremes(np, t, v, offset: int, t0: float, scale: float, buckets: int) -> list:
    """Per bucket in one chunk: [bucket, low, low index, high, high index, first gap index]
    (indices into the whole columns, -1 for none; the first index wins a tie, as in thin)."""
    m = len(t)
    b = np.minimum(((t - t0) * scale).astype(np.int64), buckets - 1)
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    lengths = np.diff(np.r_[starts, m])
    missing = np.isnan(v)
    idx = np.arange(m)
    low = np.where(missing, np.inf, v)
    high = np.where(missing, -np.inf, v)
    seg_min = np.minimum.reduceat(low, starts)
    seg_max = np.maximum.reduceat(high, starts)
    lo_i = np.minimum.reduceat(np.where(~missing & (low == np.repeat(seg_min, lengths)), idx, m),
                               starts)  # fmt: skip
    hi_i = np.minimum.reduceat(
        np.where(~missing & (high == np.repeat(seg_max, lengths)), idx, m), starts
    )
    gap_i = np.minimum.reduceat(np.where(missing, idx, m), starts)
    out = []
    for k, start in enumerate(starts.tolist()):
        lo, hi, gap = int(lo_i[k]), int(hi_i[k]), int(gap_i[k])
        out.append([
            int(b[start]),
            float(seg_min[k]), lo + offset if lo < m else -1,
            float(seg_max[k]), hi + offset if hi < m else -1,
            gap + offset if gap < m else -1,
        ])  # fmt: skip
    return out


def _merge(a: list, b: list) -> list:
    """One bucket split over two chunks: ``a`` came first, so it wins ties."""
    out = list(a)
    if b[2] >= 0 and (a[2] < 0 or b[1] < a[1]):
        out[1], out[2] = b[1], b[2]
    if b[4] >= 0 and (a[4] < 0 or b[3] > a[3]):
        out[3], out[4] = b[3], b[4]
    if a[5] < 0:
        out[5] = b[5]
    return out
