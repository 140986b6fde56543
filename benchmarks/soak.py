"""A long soak: the real `lightctl run` process at 20 Hz with API traffic, RSS / threads /
open files sampled once a minute, to see whether memory levels off.

The same node and traffic as tests/faults/test_soak.py (file sensor at 20 Hz, mock relay,
the light swinging across both levels every 0.15 s, rounds of status / settings / history
/ preview / metrics / PATCH), run for ``--minutes`` (default 70: the page's one-hour
window fills after 60 min, so the last minutes show whether the rise stops). ``--pause``
sets the gap between API rounds (0.02 s is the test's rate; the default 0.1 s leaves a
shared machine some CPU). One line per minute is printed (and flushed) as it goes:

    python benchmarks/soak.py [--minutes 70] [--pause 0.1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.broker import free_port  # noqa: E402
from tests.e2e.helpers import DaemonProcess, write_config  # noqa: E402
from tests.faults.test_soak import _hit, _proc, _toggle  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=70.0)
    ap.add_argument("--pause", type=float, default=0.1, help="seconds between API rounds")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="lightctl-soak-"))
    d = DaemonProcess(write_config(tmp, port=free_port()))
    stop = threading.Event()
    feeder = threading.Thread(target=_toggle, args=(tmp / "lux.txt", stop), daemon=True)
    rows: list[tuple[float, dict[str, int]]] = []
    try:
        d.start()
        pid = d.proc.pid
        feeder.start()
        t0 = time.monotonic()
        rounds = 0
        next_probe = t0
        errors: list[str] = []
        print("minute,rss_kib,threads,fds,api_rounds,failed_rounds", flush=True)
        while (now := time.monotonic()) - t0 < args.minutes * 60:
            try:
                _hit(d, rounds)
            except (OSError, AssertionError) as exc:  # counted and shown, not fatal
                errors.append(f"{(now - t0) / 60:.1f} min: {type(exc).__name__} {exc}"[:160])
                print(f"# round {rounds} failed: {errors[-1]}", flush=True)
            rounds += 1
            if now >= next_probe:
                r = _proc(pid)
                rows.append(((now - t0) / 60, r))
                print(
                    f"{(now - t0) / 60:.1f},{r['rss']},{r['threads']},{r['fds']},{rounds},"
                    f"{len(errors)}",
                    flush=True,
                )
                next_probe += 60.0
            time.sleep(args.pause)
        switches = len(d.get("/api/history?hours=1")["events"])
        alive = d.proc.poll() is None
    finally:
        stop.set()
        feeder.join(2)
        code = d.terminate() if d.proc and d.proc.poll() is None else None
        d.kill()
    first = next(r for m, r in rows if m >= 1.0)
    peak = max(r["rss"] for _, r in rows)
    last = rows[-1][1]
    print(
        f"{args.minutes:g} min, {rounds} API rounds, {switches} switches in the last hour, "
        f"{len(errors)} failed, alive {alive}, exit {code}; "
        f"RSS at 1 min {first['rss'] / 1024:.1f} MiB, "
        f"peak {peak / 1024:.1f} MiB, end {last['rss'] / 1024:.1f} MiB; "
        f"threads {first['threads']} -> {last['threads']}, fds {first['fds']} -> {last['fds']}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
