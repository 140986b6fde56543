"""The daemon as systemd runs it (READY, WATCHDOG, SIGTERM) and through a sensor failure."""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from tests.broker import free_port
from tests.e2e.helpers import DaemonProcess, write_config


@pytest.fixture
def notify_socket(tmp_path):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(0.2)
    yield path, sock
    sock.close()


def receive(sock: socket.socket, seconds: float) -> list[str]:
    got: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            got.append(sock.recv(4096).decode())
    return got


def test_ready_watchdog_and_sigterm(tmp_path, notify_socket):
    """With NOTIFY_SOCKET: READY=1, periodic WATCHDOG=1, SIGTERM -> exit 0 within 5 s."""
    path, sock = notify_socket
    d = DaemonProcess(
        write_config(tmp_path, port=free_port()),
        env={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "400000"},  # ping every 0.2 s
    )
    try:
        d.start()
        messages = receive(sock, 1.5)
        assert "READY=1" in messages
        assert messages.count("WATCHDOG=1") >= 3, messages
        # READY comes after the web server answers (it is the last start step)
        t0 = time.monotonic()
        assert d.terminate(timeout=5) == 0
        assert time.monotonic() - t0 < 5
        assert "STOPPING=1" in receive(sock, 0.3)
    finally:
        d.kill()


def test_sensor_failure_fail_safe_and_recovery(tmp_path):
    """Garbage from the sensor -> problem + fail_safe ON; good readings -> control resumes."""
    lux = tmp_path / "lux.txt"
    d = DaemonProcess(write_config(tmp_path, port=free_port(), control='fail_safe = "on"'))
    try:
        d.start()
        d.wait_for(lambda s: s["light"] == 100 and s["lamp"] == "off", what="daylight")
        lux.write_text("not a number\n")
        st = d.wait_for(lambda s: s["problem"] is not None, what="fault")
        assert st["lamp"] == "on" and st["reason"] == "fail-safe"
        assert "sensor" in st["problem"]
        lux.write_text("nan\n")
        time.sleep(0.2)
        assert d.get("/api/status")["problem"] is not None
        lux.write_text("150\n")
        st = d.wait_for(lambda s: s["problem"] is None, what="recovery")
        st = d.wait_for(lambda s: s["lamp"] == "off", what="lamp back off")
        assert st["reason"] == "light"
        assert "FAULT" in d.log() and "fault cleared" in d.log()
    finally:
        d.kill()


def test_page_url_for_home_assistant():
    """HA's "Visit" link names the Pi, not a wildcard address; IPv6 hosts are bracketed."""
    from lightctl.bootstrap import page_url

    assert page_url("0.0.0.0", 8080) == f"http://{socket.gethostname()}.local:8080/"
    assert page_url("192.168.1.5", 80) == "http://192.168.1.5:80/"
    assert page_url("::1", 8080) == "http://[::1]:8080/"


def test_missing_pin_library_is_a_message_not_a_traceback(tmp_path):
    """A gpio relay on a machine with no pin library: exit 1 naming what to install."""
    import os
    import subprocess
    import sys

    cfg = tmp_path / "gpio.toml"
    cfg.write_text(
        f'state_dir = "{tmp_path / "state"}"\n[sensor]\ntype = "file"\npath = "{tmp_path / "x"}"\n'
        '[relay]\ntype = "gpio"\npin = 17\n[web]\nlisten = "127.0.0.1:0"\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "GPIOZERO_PIN_FACTORY"}
    res = subprocess.run(
        [sys.executable, "-m", "lightctl", "run", "--config", str(cfg)],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert res.returncode == 1
    assert "python3-lgpio" in res.stderr and "Traceback" not in res.stderr
