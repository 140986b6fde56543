"""The sky as a second sensor, through the real `lightctl run` process.

The process runs on an accelerated clock that starts at a chosen moment
(``LIGHTCTL_TEST_CLOCK=SPEED@EPOCH``), at a configured site, so the sun is where each
scenario needs it and minutes of it pass in seconds. The sensor is a file the test
writes (atomically: a half-written file would be a failed read).
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from astral import Observer
from astral.sun import SunDirection, time_at_elevation

from lightctl.clock import clock_from_env
from lightctl.core.schedule import sun_elevation
from tests.broker import free_port
from tests.e2e.helpers import DaemonProcess

PARIS = ZoneInfo("Europe/Paris")
SITE = (48.87, 2.33)


def local(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS).timestamp()


def write_lux(folder: Path, value: float | str) -> None:
    tmp = folder / "lux.tmp"
    tmp.write_text(f"{value}\n")
    os.replace(tmp, folder / "lux.txt")


def sky_daemon(
    folder: Path, *, start: float, speed: float, interval: float, control: str, lux: float | str
) -> DaemonProcess:
    """`lightctl run` at the site, its clock ``speed`` times real time from ``start``."""
    write_lux(folder, lux)
    port = free_port()
    cfg = folder / "config.toml"
    cfg.write_text(
        f"""
node_id = "sky"
state_dir = "{folder / "state"}"

[sensor]
type = "file"
path = "{folder / "lux.txt"}"
interval = {interval}

[control]
threshold = 20.0
hysteresis = 20.0
smoothing = 1
{control}

[schedule]
timezone = "Europe/Paris"
latitude = {SITE[0]}
longitude = {SITE[1]}

[relay]
type = "mock"

[web]
listen = "127.0.0.1:{port}"
"""
    )
    env = {"LIGHTCTL_TEST_CLOCK": f"{speed:g}@{start:.0f}"}
    d = DaemonProcess(cfg, env=env)
    try:
        return d.start(timeout=30.0)  # a loaded machine starts slowly
    except BaseException:
        d.kill()  # a process that never answered is not left behind
        raise


def events(d: DaemonProcess) -> list[list]:
    return d.get("/api/history?hours=24")["events"]


def test_a_floodlight_at_2am_is_rejected_and_counted(tmp_path):
    """90 s of floodlight and more (200 s) in the middle of a winter night: above the off
    level for longer than off_delay (60 s) but not night_off_delay (600 s)."""
    d = sky_daemon(
        tmp_path,
        start=local("2026-01-15T02:00"),
        speed=100,
        interval=5,
        control="on_delay = 0\noff_delay = 60\nnight_off_delay = 600",
        lux=5,
    )
    try:
        d.wait_for(lambda s: s["lamp"] == "on", what="lamp on in the dark")
        write_lux(tmp_path, 2000)  # a neighbour's floodlight
        end = time.monotonic() + 2.0  # 200 s of the daemon's clock
        while time.monotonic() < end:
            st = d.get("/api/status")
            assert st["lamp"] == "on", st
            time.sleep(0.05)
        write_lux(tmp_path, 5)
        st = d.wait_for(lambda s: s["rejected_lights"] == 1, what="the light counted")
        assert st["lamp"] == "on" and st["reason"] == "dark"
        assert [e[1] for e in events(d)] == ["on"]  # never switched off
        assert [m[1] for m in d.get("/api/history?hours=24")["marks"]] == ["rejected"]
        assert "did not switch the lamp off" in d.log()
    finally:
        d.kill()


def test_a_covered_sensor_at_noon_is_a_problem_and_no_lamp(tmp_path):
    d = sky_daemon(
        tmp_path,
        start=local("2026-06-21T13:00"),  # the sun about 64° up
        speed=300,
        interval=10,
        control="on_delay = 0\noff_delay = 0",
        lux=3,  # covered: reads dark from the start
    )
    try:
        st = d.wait_for(
            lambda s: "covered" in (s["problem"] or ""), timeout=9.0, what="the covered problem"
        )  # 15 minutes of the daemon's clock: 3 s
        assert "the sensor reads dark in daylight: covered, dirty or miswired?" in st["problem"]
        assert st["lamp"] == "off" and st["dark"] is False
        assert events(d) == []
        write_lux(tmp_path, 30000)  # uncovered
        d.wait_for(lambda s: s["problem"] is None, what="the problem cleared")
        assert "covered, dirty or miswired" in d.log()
    finally:
        d.kill()


def crossing(day: str, elevation: float, direction: SunDirection) -> float:
    date = datetime.fromisoformat(day).date()
    when = time_at_elevation(Observer(*SITE), elevation, date, direction, tzinfo=PARIS)
    return when.timestamp()


def test_a_dead_sensor_follows_the_sun_at_dusk(tmp_path):
    """fail_safe "sun": OFF while the sun is above -4°, ON as it sets through it."""
    dusk = crossing("2026-01-15", -4.0, SunDirection.SETTING)
    d = sky_daemon(
        tmp_path,
        start=dusk - 1200,  # 20 minutes before: 2 s at 600x
        speed=600,
        interval=60,
        control='fail_safe = "sun"',
        lux="dead",  # not a number: every read fails
    )
    try:
        st = d.wait_for(lambda s: s["problem"] is not None, what="the sensor fault")
        assert st["lamp"] == "off" and st["reason"] == "fail-safe"
        assert st["fail_safe_sun"]["elevation"] == -4.0
        st = d.wait_for(lambda s: s["lamp"] == "on", timeout=9.0, what="ON by the sun")
        assert st["reason"] == "fail-safe"
        [(t, state, reason)] = events(d)
        assert (state, reason) == ("on", "fail-safe")
        assert -4.6 < sun_elevation(*SITE, t) < -4.0  # within a minute or two of -4°
    finally:
        d.kill()


def test_a_dead_sensor_follows_the_sun_at_dawn(tmp_path):
    dawn = crossing("2026-01-16", -4.0, SunDirection.RISING)
    d = sky_daemon(
        tmp_path,
        start=dawn - 1200,
        speed=600,
        interval=60,
        control='fail_safe = "sun"',
        lux="dead",
    )
    try:
        d.wait_for(lambda s: s["lamp"] == "on", what="ON by the sun before dawn")
        st = d.wait_for(lambda s: s["lamp"] == "off", timeout=9.0, what="OFF at dawn")
        assert st["reason"] == "fail-safe"
        t = events(d)[-1][0]
        assert -4.0 < sun_elevation(*SITE, t) < -3.4
    finally:
        d.kill()


def test_a_lamp_lighting_its_own_sensor_cycles_once_then_holds(tmp_path):
    """The sensor reads 15 lx of dusk plus the lamp's own 30 lx (threshold 20, hysteresis
    20: the lamp alone lifts it past the off level of 40). Real time at dusk; the test
    plays the lamp's light from the relay state it sees."""
    ambient, own = 15.0, 30.0
    d = sky_daemon(
        tmp_path,
        start=crossing("2026-01-15", -5.0, SunDirection.SETTING),
        speed=1,
        interval=0.5,  # the test answers the relay well within one reading
        control="on_delay = 0.5\noff_delay = 0.5",
        lux=ambient,
    )
    try:
        end = time.monotonic() + 6.0
        held = None
        while time.monotonic() < end:
            st = d.get("/api/status")
            write_lux(tmp_path, ambient + (own if st["lamp"] == "on" else 0.0))
            if held is None and "lights its own sensor" in (st["problem"] or ""):
                held = time.monotonic()
            if held is not None and time.monotonic() - held > 2.0:
                break  # four more readings with the lamp's light: still held
            time.sleep(0.02)
        assert held is not None, d.log()
        st = d.get("/api/status")
        assert st["lamp"] == "on" and st["lamp_delta"] == own
        assert "a hysteresis of 39 lx would clear it" in st["problem"]
        assert [e[1:] for e in events(d)] == [["on", "dark"], ["off", "light"], ["on", "dark"]]
    finally:
        d.kill()


def test_the_test_clock_takes_speed_at_epoch_only():
    clock = clock_from_env("300@1768500000")
    assert clock.speed == 300 and 1768500000 <= clock.wall() < 1768500000 + 300
    for bad in ("300", "fast@1", "0@1", "nan@1", "300@x"):
        with pytest.raises(ValueError, match="SPEED@EPOCH"):
            clock_from_env(bad)
