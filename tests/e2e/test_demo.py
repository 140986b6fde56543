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
