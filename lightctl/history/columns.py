"""The samples: two float64 columns kept in files the kernel caches, not in the daemon.

Eight days at 1 Hz are 691,200 samples, 11 MB as two float64 columns: a sixth of the
daemon's resident memory on a Pi Zero, for data read a few times a day (a preview, the
chart). So the columns live in two files in the history folder (``.columns-*``,
deleted when the daemon stops, and at the next start after a crash) and the daemon
keeps only the newest samples (the tail) and the first time of every chunk it wrote.
A reader gets fresh read-only arrays read from the files (from the page cache:
milliseconds for 8 days); the memory comes with the request and goes with it, and the
kernel may drop the files' pages when memory is short (a preview then reads them from
the card again). Nothing is mapped, so a failing card is an error a reader gets, never
a SIGBUS.

- chunk ``c`` of a file holds samples ``c * chunk`` to ``(c + 1) * chunk`` (counted
  from the file's start); the tail holds the samples after the last whole chunk written,
  and whole chunks go to the files once it holds two: one write per column every hour
  and a bit at 1 Hz, no fsync (the daily files are the record; this is a cache of them);
- an insert before the end (the wall clock went back) into a chunk already written
  takes the chunks from there back into the tail (a clock step of an hour: one or two),
  where they stay until the clock is past the newest sample again: each sample of a
  step back costs memory moves, never a write to the card;
- a prune moves the start; once the dead chunks at the front are as many as the live
  ones, the live ones are copied into new files (their size stays under twice theirs);
- between writes the files are open for reading only, so the card can still be
  remounted read-only; no folder, or a write that fails (a full, failing or read-only
  card), keeps the columns in memory from then on, with a warning: the daily files
  still hold every sample.

Not thread-safe: the owner (:class:`History`) calls every method under its lock.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import os
import uuid
import weakref
from array import array
from pathlib import Path

import numpy as np

log = logging.getLogger("lightctl.history")

_ITEM = 8  # bytes of a float64
CHUNK = 4_096  # samples a chunk: a bit over an hour at 1 Hz, 32 KiB a column
PREFIX = ".columns-"  # the files' names in the history folder (not daily files)


def _close(fds: list[int | None], path: Path) -> None:
    for fd in fds:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
    with contextlib.suppress(OSError):
        path.unlink()


class _FileStore:
    """A column in a file of its own: positional reads and writes, nothing mapped.

    Named, and open for reading only between writes: the card can be remounted
    read-only while the daemon runs (an open file that is unlinked, or open for
    writing, would make that fail as busy).
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / f"{PREFIX}{uuid.uuid4().hex[:12]}"
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        os.close(os.open(self.path, flags, 0o600))
        self.fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        self._fds: list[int | None] = [self.fd, None]  # reading; writing, while it writes
        self._close = weakref.finalize(self, _close, self._fds, self.path)  # dropped too

    def read_into(self, offset: int, out: np.ndarray) -> None:
        view = memoryview(out).cast("B")
        done = 0
        while done < len(view):
            n = os.preadv(self.fd, [view[done:]], offset + done)
            if n <= 0:
                raise OSError(f"history columns: short read at {offset + done}")
            done += n

    def write(self, offset: int, data: memoryview) -> None:
        if (fd := self._fds[1]) is None:
            fd = self._fds[1] = os.open(self.path, os.O_WRONLY | os.O_CLOEXEC)
        view = data.cast("B")
        done = 0
        while done < len(view):
            done += os.pwrite(fd, view[done:], offset + done)

    def release(self) -> None:
        """Done writing for now: open for reading only again."""
        if (fd := self._fds[1]) is not None:
            self._fds[1] = None
            with contextlib.suppress(OSError):
                os.close(fd)

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def close(self) -> None:
        """Closed and deleted."""
        self._close()


def remove_stale(folder: Path) -> None:
    """Delete the column files a daemon that did not stop left behind."""
    with contextlib.suppress(OSError):
        for path in folder.glob(f"{PREFIX}*"):
            with contextlib.suppress(OSError):
                path.unlink()


class _MemoryStore:
    """The same in memory, where no file can be had."""

    def __init__(self) -> None:
        self.data = bytearray()

    def read_into(self, offset: int, out: np.ndarray) -> None:
        view = memoryview(out).cast("B")
        view[:] = self.data[offset : offset + len(view)]

    def write(self, offset: int, data: memoryview) -> None:
        raw = data.cast("B")
        if len(self.data) < offset:
            self.data.extend(bytes(offset - len(self.data)))
        self.data[offset : offset + len(raw)] = raw

    def release(self) -> None:
        pass

    def size(self) -> int:
        return len(self.data)

    def close(self) -> None:
        self.data = bytearray()


def _open_stores(folder: Path | None) -> tuple[_FileStore | _MemoryStore, ...]:
    if folder is not None:
        try:
            return _FileStore(folder), _FileStore(folder)
        except OSError as exc:
            log.warning("history columns kept in memory: no file in %s (%s)", folder, str(exc))
    return _MemoryStore(), _MemoryStore()


class Columns:
    """Times (sorted) and lux (NaN = failed reading) of the samples; not thread-safe.

    ``folder`` holds the file (None: memory only); ``chunk`` is for tests.
    """

    def __init__(self, folder: Path | None = None, *, chunk: int = CHUNK) -> None:
        self._folder = folder
        self._chunk = chunk
        self._stores = _open_stores(folder)
        self._lo = 0  # first live sample (samples before it are pruned)
        self._written = 0  # samples in the file: whole chunks
        self._marks = array("d")  # first time of every chunk in the file
        self._tail = (array("d"), array("d"))  # samples from _written on

    def __len__(self) -> int:
        return self._end - self._lo

    @property
    def _end(self) -> int:
        return self._written + len(self._tail[0])

    # --- reading -----------------------------------------------------------------

    def last(self) -> float:
        """The newest sample's time (the tail always holds a chunk or more of samples
        once there are any)."""
        return self._tail[0][-1]

    def index(self, wall: float, *, right: bool = False) -> int:
        """Where ``wall`` would go among the samples (bisect left or right)."""
        return max(self._find(wall, right), self._lo) - self._lo

    def views(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Read-only arrays of samples ``i`` to ``j`` (indices from the oldest): copies,
        so nothing done to the columns later changes them."""
        a, b = self._lo + i, self._lo + max(i, j)
        t, v = np.empty(b - a), np.empty(b - a)
        k = max(a, min(b, self._written))  # a..k from the file, k..b from the tail
        try:
            for store, out in zip(self._stores, (t, v), strict=True):
                store.read_into(a * _ITEM, out[: k - a])
        except OSError as exc:  # the file's samples are gone: what is left of a..b
            lost = self._written
            self._lose_file(exc)
            a, b = max(a - lost, self._lo), max(b - lost, self._lo)
            return self.views(a - self._lo, b - self._lo)
        for tail, out in zip(self._tail, (t, v), strict=True):  # a slice: a copy, no pin
            out[k - a :] = tail[k - self._written : b - self._written]
        t.flags.writeable = False
        v.flags.writeable = False
        return t, v

    def _chunk_times(self, c: int) -> np.ndarray:
        out = np.empty(self._chunk)
        try:
            self._stores[0].read_into(c * self._chunk * _ITEM, out)
        except OSError as exc:
            self._lose_file(exc)
            raise
        return out

    def _find(self, wall: float, right: bool) -> int:
        """Bisect among the live samples: the chunk by its first time, then inside it
        (one chunk read from the file at most). Pruned samples are never looked at:
        a sample inserted at the start may be older than they are."""
        # bisect on the tail itself: a numpy view of it would pin its buffer (no append)
        # for as long as anything, a logged error's traceback say, keeps this frame
        tail = self._tail[0]
        side = "right" if right else "left"
        cut = bisect.bisect_right if right else bisect.bisect_left
        if self._lo >= self._written:  # all live samples are in the tail
            return self._written + cut(tail, wall, self._lo - self._written)
        if tail and (tail[0] <= wall if right else tail[0] < wall):
            return self._written + cut(tail, wall)
        first = self._lo // self._chunk  # the chunk that holds the first live sample
        c = cut(self._marks, wall, first + 1) - 1  # the last chunk that starts before wall
        try:
            times = self._chunk_times(c)
        except OSError:  # the file's samples are gone now: only the tail is left
            return self._find(wall, right)
        skip = self._lo - c * self._chunk if c == first else 0
        return c * self._chunk + skip + int(times[skip:].searchsorted(wall, side))

    # --- writing -----------------------------------------------------------------

    def append(self, wall: float, value: float) -> None:
        """Add a sample at the end (``wall`` not before the last one)."""
        self._tail[0].append(wall)
        self._tail[1].append(value)
        if len(self._tail[0]) >= 2 * self._chunk:
            self._spill()
            self._release()

    def extend(self, times: np.ndarray, values: np.ndarray) -> None:
        """Add sorted samples that all come at or after the last one."""
        times = np.ascontiguousarray(times, np.float64)
        values = np.ascontiguousarray(values, np.float64)
        for k in range(0, len(times), self._chunk):  # a chunk at a time: the tail stays small
            self._tail[0].frombytes(times[k : k + self._chunk].tobytes())
            self._tail[1].frombytes(values[k : k + self._chunk].tobytes())
            if len(self._tail[0]) >= 2 * self._chunk:
                self._spill()
        self._release()

    def insert(self, wall: float, value: float) -> None:
        """Add a sample before the end, after those with the same time."""
        at = self._find(wall, right=True)
        if at < self._written and not self._unspill(at // self._chunk):
            at = self._find(wall, right=True)  # the file was lost meanwhile
        k = at - self._written
        self._tail[0].insert(k, wall)
        self._tail[1].insert(k, value)
        # no spill here: after the clock stepped back, every sample is an insert until
        # it passes the newest one again, and a spill would write the same chunks anew
        # at each (the next append spills)

    def drop_before(self, wall: float) -> None:
        """Forget the samples before ``wall``; once as many are dead as live, the live
        ones move to a new file (8 days copied every 8 days: ~60 kB/h at 1 Hz)."""
        self._lo += self.index(wall)
        if self._lo == self._end:
            self._reset()
        elif self._lo >= max(2 * self._chunk, len(self)):
            self._compact()

    # --- the file ----------------------------------------------------------------

    def _spill(self) -> None:
        """The tail's whole chunks but one go to the file."""
        n = (len(self._tail[0]) // self._chunk - 1) * self._chunk
        if n <= 0:
            return
        parts = [memoryview(tail[:n]) for tail in self._tail]  # copies: the tail may resize
        try:
            for store, part in zip(self._stores, parts, strict=True):
                store.write(self._written * _ITEM, part)
        except OSError as exc:
            self._to_memory(exc)
            for store, part in zip(self._stores, parts, strict=True):
                store.write(self._written * _ITEM, part)
        self._marks.extend(self._tail[0][k] for k in range(0, n, self._chunk))
        for tail in self._tail:
            del tail[:n]
        self._written += n

    def _unspill(self, c: int) -> bool:
        """Chunks ``c`` on back into the tail (an insert goes there); False if the file
        could not be read (its samples are lost from the columns then)."""
        start = c * self._chunk
        n = self._written - start
        got = []
        for store in self._stores:
            out = np.empty(n)
            try:
                store.read_into(start * _ITEM, out)
            except OSError as exc:
                self._lose_file(exc)
                return False
            got.append(out)
        for tail, out in zip(self._tail, got, strict=True):
            tail[0:0] = array("d", out.tobytes())
        del self._marks[c:]
        self._written = start
        return True

    def _compact(self) -> None:
        """The live chunks to the front of a new file; the old one goes."""
        shift = min(self._lo // self._chunk * self._chunk, self._written)
        if shift == 0:
            return
        if self._on_file:
            new = _open_stores(self._folder)
            buf = np.empty(64 * self._chunk)
            try:
                for src, dst in zip(self._stores, new, strict=True):
                    for a in range(shift, self._written, len(buf)):
                        part = buf[: min(len(buf), self._written - a)]
                        src.read_into(a * _ITEM, part)
                        dst.write((a - shift) * _ITEM, memoryview(part))
            except OSError as exc:  # the old file stays; the next prune tries again
                log.warning("history columns not compacted: %s", str(exc))
                for store in new:
                    store.close()
                return
            for store in self._stores:
                store.close()
            self._stores = new
            self._release()
        else:
            for store in self._stores:
                assert isinstance(store, _MemoryStore)
                del store.data[: shift * _ITEM]
        del self._marks[: shift // self._chunk]
        self._lo -= shift
        self._written -= shift

    def _reset(self) -> None:
        """Nothing live: start over with empty columns (the file's blocks go back)."""
        for store in self._stores:
            store.close()
        self._stores = _open_stores(self._folder if self._on_file else None)
        self._lo = self._written = 0
        del self._marks[:]
        for tail in self._tail:
            del tail[:]

    def _release(self) -> None:
        for store in self._stores:
            store.release()

    @property
    def _on_file(self) -> bool:
        return isinstance(self._stores[0], _FileStore)

    def _to_memory(self, exc: OSError) -> None:
        """A write failed: keep the columns in memory from now on (what the file holds
        read back; if that fails too, the file's samples are lost from the chart)."""
        log.warning("history columns kept in memory from now on: %s", str(exc))
        mem = (_MemoryStore(), _MemoryStore())
        try:
            for src, dst in zip(self._stores, mem, strict=True):
                part = np.empty(self._written)
                src.read_into(0, part)
                dst.write(0, memoryview(part))
        except OSError as exc2:
            self._lose_file(exc2)
            return
        for store in self._stores:
            store.close()
        self._stores = mem
        self._folder = None

    def _lose_file(self, exc: OSError) -> None:
        """The file cannot be read: its samples leave the columns (the daily files
        still hold them; a restart loads them again); the tail stays."""
        log.error(
            "history columns lost %d samples (still in the daily files): %s",
            max(0, self._written - self._lo),
            str(exc),  # text, not the error: a kept log record must not keep its frames
        )
        for store in self._stores:
            store.close()
        self._stores = (_MemoryStore(), _MemoryStore())
        self._folder = None
        self._lo = max(0, self._lo - self._written)
        self._written = 0
        del self._marks[:]
