"""Run the real `lightctl` daemon as a process and talk to it over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.broker import free_port


def write_config(folder: Path, *, port: int, extra: str = "", control: str = "") -> Path:
    """A file-sensor, mock-relay config with instant delays, for end-to-end runs."""
    lux = folder / "lux.txt"
    if not lux.exists():
        lux.write_text("100\n")
    cfg = folder / "config.toml"
    cfg.write_text(
        f"""
node_id = "e2e"
state_dir = "{folder / "state"}"

[sensor]
type = "file"
path = "{lux}"
interval = 0.05

[control]
threshold = 20.0
hysteresis = 20.0
on_delay = 0
off_delay = 0
smoothing = 1
{control}

[relay]
type = "mock"

[web]
listen = "127.0.0.1:{port}"
{extra}
"""
    )
    return cfg


class DaemonProcess:
    """`python -m lightctl run --config ...` with its output captured."""

    def __init__(
        self,
        config: Path,
        *,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        port: int | None = None,
    ):
        """``config`` is the config file, or (with ``args`` and ``port``) just a folder
        for the log, e.g. for ``--demo``."""
        self.config = config
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.args = args if args is not None else ["--config", str(config)]
        self.log_path = (config if config.is_dir() else config.parent) / "daemon.log"
        self.port = port if port is not None else _port_of(config)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True, timeout: float = 15.0) -> DaemonProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lightctl", "run", *self.args],
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited {self.proc.returncode}:\n{self.log()}")
            try:
                return self.get("/api/status")
            except (OSError, urllib.error.URLError):
                time.sleep(0.05)
        raise TimeoutError(f"daemon not ready in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def get(self, path: str) -> Any:
        code, body = self.request("GET", path)
        if code != 200:
            raise RuntimeError(f"GET {path}: {code} {body}")
        return body

    def wait_for(self, predicate, timeout: float = 10.0, what: str = "condition") -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.get("/api/status")
            if predicate(last):
                return last
            time.sleep(0.03)
        raise AssertionError(f"timed out waiting for {what}; last status {last}\n{self.log()}")

    def terminate(self, timeout: float = 5.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def _port_of(config: Path) -> int:
    for line in config.read_text().splitlines():
        if line.strip().startswith("listen"):
            return int(line.split(":")[-1].strip().strip('"'))
    return free_port()
