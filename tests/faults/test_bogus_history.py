"""Bogus lines in the history files: skipped, counted, logged once with the file's name,
and neither the preview nor `lightctl replay` trips over them."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from lightctl.history import History
from tests.faults.helpers import flask_app, make_config, running, wait_until

DAY = 86_400.0


def _day_start() -> float:
    """Midnight UTC of yesterday: inside the retention, a whole day in the past."""
    return (int(time.time() // DAY) - 1) * DAY


def _name(kind: str, t0: float) -> str:
    return f"{kind}-{datetime.fromtimestamp(t0, UTC):%Y-%m-%d}.csv"


GOOD = [(0, "5"), (60, "6.5"), (120, ""), (180, "0"), (240, "7")]
BAD = [
    "1000000000000000,5",  # far outside the file's day
    "{t0_minus},5",  # the day before
    "{t},-3",  # negative lux
    "{t},nan",  # not a number
    "{t},inf",
    "{t_back},4",  # goes back in time
    "garbage",
    "{t},5,extra",
]


def write_bogus(folder: Path, t0: float) -> int:
    """A samples and an events file for the day at ``t0`` with good and bad lines mixed;
    returns the number of bad sample lines."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, (dt, lux) in enumerate(GOOD):
        lines.append(f"{t0 + dt:.3f},{lux}")
        if i == 2:  # the bad ones in the middle, after t0+120
            fill = {"t": f"{t0 + 150}", "t0_minus": f"{t0 - 10}", "t_back": f"{t0 + 30}"}
            lines += [b.format(**fill) for b in BAD]
    (folder / _name("samples", t0)).write_text("\n".join(lines) + "\n")
    events = [f"{t0 + 60:.3f},on,dark", "1000000000000000,off,light", f"{t0 + 10:.3f},off,light",
              f"{t0 + 200:.3f},off,light", f"{t0 + 210:.3f},maybe,light"]  # fmt: skip
    (folder / _name("events", t0)).write_text("\n".join(events) + "\n")
    return len(BAD)


def test_bad_lines_are_skipped_counted_and_logged_once_per_file(tmp_path, caplog):
    t0 = _day_start()
    bad = write_bogus(tmp_path / "history", t0)
    h = History(tmp_path / "history")
    with caplog.at_level(logging.WARNING, logger="lightctl.history"):
        h.open(time.time())
    assert [t - t0 for t, _ in h.samples(0)] == [dt for dt, _ in GOOD]
    assert [v for _, v in h.samples(0)] == [5.0, 6.5, None, 0.0, 7.0]
    assert [(t - t0, on) for t, on, _ in h.events(0)] == [(60, True), (200, False)]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    samples_msg = next(m for m in warnings if "samples-" in m)
    assert f"skipped {bad} bad lines" in samples_msg and _name("samples", t0) in samples_msg
    events_msg = next(m for m in warnings if "events-" in m)
    assert "skipped 3 bad lines" in events_msg and _name("events", t0) in events_msg


def test_preview_with_an_off_window_over_bogus_history_answers(tmp_path):
    """The line at 1e15 s used to reach the preview and make it answer 500."""
    cfg = make_config(tmp_path)
    write_bogus(Path(cfg.state_dir) / "history", _day_start())
    with running(cfg) as sw:
        wait_until(lambda: sw.daemon.hist.loaded.is_set(), what="history loaded")
        client = flask_app(sw).test_client()
        body = {"settings": {"off_window": "23:00-05:00"}, "hours": 48}
        resp = client.post("/api/preview", data=json.dumps(body),
                           headers={"Content-Type": "application/json"})  # fmt: skip
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert "loading" not in resp.get_json()


def _replay(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lightctl", "replay", *args],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_replay_of_bogus_history_runs(tmp_path):
    state = tmp_path / "state"
    write_bogus(state / "history", _day_start())
    config = tmp_path / "config.toml"
    config.write_text(
        f'state_dir = "{state}"\n\n[schedule]\ntimezone = "UTC"\n\n'
        '[sensor]\ntype = "simulated"\n\n[relay]\ntype = "mock"\n'
    )
    res = _replay("--config", str(config), "--set", 'off_window="23:00-05:00"')
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("time,lamp,reason")
    assert "# 5 samples" in res.stderr


def test_replay_input_with_a_time_out_of_range_names_the_line(tmp_path):
    data = tmp_path / "in.csv"
    data.write_text("time,lux\n1764000000,5\n1000000000000000,5\n")
    res = _replay("--input", str(data), "--set", 'off_window="23:00-05:00"')
    assert res.returncode != 0
    assert "line 3" in res.stderr and "1970 and 2100" in res.stderr
    assert "Traceback" not in res.stderr
