"""`/api/preview` latency over 7 days of 1 Hz history, through a real daemon app over HTTP.

Builds the app the way `lightctl run` does (``lightctl.bootstrap.build``: file sensor,
mock relay, web server on a free loopback port), with a ``state_dir`` whose history
folder holds 7 days of 1 Hz samples written by ``lightctl.history.History`` itself,
then POSTs ``{"settings": {"threshold": 15}, "hours": 168}`` N times on one keep-alive
connection, as the page does while a slider moves:

    python benchmarks/preview_bench.py [-n 30] [--profile]

``--profile`` also runs ``SwitchController.preview`` under cProfile in-process and prints where
the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import math
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.replay_bench import START, synthetic  # noqa: E402
from lightctl.config import Config, RelayConfig, SensorConfig, WebConfig  # noqa: E402
from lightctl.history import History  # noqa: E402

BODY = {"settings": {"threshold": 15}, "hours": 168}
DAY = 86_400.0


def write_history(folder: Path, days: float, end_wall: float | None = None) -> int:
    """``days`` of 1 Hz samples ending at ``end_wall`` (default now), in History's own format.

    The sky of ``replay_bench.synthetic``, shifted to end now; returns the sample count.
    """
    end = time.time() if end_wall is None else end_wall
    shift = (end - days * DAY) - START
    hist = History(folder, retention_days=days + 1, flush_interval=1e9)
    hist.open(end)
    samples = synthetic(days)
    for t, lux in samples:
        hist.add_sample(t + shift, lux)
    hist.close()
    return len(samples)


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def _config(folder: Path) -> Config:
    lux = folder / "lux.txt"
    lux.write_text("5\n")
    return Config(
        node_id="bench",
        state_dir=folder / "state",
        sensor=SensorConfig(type="file", path=str(lux), interval=1.0),
        relay=RelayConfig(type="mock"),
        web=WebConfig(host="127.0.0.1", port=0),
        mqtt=None,
    )


def _post(conn: http.client.HTTPConnection) -> tuple[float, dict]:
    data = json.dumps(BODY).encode()
    t0 = time.perf_counter()
    conn.request("POST", "/api/preview", body=data, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    raw = resp.read()
    elapsed = time.perf_counter() - t0
    if resp.status != 200:
        raise RuntimeError(f"/api/preview answered {resp.status}: {raw[:300]!r}")
    return elapsed, json.loads(raw)


def measure(
    history_src: Path | None = None,
    *,
    n: int = 30,
    budget: float = 60.0,
    profile: bool = False,
) -> dict:
    """Latencies (s) of N previews; stops early once ``budget`` s are spent (at least 3 runs).

    ``history_src``: a history folder to copy (made with :func:`write_history`); None
    writes a fresh one of 7 days.
    """
    from lightctl.bootstrap import build

    tmp = Path(tempfile.mkdtemp(prefix="lightctl-preview-"))
    try:
        cfg = _config(tmp)
        hist_dir = Path(cfg.state_dir) / "history"
        if history_src is None:
            write_history(hist_dir, 7)
        else:
            shutil.copytree(history_src, hist_dir)
        t0 = time.perf_counter()
        app = build(cfg)
        build_s = time.perf_counter() - t0
        app.start()
        app.daemon.hist.loaded.wait(600)  # the history loads in the background after start
        try:
            host, port = app.url.removeprefix("http://").rsplit(":", 1)
            conn = http.client.HTTPConnection(host, int(port), timeout=120)
            first, answer = _post(conn)
            times: list[float] = []
            spent = 0.0
            while len(times) < n and (spent < budget or len(times) < 3):
                elapsed, answer = _post(conn)
                times.append(elapsed)
                spent += elapsed
            conn.close()
            result = {
                "samples": len(app.daemon.hist),
                "switches": answer["summary"]["switches"],
                "first": first,
                "times": times,
                "p50": statistics.median(times),
                "p95": pct(times, 95),
                "build": build_s,
            }
            if profile:
                result["profile"] = profile_preview(app.controller)
            return result
        finally:
            app.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def profile_preview(controller, top: int = 12) -> str:
    """cProfile of one ``SwitchController.preview`` call (what the endpoint runs), by own
    time."""
    prof = cProfile.Profile()
    prof.enable()
    controller.preview(BODY["settings"], BODY["hours"])
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=30, help="requests to time (default 30)")
    ap.add_argument("--profile", action="store_true", help="also profile SwitchController.preview")
    args = ap.parse_args(argv)
    res = measure(n=args.n, profile=args.profile)
    ms = [t * 1e3 for t in res["times"]]
    print(f"history: {res['samples']} samples; the preview found {res['switches']} switches")
    print(f"first request {res['first'] * 1e3:.1f} ms (not counted)")
    print(
        f"POST /api/preview hours=168, {len(ms)} requests: p50 {statistics.median(ms):.1f} ms, "
        f"p95 {pct(ms, 95):.1f} ms, min {min(ms):.1f} ms, max {max(ms):.1f} ms (goal <= 50 ms)"
    )
    if "profile" in res:
        print(res["profile"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
