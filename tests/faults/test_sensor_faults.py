"""Sensor garbage and disappearance on a running daemon, for fail_safe on, off and hold.

The file sensor is fed what a broken sensor or feeding program leaves behind: the file
deleted, replaced by a folder, garbage text, invalid UTF-8, NaN, inf, -5, 1e12, empty.
Each time: a problem is reported (status, /metrics, log), the lamp goes to fail_safe,
and the first good reading brings control back by itself.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from lightctl.core.model import FailSafe, Settings
from tests.faults.helpers import flask_app, make_config, running, wait_until

GARBAGE = ["deleted", "folder", "not a number", "\udcff\udcfe", "nan", "inf", "-5", "1e12", "",
           "1e400", "   \n\n"]  # fmt: skip
DARK, LIGHT = "5", "100"


def _spoil(sw, kind: str) -> None:
    path: Path = sw.lux_file
    if kind == "deleted":
        path.unlink()
    elif kind == "folder":
        path.unlink()
        path.mkdir()
    elif kind.startswith("\udcff"):
        path.write_bytes(b"\xff\xfe\x00garbage")
    else:
        sw.set_light(kind)


def _restore(sw, text: str) -> None:
    if sw.lux_file.is_dir():
        shutil.rmtree(sw.lux_file)
    sw.set_light(text)


def _metric(sw, name: str) -> str:
    text = flask_app(sw).test_client().get("/metrics").get_data(as_text=True)
    return next(line for line in text.splitlines() if line.startswith(name))


def _fault_then_recover(sw, kind: str, expect_lamp: bool, good: str) -> None:
    """Spoil the sensor, see the fault and fail-safe lamp, then feed ``good`` and recover."""
    _spoil(sw, kind)
    st = wait_until(lambda: sw.daemon.status().problem, what=f"a fault from {kind!r}")
    assert st.startswith("sensor"), st
    status = sw.daemon.status()
    assert status.lamp is expect_lamp, (kind, status)
    assert sw.relay.state is expect_lamp
    assert status.reason == "fail-safe", status
    assert _metric(sw, "lightctl_sensor_problem").endswith(" 1.0")
    assert flask_app(sw).test_client().get("/healthz").status_code == 200
    _restore(sw, good)
    wait_until(lambda: sw.daemon.status().problem is None, what=f"recovery after {kind!r}")
    want = good == DARK
    wait_until(lambda: sw.daemon.status().lamp is want, what="control resumed")
    status = sw.daemon.status()
    assert status.reason == ("dark" if want else "light"), status
    assert sw.relay.state is want
    assert _metric(sw, "lightctl_sensor_problem").endswith(" 0.0")


@pytest.mark.parametrize("fail_safe", ["on", "off"])
def test_garbage_and_disappearance_go_to_fail_safe_and_recover(tmp_path, caplog, fail_safe):
    """Every kind of garbage -> problem + lamp at fail_safe (reason fail-safe); a good
    reading -> problem cleared and the lamp follows the light again at once."""
    settings = Settings(
        on_delay=0, off_delay=0, smoothing=1, fail_safe=FailSafe(fail_safe), chatter_limit=0
    )
    on = fail_safe == "on"
    good = LIGHT if on else DARK  # start opposite to the fail-safe so the switch shows
    (tmp_path / "lux.txt").write_text(good)
    cfg = make_config(tmp_path, settings=settings)
    with caplog.at_level(logging.WARNING, logger="lightctl"), running(cfg) as sw:
        wait_until(lambda: sw.daemon.status().lamp is (not on), what="the first decision")
        for kind in GARBAGE:
            _fault_then_recover(sw, kind, on, good)
            assert sw.daemon.status().reason != "fail-safe"
        assert sw.daemon.alive()
    assert caplog.text.count("FAULT") == len(GARBAGE)
    assert caplog.text.count("fault cleared") == len(GARBAGE)


def test_hold_keeps_whatever_the_lamp_was(tmp_path):
    """fail_safe = hold: a fault leaves the lamp on when it was on, off when it was off;
    recovery follows the new reading."""
    settings = Settings(
        on_delay=0, off_delay=0, smoothing=1, fail_safe=FailSafe.HOLD, chatter_limit=0
    )
    (tmp_path / "lux.txt").write_text(DARK)
    with running(make_config(tmp_path, settings=settings)) as sw:
        wait_until(lambda: sw.daemon.status().lamp is True, what="lamp on in the dark")
        for kind in GARBAGE:
            _fault_then_recover(sw, kind, True, DARK)
        _fault_then_recover(sw, "nan", True, LIGHT)  # held on through the fault, then light
        for kind in GARBAGE:
            _fault_then_recover(sw, kind, False, LIGHT)
        history = sw.relay.history
    assert history == [True, False], "hold must never switch during a fault"


def test_a_few_bad_readings_below_fault_after_change_nothing(tmp_path):
    """Fewer than fault_after bad readings in a row: no problem, no switch."""
    (tmp_path / "lux.txt").write_text(DARK)
    cfg = make_config(tmp_path, fault_after=1000)
    with running(cfg) as sw:
        wait_until(lambda: sw.relay.history == [True], what="lamp on")
        for kind in GARBAGE:
            _spoil(sw, kind)
            wait_until(lambda: sw.daemon.state.bad_count >= 2, what=f"bad reads of {kind!r}")
            _restore(sw, DARK)
            wait_until(lambda: sw.daemon.state.bad_count == 0, what="a good read")
        assert sw.daemon.status().problem is None
        assert sw.relay.history == [True]
