"""The samples in memory: two float64 columns the chart and the preview read without a copy.

Eight days at 1 Hz are 691,200 samples, 11 MB as two float64 columns. A preview or an
8-day chart used to copy both columns for every request; here a reader gets read-only
numpy views of the columns themselves, and those views never change under it:

- the columns live in one anonymous ``mmap`` with room at the end: an append writes past
  the end of every view handed out (pages not yet written take no memory);
- a prune only moves the start; the whole pages before it are given back to the system
  (``madvise``) when no view is alive;
- an insert before the end (the wall clock went back) or a move of the columns to the
  front of their room rewrites them in place only when no view is alive; otherwise the
  columns go to a new ``mmap`` (copy on write) and the readers keep the old one until
  they drop it.

Whether a view is alive is read from the columns' reference counts: every numpy view of
a column, and every view of a view, holds a reference to that column (numpy points a
view's ``base`` at the array that holds the buffer). The owner (:class:`History`) calls
every method under its lock, so no new view appears while a method runs.
"""

from __future__ import annotations

import mmap
import sys

import numpy as np

_ITEM = 8  # bytes of a float64
_PAGE_ITEMS = mmap.PAGESIZE // _ITEM
MIN_ROOM = 4_096  # samples of room at least (a bit over an hour at 1 Hz)


def _room(n: int) -> int:
    """Capacity for ``n`` samples: a quarter more (two days for 8 days at 1 Hz), in pages."""
    cap = n + max(MIN_ROOM, n // 4)
    return -(-cap // _PAGE_ITEMS) * _PAGE_ITEMS


class Columns:
    """Times (sorted) and lux (NaN = failed reading) of the samples; not thread-safe."""

    def __init__(self, capacity: int = 0) -> None:
        self._alloc(_room(capacity))
        self._lo = self._hi = 0

    def _alloc(self, cap: int) -> None:
        self._mm = mmap.mmap(-1, 2 * cap * _ITEM, flags=mmap.MAP_PRIVATE)
        self._cap = cap
        self._released = 0  # whole pages before this item were given back
        self._t = np.frombuffer(self._mm, np.float64, count=cap, offset=0)
        self._v = np.frombuffer(self._mm, np.float64, count=cap, offset=cap * _ITEM)
        self._free_refs = sys.getrefcount(self._t)  # no view alive

    def __len__(self) -> int:
        return self._hi - self._lo

    def _shared(self) -> bool:
        """True while a view of the columns (or of a view of them) is alive."""
        return (
            sys.getrefcount(self._t) > self._free_refs or sys.getrefcount(self._v) > self._free_refs
        )

    # --- reading -----------------------------------------------------------------

    def last(self) -> float:
        return float(self._t[self._hi - 1])

    def index(self, wall: float, *, right: bool = False) -> int:
        """Where ``wall`` would go among the samples (bisect left or right)."""
        t = self._t[self._lo : self._hi]
        return int(t.searchsorted(wall, side="right" if right else "left"))

    def views(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Read-only views of samples ``i`` to ``j`` (indices from the oldest)."""
        t = self._t[self._lo + i : self._lo + j]
        v = self._v[self._lo + i : self._lo + j]
        t.flags.writeable = False
        v.flags.writeable = False
        return t, v

    # --- writing -----------------------------------------------------------------

    def append(self, wall: float, value: float) -> None:
        """Add a sample at the end (``wall`` not before the last one)."""
        if self._hi == self._cap:
            self._make_room(1)
        self._t[self._hi] = wall
        self._v[self._hi] = value
        self._hi += 1

    def extend(self, times: np.ndarray, values: np.ndarray) -> None:
        """Add sorted samples that all come at or after the last one."""
        n = len(times)
        if self._hi + n > self._cap:
            self._make_room(n)
        self._t[self._hi : self._hi + n] = times
        self._v[self._hi : self._hi + n] = values
        self._hi += n

    def insert(self, wall: float, value: float) -> None:
        """Add a sample before the end, after those with the same time."""
        i = self._lo + self.index(wall, right=True)
        if self._hi == self._cap or self._shared():
            n = len(self)
            cap = self._cap if self._hi < self._cap else _room(n + 1)
            old_t, old_v, lo, hi = self._t, self._v, self._lo, self._hi
            self._alloc(cap)  # copy on write: readers keep the old columns
            k = i - lo
            self._t[:k], self._v[:k] = old_t[lo:i], old_v[lo:i]
            self._t[k + 1 : n + 1], self._v[k + 1 : n + 1] = old_t[i:hi], old_v[i:hi]
            self._t[k], self._v[k] = wall, value
            self._lo, self._hi = 0, n + 1
            return
        hi = self._hi
        self._t[i + 1 : hi + 1] = self._t[i:hi]  # numpy copes with the overlap
        self._v[i + 1 : hi + 1] = self._v[i:hi]
        self._t[i], self._v[i] = wall, value
        self._hi += 1

    def drop_before(self, wall: float) -> None:
        """Forget the samples before ``wall``; give back the memory no view can see."""
        self._lo += self.index(wall)
        if self._lo - self._released >= _PAGE_ITEMS and not self._shared():  # else: later
            self._released = self._release(self._released, self._lo)
            if self._lo == self._hi:
                self._lo = self._hi = self._released = 0

    def _release(self, start: int, stop: int) -> int:
        """Give the whole pages of items ``start``..``stop`` of both columns back; returns
        where the pages given back end."""
        first = -(-start // _PAGE_ITEMS) * _PAGE_ITEMS
        last = stop // _PAGE_ITEMS * _PAGE_ITEMS
        if last <= first:
            return start
        size = (last - first) * _ITEM
        self._mm.madvise(mmap.MADV_DONTNEED, first * _ITEM, size)
        self._mm.madvise(mmap.MADV_DONTNEED, (self._cap + first) * _ITEM, size)
        return last

    def _make_room(self, more: int) -> None:
        """Room for ``more`` samples at the end: the live ones moved to the front of
        their room in place when no view is alive and it is enough, else new columns."""
        n = len(self)
        if self._cap - n - more >= self._cap // 8 and not self._shared():
            lo, hi, step = self._lo, self._hi, self._lo  # steps of lo: never overlapping
            for k in range(0, n, step):
                m = min(step, n - k)
                self._t[k : k + m] = self._t[lo + k : lo + k + m]
                self._v[k : k + m] = self._v[lo + k : lo + k + m]
            self._lo, self._hi, self._released = 0, n, 0
            self._release(n, hi)
            return
        old_t, old_v, lo, hi = self._t, self._v, self._lo, self._hi
        self._alloc(_room(n + more))
        self._t[:n], self._v[:n] = old_t[lo:hi], old_v[lo:hi]
        self._lo, self._hi = 0, n
