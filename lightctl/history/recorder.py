"""The history in memory: what the daemon adds, buffered, flushed in batches to the
daily files (:mod:`lightctl.history.files`), read by the chart, the preview and replay."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from lightctl import memory
from lightctl.history.files import (
    _REASON_BAD,
    DAY,
    NAN,
    Event,
    Input,
    Sample,
    _day,
    _day_name,
    _line_time,
    _num,
    _Record,
    _time,
    append_lines,
    load_since,
    prune_files,
    read_all,
    read_all_columns,
    read_events,
    read_folder,
)
from lightctl.problems import Problems

if TYPE_CHECKING:
    from lightctl.history.columns import Columns

log = logging.getLogger("lightctl.history")
PROBLEM_KEY = "history-unsaved"
MAX_PENDING = 100_000  # lines buffered for a refusing disk: about a day at 1 Hz


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
        self._cols: Columns | None = None  # the samples once loaded (numpy loads then)
        self._t = array("d")  # samples added before that (the lamp does not wait for numpy)
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
        cols, events, inputs = load_since(self.folder, now_wall - self.retention)
        with self._lock:
            for t, v in zip(self._t, self._v, strict=True):  # added before: not on disk yet
                if not len(cols) or t >= cols.last():
                    cols.append(t, v)
                else:
                    cols.insert(t, v)
            self._cols, self._t, self._v = cols, array("d"), array("d")
            self._events = sorted(events + self._events, key=_time)
            self._inputs = sorted(inputs + self._inputs, key=_time)
            self._last_flush = now_wall
        memory.trim()  # the reading's temporaries: give the freed heap back at once
        self.loaded.set()
        log.info(
            "history: %d samples and %d events loaded from %s",
            len(self),
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
            cols = self._cols
            if cols is not None:
                if not len(cols) or wall >= cols.last():
                    cols.append(wall, value)
                else:  # the wall clock went back: keep the columns sorted
                    cols.insert(wall, value)
            elif not self._t or wall >= self._t[-1]:
                self._t.append(wall)
                self._v.append(value)
            else:
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
                    append_lines(self.folder / f"{kind}-{_day_name(day)}.csv", lines)
                    del pending[key]
            finally:
                if pending:  # put back what was not written, before newer lines
                    with self._lock:
                        for key, lines in pending.items():
                            self._pending[key] = lines + self._pending.get(key, [])
            return True

    # --- reading ---------------------------------------------------------------

    def _range(self, since: float, until: float | None):
        """The two columns from ``since`` to ``until``; call with the lock held."""
        cols = self._cols
        if cols is None:  # not loaded yet: copies of the few samples added so far
            i = bisect_left(self._t, since)
            j = len(self._t) if until is None else bisect_right(self._t, until)
            return self._t[i:j], self._v[i:j]
        j = len(cols) if until is None else cols.index(until, right=True)
        return cols.views(cols.index(since), j)

    def samples(self, since: float, until: float | None = None) -> list[Sample]:
        """(wall, lux or None) with since <= wall <= until, oldest first, buffered included."""
        with self._lock:
            t, v = self._range(since, until)
        return [(a, None if b != b else b) for a, b in zip(t.tolist(), v.tolist(), strict=True)]

    def columns(self, since: float, until: float | None = None):
        """Like samples() as two columns (times, lux with NaN for a failed reading).

        Read-only float64 numpy arrays, read from the columns' file (see
        :mod:`lightctl.history.columns`): the 11 MB of 8 days are in the daemon's memory
        only while a reader holds them, and nothing done later changes them.
        """
        with self._lock:
            return self._range(since, until)

    def column_blocks(self, since: float, until: float | None = None, rows: int = 8_192):
        """Like columns() a block of at most ``rows`` samples at a time, each read under
        the lock on its own (never held across a yield: the reader may be slow), for a
        reader that streams them: 8 days are never in memory at once. Samples are found
        by time, so a prune or an insert between two blocks neither repeats nor skips
        one; samples with the same time stay in one block."""
        if rows < 2:
            raise ValueError(f"rows must be >= 2, got {rows!r}")
        with self._lock:
            few = self._range(since, until) if self._cols is None else None
        if few is not None:  # not loaded yet: the few samples added so far, at once
            yield few
            return
        after: float | None = None  # the time of the last sample handed out
        while True:
            with self._lock:  # the columns stay once loaded
                if until is None:  # up to the newest sample when the reading starts
                    until = self._cols.last() if len(self._cols) else since
                block = self._block(since, until, after, rows)
            if block is None:
                return
            after = float(block[0][-1])
            yield block

    def _block(self, since: float, until: float, after: float | None, rows: int):
        """The next block of :meth:`column_blocks` (None: no more); lock held."""
        cols = self._cols
        assert cols is not None
        i = cols.index(since) if after is None else cols.index(after, right=True)
        j = cols.index(until, right=True)
        if i >= j:
            return None
        k = min(j, i + rows)
        if k == j:
            return cols.views(i, k)
        t, v = cols.views(i, k + 1)  # one more: does the block end inside a run of equal times?
        keep = rows if t[-1] != t[-2] else int(t.searchsorted(t[-1], "left"))
        if keep == 0:  # a run longer than a block: all of it, in this one
            return cols.views(i, cols.index(t[-1], right=True))
        return t[:keep], v[:keep]

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
        cols = self._cols
        return len(self._t) if cols is None else len(cols)

    # --- retention -------------------------------------------------------------

    def prune(self, now_wall: float) -> None:
        """Drop samples, events and files older than the retention."""
        cutoff = now_wall - self.retention
        with self._lock:
            if self._cols is not None:
                self._cols.drop_before(cutoff)
            elif i := bisect_left(self._t, cutoff):
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
        prune_files(self.folder, now_wall - self.retention)

    # --- offline ---------------------------------------------------------------

    read_folder = staticmethod(read_folder)
    read_all = staticmethod(read_all)
    read_all_columns = staticmethod(read_all_columns)
    read_events = staticmethod(read_events)
