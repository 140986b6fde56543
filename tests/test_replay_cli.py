"""`lightctl replay`: inputs (our CSV, ISO times, Home Assistant export), --set, errors."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC

import pytest

from lightctl.cli import main
from lightctl.core.control import initial_state, step
from lightctl.core.model import Instant, Sample, Settings, Switch
from lightctl.core.replay import replay, summarize
from lightctl.replay_io import InputError, read_samples

T0 = 1_790_000_000.0  # 2026-09-21


def evening(n: int = 600) -> list[tuple[float, float | None]]:
    """Light falling through the threshold, then rising again, one sample per second."""
    out = []
    for i in range(n):
        lux = 100.0 if i < 100 else 5.0 if i < 400 else 100.0
        out.append((T0 + i, lux))
    return out


def csv_text(samples) -> str:
    return "time,lux\n" + "".join(f"{t},{'' if v is None else v}\n" for t, v in samples)


def test_replay_equals_the_live_fold():
    """replay() gives exactly the switches of stepping the core sample by sample."""
    samples = evening()
    s = Settings(on_delay=30, off_delay=60, smoothing=3)
    state, live = initial_state(s, tz=UTC), []
    for t, lux in samples:
        state, eff = step(state, Sample(Instant(t, t), lux))
        live += [e for e in eff if isinstance(e, Switch)]
    assert replay(samples, s, tz=UTC) == live
    assert [(e.on, e.reason.value) for e in live] == [(True, "dark"), (False, "light")]


def test_read_epoch_iso_and_failed_readings():
    """Epoch and ISO-8601 times both parse; an empty lux is a failed reading."""
    text = "time,lux\n2026-09-21T12:00:00+00:00,5\n1790000001,\n1790000002,abc\n"
    got = read_samples(io.StringIO(text), tz=UTC)
    assert got[0] == (1789992000.0, 5.0)
    assert got[1] == (1790000001.0, None) and got[2][1] is None


def test_home_assistant_export_is_carried_forward():
    """HA history holds changes only: values repeat every interval until the next change."""
    text = (
        "entity_id,state,last_changed\n"
        "sensor.lux,50,2026-09-21T18:00:00Z\n"
        "sensor.lux,unavailable,2026-09-21T18:00:10Z\n"
        "sensor.lux,3,2026-09-21T18:00:12Z\n"
    )
    got = read_samples(io.StringIO(text), tz=UTC, interval=2.0)
    assert [v for _, v in got] == [50.0] * 5 + [None] + [3.0]
    assert got[1][0] - got[0][0] == 2.0


def test_bad_input_names_the_line():
    """A time that is neither epoch nor ISO-8601 is an error naming the line."""
    with pytest.raises(InputError, match="line 3"):
        read_samples(io.StringIO("time,lux\n1,2\nyesterday,3\n"), tz=UTC)


def test_cli_prints_events_and_summary(tmp_path, capsys):
    """The CLI prints CSV events on stdout and the summary on stderr; --set changes the run."""
    f = tmp_path / "day.csv"
    f.write_text(csv_text(evening()))
    assert main(["replay", "--input", str(f), "--set", "on_delay=10", "--set", "smoothing=1"]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert lines[0] == "time,lamp,reason"
    assert [ln.split(",")[1:] for ln in lines[1:]] == [["on", "dark"], ["off", "light"]]
    assert "2 switches" in err and "first ON" in err


def test_cli_bad_set_exits_2(tmp_path, capsys):
    """A bad --set value is a configuration error: exit 2, the key named."""
    f = tmp_path / "day.csv"
    f.write_text(csv_text(evening(10)))
    assert main(["replay", "--input", str(f), "--set", "threshold=-4"]) == 2
    assert "threshold" in capsys.readouterr().err


def test_cli_reads_stdin():
    """`--input -` reads the CSV from stdin (a real process)."""
    res = subprocess.run(
        [sys.executable, "-m", "lightctl", "replay", "--input", "-", "--set", "smoothing=1"],
        input=csv_text(evening()),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("\n") == 3


def test_summary_groups_by_night():
    """A night runs noon to noon: an evening ON and a morning OFF belong to one night."""
    ev = replay(
        [(T0 + i * 60, 5.0 if 300 <= i < 1000 else 200.0) for i in range(1440)],
        Settings(on_delay=0, off_delay=0, smoothing=1),
        tz=UTC,
    )
    summary = summarize(ev, UTC, span=(T0, T0 + 86400))
    assert summary["switches"] == 2 and len(summary["nights"]) == 1


def test_fast_csv_path_equals_the_careful_reader(tmp_path):
    """numpy's parser and the row-by-row reader give the same columns, also for unsorted rows."""
    import math

    from lightctl.replay_io import read_columns

    rows = [(T0 + i, round(100 * abs(math.sin(i / 50)), 3)) for i in range(300)]
    rows[10], rows[20] = rows[20], rows[10]
    f = tmp_path / "s.csv"
    f.write_text(csv_text(rows))
    times, lux = read_columns(str(f), tz=UTC)
    careful = read_samples(io.StringIO(csv_text(rows)), tz=UTC)
    assert list(zip(times.tolist(), lux.tolist(), strict=True)) == careful
    with f.open() as fh:  # a stream (stdin) takes the same path
        t2, l2 = read_columns(fh, tz=UTC)
    assert t2.tolist() == times.tolist() and l2.tolist() == lux.tolist()


def test_columns_fall_back_for_failed_readings_and_iso(tmp_path):
    """Empty lux and ISO times are read by the careful reader: NaN marks the failed reading."""
    import math

    from lightctl.replay_io import read_columns

    f = tmp_path / "s.csv"
    f.write_text("time,lux\n2026-09-21T12:00:00Z,5\n1790000001,\n")
    times, lux = read_columns(str(f), tz=UTC)
    assert times.tolist() == [1789992000.0, 1790000001.0]
    assert lux[0] == 5.0 and math.isnan(lux[1])


def test_fast_csv_path_keeps_failed_readings_as_nan(tmp_path):
    """An empty lux among epoch rows stays on the fast path and reads as NaN."""
    import math

    from lightctl.replay_io import read_columns

    f = tmp_path / "s.csv"
    f.write_text("time,lux\n1790000000,5\n1790000001,\n1790000002,7.5\n")
    times, lux = read_columns(str(f), tz=UTC)
    assert times.tolist() == [1790000000.0, 1790000001.0, 1790000002.0]
    assert lux[0] == 5.0 and math.isnan(lux[1]) and lux[2] == 7.5
