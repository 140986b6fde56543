"""A soak: the real `lightctl run` process at 20 Hz, switching several times a second,
with the HTTP API hit all along -> no growth in memory, threads or open files.

Growth is measured from /proc/<pid> after a warm-up (imports done, caches and the
web workers in place) to the end. ``LIGHTCTL_SOAK_SECONDS`` sets the length (default
75 s; CI keeps the default, a longer local run is a plain environment change).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.broker import free_port
from tests.e2e.helpers import DaemonProcess, write_config

SECONDS = float(os.environ.get("LIGHTCTL_SOAK_SECONDS", "75"))
WARMUP = 15.0
RSS_GROWTH_MAX = 6 * 1024  # KiB, from the end of the warm-up to the end
THREADS_GROWTH_MAX = 1
FDS_GROWTH_MAX = 2


def _proc(pid: int) -> dict[str, int]:
    """RSS (KiB), threads and open file descriptors of a process, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "Threads"):
            fields[key] = int(value.split()[0])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return {"rss": fields["VmRSS"], "threads": fields["Threads"], "fds": fds}


def _toggle(lux: Path, stop: threading.Event) -> None:
    """Swing the light across both levels every 0.15 s (atomic writes, as a feeder would)."""
    tmp = lux.with_suffix(".tmp")
    dark = True
    while not stop.is_set():
        tmp.write_text("5\n" if dark else "100\n")
        tmp.replace(lux)
        dark = not dark
        stop.wait(0.15)


def _hit(d: DaemonProcess, i: int) -> None:
    """One round of API traffic a page and Home Assistant would make, plus a bad request."""
    calls = [
        ("GET", "/api/status", None, 200),
        ("GET", "/api/settings", None, 200),
        ("GET", "/api/history?hours=1&points=300", None, 200),
        ("GET", "/healthz", None, 200),
        ("PATCH", "/api/settings", {"hysteresis": 20.0 + i % 3}, 200),
        ("PATCH", "/api/settings", {"threshold": "dark"}, 400),
    ]
    if i % 5 == 0:
        calls.append(("POST", "/api/preview", {"settings": {"threshold": 30}, "hours": 1}, 200))
    for method, path, body, want in calls:
        code, _ = d.request(method, path, body)
        assert code == want, (method, path, code)
    with urllib.request.urlopen(d.url + "/metrics", timeout=5) as resp:
        assert resp.status == 200
        resp.read()


@pytest.mark.slow
def test_soak_at_20_hz_with_frequent_switching(tmp_path):
    """Minutes of 20 Hz sampling, a switch every 0.15 s and steady API traffic: RSS,
    threads and open files stay flat after warm-up; the loop keeps up throughout."""
    cfg = write_config(tmp_path, port=free_port(), control="chatter_limit = 0")
    d = DaemonProcess(cfg)
    stop = threading.Event()
    feeder = threading.Thread(target=_toggle, args=(tmp_path / "lux.txt", stop), daemon=True)
    readings: list[tuple[float, dict[str, int]]] = []
    try:
        d.start()
        pid = d.proc.pid
        feeder.start()
        t0 = time.monotonic()
        i = 0
        next_probe = t0
        while (now := time.monotonic()) - t0 < SECONDS:
            _hit(d, i)
            i += 1
            if now >= next_probe:
                readings.append((now - t0, _proc(pid)))
                next_probe = now + 1.0
            time.sleep(0.02)
        events = d.get("/api/history?hours=1")["events"]
        status = d.get("/api/status")
        assert d.proc.poll() is None, d.log()
    finally:
        stop.set()
        feeder.join(2)
        code = d.terminate() if d.proc and d.proc.poll() is None else None
        d.kill()
    assert code == 0

    base = [r for t, r in readings if WARMUP <= t < WARMUP + 5]
    end = [r for t, r in readings[-5:]]
    assert base and end

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    growth = {k: med(end, k) - med(base, k) for k in ("rss", "threads", "fds")}
    summary = (
        f"{i} API rounds, {len(events)} switches in {SECONDS:.0f} s; "
        f"after warm-up: RSS {med(base, 'rss'):.0f} -> {med(end, 'rss'):.0f} KiB, "
        f"threads {med(base, 'threads'):.0f} -> {med(end, 'threads'):.0f}, "
        f"fds {med(base, 'fds'):.0f} -> {med(end, 'fds'):.0f}"
    )
    print(summary)
    assert len(events) >= SECONDS * 3, summary  # it really switched often
    assert status["problem"] is None, summary
    assert growth["rss"] <= RSS_GROWTH_MAX, summary
    assert growth["threads"] <= THREADS_GROWTH_MAX, summary
    assert growth["fds"] <= FDS_GROWTH_MAX, summary
    assert max(r["threads"] for _, r in readings[len(readings) // 2 :]) <= med(base, "threads") + 4
