"""The service layer: one answer for each way in (the page's preview and `lightctl
replay`; the chart's history while it loads; the settings in force)."""

from __future__ import annotations

from datetime import datetime

import pytest

from lightctl.cli import main
from lightctl.config import Config
from lightctl.core.model import Settings
from lightctl.core.settings import SettingsError, apply_patch
from lightctl.history import History
from lightctl.journal import START
from lightctl.services import reads, replay

T0 = 1_790_000_000.0


def _evening(folder) -> History:
    """Two recorded starts and an evening of light falling and rising, 1 Hz."""
    hist = History(folder, flush_interval=0)
    hist.open(T0 + 7200)
    hist.add_input(T0, START, {})
    for i in range(7200):
        if i == 3600:
            hist.add_input(T0 + i, START, {})
        hist.add_sample(T0 + i, 5.0 if 1800 <= i < 5400 else 500.0)
    hist.close()
    return hist


def test_preview_and_replay_set_switch_alike(tmp_path, capsys, monkeypatch):
    """`/api/preview` and `lightctl replay --set` over the same history with the same
    settings print the same switches at the same times (one service behind both)."""
    from lightctl.bootstrap import local_timezone, zone_location

    monkeypatch.setenv("LIGHTCTL_CONFIG", str(tmp_path / "none.toml"))
    state = tmp_path / "state"
    hist = _evening(state / "history")
    tz = local_timezone(None)
    estimate = zone_location(tz)
    site = (estimate.latitude, estimate.longitude) if estimate.known else None
    place = replay.Place(limits=Config().sensor.limits(), tz=tz, site=site)
    patch = {"threshold": 50, "on_delay": 5}
    page = replay.preview(hist, Settings(), patch, T0 - 1, place)
    assert page["events"], "the evening switches"
    sets = ["--set", "threshold=50", "--set", "on_delay=5"]
    assert main(["replay", "--state-dir", str(state), *sets]) == 0
    rows = [row.split(",") for row in capsys.readouterr().out.splitlines()[1:]]
    cli = [[datetime.fromisoformat(t).timestamp(), on, why] for t, on, why in rows]
    assert cli == page["events"]


def test_preview_names_a_bad_setting_and_applies_nothing(tmp_path):
    """A bad patch raises SettingsError naming the key, before any history is read."""
    with pytest.raises(SettingsError) as err:
        replay.preview(None, Settings(), {"threshold": -3}, 0.0, replay.Place())
    assert "threshold" in err.value.problems


def test_the_chart_says_loading_until_the_history_is_read(tmp_path):
    """While the history loads in the background the window is empty and says so; no
    history at all is empty without "loading"."""
    hist = History(tmp_path / "h")
    assert reads.history_window(hist, 0.0) == reads.HistoryWindow(loading=True)
    assert reads.suggestion(hist, (48.0, 2.0), None, T0, 7.0) == {
        "suggestion": None,
        "loading": True,
    }
    hist.open(T0)
    hist.add_sample(T0 + 1, 12.0)
    window = reads.history_window(hist, 0.0)
    assert not window.loading and window.samples() == [[T0 + 1, 12.0]] and window.marks == []
    empty = reads.history_window(None, 0.0)
    assert empty.samples() == [] and empty.marks is None and not empty.loading


def test_the_preview_code_is_imported_once_the_history_has_loaded(tmp_path, monkeypatch, caplog):
    """numpy and the fast replay load on their own thread, after the history and never
    before it (the start does not wait for them); a module that fails only says so."""
    import sys
    import threading

    (tmp_path / "warm_probe_mod.py").write_text("LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "warm_probe_mod", raising=False)

    class Loading:
        loaded = threading.Event()

    history = Loading()
    thread = replay.warm_up(history, modules=("no_such_module_here", "warm_probe_mod"))
    thread.join(0.2)
    assert thread.is_alive() and "warm_probe_mod" not in sys.modules
    history.loaded.set()
    thread.join(10)
    assert not thread.is_alive()
    assert "warm_probe_mod" not in sys.modules  # a failed import ends the warm-up ...
    assert "could not import no_such_module_here" in caplog.text  # ... and says so
    thread = replay.warm_up(history, modules=("warm_probe_mod",))
    thread.join(10)
    assert sys.modules["warm_probe_mod"].LOADED
    thread = replay.warm_up(None)  # no history (never in the daemon): imports at once
    thread.join(60)
    assert "lightctl.core.fastreplay" in sys.modules


WARMED_THEN_PREVIEW = """
import sys
from pathlib import Path
from lightctl.core.model import Settings
from lightctl.history import History
from lightctl.services import reads, replay
t0 = 1_790_000_000.0
hist = History(Path(sys.argv[1]), flush_interval=0)
hist.open(t0 + 7200)
for i in range(7200):  # an evening, with a few failed readings
    hist.add_sample(t0 + i, None if 1000 <= i < 1010 else 5.0 if 1800 <= i < 5400 else 500.0)
hist.close()
replay.warm_up(None).join(60)
before = set(sys.modules)
patch = {"threshold": 50, "off_window": "23:00-05:00"}
replay.preview(hist, Settings(), patch, t0, replay.Place())
reads.savings(hist, Settings(), t0 + 7200)
print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_once_warmed_a_preview_and_the_savings_import_nothing(tmp_path):
    """What the warm-up imports is all that a preview and the savings need: neither
    imports a module while the page waits (numpy's `np.unique` alone used to import
    numpy.ma on the first preview, a tenth of a second on a Pi Zero's budget)."""
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-c", WARMED_THEN_PREVIEW, str(tmp_path / "history")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == [], f"imported while the page waits: {res.stdout}"


def test_the_preview_reads_the_history_a_piece_at_a_time(tmp_path, monkeypatch):
    """Pieces of 500 samples, restarts inside them and at their edges, give the switches
    and the summary of the whole history replayed at once, without reading it whole."""
    hist = _evening(tmp_path / "h")
    place = replay.Place()
    patch = {"threshold": 50, "on_delay": 5}
    starts = [t for t, _, _ in hist.inputs(T0 - 1, kinds=(START,))]
    times, lux = hist.columns(T0 - 1)
    whole = replay.what_if_replay(times, lux, apply_patch(Settings(), patch), place, starts=starts)
    assert len(whole.events) >= 3  # the evening, and a fresh decision at the second start
    rows = []
    blocks = hist.column_blocks
    monkeypatch.setattr(replay, "PIECE_ROWS", 500)
    monkeypatch.setattr(hist, "column_blocks", lambda *a, **k: rows.append(k) or blocks(*a, **k))
    monkeypatch.setattr(hist, "columns", None)  # never read whole
    page = replay.preview(hist, Settings(), patch, T0 - 1, place)
    assert rows == [{"rows": 500}]
    assert page["events"] == [
        [e.at.wall, "on" if e.on else "off", e.reason.value] for e in whole.events
    ]
    assert page["summary"] == whole.summary


def test_where_only_the_fold_can_tell_the_preview_reads_the_history_whole(tmp_path, monkeypatch):
    hist = _evening(tmp_path / "h")
    place = replay.Place()
    expected = replay.preview(hist, Settings(), {"threshold": 50}, T0 - 1, place)
    monkeypatch.setattr(replay, "what_if_pieces", lambda *a, **k: None)
    assert replay.preview(hist, Settings(), {"threshold": 50}, T0 - 1, place) == expected


def test_the_suggestion_reads_only_the_minutes_around_each_dusk(tmp_path, monkeypatch):
    """The same suggestion as from the whole week at once, read a few minutes at a time
    (7 days at 1 Hz are 9.7 MB as columns), a dusk at the window's very start included."""
    from lightctl import skylearn

    site, now = (48.85, 2.35), T0 + 7 * 86400
    hist = History(tmp_path / "h", flush_interval=0)
    hist.open(T0)
    for k in range(7 * 86400 // 20):  # a reading every 20 s, a different level each
        hist.add_sample(T0 + 20 * k, float(k % 97))
    first = skylearn.dusk_times(site, None, T0 + 3600, now)[0]
    since = first - 60.0  # cuts into the first evening's minutes
    dusks = skylearn.dusk_times(site, None, since, now)
    assert dusks[0] == first
    whole = skylearn.suggestion(skylearn.dusk_readings(*hist.columns(since), dusks))
    spans = []
    columns = hist.columns
    monkeypatch.setattr(hist, "columns", lambda a, b=None: spans.append((a, b)) or columns(a, b))
    got = reads.suggestion(hist, site, None, now, (now - since) / 86400)
    assert got == {"suggestion": whole, "why": None} and whole["evenings"] == len(dusks)
    assert len(spans) == len(dusks) and all(b - a <= 2 * skylearn.AROUND for a, b in spans)
