"""Slow clients against the page: N connections each sending one byte of a request header
every 2 s (reconnecting when the server drops them, as an attacker would), while a normal
client asks for ``/healthz`` and ``/`` every 0.5 s. Runs the real `lightctl run` process
(file sensor, mock relay, web on a free loopback port).

Prints, for the normal client: answered / failed (5 s timeout), latency p50 and max;
for the slow side: connections the server closed or refused.

    python benchmarks/slow_clients.py [-n 100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.broker import free_port  # noqa: E402
from tests.e2e.helpers import DaemonProcess, write_config  # noqa: E402

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 4000


class SlowClients:
    """``n`` sockets trickling a header that never ends, one byte per socket per ``every`` s."""

    def __init__(self, port: int, n: int, every: float = 2.0, sources: int = 1):
        self.port, self.n, self.every, self.sources = port, n, every, sources
        self.opened = 0
        self.socks: list[tuple[socket.socket, int]] = []
        self.dropped = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> tuple[socket.socket, int] | None:
        source = (
            f"127.0.{1 + self.opened % self.sources // 250}.{2 + self.opened % self.sources % 250}"
        )
        self.opened += 1
        try:
            s = socket.create_connection(
                ("127.0.0.1", self.port), timeout=2, source_address=(source, 0)
            )
            s.sendall(REQUEST[:1])
            return (s, 1)
        except OSError:
            self.dropped += 1
            return None

    def _run(self) -> None:
        while not self.stop.is_set():
            kept = []
            for s, sent in self.socks:
                try:
                    s.sendall(REQUEST[sent : sent + 1])
                    kept.append((s, sent + 1))
                except OSError:
                    s.close()
                    self.dropped += 1
            for _ in range(self.n - len(kept)):  # reconnect the dropped ones, once a round
                opened = self._open()
                if opened is not None:
                    kept.append(opened)
            self.socks = kept
            self.stop.wait(self.every)
        for s, _ in self.socks:
            s.close()

    def __enter__(self) -> SlowClients:
        for _ in range(self.n):
            opened = self._open()
            if opened:
                self.socks.append(opened)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(5)


def ask(url: str, timeout: float = 5.0) -> float | None:
    """Seconds for one GET answered 200, or None."""
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            resp.read()
            return time.perf_counter() - t0 if resp.status == 200 else None
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100, help="slow connections")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument(
        "--sources", type=int, default=1,
        help="addresses the slow connections come from (127.0.1.x; the normal client: 127.0.0.1)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="lightctl-slow-"))
    d = DaemonProcess(write_config(tmp, port=free_port()))
    try:
        d.start()
        times: dict[str, list[float]] = {"/healthz": [], "/": []}
        failed = {"/healthz": 0, "/": 0}
        with SlowClients(d.port, args.n, sources=args.sources) as slow:
            time.sleep(1.0)
            t0 = time.monotonic()
            while time.monotonic() - t0 < args.seconds:
                for path in times:
                    took = ask(d.url + path)
                    if took is None:
                        failed[path] += 1
                    else:
                        times[path].append(took)
                time.sleep(0.5)
            held = len(slow.socks)
        print(
            f"{args.n} slow clients from {args.sources} address(es) for {args.seconds:g} s "
            f"({held} held at the end, {slow.dropped} closed or refused by the server)"
        )
        for path, ts in times.items():
            ms = sorted(t * 1000 for t in ts)
            lat = f"p50 {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms" if ms else "-"
            print(f"GET {path}: {len(ts)} answered, {failed[path]} failed (5 s timeout); {lat}")
        alive = d.proc.poll() is None
        print(f"daemon alive: {alive}")
    finally:
        d.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
