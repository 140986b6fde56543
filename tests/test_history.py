"""History of samples and switch events: batching, retention, restart, crash tolerance, thin()."""

from __future__ import annotations

import math
import threading
import time
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightctl.history import History
from lightctl.webapp.chart import thin

T0 = 1_764_201_600.0  # 2025-11-27 00:00:00 UTC
DAY = 86_400.0


def _files(folder):
    """The folder's files but the samples' columns (``.columns-*``, a cache of them)."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".columns-"))


def _history(tmp_path, **kw) -> History:
    h = History(tmp_path / "history", **kw)
    h.open(T0)
    return h


def test_nothing_written_until_flush_interval(tmp_path):
    """Samples stay in memory until flush_interval has passed, then go out in one batch."""
    h = _history(tmp_path, flush_interval=60)
    for i in range(59):
        h.add_sample(T0 + i, 10.0 + i)
        assert h.maybe_flush(T0 + i) is False
    assert _files(h.folder) == []
    assert len(h.samples(T0)) == 59  # readable before any write
    assert h.maybe_flush(T0 + 60) is True
    lines = (h.folder / "samples-2025-11-27.csv").read_text().splitlines()
    assert lines[0] == "1764201600,10" and len(lines) == 59
    h.add_sample(T0 + 61, 1.0)
    assert h.maybe_flush(T0 + 100) is False  # the interval restarts after each write
    assert h.maybe_flush(T0 + 120) is True


def test_flush_on_close_writes_samples_and_events(tmp_path):
    """close() writes what is buffered, including events."""
    h = _history(tmp_path)
    h.add_sample(T0 + 1, 3.25)
    h.add_event(T0 + 2, True, "dark")
    h.close()
    assert (h.folder / "samples-2025-11-27.csv").read_text() == "1764201601,3.25\n"
    assert (h.folder / "events-2025-11-27.csv").read_text() == "1764201602,on,dark\n"


def test_reload_after_restart_returns_same_data(tmp_path):
    """A new History on the same folder sees what the old one recorded, rounded to 3 decimals."""
    h = _history(tmp_path)
    for i in range(300):
        h.add_sample(T0 + i + 0.1234, None if i % 7 == 0 else i / 3)
    h.add_event(T0 + 10, True, "dark")
    h.add_event(T0 + 200, False, "override")
    before_s, before_e = h.samples(T0), h.events(T0)
    h.close()
    again = History(tmp_path / "history")
    again.open(T0 + 400)
    assert again.samples(T0) == before_s
    assert again.events(T0) == before_e
    assert before_s[0] == (T0 + 0.123, None)
    assert before_s[1] == (T0 + 1.123, 0.333)


def test_none_samples_preserved(tmp_path):
    """Failed readings (None, NaN, inf) are kept as None in memory and on disk."""
    h = _history(tmp_path)
    h.add_sample(T0, None)
    h.add_sample(T0 + 1, float("nan"))
    h.add_sample(T0 + 2, math.inf)
    h.add_sample(T0 + 3, 0.0)
    h.close()
    assert h.samples(T0) == [(T0, None), (T0 + 1, None), (T0 + 2, None), (T0 + 3, 0.0)]
    text = (h.folder / "samples-2025-11-27.csv").read_text()
    assert text.splitlines()[:3] == ["1764201600,", "1764201601,", "1764201602,"]
    assert History.read_folder(h.folder)[0] == h.samples(T0)


def test_one_file_per_utc_day(tmp_path):
    """Samples either side of UTC midnight land in two files named by their UTC day."""
    h = _history(tmp_path)
    h.add_sample(T0 - 1, 1.0)
    h.add_sample(T0 + 1, 2.0)
    h.close()
    assert _files(h.folder) == ["samples-2025-11-26.csv", "samples-2025-11-27.csv"]


def test_retention_prunes_memory_and_files(tmp_path):
    """prune() drops samples, events and whole-day files older than the retention."""
    h = _history(tmp_path, retention_days=2)
    for day in range(4):
        h.add_sample(T0 + day * DAY + 100, float(day))
        h.add_event(T0 + day * DAY + 100, day % 2 == 0, "dark")
    h.flush()
    assert len(_files(h.folder)) == 8
    now = T0 + 3 * DAY + 200  # cutoff: T0 + 1 day + 200 s
    h.prune(now)
    assert [v for _, v in h.samples(0)] == [2.0, 3.0]
    assert [t for t, _, _ in h.events(0)] == [T0 + 2 * DAY + 100, T0 + 3 * DAY + 100]
    # day 1's file still holds part of the window (it ends after the cutoff)
    assert _files(h.folder) == [
        f"{k}-2025-11-{d}.csv" for k in ("events", "samples") for d in (28, 29, 30)
    ]
    again = History(tmp_path / "history", retention_days=2)
    again.open(now)
    assert [v for _, v in again.samples(0)] == [2.0, 3.0]


def test_open_prunes_old_files(tmp_path):
    """open() deletes files past retention and loads only the retained part."""
    folder = tmp_path / "history"
    folder.mkdir()
    (folder / "samples-2025-11-01.csv").write_text("1761955200,1\n")
    (folder / "samples-2025-11-27.csv").write_text("1764201600,2\n1764201700,3\n")
    (folder / "notes.txt").write_text("not ours")
    h = History(folder, retention_days=1)
    h.open(T0 + DAY + 50)
    assert h.samples(0) == [(T0 + 100, 3.0)]
    assert _files(folder) == ["notes.txt", "samples-2025-11-27.csv"]


def test_maybe_flush_prunes_memory(tmp_path):
    """The periodic flush also keeps memory bounded by the retention."""
    h = _history(tmp_path, retention_days=1, flush_interval=60)
    h.add_sample(T0, 1.0)
    h.add_sample(T0 + DAY + 10, 2.0)
    assert h.maybe_flush(T0 + DAY + 60) is True
    assert h.samples(0) == [(T0 + DAY + 10, 2.0)]


def test_truncated_last_line_tolerated(tmp_path):
    """A line cut by a crash is skipped on read, and the next batch starts on a new line."""
    folder = tmp_path / "history"
    folder.mkdir()
    path = folder / "samples-2025-11-27.csv"
    path.write_bytes(b"1764201600,1.5\n1764201601,2.25\n1764201602,12")  # 12.xxx was cut
    (folder / "events-2025-11-27.csv").write_bytes(b"1764201600,on,dark\n1764201601,of")
    h = History(folder)
    h.open(T0 + 10)
    assert h.samples(0) == [(T0, 1.5), (T0 + 1, 2.25)]
    assert h.events(0) == [(T0, True, "dark")]
    h.add_sample(T0 + 3, 4.0)
    h.close()
    assert path.read_bytes().endswith(b"1764201602,12\n1764201603,4\n")
    again = History(folder)
    again.open(T0 + 10)
    assert again.samples(0) == [(T0, 1.5), (T0 + 1, 2.25), (T0 + 2, 12.0), (T0 + 3, 4.0)]


def test_garbage_lines_skipped(tmp_path):
    """NUL blocks left by a power cut and other junk lines are skipped, good lines kept."""
    folder = tmp_path / "history"
    folder.mkdir()
    (folder / "samples-2025-11-27.csv").write_bytes(
        b"1764201600,1\n\x00\x00\x00\x00\nnope\n1764201601,x\ninf,3\n1764201602,2\n"
    )
    (folder / "events-2025-11-27.csv").write_bytes(b"1764201600,maybe,dark\n1764201601,off,light\n")
    samples, events = History.read_folder(folder)
    assert samples == [(T0, 1.0), (T0 + 2, 2.0)]
    assert events == [(T0 + 1, False, "light")]


def test_read_folder_missing_raises(tmp_path):
    """Offline reading of a folder that does not exist is a clear FileNotFoundError."""
    with pytest.raises(FileNotFoundError):
        History.read_folder(tmp_path / "nothing")


def test_samples_and_events_window(tmp_path):
    """samples(since, until) and events(since, until) are inclusive time windows."""
    h = _history(tmp_path)
    for i in range(10):
        h.add_sample(T0 + i, float(i))
        h.add_event(T0 + i, i % 2 == 0, "dark")
    assert [v for _, v in h.samples(T0 + 3, T0 + 5)] == [3.0, 4.0, 5.0]
    assert [t - T0 for t, _, _ in h.events(T0 + 8)] == [8.0, 9.0]
    assert [t - T0 for t, _, _ in h.events(T0 + 2, T0 + 3)] == [2.0, 3.0]


def test_wall_clock_going_back_keeps_order(tmp_path):
    """A sample older than the last one (NTP step back) is inserted in time order."""
    h = _history(tmp_path)
    h.add_sample(T0 + 10, 1.0)
    h.add_sample(T0 + 5, 2.0)
    h.add_event(T0 + 10, True, "dark")
    h.add_event(T0 + 5, False, "light")
    assert h.samples(0) == [(T0 + 5, 2.0), (T0 + 10, 1.0)]
    assert [t - T0 for t, _, _ in h.events(0)] == [5.0, 10.0]
    h.close()
    again = History(tmp_path / "history")
    again.open(T0 + 20)
    assert again.samples(0) == [(T0 + 5, 2.0), (T0 + 10, 1.0)]


def test_reason_cannot_break_the_csv(tmp_path):
    """Commas and newlines in a reason are replaced, so the file stays one event per line."""
    h = _history(tmp_path)
    h.add_event(T0, False, "mode,off\nnow")
    h.close()
    assert History.read_folder(h.folder)[1] == [(T0, False, "mode off now")]


def test_failed_write_keeps_lines_buffered(tmp_path, caplog):
    """When the folder cannot be written, maybe_flush logs once, keeps the lines, retries later."""
    h = _history(tmp_path, flush_interval=10)
    h.add_sample(T0, 1.0)
    (h.folder / "samples-2025-11-27.csv").mkdir()  # makes the append fail, even as root
    assert h.maybe_flush(T0 + 10) is False
    assert h.maybe_flush(T0 + 20) is False
    assert caplog.text.count("cannot write history") == 1
    (h.folder / "samples-2025-11-27.csv").rmdir()
    h.add_sample(T0 + 21, 2.0)
    assert h.maybe_flush(T0 + 30) is True
    text = (h.folder / "samples-2025-11-27.csv").read_text()
    assert text == "1764201600,1\n1764201621,2\n"


def test_concurrent_readers_and_writer(tmp_path):
    """Readers on other threads always see a sorted, consistent list while samples are added."""
    h = _history(tmp_path)
    stop = threading.Event()
    bad: list[str] = []

    reads = [0]

    def read() -> None:
        while not stop.is_set():
            try:
                s = h.samples(0)
            except Exception as exc:  # a torn read fails the test, not just its thread
                bad.append(repr(exc))
                return
            if any(a[0] >= b[0] for a, b in zip(s, s[1:], strict=False)):
                bad.append("unsorted")
            if any(v != t - T0 for t, v in s):
                bad.append("mismatched columns")
            reads[0] += 1
            time.sleep(0.001)  # let the writer run: three readers alone starve it

    readers = [threading.Thread(target=read) for _ in range(3)]
    for r in readers:
        r.start()
    for i in range(20_000):
        h.add_sample(T0 + i, float(i))
    stop.set()
    for r in readers:
        r.join()
    assert bad == []
    assert len(h.samples(0)) == 20_000
    assert reads[0] >= 30  # the readers really read while the samples came in


def test_bad_arguments_rejected(tmp_path):
    """Retention must be positive and the flush interval not negative."""
    with pytest.raises(ValueError, match="retention_days"):
        History(tmp_path, retention_days=0)
    with pytest.raises(ValueError, match="flush_interval"):
        History(tmp_path, flush_interval=-1)


# --- thin() ---------------------------------------------------------------------


def test_thin_keeps_short_flash_and_dip():
    """A one-sample headlight flash and a one-sample dip survive a 100x reduction."""
    samples = [(float(i), 10.0) for i in range(20_000)]
    samples[5_000] = (5_000.0, 5_000.0)  # headlight
    samples[15_000] = (15_000.0, 0.5)  # dip
    out = thin(samples, 200)
    assert len(out) <= 200
    assert (5_000.0, 5_000.0) in out and (15_000.0, 0.5) in out


def test_thin_preserves_gaps_and_order():
    """Failed readings leave a None in the thinned series, and time order is kept."""
    samples = [(float(i), None if 400 <= i < 410 else float(i % 50)) for i in range(10_000)]
    out = thin(samples, 99)
    assert len(out) <= 99
    assert any(v is None and 400 <= t < 410 for t, v in out)
    assert [t for t, _ in out] == sorted(t for t, _ in out)


def test_thin_small_input_unchanged_and_bad_max():
    """Input that fits is returned as is; fewer than 3 points is refused."""
    samples = [(1.0, 2.0), (2.0, None)]
    assert thin(samples, 3) == samples
    with pytest.raises(ValueError, match="max_points"):
        thin(samples, 2)


_series = st.lists(
    st.tuples(
        st.floats(0, 1e6, allow_nan=False),
        st.one_of(st.none(), st.floats(-1e3, 2e5, allow_nan=False)),
    ),
    max_size=400,
).map(lambda xs: sorted(xs, key=lambda s: s[0]))


@given(_series, st.integers(3, 120))
def test_thin_properties(samples, max_points):
    """thin(): bounded, a time-ordered subset, keeps global min/max and at least one gap."""
    out = thin(samples, max_points)
    assert len(out) <= max_points
    assert all(p in samples for p in out)
    assert [t for t, _ in out] == sorted(t for t, _ in out)
    values = [v for _, v in samples if v is not None]
    kept = [v for _, v in out if v is not None]
    if values:
        assert min(values) in kept and max(values) in kept
    if any(v is None for _, v in samples):
        assert any(v is None for _, v in out)
    if len(samples) <= max_points:
        assert out == samples


#: samples for the thinning: times in any order, a failed reading now and then
chart_rows = st.lists(
    st.tuples(
        st.floats(0, 1e5, allow_nan=False),
        st.one_of(st.none(), st.floats(0, 1e5, allow_nan=False)),
    ),
    max_size=300,
)


@settings(max_examples=200, deadline=None)
@given(
    chart_rows,
    st.integers(3, 60),
    st.sampled_from([65_536, 1, 2, 7, 50]),
)
def test_thin_columns_equals_thin(rows, max_points, chunk):
    """The numpy thinning over columns keeps exactly the points thin() keeps, whatever
    the chunks it walks them in (a bucket split over chunks included)."""
    from lightctl.webapp.chart import thin_columns

    rows.sort(key=lambda r: r[0])
    times = array("d", [t for t, _ in rows])
    values = array("d", [math.nan if v is None else v for _, v in rows])
    assert thin_columns(times, values, max_points, chunk=chunk) == thin(rows, max_points)


@settings(max_examples=200, deadline=None)
@given(
    chart_rows,
    st.integers(3, 60),
    st.sampled_from([65_536, 1, 3, 50]),
    st.lists(st.integers(0, 300), max_size=6),
)
def test_thin_blocks_equals_thin(rows, max_points, chunk, cuts):
    """Read a block at a time, twice (the second time up to the first's last time, so a
    sample added in between is not charted), the thinning keeps what thin() keeps."""
    from lightctl.webapp.chart import thin_blocks

    rows.sort(key=lambda r: r[0])
    times = array("d", [t for t, _ in rows])
    values = array("d", [math.nan if v is None else v for _, v in rows])
    edges = [0, *sorted(min(c, len(rows)) for c in cuts), len(rows)]
    asked = []

    def blocks(until=None):
        """The history's blocks; a sample (2e5 s, a failed reading) arrives once the
        first pass is over: the second pass reads up to the first one's last time."""
        asked.append(until)
        extra = [(array("d", [2e5]), array("d", [math.nan]))] if len(asked) > 1 else []
        for t, v in [(times[a:b], values[a:b]) for a, b in zip(edges, edges[1:], strict=False)]:
            yield t, v
        for t, v in extra:
            if until is None or t[0] <= until:
                yield t, v

    assert thin_blocks(blocks, max_points, chunk=chunk) == thin(rows, max_points)
    assert asked == ([None] if len(rows) <= max_points else [None, rows[-1][0]])


def _settings_record(i: int) -> dict:
    """A settings change as the daemon records it: every field of the settings."""
    from lightctl.core.settings import Settings, to_dict

    return dict(to_dict(Settings()), hysteresis=20.0 + i % 3)


def test_a_settings_change_keeps_little_memory(tmp_path):
    """Home Assistant may change a setting every few seconds and 8 days of inputs stay in
    memory: each settings change keeps well under 1 KB there (a decoded dict of its 17
    fields kept 1.9 KB), what is buffered for the disk aside."""
    import gc
    import tracemalloc

    h = _history(tmp_path, flush_interval=3600.0)
    records = [_settings_record(i) for i in range(2000)]
    h.flush()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i, record in enumerate(records):
            h.add_input(T0 + i, "settings", record)
        h.flush()  # the lines written; what stays is the in-memory record
        gc.collect()
        per_input = (tracemalloc.get_traced_memory()[0] - before) / len(records)
    finally:
        tracemalloc.stop()
    assert per_input < 700, f"{per_input:.0f} B a settings change"
    assert len(h.inputs(T0)) == len(records)


def test_inputs_read_back_as_recorded_and_filtered_by_kind(tmp_path):
    """Inputs come back decoded, equal to what was recorded, isolated from the caller's
    dict; ``kinds`` keeps only those kinds; a restart reads the same back."""
    h = _history(tmp_path, flush_interval=0.0)
    record = _settings_record(1)
    h.add_input(T0 + 1, "start", {"settings": record, "site": None})
    h.add_input(T0 + 2, "settings", record)
    h.add_input(T0 + 3, "rejected", {"lux": 12.5})
    record["hysteresis"] = 99.0  # the caller's dict changes afterwards: not the history's
    want = [
        (T0 + 1, "start", {"settings": _settings_record(1), "site": None}),
        (T0 + 2, "settings", _settings_record(1)),
        (T0 + 3, "rejected", {"lux": 12.5}),
    ]
    assert h.inputs(T0) == want
    assert h.inputs(T0, kinds=("rejected",)) == want[2:]
    assert h.inputs(T0, T0 + 2, kinds=("start", "settings")) == want[:2]
    h.flush()
    again = _history(tmp_path)
    assert again.inputs(T0) == want
    assert History.read_all(tmp_path / "history")[2] == want
