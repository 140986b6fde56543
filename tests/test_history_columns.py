"""The samples in memory: zero-copy read-only views that never change under a reader,
and the numpy reading of the daily files, bit for bit what the line-by-line reading gives."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from array import array
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightctl.history import History
from lightctl.history.columns import Columns
from lightctl.history.fastparse import parse_samples
from lightctl.history.files import _num, _parse_samples

T0 = 1_764_201_600.0  # 2025-11-27 00:00:00 UTC
DAY = 86_400.0


def _filled(n: int, start: float = T0) -> Columns:
    cols = Columns()
    for i in range(n):
        cols.append(start + i, float(i))
    return cols


def test_views_are_the_columns_themselves_read_only(tmp_path):
    """columns() hands out read-only float64 views that np.asarray takes without a copy."""
    h = History(tmp_path / "history")
    h.open(T0)
    for i in range(1000):
        h.add_sample(T0 + i, None if i == 5 else i / 3)
    t, v = h.columns(T0 + 10)
    a, b = h.columns(T0 + 10)
    assert np.asarray(t, dtype=float) is t and np.asarray(v, dtype=float) is v
    assert np.shares_memory(t, a) and np.shares_memory(v, b)
    assert t.dtype == np.float64 and len(t) == len(v) == 990
    with pytest.raises(ValueError, match="read-only"):
        t[0] = 1.0
    assert math.isnan(h.columns(T0 + 5, T0 + 5)[1][0])


def test_a_view_never_changes_under_its_reader():
    """Appends, an insert before the end, a prune and a move of the columns leave a view
    handed out as it was (copy on write)."""
    cols = _filled(5000)
    t, v = cols.views(0, len(cols))
    t_before, v_before = t.copy(), v.copy()
    cols.insert(T0 + 10.5, 99.0)  # the clock went back
    cols.drop_before(T0 + 3000)
    for i in range(20_000):  # past the room at the end: the columns move
        cols.append(T0 + 5000 + i, -1.0)
    cols.insert(T0 + 3000.5, 98.0)
    assert np.array_equal(t, t_before) and np.array_equal(v, v_before)
    t2, v2 = cols.views(0, len(cols))
    assert t2[0] == T0 + 3000 and t2[1] == T0 + 3000.5 and v2[1] == 98.0
    assert len(cols) == 25_000 - 3000 + 1  # the insert before T0 + 3000 went too


def test_without_a_view_the_columns_change_in_place():
    """With no view alive, an insert and a prune keep the same buffer (no copy of 8 days
    per step of a clock going back)."""
    cols = _filled(3000)
    buffer = cols._mm
    cols.insert(T0 + 1.5, 7.0)
    cols.drop_before(T0 + 2000)
    assert cols._mm is buffer
    t, _ = cols.views(0, 3)
    cols.insert(T0 + 2000.5, 8.0)  # a view is alive: new columns
    assert cols._mm is not buffer and t.tolist() == [T0 + 2000, T0 + 2001, T0 + 2002]
    del t
    buffer = cols._mm
    cols.insert(T0 + 2001.5, 9.0)
    assert cols._mm is buffer


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.floats(-50, 6000, allow_nan=False)),
        st.tuples(st.just("drop"), st.floats(-50, 6000, allow_nan=False)),
        st.tuples(st.just("view"), st.integers(0, 10_000)),
        st.tuples(st.just("release"), st.integers(0, 10)),
        st.tuples(st.just("bulk"), st.integers(1, 3000)),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(OPS)
def test_columns_match_a_sorted_list(ops):
    """Any mix of appends, inserts, bulk appends, prunes and views: the columns hold what a
    sorted list holds, and every view still holds what it held when handed out."""
    cols, model, views = Columns(), [], []
    for op, x in ops:
        if op == "add":
            wall = round(T0 + x, 3)
            value = float(len(model))
            if not model or wall >= model[-1][0]:
                cols.append(wall, value)
            else:
                cols.insert(wall, value)
            k = sum(1 for w, _ in model if w <= wall)
            model.insert(k, (wall, value))
        elif op == "bulk":
            start = model[-1][0] + 1 if model else T0
            t = start + np.arange(x, dtype=float)
            cols.extend(t, -t)
            model += [(a, -a) for a in t.tolist()]
        elif op == "drop":
            cols.drop_before(T0 + x)
            model = [m for m in model if m[0] >= T0 + x]
        elif op == "view":
            i = min(x, len(model))
            t, v = cols.views(i, len(model))
            views.append((t, v, model[i:]))
        elif views:
            views.pop(x % len(views))
        assert len(cols) == len(model)
    t, v = cols.views(0, len(cols))
    assert list(zip(t.tolist(), v.tolist(), strict=True)) == model
    for t, v, seen in views:
        assert list(zip(t.tolist(), v.tolist(), strict=True)) == seen


# --- reading the files with numpy ----------------------------------------------------

LUX = st.one_of(st.none(), st.floats(0, 200_000, allow_nan=False), st.integers(0, 10**6))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, DAY - 0.001), LUX), max_size=50))
def test_numpy_reading_is_bit_identical(rows):
    """The core saw round(lux, 3) and millisecond wall times: the numpy reading of what the
    history wrote gives exactly those floats (a replay of the history is exact)."""
    walls = sorted(round(T0 + dt, 3) for dt, _ in rows)
    values = [None if x is None else round(float(x), 3) for _, x in rows]
    text = "".join(
        f"{_num(w)},{'' if x is None else _num(x)}\n" for w, x in zip(walls, values, strict=True)
    )
    found = parse_samples(text.encode(), T0, T0 + DAY)
    assert found is not None
    t, v = found
    assert [a.hex() for a in t.tolist()] == [w.hex() for w in walls]
    got = [None if b != b else b.hex() for b in v.tolist()]
    assert got == [None if x is None else x.hex() for x in values]


ODD = st.text(alphabet="0123456789.,-en\r+_ ", max_size=24)
ROW = st.tuples(
    st.floats(-5, DAY + 5).map(lambda x: round(T0 + x, 3)),
    st.one_of(
        st.just(""),
        *[st.floats(0, 1e6).map(lambda x: _num(round(x, 3)))] * 4,
        st.integers(0, 10**17).map(str),
        st.floats(allow_nan=True).map(repr),
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(ROW, max_size=30),
    st.booleans(),
    st.lists(st.tuples(st.integers(0, 30), ODD), max_size=2),
)
def test_numpy_reading_equals_the_line_reading(rows, in_order, odd):
    """Whatever a file holds, the numpy reading gives what the line-by-line reading gives,
    or hands the file to it (None) so bad lines are skipped and counted there."""
    if in_order:
        rows = sorted(rows)
    lines = [f"{_num(t) if len(lux) % 2 else repr(t)},{lux}" for t, lux in rows]
    for at, text in odd:
        lines.insert(at, text)
    text = "".join(f"{line}\n" for line in lines)
    if odd and odd[0][0] % 3 == 0:
        text = text[: -odd[0][0] % 7 - 1]  # a last line cut short by a crash
    found = parse_samples(text.encode(), T0, T0 + DAY)
    times, values = array("d"), array("d")
    skipped = _parse_samples(text, int(T0 // DAY), times, values)
    if found is None:
        return
    assert skipped == 0
    assert found[0].tolist() == times.tolist()
    assert np.array_equal(found[1], np.frombuffer(values), equal_nan=True)


def test_a_file_with_a_bad_line_is_read_line_by_line(tmp_path, caplog):
    """One bad line in a day's file: the good ones are kept, the bad one is logged."""
    h = History(tmp_path / "history")
    h.open(T0)
    h.add_sample(T0 + 1, 1.5)
    h.add_sample(T0 + 2, None)
    h.close()
    path = tmp_path / "history" / "samples-2025-11-27.csv"
    path.write_text(path.read_text() + "17642016x3,4\n1764201604,0.25\n")
    again = History(tmp_path / "history")
    again.open(T0 + 10)
    assert again.samples(0) == [(T0 + 1, 1.5), (T0 + 2, None), (T0 + 4, 0.25)]
    assert "skipped 1 bad line" in caplog.text


def test_samples_before_loading_need_no_numpy(tmp_path):
    """The lamp records samples before the history has loaded: that imports no numpy
    (a second or more on a Pi Zero), only the loading does."""
    code = f"""
import sys
from lightctl.history import History
h = History({str(tmp_path / "history")!r})
h.add_sample({T0}, 1.0)
h.add_sample({T0 - 1}, 2.0)
assert h.samples(0) == [({T0 - 1}, 2.0), ({T0}, 1.0)], h.samples(0)
assert len(h.columns(0)[0]) == 2
assert "numpy" not in sys.modules
h.open({T0})
assert "numpy" in sys.modules and h.samples(0) == [({T0 - 1}, 2.0), ({T0}, 1.0)]
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def test_views_hold_still_while_the_control_thread_writes(tmp_path):
    """Web threads hold views while the control thread appends, steps back in time and
    prunes: every view stays sorted and holds what it held when handed out."""
    h = History(tmp_path / "history", retention_days=0.1, flush_interval=1e9)
    h.open(T0)
    stop = threading.Event()
    bad: list[str] = []

    def read() -> None:
        while not stop.is_set():
            t, v = h.columns(0)
            seen_t, seen_v = t.copy(), v.copy()
            if (np.diff(t) < 0).any():
                bad.append("unsorted")
            for _ in range(3):
                h.samples(T0)  # other readers come and go meanwhile
            if not (np.array_equal(t, seen_t) and np.array_equal(v, seen_v, equal_nan=True)):
                bad.append("a view changed")

    readers = [threading.Thread(target=read) for _ in range(2)]
    for r in readers:
        r.start()
    for i in range(30_000):
        wall = T0 + i - (50 if i % 997 == 0 else 0)  # now and then the clock steps back
        h.add_sample(wall, float(i))
        if i % 2_000 == 0:
            h.prune(wall)
    stop.set()
    for r in readers:
        r.join()
    assert bad == []
    t, _ = h.columns(0)
    assert (np.diff(t) >= 0).all() and t[0] >= T0 + 30_000 - 1 - 0.1 * DAY - 2_000


def _resident_kib(cols: Columns) -> int:
    """Resident KiB of the mapping that holds the columns (Linux)."""
    address = cols._t.__array_interface__["data"][0]
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and not head.endswith(":"):
            lo, hi = (int(x, 16) for x in head.split("-"))
            inside = lo <= address < hi
        elif inside and head == "Rss:":
            return int(line.split()[1])
    raise AssertionError("no mapping holds the columns")


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="Linux only")
def test_pruned_samples_give_their_memory_back():
    """A prune gives the pruned pages back at once, or at the first prune after the last
    view of them is gone; appends past the room move the columns without new memory."""
    n = 400_000  # 6.4 MB
    cols = Columns(n)
    cols.extend(T0 + np.arange(n, dtype=float), np.ones(n))
    full = _resident_kib(cols)
    assert full >= n * 16 // 1024
    cols.drop_before(T0 + n // 2)
    assert _resident_kib(cols) < full - n * 7 // 1024
    t, _ = cols.views(0, 10)
    cols.drop_before(T0 + 3 * n // 4)  # a view is alive: kept for now
    held = _resident_kib(cols)
    assert held > full - n * 9 // 1024
    del t, _
    cols.drop_before(T0 + 3 * n // 4)
    assert _resident_kib(cols) < held - n * 3 // 1024
