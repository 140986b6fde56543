"""A second `lightctl run` on the same state_dir stops at once, before MQTT and hardware,
and the running daemon does not notice it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from lightctl.instance_lock import AlreadyRunning, InstanceLock
from tests.broker import free_port
from tests.e2e.helpers import DaemonProcess, write_config
from tests.mqtt.helpers import Observer


def test_second_lock_on_a_state_dir_is_refused_until_the_first_is_released(tmp_path):
    first = InstanceLock(tmp_path).acquire()
    assert first.held
    with pytest.raises(AlreadyRunning, match=rf"state_dir {tmp_path}.*pid {os.getpid()}"):
        InstanceLock(tmp_path).acquire()
    first.release()
    InstanceLock(tmp_path).acquire().release()
    InstanceLock(tmp_path / "other").acquire()  # another state_dir is another daemon


def test_a_killed_owner_leaves_no_stale_lock(tmp_path):
    """kill -9 of the holder: the kernel drops the lock, the next start takes it."""
    code = (
        "import sys, time; from lightctl.instance_lock import InstanceLock; "
        f"InstanceLock({str(tmp_path)!r}).acquire(); print('held', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(AlreadyRunning, match=f"pid {proc.pid}"):
            InstanceLock(tmp_path).acquire()
    finally:
        proc.kill()
        proc.wait(5)
    InstanceLock(tmp_path).acquire().release()


def test_read_only_state_dir_runs_without_the_lock(tmp_path, caplog):
    """No file can be made (a read-only tmpfs as root, else a folder without write
    permission): a warning, and the daemon still starts (the lamp comes first)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    mounted = False
    if os.geteuid() == 0:
        mounted = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                capture_output=True,
            ).returncode
            == 0
        )
        if not mounted:
            pytest.skip("root without mount: cannot make a read-only folder")
    else:
        folder.chmod(0o500)
    try:
        lock = InstanceLock(folder).acquire()
        assert not lock.held and "running without it" in caplog.text
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)
        folder.chmod(0o700)


def test_second_run_exits_1_with_one_line_and_the_first_stays_on_the_broker(broker, tmp_path):
    """Same config twice: the second exits 1 in well under its start-up time with one
    line on stderr; the first never loses the broker (no `offline`, no reconnect)."""
    extra = f'\n[mqtt]\nhost = "{broker.host}"\nport = {broker.port}\n'
    cfg = write_config(tmp_path, port=free_port(), extra=extra)
    first = DaemonProcess(cfg).start()
    ha = Observer(broker, ["lightctl/e2e/availability"], client_id="ha-lock")
    try:
        first.wait_for(lambda s: s["mqtt"] == "connected", what="the first on MQTT")
        time.sleep(0.2)
        ha.clear()
        t0 = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "lightctl", "run", "--config", str(cfg)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        took = time.monotonic() - t0
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "already running" in lines[0], second.stderr
        assert f"pid {first.proc.pid}" in lines[0] and second.stdout == ""
        assert took < 10
        time.sleep(1.0)  # a knocked-off client would show here
        assert [m.payload for m in ha.messages] == []
        assert first.get("/api/status")["mqtt"] == "connected"
        assert "lost the broker" not in first.log() and "disconnected" not in first.log()
        assert first.terminate() == 0
    finally:
        ha.close()
        first.kill()
