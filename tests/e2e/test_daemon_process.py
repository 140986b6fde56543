"""The real daemon process end to end: file sensor in, mock relay, HTTP API out."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.broker import free_port
from tests.e2e.helpers import DaemonProcess, write_config


@pytest.fixture
def daemon(tmp_path):
    d = DaemonProcess(write_config(tmp_path, port=free_port()))
    yield d
    d.kill()


def test_follows_light_through_on_band_and_off(daemon, tmp_path):
    """Written lux values drive the lamp: dark -> ON, hysteresis band -> holds, light -> OFF."""
    lux = tmp_path / "lux.txt"
    daemon.start()
    st = daemon.wait_for(lambda s: s["light"] == 100, what="first reading")
    assert st["lamp"] == "off" and st["problem"] is None
    lux.write_text("5\n")
    st = daemon.wait_for(lambda s: s["lamp"] == "on", what="lamp on")
    assert st["reason"] == "dark" and st["dark"] is True
    lux.write_text("30\n")  # inside [threshold, threshold + hysteresis] = [20, 40]
    daemon.wait_for(lambda s: s["light"] == 30, what="band reading")
    time.sleep(0.3)  # several sampling periods inside the band
    assert daemon.get("/api/status")["lamp"] == "on"
    lux.write_text("41\n")
    st = daemon.wait_for(lambda s: s["lamp"] == "off", what="lamp off")
    assert st["reason"] == "light"
    events = daemon.get("/api/history?hours=1")["events"]
    assert [e[1:] for e in events] == [["on", "dark"], ["off", "light"]]
    assert "lamp ON (dark)" in daemon.log() and "lamp OFF (light)" in daemon.log()


def test_patch_good_and_bad_and_settings_survive_restart(daemon):
    """A good PATCH applies and persists across a restart; a bad one is 400 and changes nothing."""
    daemon.start()
    code, body = daemon.request("PATCH", "/api/settings", {"threshold": 12.5, "on_delay": 3})
    assert code == 200, body
    code, body = daemon.request(
        "PATCH", "/api/settings", {"threshold": 7, "hysteresis": -1, "smoothing": "x"}
    )
    assert code == 400
    assert "hysteresis" in json.dumps(body) and "smoothing" in json.dumps(body)
    settings = daemon.get("/api/settings")
    assert settings["threshold"] == 12.5 and settings["on_delay"] == 3
    assert daemon.terminate() == 0
    daemon.start()
    settings = daemon.get("/api/settings")
    assert settings["threshold"] == 12.5 and settings["on_delay"] == 3


def test_mode_and_override_over_http(daemon, tmp_path):
    """Forced mode and a manual override switch the lamp with their reasons."""
    daemon.start()
    daemon.wait_for(lambda s: s["light"] == 100, what="first reading")
    code, st = daemon.request("POST", "/api/lamp", {"state": "on"})
    assert code == 200
    st = daemon.wait_for(lambda s: s["lamp"] == "on", what="override on")
    assert st["reason"] == "override" and st["override"]["state"] == "on"
    code, st = daemon.request("POST", "/api/mode", {"mode": "off"})
    assert code == 200
    st = daemon.wait_for(lambda s: s["lamp"] == "off" and s["mode"] == "off", what="mode off")
    assert st["reason"] == "mode"
    code, _ = daemon.request("POST", "/api/mode", {"mode": "sideways"})
    assert code == 400
    assert daemon.get("/api/status")["mode"] == "off"


def test_sigterm_exits_zero_quickly(daemon):
    """SIGTERM stops the daemon with exit code 0 within 5 s."""
    daemon.start()
    t0 = time.monotonic()
    assert daemon.terminate(timeout=5) == 0
    assert time.monotonic() - t0 < 5


def test_bad_config_exits_2_naming_every_key(tmp_path):
    """A config with several mistakes exits 2 and names each bad key before starting."""
    cfg = tmp_path / "bad.toml"
    cfg.write_text(
        'node_id = "Bad Name!"\n[sensor]\ntype = "file"\npath = "/x"\ninterval = 0\n'
        '[control]\nthreshold = -3\nhysterisis = 5\n[relay]\ntype = "mock"\n'
    )
    res = subprocess.run(
        [sys.executable, "-m", "lightctl", "run", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 2
    for key in ("node_id", "sensor.interval", "control.threshold", "hysterisis"):
        assert key in res.stderr, res.stderr
    assert "hysteresis" in res.stderr  # did you mean


def test_kill_9_during_settings_writes_never_corrupts(tmp_path):
    """kill -9 at random moments during PATCH streams: restart finds old or new settings."""
    rng = random.Random(7)
    d = DaemonProcess(write_config(tmp_path, port=free_port()))
    written: set[float] = {20.0}
    try:
        for _ in range(6):
            d.start()
            deadline = time.monotonic() + rng.uniform(0.05, 0.4)
            while time.monotonic() < deadline:
                value = round(rng.uniform(1, 500), 2)
                written.add(value)
                try:
                    d.request("PATCH", "/api/settings", {"threshold": value})
                except OSError:
                    break
            d.proc.kill()
            d.proc.wait(5)
            runtime = tmp_path / "state" / "runtime.json"
            if runtime.exists():
                data = json.loads(runtime.read_text())  # never partial JSON
                assert data["settings"].get("threshold", 20.0) in written
        d.start()
        assert d.get("/api/settings")["threshold"] in written
    finally:
        d.kill()


def test_status_command_summarises_a_running_daemon(daemon):
    """`lightctl status --url` prints the lamp, its reason, the light and the sensor health."""
    daemon.start()
    daemon.wait_for(lambda s: s["light"] == 100, what="first reading")
    res = subprocess.run(
        [sys.executable, "-m", "lightctl", "status", "--url", daemon.url],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 0, res.stderr
    assert "OFF (light)" in res.stdout and "light     100 lx" in res.stdout
    assert "sensor    ok" in res.stdout


def test_status_command_without_a_daemon_exits_1(tmp_path):
    """Nothing listening: a clear message and exit code 1."""
    res = subprocess.run(
        [sys.executable, "-m", "lightctl", "status", "--url", f"http://127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 1 and "cannot reach" in res.stderr


def test_check_config_prints_the_effective_config(tmp_path):
    """check-config: exit 0 and the effective TOML (defaults filled in) for a good file."""
    cfg = write_config(tmp_path, port=free_port())
    res = subprocess.run(
        [sys.executable, "-m", "lightctl", "check-config", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 0, res.stderr
    assert 'type = "file"' in res.stdout and "fail_safe" in res.stdout


def test_replay_of_the_daemons_own_history_reproduces_its_switches(daemon, tmp_path):
    """`lightctl replay` with no --input replays the daemon's history with its settings
    (config + runtime changes) and prints exactly the switches the daemon made."""
    lux = tmp_path / "lux.txt"
    daemon.start()
    assert daemon.request("PATCH", "/api/settings", {"threshold": 25.0})[0] == 200
    for value, lamp in (("22", "on"), ("100", "off"), ("3", "on"), ("120", "off")):  # 22 < 25 only
        lux.write_text(value + "\n")
        daemon.wait_for(lambda s, lamp=lamp: s["lamp"] == lamp, what=f"lamp {lamp}")
    live = [e[1:] for e in daemon.get("/api/history?hours=1")["events"]]
    assert daemon.terminate() == 0  # flushes the history to disk
    res = subprocess.run(
        [sys.executable, "-m", "lightctl", "replay"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**daemon.env, "LIGHTCTL_CONFIG": str(daemon.config)},
    )
    assert res.returncode == 0, res.stderr
    replayed = [line.split(",")[1:] for line in res.stdout.strip().splitlines()[1:]]
    assert replayed == [list(e) for e in live] and len(live) == 4


def test_metrics_count_switches_by_lamp_and_reason(daemon, tmp_path):
    """/metrics exposes lightctl_switches_total{lamp,reason} as the lamp switches."""
    from prometheus_client.parser import text_string_to_metric_families

    lux = tmp_path / "lux.txt"
    daemon.start()
    for value, lamp in (("5", "on"), ("100", "off"), ("5", "on")):
        lux.write_text(value + "\n")
        daemon.wait_for(lambda s, lamp=lamp: s["lamp"] == lamp, what=f"lamp {lamp}")
    with urllib.request.urlopen(daemon.url + "/metrics", timeout=5) as resp:
        text = resp.read().decode()
    counts = {
        (s.labels["lamp"], s.labels["reason"]): s.value
        for fam in text_string_to_metric_families(text)
        if fam.name == "lightctl_switches"
        for s in fam.samples
        if s.name == "lightctl_switches_total"
    }
    assert counts == {("on", "dark"): 2.0, ("off", "light"): 1.0}


def test_replay_prints_the_daemons_switch_times_with_a_long_interval(tmp_path):
    """interval 2 s, on_delay 1 s: one dark reading switches nothing (delays are judged at
    readings), a longer dark spell and a light one switch; across a settings change and a
    restart, `lightctl replay --config` prints the daemon's own switches at its own times."""
    from datetime import datetime

    cfg = write_config(tmp_path, port=free_port())
    text = cfg.read_text().replace("interval = 0.05", "interval = 2")
    cfg.write_text(
        text.replace("on_delay = 0", "on_delay = 1").replace("off_delay = 0", "off_delay = 1")
    )
    lux = tmp_path / "lux.txt"
    d = DaemonProcess(cfg)
    try:
        d.start()
        d.wait_for(lambda s: s["light"] == 100, what="first reading")
        lux.write_text("5\n")  # one dark reading, then light again
        d.wait_for(lambda s: s["light"] == 5, what="the dark reading")
        lux.write_text("100\n")
        d.wait_for(lambda s: s["light"] == 100, what="light again")
        lux.write_text("5\n")
        d.wait_for(lambda s: s["lamp"] == "on", timeout=20, what="lamp on")
        assert d.request("PATCH", "/api/settings", {"off_delay": 3})[0] == 200
        assert d.terminate() == 0
        d.start()
        lux.write_text("100\n")
        d.wait_for(lambda s: s["lamp"] == "off" and s["light"] == 100, timeout=20, what="off")
        live = [(round(t, 3), on, why) for t, on, why in d.get("/api/history?hours=1")["events"]]
        assert d.terminate() == 0
    finally:
        d.kill()
    res = subprocess.run(
        [sys.executable, "-m", "lightctl", "replay", "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
        env=d.env,
    )
    assert res.returncode == 0, res.stderr
    replayed = []
    for line in res.stdout.strip().splitlines()[1:]:
        stamp, lamp, why = line.split(",")
        replayed.append((round(datetime.fromisoformat(stamp).timestamp(), 3), lamp, why))
    assert [why for _, _, why in live] == ["dark", "dark", "light"]  # ON, ON after restart, OFF
    assert replayed == live
