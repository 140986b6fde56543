"""Keep the daemon's memory flat on a Pi Zero (512 MB shared with everything else).

A preview or an 8-day chart allocates numpy arrays of several MB for a fraction of a
second. glibc serves large blocks with mmap and unmaps them when freed, but after
the first such free it raises its mmap threshold (up to 32 MB), so the next ones come
from the heap, which does not shrink: RSS grew from 52 to 155 MiB over a few previews.
A fixed threshold keeps every block over 1 MiB in mmap (given back at once), and a
trim after the big requests returns the heap's free tail. Other C libraries: no-op.

Why 1 MiB and not lower: the history is read 8,192 or 16,384 samples at a time
(64-128 KiB a column), and each piece's arrays are freed before the next one's. Below
the threshold they come from the heap and reuse the same pages. At 128 KiB every one
was a fresh mmap whose pages the kernel faulted in and zeroed again, which doubled the
CPU of a week's savings; the peak RSS is about 1 MiB higher for it.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
THRESHOLD = 1024 * 1024


@functools.cache
def _libc():
    # glibc's own name first: find_library runs `ldconfig -p` in a subprocess, a cost
    # at every start on a Pi Zero
    for name in ("libc.so.6", None):
        with contextlib.suppress(OSError, AttributeError):
            if name is None:
                from ctypes.util import find_library

                name = find_library("c")
                if name is None:
                    return None
            libc = ctypes.CDLL(name)
            if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim"):
                return libc
    return None


def tune() -> bool:
    """Fix glibc's mmap and trim thresholds for this process; True when applied."""
    libc = _libc()
    if libc is None:
        return False
    ok = libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD) == 1
    return libc.mallopt(M_TRIM_THRESHOLD, THRESHOLD) == 1 and ok


def trim() -> None:
    """Give the heap's free memory back to the system (after a big request)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
