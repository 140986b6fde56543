"""kill -9 of the real `lightctl run` at random moments: the counters lose at most one
flush period and never go backwards, also over a damaged file."""

from __future__ import annotations

import random
import time

from lightctl.counters import CounterFile
from tests.broker import free_port
from tests.e2e.helpers import DaemonProcess, write_config

FLUSH = 0.2  # s, instead of 60: the same code path, fast enough for a test
INTERVAL = 0.05  # the sample period of write_config; counting advances per sample
SLACK = 0.3  # s of scheduling noise on a shared machine


def test_kill_9_loses_at_most_one_flush_period(tmp_path):
    (tmp_path / "lux.txt").write_text("1\n")  # dark: the lamp goes on at once
    cfg = write_config(tmp_path, port=free_port(), control="lamp_power = 3600")
    store = CounterFile(tmp_path / "state")
    rng = random.Random(15)
    saved_before = 0.0
    for round_ in range(1, 5):
        d = DaemonProcess(cfg, env={"LIGHTCTL_COUNTERS_FLUSH": str(FLUSH)}).start()
        try:
            first = d.wait_for(lambda s: s["lamp"] == "on", what="lamp on")["counters"]
            # a restart starts from what was saved, never below it
            assert first["on_seconds"] >= saved_before - 1e-6
            assert first["relay_cycles"] == round_
            # the relay's cycle is on the card within a second (a save follows on its own
            # path); a kill before that may lose it, so the random moment comes after
            durable = time.monotonic() + 1.0 + SLACK
            while (now := store.load()) is None or now.cycles < round_:
                assert time.monotonic() < durable, "the relay cycle was not saved in 1 s"
                time.sleep(0.02)
            time.sleep(rng.uniform(0.1, 0.9))
            live = d.get("/api/status")["counters"]
            d.proc.kill()  # SIGKILL: no stop, no last flush
            d.proc.wait(5)
        finally:
            d.kill()
        saved = store.load()
        assert saved is not None
        lost = live["on_seconds"] - saved.total.on_seconds
        assert lost <= FLUSH + INTERVAL + SLACK, (round_, live, saved)
        assert saved.total.on_seconds >= saved_before  # never backwards
        # energy is ON time x power: 3600 W is 1 Wh per second
        assert abs(saved.total.energy_wh - saved.total.on_seconds) < 1e-6
        assert saved.cycles == round_
        saved_before = saved.total.on_seconds
        if round_ == 2:
            store.path.write_text("{ torn")  # damaged: the copy keeps the last good value
        if round_ == 3:
            store.backup.unlink()  # missing: the main file keeps it
    assert saved_before > 0.4
