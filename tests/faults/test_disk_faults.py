"""A full or read-only disk: nothing acknowledged is lost, nothing stops the lamp.

``state_dir`` lives on a small tmpfs mounted for the test (a full SD card), or on a
mount made read-only (tests run as root, and root ignores file modes, so only a
read-only mount really refuses a write). Needs root and mount(8); skipped otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from lightctl.store import RuntimeState, SettingsStore
from tests.faults.helpers import flask_app, make_config, running, wait_until

BASIC = {"Content-Type": "application/json"}


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@pytest.fixture
def disk(tmp_path):
    """A 1 MiB tmpfs at ``tmp_path/disk``, unmounted afterwards."""
    path = tmp_path / "disk"
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        _mount("-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(path))
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the disk is full; returns it (delete it to free the disk)."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        for size in (65536, 4096, 512):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass
    return filler


def read_only(path: Path, on: bool) -> None:
    _mount("-o", f"remount,{'ro' if on else 'rw'}", str(path))


def saved_threshold(state_dir: Path) -> float | None:
    try:
        data = json.loads((state_dir / "runtime.json").read_text())
    except FileNotFoundError:
        return None
    return data["settings"].get("threshold")


def node(disk: Path):
    """A fault-suite node whose ``state_dir`` is on ``disk`` (its sensor file is not)."""
    return replace(make_config(disk.parent), state_dir=disk / "state")


def test_full_disk_keeps_the_change_reports_it_and_saves_it_once_freed(disk):
    """PATCH on a full disk: 200 and in effect; "settings not saved" in the status (what the
    page and HA show) until space comes back; then on disk and kept across a restart."""
    cfg = node(disk)
    state_dir = Path(cfg.state_dir)
    with running(cfg) as sw:
        client = flask_app(sw).test_client()
        seen: list[str | None] = []
        sw.daemon.add_listener(lambda st, important: seen.append(st.problem))
        filler = fill(disk)
        resp = client.patch("/api/settings", data=json.dumps({"threshold": 33.0}), headers=BASIC)
        assert resp.status_code == 200 and resp.get_json()["threshold"] == 33.0
        wait_until(
            lambda: "settings not saved" in (sw.daemon.status().problem or ""), what="problem"
        )
        assert any(p and "settings not saved" in p for p in seen), "listeners (MQTT) told"
        assert client.get("/api/status").get_json()["problem"].startswith("settings not saved")
        assert saved_threshold(state_dir) != 33.0
        sw.set_light(1)
        wait_until(lambda: sw.relay.history and sw.relay.history[-1], what="lamp on")
        filler.unlink()
        wait_until(lambda: sw.daemon.status().problem is None, timeout=15, what="cleared")
        assert saved_threshold(state_dir) == 33.0
    with running(cfg) as again:
        assert again.daemon.status().settings.threshold == 33.0


def test_read_only_disk_last_write_wins_once_writable(disk):
    """Several changes while read-only; once writable again the newest is what is saved."""
    cfg = node(disk)
    state_dir = Path(cfg.state_dir)
    with running(cfg) as sw:
        read_only(disk, True)
        try:
            for value in (21.0, 22.0, 23.0):
                sw.daemon.update_settings({"threshold": value})
            wait_until(lambda: sw.daemon.status().problem, what="problem")
            assert "settings not saved" in sw.daemon.status().problem
            assert "Read-only" in sw.daemon.status().problem
        finally:
            read_only(disk, False)
        wait_until(lambda: sw.daemon.status().problem is None, timeout=15, what="cleared")
        assert saved_threshold(state_dir) == 23.0


def test_stop_writes_a_pending_save(tmp_path):
    """A save still on its way when the daemon stops is written before stop() returns."""

    class SlowStore(SettingsStore):
        def save(self, rt: RuntimeState) -> None:
            time.sleep(0.3)
            super().save(rt)

    from lightctl.clock import SystemClock
    from lightctl.daemon import Daemon
    from lightctl.relays.mock import MockRelay

    cfg = make_config(tmp_path)
    store = SlowStore(Path(cfg.state_dir))

    class Lux:
        def read(self) -> float:
            return 100.0

        def close(self) -> None:
            pass

    d = Daemon(cfg, clock=SystemClock(), sensor=Lux(), relay=MockRelay(), store=store)
    d.start()
    for value in (40.0, 41.0, 42.0):
        d.update_settings({"threshold": value})
    d.stop()
    assert saved_threshold(Path(cfg.state_dir)) == 42.0


def test_starts_on_a_read_only_disk_without_history_or_secret(disk):
    """Empty ``state_dir`` on a read-only disk: the lamp runs, the page answers, and the
    status names both the history and the session key as problems."""
    cfg = node(disk)
    Path(cfg.state_dir).mkdir()  # empty: no history/, no secret_key
    read_only(disk, True)
    try:
        with running(cfg) as sw:
            wait_until(lambda: sw.daemon.hist.loaded.is_set(), what="history loaded")

            def both_named() -> bool:  # problems are republished from the control thread
                problem = sw.daemon.status().problem or ""
                return "session key kept in memory" in problem and "history not saved" in problem

            wait_until(both_named, what="both problems in the status")
            sw.set_light(1)  # dark (the sensor file is on another disk): the lamp runs
            wait_until(lambda: sw.relay.history and sw.relay.history[-1], what="lamp on")
            client = flask_app(sw).test_client()
            assert client.get("/api/status").status_code == 200
            assert client.get("/api/history?hours=1").get_json()["samples"]
    finally:
        read_only(disk, False)


@pytest.mark.parametrize("kind", ["empty", "directory"])
def test_a_bad_secret_key_on_a_full_disk_is_a_problem_not_an_exit(disk, kind):
    """A 0-byte ``secret_key`` (power cut while creating it) on a full disk, or one that
    cannot be read: every start runs with a key in memory and says so."""
    cfg = node(disk)
    state_dir = Path(cfg.state_dir)
    state_dir.mkdir()
    key = state_dir / "secret_key"
    key.mkdir() if kind == "directory" else key.write_bytes(b"")
    filler = fill(disk)
    for _ in range(2):
        with running(cfg) as sw:
            assert "session key kept in memory" in (sw.daemon.status().problem or "")
            assert flask_app(sw).test_client().get("/api/status").status_code == 200
    assert not list(state_dir.glob(".secret_key.*.tmp")), "no temp file left behind"
    filler.unlink()
