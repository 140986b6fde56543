"""`lightctl run --demo`: no config, no hardware, an accelerated simulated day."""

from __future__ import annotations

import time

from tests.broker import free_port
from tests.e2e.helpers import DaemonProcess


def test_demo_runs_an_accelerated_day_and_stops_cleanly(tmp_path):
    """The demo serves its page, its simulated time runs 60x, it logs what it does, SIGTERM -> 0."""
    port = free_port()
    args = ["--demo", "--listen", f"127.0.0.1:{port}", "--state-dir", str(tmp_path / "state")]
    d = DaemonProcess(tmp_path, args=args, port=port)
    try:
        d.start(timeout=20)
        st = d.wait_for(lambda s: s["light"] is not None, what="a simulated reading")
        assert st["node_id"] == "demo" and st["mqtt"] == "disabled" and st["problem"] is None
        t0 = st["updated"]
        time.sleep(1.0)
        later = d.get("/api/status")["updated"]
        assert later - t0 > 30, "the demo clock should run about 60 times faster than real time"
        assert "tuning page: http://127.0.0.1" in d.log() and "demo:" in d.log()
        assert d.terminate(timeout=5) == 0
    finally:
        d.kill()


def test_demo_starts_with_a_simulated_day_and_afresh_each_run(tmp_path):
    """The chart has a whole day from the first second; a second run does not mix with
    the first (no doubled switches, no samples after "now"); the page learns the zone
    and that the clock is simulated."""
    port = free_port()
    state = tmp_path / "state"
    args = ["--demo", "--listen", f"127.0.0.1:{port}", "--state-dir", str(state)]
    for _run in (1, 2):
        d = DaemonProcess(tmp_path, args=args, port=port)
        try:
            d.start(timeout=20)
            st = d.wait_for(lambda s: s["light"] is not None, what="a simulated reading")
            assert st["timezone"] == "Europe/Paris" and st["clock_speed"] == 60
            hist = _loaded_history(d)
            times = [t for t, _ in hist["samples"]]
            assert times[-1] <= d.get("/api/status")["updated"] + 1, "no samples from the future"
            assert times[-1] - times[0] > 23 * 3600, "a whole simulated day from the start"
            lamps = [e[1] for e in sorted(hist["events"])]
            assert lamps and all(a != b for a, b in zip(lamps, lamps[1:], strict=False))
            assert "started afresh" in d.log() and "simulated at start" in d.log()
            assert d.terminate(timeout=5) == 0
        finally:
            d.kill()
    assert (state / "DEMO").exists()


def _loaded_history(d: DaemonProcess, timeout: float = 10.0) -> dict:
    """The last 24 h once the history is read (it loads in the background after start)."""
    deadline = time.monotonic() + timeout
    while True:
        hist = d.get("/api/history?hours=24")
        if not hist.get("loading") or time.monotonic() > deadline:
            return hist
        time.sleep(0.05)


def test_demo_heartbeat_speaks_when_nothing_changes():
    """At night nothing changes, yet the log tells the time every simulated half hour."""
    import logging

    from lightctl.clock import ManualClock
    from lightctl.demo import Heartbeat

    class Still:
        def status(self):
            from types import SimpleNamespace

            return SimpleNamespace(light=0.5, lamp=True, reason="dark")

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    log = logging.getLogger("lightctl.test-heartbeat")
    log.addHandler(Keep())
    log.setLevel(logging.INFO)
    clock = ManualClock()
    beat = Heartbeat(Still(), clock, log)
    for _ in range(3 * 1800 // 60):  # an hour and a half, one call per simulated minute
        clock.advance(60)
        beat()
    assert lines == ["demo: light 0.5 lx, lamp ON (dark)"] * 3
