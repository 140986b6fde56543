"""The service layer: one answer for each way in (the page's preview and `lightctl
replay`; the chart's history while it loads; the settings in force)."""

from __future__ import annotations

from datetime import datetime

import pytest

from lightctl.cli import main
from lightctl.config import Config
from lightctl.core.model import Settings
from lightctl.core.settings import SettingsError
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
