"""The samples' columns: kept in a nameless file, not in the daemon's memory; read-only
arrays that never change under a reader; a card that refuses costs the chart, never the
lamp; and the numpy reading of the daily files, bit for bit what the line-by-line
reading gives."""

from __future__ import annotations

import contextlib
import gc
import math
import os
import subprocess
import sys
import tempfile
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


def test_columns_are_read_only_float64_arrays(tmp_path):
    """columns() hands out read-only float64 arrays that np.asarray takes as they are."""
    h = History(tmp_path / "history")
    h.open(T0)
    for i in range(10_000):
        h.add_sample(T0 + i, None if i == 5 else i / 3)
    t, v = h.columns(T0 + 10)
    assert np.asarray(t, dtype=float) is t and np.asarray(v, dtype=float) is v
    assert t.dtype == np.float64 and len(t) == len(v) == 9_990
    assert t[0] == T0 + 10 and t[-1] == T0 + 9_999 and v[-1] == 9_999 / 3
    with pytest.raises(ValueError, match="read-only"):
        t[0] = 1.0
    assert math.isnan(h.columns(T0 + 5, T0 + 5)[1][0])


def test_a_view_never_changes_under_its_reader(tmp_path):
    """Appends, an insert before the end, a prune and a move of the columns leave an
    array handed out as it was."""
    cols = Columns(tmp_path, chunk=256)
    for i in range(5000):
        cols.append(T0 + i, float(i))
    t, v = cols.views(0, len(cols))
    t_before, v_before = t.copy(), v.copy()
    cols.insert(T0 + 10.5, 99.0)  # the clock went back
    cols.drop_before(T0 + 3000)
    for i in range(20_000):  # the dead front moves out
        cols.append(T0 + 5000 + i, -1.0)
    cols.insert(T0 + 3000.5, 98.0)
    assert np.array_equal(t, t_before) and np.array_equal(v, v_before)
    t2, v2 = cols.views(0, len(cols))
    assert t2[0] == T0 + 3000 and t2[1] == T0 + 3000.5 and v2[1] == 98.0
    assert len(cols) == 25_000 - 3000 + 1  # the insert before T0 + 3000 went too


def test_a_sample_older_than_the_pruned_ones_goes_first(tmp_path):
    """After a prune, a sample from before the cutoff (the clock stepped back further)
    goes first among the live ones, and the search never looks at the pruned ones
    around it, even once they are in the file together."""
    cols = Columns(tmp_path, chunk=4)
    for i in range(20):
        cols.append(T0 + i, float(i))
    cols.drop_before(T0 + 6)
    cols.insert(T0 + 1, -1.0)  # older than the pruned 4 and 5 of its chunk
    for i in range(20, 40):
        cols.append(T0 + i, float(i))  # the chunk goes back to the file
    assert cols._written > 8
    assert cols.index(T0 + 3) == 1 and cols.index(T0 + 0.5) == 0
    assert cols.index(T0 + 6, right=True) == 2 and cols.index(T0 + 25) == 20
    assert cols.views(0, 3)[0].tolist() == [T0 + 1, T0 + 6, T0 + 7]


def test_a_clock_step_back_writes_nothing_until_it_is_past_again(tmp_path):
    """After the wall clock stepped back, every sample is an insert before the end:
    they stay in memory (no chunk written anew per sample) until an append."""
    cols = Columns(tmp_path, chunk=16)
    for i in range(200):
        cols.append(T0 + i, float(i))
    writes = []
    for store in cols._stores:
        write = store.write
        store.write = lambda offset, data, write=write: (writes.append(offset), write(offset, data))
    for i in range(100):  # the clock went back 150 s: 100 samples among the last 150
        cols.insert(T0 + 50 + i + 0.5, -float(i))
    assert writes == []
    cols.append(T0 + 200, 200.0)
    assert writes
    t, v = cols.views(0, len(cols))
    assert len(t) == 301 and (np.diff(t) >= 0).all() and t[-1] == T0 + 200


def _open_files(folder: Path) -> list[str]:
    """What the open descriptors of this process point to inside ``folder``."""
    fds = Path("/proc/self/fd")
    found = []
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith(str(folder)):
                found.append(target)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="Linux only")
def test_the_columns_live_in_files_of_their_own(tmp_path):
    """8 days at 1 Hz: the columns are in two files of the history folder, open for
    reading only between writes; the daemon keeps the newest samples only; a prune
    gives the disk back; the files go with the columns, and a crash's at the next load."""
    n = 691_200
    cols = Columns(tmp_path)
    cols.extend(T0 + np.arange(n, dtype=float), np.arange(n, dtype=float))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and all(x.startswith(".columns-") for x in names)
    assert sorted(Path(x).name for x in _open_files(tmp_path)) == names
    assert _write_modes(tmp_path) == []
    assert 4_096 <= len(cols._tail[0]) < 2 * 4_096  # a chunk or two in memory, no more
    assert [s.size() for s in cols._stores] == [(n - len(cols._tail[0])) * 8] * 2
    t, v = cols.views(100_000, 100_003)
    assert t.tolist() == [T0 + 100_000, T0 + 100_001, T0 + 100_002] and v[0] == 100_000
    cols.drop_before(T0 + n // 2)  # half dead: the live half moves to new files
    assert [s.size() for s in cols._stores] < [n * 8 // 2 + 4_096 * 8] * 2
    assert cols.views(0, 1)[0][0] == T0 + n // 2 and len(cols) == n - n // 2
    assert len(list(tmp_path.iterdir())) == 2 and _write_modes(tmp_path) == []
    del cols, t, v
    gc.collect()
    assert _open_files(tmp_path) == [] and list(tmp_path.iterdir()) == []
    (tmp_path / ".columns-0123").write_bytes(b"left by a crash")
    (tmp_path / "samples-2025-11-27.csv").write_text(f"{T0:.0f},1.5\n")
    h = History(tmp_path)
    h.open(T0 + 10)
    assert not (tmp_path / ".columns-0123").exists() and h.samples(0) == [(T0, 1.5)]


def _write_modes(folder: Path) -> list[str]:
    """The descriptors of this process open for writing inside ``folder``."""
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            if os.readlink(fd).startswith(str(folder)):
                flags = int((Path("/proc/self/fdinfo") / fd.name).read_text().split()[3], 8)
                if flags & (os.O_WRONLY | os.O_RDWR):
                    found.append(os.readlink(fd))
    return found


def _rss_anon_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    raise AssertionError("no RssAnon")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux only")
def test_8_days_of_samples_keep_little_memory(tmp_path):
    """The daemon's own memory grows by much less than the 11 MB of 8 days (the old
    columns took all of it), and a reader's copy goes back when it is dropped."""
    n = 691_200
    times, values = T0 + np.arange(n, dtype=float), np.ones(n)
    gc.collect()
    before = _rss_anon_kib()
    cols = Columns(tmp_path)
    cols.extend(times, values)
    del times, values
    gc.collect()
    assert _rss_anon_kib() - before < 1_024  # the input arrays included: they are gone
    t, v = cols.views(0, len(cols))
    assert t[-1] == T0 + n - 1 and v.sum() == n
    del t, v
    assert _rss_anon_kib() - before < 1_024


def _failing_card(folder: Path, what: str, errno: int, text: str) -> Columns:
    """100 samples in chunks of 16 on ``folder``, whose files then fail at ``what``
    (``write`` or ``read_into``) with OSError(errno, text)."""
    cols = Columns(folder, chunk=16)
    for i in range(100):
        cols.append(T0 + i, float(i))

    def fail(*_args):
        raise OSError(errno, text)

    for store in cols._stores:
        setattr(store, what, fail)
    return cols


def test_a_card_that_refuses_writes_keeps_the_columns_in_memory(tmp_path, caplog):
    """A write that fails (full or failing card): the columns go to memory, whole."""
    cols = _failing_card(tmp_path, "write", 28, "No space left on device")
    for i in range(100, 200):
        cols.append(T0 + i, float(i))
    cols.insert(T0 + 50.5, -1.0)
    t, v = cols.views(0, len(cols))
    assert len(t) == 201 and t[51] == T0 + 50.5 and v[51] == -1.0
    assert (np.diff(t) > 0).all() and v[-1] == 199.0
    assert "kept in memory from now on" in caplog.text and "No space left" in caplog.text
    assert _open_files(tmp_path) == []  # the file was closed


def test_a_card_that_cannot_be_read_costs_the_chart_not_the_lamp(tmp_path, caplog):
    """A read that fails: the samples in the file leave the columns (the daily files
    still hold them), the newest ones stay, and appends and inserts go on."""
    cols = _failing_card(tmp_path, "read_into", 5, "Input/output error")
    written = 100 - len(cols._tail[0])
    assert written > 0
    t, _ = cols.views(0, len(cols))
    assert t.tolist() == [T0 + i for i in range(written, 100)]
    assert "lost" in caplog.text and "Input/output error" in caplog.text
    cols.insert(T0 + 95.5, 1.0)
    cols.append(T0 + 100, 2.0)
    got = cols.views(0, len(cols))[0].tolist()
    assert got[-7:] == [T0 + 95, T0 + 95.5, T0 + 96, T0 + 97, T0 + 98, T0 + 99, T0 + 100]


def test_a_lost_file_found_by_a_search_leaves_the_columns_usable(tmp_path, caplog):
    """The card fails while an insert looks for its place: the log keeps the record
    (as a journal handler may) and appends still work (a record holding the error
    would hold the search's frame and the tail it was reading)."""
    cols = _failing_card(tmp_path, "read_into", 5, "Input/output error")
    cols.insert(T0 + 5.5, -1.0)  # its chunk is in the file: the read fails
    assert "Input/output error" in caplog.text
    for i in range(100, 140):
        cols.append(T0 + i, float(i))
    t, _ = cols.views(0, len(cols))
    assert t[-1] == T0 + 139 and (np.diff(t) >= 0).all()


def test_no_folder_keeps_the_columns_in_memory(tmp_path, caplog):
    """A folder that does not exist (a read-only card): memory, with a warning."""
    cols = Columns(tmp_path / "missing", chunk=16)
    cols.extend(T0 + np.arange(100, dtype=float), np.zeros(100))
    assert len(cols.views(0, 100)[0]) == 100 and "kept in memory" in caplog.text


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.floats(-50, 6000, allow_nan=False)),
        st.tuples(st.just("drop"), st.floats(-50, 6000, allow_nan=False)),
        st.tuples(st.just("view"), st.integers(0, 10_000)),
        st.tuples(st.just("release"), st.integers(0, 10)),
        st.tuples(st.just("bulk"), st.integers(1, 3000)),
        st.tuples(st.just("refuse"), st.integers(0, 1)),
    ),
    max_size=60,
)


@settings(max_examples=80, deadline=None)
@given(OPS, st.sampled_from([2, 3, 16, 4_096]), st.booleans())
def test_columns_match_a_sorted_list(ops, chunk, on_file):
    """Any mix of appends, inserts, bulk appends, prunes, views and a card that starts
    refusing writes, on files or in memory, with chunks of any size: the columns hold
    what a sorted list holds, and every view still holds what it held when handed out."""
    with tempfile.TemporaryDirectory() as folder:
        _check_against_model(ops, Columns(Path(folder) if on_file else None, chunk=chunk))


def _refuse(offset, data):
    raise OSError(30, "Read-only file system")


def _check_against_model(ops, cols: Columns) -> None:
    model, views = [], []
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
        elif op == "refuse":  # the card refuses writes from now on: memory, nothing lost
            for store in cols._stores:
                if hasattr(store, "path"):
                    store.write = _refuse
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


# --- reading in blocks ----------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    steps=st.lists(st.integers(0, 2), min_size=1, max_size=120),
    rows=st.integers(2, 12),
    since=st.integers(-5, 130),
    until=st.one_of(st.none(), st.integers(-5, 130)),
)
def test_blocks_are_the_columns_a_block_at_a_time(steps, rows, since, until):
    """Blocks of at most ``rows`` (longer only for a longer run of equal times), joined,
    are exactly columns(since, until); a run of equal times is never split."""
    with tempfile.TemporaryDirectory() as folder:
        h = History(Path(folder) / "history", flush_interval=1e9)
        h.open(T0)
        wall = T0
        for i, step in enumerate(steps):  # steps of 0 make runs of equal times
            wall += step
            h.add_sample(wall, float(i))
        lo, hi = T0 + since, None if until is None else T0 + until
        t, v = h.columns(lo, hi)
        blocks = list(h.column_blocks(lo, hi, rows=rows))
        joined = (
            np.concatenate([b[0] for b in blocks]) if blocks else np.empty(0),
            np.concatenate([b[1] for b in blocks]) if blocks else np.empty(0),
        )
        assert np.array_equal(joined[0], t) and np.array_equal(joined[1], v)
        for (a, _), (b, _) in zip(blocks, blocks[1:], strict=False):
            assert a[-1] < b[0]  # no run of equal times split across two blocks
            assert len(a) <= rows or a[0] == a[-1]


def test_blocks_neither_repeat_nor_skip_across_a_prune_and_an_insert(tmp_path):
    """Between two blocks the control thread prunes and steps the clock back: the
    stream goes on after the last time it handed out, in order."""
    h = History(tmp_path / "history", flush_interval=1e9)
    h.open(T0)
    for i in range(100):
        h.add_sample(T0 + i, float(i))
    blocks = h.column_blocks(T0, rows=10)
    first = next(blocks)
    h.prune(T0 + 50 + h.retention)  # samples before T0 + 50 go
    h.add_sample(T0 + 5.5, -1.0)  # before what was handed out: not in this stream
    h.add_sample(T0 + 60.5, -2.0)  # after it: in
    rest = list(blocks)
    times = [*first[0].tolist(), *(x for b in rest for x in b[0].tolist())]
    assert times[:10] == [T0 + i for i in range(10)]
    assert times[10:] == sorted(times[10:]) and times[10] == T0 + 50
    assert T0 + 60.5 in times and T0 + 5.5 not in times and times[-1] == T0 + 99


def test_blocks_before_loading_are_the_few_samples_at_once(tmp_path):
    h = History(tmp_path / "history")
    for i in range(5):
        h.add_sample(T0 + i, float(i))
    blocks = list(h.column_blocks(T0 + 1, rows=2))
    assert len(blocks) == 1 and list(blocks[0][0]) == [T0 + 1, T0 + 2, T0 + 3, T0 + 4]
