"""The daemon as a process at 1 Hz: CPU, memory, disk writes, start-up time.

Runs ``python -m lightctl run --config ...`` (file sensor, interval 1 s, mock relay,
MQTT connected to a Mosquitto started here with tests/broker.Broker, web on a free
loopback port) and reads the kernel's own accounting of that process:

- CPU: utime + stime from /proc/<pid>/stat before and after a window, as % of one core;
- RSS: VmRSS (and the peak VmHWM) from /proc/<pid>/status at the end of the window;
- disk: write_bytes from /proc/<pid>/io over the window (bytes the process sent to the
  block layer: history files, and its log when stdout is a file), scaled to an hour,
  beside the growth of state_dir;
- start-up: from spawning the process to the first 200 of /api/status (median of 3),
  with an empty state_dir and with 7 days of 1 Hz history in it.

The window runs with nobody on the page, then (``--page``) again with a client doing
what an open, idle tab of the page does (GET /api/status every 2 s, the 24 h chart
every 60 s, the 7-day savings and the dusk suggestion every 10 minutes). The history
is flushed every 60 s, so windows shorter than that may see no write at all.

    python benchmarks/daemon_resources.py [--window 60] [--page]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.preview_bench import write_history  # noqa: E402
from tests.broker import Broker, free_port  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
MIB = 1024 * 1024


def write_config(folder: Path, *, port: int, broker: Broker) -> Path:
    """The benchmark node: file sensor at 1 Hz, mock relay, MQTT, web on ``port``."""
    lux = folder / "lux.txt"
    lux.write_text("100\n")
    cfg = folder / "config.toml"
    cfg.write_text(
        f"""node_id = "bench"
state_dir = "{folder / "state"}"

[sensor]
type = "file"
path = "{lux}"
interval = 1.0

[relay]
type = "mock"

[mqtt]
host = "{broker.host}"
port = {broker.port}

[web]
listen = "127.0.0.1:{port}"
"""
    )
    return cfg


def lightctl_env(code: Path = ROOT) -> dict[str, str]:
    """The environment of a lightctl process started from the checkout ``code``, as an
    install runs it: ``code`` first on PYTHONPATH, and its modules compiled, as pip
    compiles a package it installs. Without that, a shell with PYTHONDONTWRITEBYTECODE
    set (a development machine's may) makes every start compile lightctl first: a
    third of the start-up time here, which no installed daemon spends."""
    compileall.compile_dir(code / "lightctl", quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    path = os.environ.get("PYTHONPATH")
    return {
        **env,
        "PYTHONPATH": str(code) + (os.pathsep + path if path else ""),
        "PYTHONUNBUFFERED": "1",
    }


def _get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Node:
    """One daemon process in its own folder (config, state_dir, log)."""

    def __init__(self, broker: Broker, history_src: Path | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="lightctl-node-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = write_config(self.dir, port=self.port, broker=broker)
        self.state = self.dir / "state"
        if history_src is not None:
            shutil.copytree(history_src, self.state / "history")
        self.log_path = self.dir / "daemon.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> float:
        """Spawn the daemon; seconds until /api/status first answers 200."""
        cmd = [sys.executable, "-m", "lightctl", "run", "--config", str(self.config)]
        with self.log_path.open("ab") as log:
            t0 = time.perf_counter()
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=lightctl_env()
            )
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            try:
                if _get(self.url + "/api/status", timeout=1.0)[0] == 200:
                    return time.perf_counter() - t0
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.005)
        raise TimeoutError(f"daemon not ready in {timeout} s:\n{self.log()}")

    def wait_mqtt(self, timeout: float = 10.0) -> None:
        import json

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code, body = _get(self.url + "/api/status")
            if code == 200 and json.loads(body).get("mqtt") == "connected":
                return
            time.sleep(0.05)
        raise TimeoutError(f"daemon did not connect to MQTT in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all its threads), in seconds."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # fields 14 and 15 of stat(5)


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (bytes) and Threads from /proc/<pid>/status."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
        elif key == "Threads":
            out[key] = int(value)
    return out


def write_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    raise RuntimeError("/proc/<pid>/io has no write_bytes")


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class IdlePage:
    """What an open, untouched tab of the page asks (web/static/app.js): status every 2 s,
    the 24 h chart every 60 s, the savings (over the last 7 days of history) and the dusk
    suggestion every 10 minutes.

    The tab is opened (page, status, suggestion, chart, savings) before the window
    starts; inside the window the chart is fetched at 30 s and every 60 s after, the
    savings 10 minutes after the opening and every 10 minutes after, so a 60 s window
    holds exactly one chart fetch and 30 status polls (``SAVINGS_S`` shorter to see the
    savings' share).
    """

    SAVINGS_S = 600.0

    def __init__(self, url: str):
        self.url = url
        self.stop = threading.Event()
        self.requests = 0
        self.opened = time.monotonic()
        self.thread = threading.Thread(target=self._run, name="idle-page", daemon=True)

    def _chart(self) -> None:
        _get(self.url + "/api/history?hours=24&points=600", timeout=30)
        self.requests += 1

    def _savings(self) -> None:
        _get(self.url + "/api/savings", timeout=30)
        self.requests += 1

    def _run(self) -> None:
        next_chart = time.monotonic() + 30.0
        next_savings = self.opened + self.SAVINGS_S
        while not self.stop.wait(2.0):
            _get(self.url + "/api/status")
            self.requests += 1
            if time.monotonic() >= next_chart:
                self._chart()
                next_chart += 60.0
            if time.monotonic() >= next_savings:
                self._savings()
                next_savings += self.SAVINGS_S

    def __enter__(self) -> IdlePage:
        _get(self.url + "/")
        _get(self.url + "/api/status")
        _get(self.url + "/api/suggestion")
        self._chart()
        self._savings()
        self.opened = time.monotonic()
        self.requests = 0
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(5)


def resources(
    broker: Broker,
    history_src: Path | None,
    *,
    window: float,
    settle: float = 3.0,
    page: bool = False,
) -> dict:
    """CPU %, RSS, disk bytes per hour of one daemon over ``window`` seconds."""
    node = Node(broker, history_src)
    try:
        node.start()
        node.wait_mqtt()
        time.sleep(settle)  # past the start-up work (imports, history load, discovery)
        pid = node.proc.pid
        with IdlePage(node.url) if page else _Nothing() as tab:
            cpu0, wb0 = cpu_seconds(pid), write_bytes(pid)
            st0, log0 = folder_bytes(node.state), node.log_path.stat().st_size
            t0 = time.perf_counter()
            time.sleep(window)
            elapsed = time.perf_counter() - t0
            cpu1, wb1 = cpu_seconds(pid), write_bytes(pid)
            st1, log1 = folder_bytes(node.state), node.log_path.stat().st_size
            mem = proc_status(pid)
        if node.proc.poll() is not None:
            raise RuntimeError(f"daemon died during the window:\n{node.log()}")
        per_hour = 3600.0 / elapsed
        return {
            "window": elapsed,
            "cpu_pct": (cpu1 - cpu0) / elapsed * 100.0,
            "rss": mem["VmRSS"],
            "hwm": mem["VmHWM"],
            "threads": mem["Threads"],
            "page_requests": tab.requests if tab is not None else 0,
            "write_bytes_h": (wb1 - wb0) * per_hour,
            "state_growth_h": (st1 - st0) * per_hour,
            "log_growth_h": (log1 - log0) * per_hour,
        }
    finally:
        node.close()


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        return None


def startup(
    broker: Broker, history_src: Path | None, runs: int = 3, settle: float = 2.0
) -> list[dict]:
    """Per run: ``seconds`` from spawn to the first /api/status 200, then ``rss`` and peak
    ``hwm`` (bytes) ``settle`` s later; each run in a fresh copy of the state."""
    out = []
    for _ in range(runs):
        node = Node(broker, history_src)
        try:
            seconds = node.start()
            time.sleep(settle)
            mem = proc_status(node.proc.pid)
            out.append({"seconds": seconds, "rss": mem["VmRSS"], "hwm": mem["VmHWM"]})
        finally:
            node.close()
    return out


def import_rss(modules: tuple[str, ...] = ("numpy", "flask", "paho.mqtt.client")) -> dict:
    """RSS (bytes) of a bare interpreter and of one importing each module, for a breakdown."""
    code = (
        "import importlib, sys\n"
        "for m in sys.argv[1:]: importlib.import_module(m)\n"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmRSS')))"
    )
    out = {}
    for mods in ((), *((m,) for m in modules), ("lightctl.bootstrap", "lightctl.cli")):
        proc = subprocess.run(
            [sys.executable, "-c", code, *mods], capture_output=True, text=True, env=lightctl_env()
        )
        if proc.returncode == 0:
            out[" + ".join(mods) or "bare python"] = int(proc.stdout.strip()) * 1024
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--window", type=float, default=60.0, help="measuring window in s")
    ap.add_argument("--page", action="store_true", help="also a window with an idle page open")
    ap.add_argument("--days", type=float, default=7.0, help="history pre-filled in state_dir")
    args = ap.parse_args(argv)
    broker = Broker().start()
    tmp = Path(tempfile.mkdtemp(prefix="lightctl-hist-"))
    try:
        write_history(tmp / "history", args.days)
        hist = tmp / "history"
        for label, src in (("empty state_dir", None), (f"{args.days:g} days of history", hist)):
            runs = startup(broker, src)
            t = statistics.median(r["seconds"] for r in runs)
            rss = max(r["rss"] for r in runs) / MIB
            print(f"start-up to /api/status 200, {label}: median {t:.3f} s, RSS {rss:.1f} MiB")
        for page in (False, True) if args.page else (False,):
            r = resources(broker, hist, window=args.window, page=page)
            who = "idle page open" if page else "nobody on the page"
            print(
                f"{who}, {r['window']:.0f} s: CPU {r['cpu_pct']:.2f} % of one core, "
                f"RSS {r['rss'] / MIB:.1f} MiB (peak {r['hwm'] / MIB:.1f}), "
                f"{r['threads']} threads, disk {r['write_bytes_h'] / 1024:.0f} KiB/h "
                f"(state_dir +{r['state_growth_h'] / 1024:.0f} KiB/h, "
                f"log +{r['log_growth_h'] / 1024:.1f} KiB/h)"
            )
    finally:
        broker.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
