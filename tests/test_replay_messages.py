"""`lightctl replay` tells a person what it did: short inputs, unreadable rows, no
history yet, and the demo's history with --state-dir."""

from __future__ import annotations

import subprocess
import sys
import warnings

from lightctl.cli import main

T0 = 1_790_000_000.0


def test_header_only_csv_says_there_is_nothing_to_replay(tmp_path, capsys):
    f = tmp_path / "empty.csv"
    f.write_text("time,lux\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "input contained no data" must not leak
        assert main(["replay", "--input", str(f)]) == 1
    assert capsys.readouterr().err == f"lightctl replay: {f} holds no samples: nothing to replay\n"


def test_short_input_gives_no_per_day_rate(tmp_path, capsys):
    """Ten minutes of data: "over 10 minutes", no "(86400 per day)"."""
    f = tmp_path / "short.csv"
    f.write_text("time,lux\n" + "".join(f"{T0 + i},{5 if i > 2 else 100}\n" for i in range(601)))
    assert main(["replay", "--input", str(f), "--set", "on_delay=0", "--set", "smoothing=1"]) == 0
    err = capsys.readouterr().err
    assert "# 601 samples over 10 minutes, 1 switch\n" in err
    assert "per day" not in err


def test_unreadable_lux_rows_are_counted_with_the_first_one(tmp_path, capsys):
    f = tmp_path / "bad.csv"
    rows = [f"{T0 + i},{'abc' if i in (3, 7) else 50}\n" for i in range(20)]
    f.write_text("time,lux\n" + "".join(rows))
    assert main(["replay", "--input", str(f)]) == 0
    err = capsys.readouterr().err
    assert "# 2 rows have a lux that is not a number (first: line 5, 'abc'); counted as" in err


def test_no_history_names_the_ways_out(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("LIGHTCTL_CONFIG", str(tmp_path / "none.toml"))
    assert main(["replay", "--state-dir", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err
    assert "no recorded history in" in err and "--state-dir DIR" in err and "--input FILE" in err


def test_state_dir_replays_the_demos_history_with_the_demos_settings(tmp_path):
    """`lightctl replay --state-dir DIR` on the demo's folder: its recorded switches come
    back with its own settings, and `--set` changes them."""
    from lightctl import demo
    from lightctl.bootstrap import local_timezone
    from lightctl.config import demo_config

    state = tmp_path / "demo-state"
    assert demo.prepare_state_dir(state)
    cfg = demo_config(state)
    n, k = demo.fill_past(cfg, local_timezone(cfg.timezone), T0)
    assert k >= 2

    def replay(*extra: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "lightctl", "replay", "--state-dir", str(state), *extra]
        env = {"LIGHTCTL_CONFIG": str(tmp_path / "none.toml"), "PATH": "/usr/bin:/bin"}
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)

    same = replay()
    assert same.returncode == 0, same.stderr
    assert len(same.stdout.splitlines()) == k + 1  # the header and the recorded switches
    assert f"# {n} samples over 1 day, {k} switches" in same.stderr
    assert "# times in Europe/Paris" in same.stderr
    darker = replay("--set", "threshold=2")
    assert darker.returncode == 0 and darker.stdout != same.stdout


def _recorded_evening(state, monkeypatch, tmp_path):
    """A state folder holding an evening of samples, and no config file anywhere."""
    from lightctl.history import History

    monkeypatch.setenv("LIGHTCTL_CONFIG", str(tmp_path / "none.toml"))
    hist = History(state / "history", flush_interval=0)
    hist.open(T0 + 900)
    for i in range(900):
        hist.add_sample(T0 + i, 40.0 if 200 <= i < 600 else 500.0)
    hist.close()


def test_a_saved_setting_that_does_not_validate_is_a_config_problem(tmp_path, capsys, monkeypatch):
    """A runtime change on disk that no longer validates stops the replay with exit 2 and
    names the file, the key and the rule; nothing is replayed with a guess."""
    from lightctl.store import RuntimeState, SettingsStore

    state = tmp_path / "state"
    _recorded_evening(state, monkeypatch, tmp_path)
    SettingsStore(state).save(RuntimeState(settings={"threshold": -1}))
    assert main(["replay", "--state-dir", str(state)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("lightctl: configuration problems:\n")
    assert f"  - {state / 'runtime.json'}: threshold: " in err


def test_the_saved_settings_apply_under_the_set_options(tmp_path, capsys, monkeypatch):
    """Settings changed at runtime are part of the daemon's settings: a replay of its
    history with them equals one of a folder without them given the same by --set."""
    from lightctl.store import RuntimeState, SettingsStore

    saved, bare = tmp_path / "saved", tmp_path / "bare"
    _recorded_evening(saved, monkeypatch, tmp_path)
    _recorded_evening(bare, monkeypatch, tmp_path)
    SettingsStore(saved).save(RuntimeState(settings={"threshold": 50.0}))
    delays = ["--set", "on_delay=0", "--set", "off_delay=0"]
    assert main(["replay", "--state-dir", str(saved), *delays]) == 0
    with_saved = capsys.readouterr().out
    assert main(["replay", "--state-dir", str(bare), "--set", "threshold=50", *delays]) == 0
    assert with_saved == capsys.readouterr().out
    assert main(["replay", "--state-dir", str(bare), *delays]) == 0
    assert capsys.readouterr().out == "time,lamp,reason\n"  # 40 lx is not dark at 20 lx
