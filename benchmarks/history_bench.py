"""History cost at 1 Hz: bytes written per hour, open() of 7 days, queries, thinning.

Run: python benchmarks/history_bench.py [--days 7]
"""

from __future__ import annotations

import argparse
import math
import random
import tempfile
import time
from pathlib import Path

from lightctl.history import History
from lightctl.webapp.chart import thin


def _lux(t: float, rng: random.Random) -> float | None:
    """A plausible day: a sine of daylight, noise, and a failed reading now and then."""
    if rng.random() < 0.001:
        return None
    sun = math.sin(2 * math.pi * (t % 86_400) / 86_400 - math.pi / 2)
    return max(0.0, 20_000 * sun) + rng.uniform(0, 5)


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=7.0)
    args = parser.parse_args()
    rng = random.Random(1)
    start = 1_764_201_600.0  # 2025-11-27 00:00 UTC
    n = int(args.days * 86_400)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "history"
        h = History(folder, retention_days=args.days + 1, flush_interval=60)
        h.open(start)
        writes = 0

        def fill() -> None:
            nonlocal writes
            for i in range(n):
                t = start + i
                h.add_sample(t, _lux(t, rng))
                if i % 43_200 == 0:
                    h.add_event(t, i % 86_400 != 0, "dark" if i % 86_400 else "light")
                writes += h.maybe_flush(t)
            h.close()

        _, fill_s = _timed(fill)
        total = sum(p.stat().st_size for p in folder.iterdir())
        print(f"samples: {n} ({args.days:g} days at 1 Hz), files: {len(list(folder.iterdir()))}")
        print(f"add_sample + maybe_flush: {fill_s / n * 1e6:.1f} us per sample")
        print(f"disk: {total / 1e6:.1f} MB, {total / (n / 3600) / 1e3:.1f} kB per hour")
        print(
            f"      {writes} batches, {total / max(writes, 1) / 1e3:.1f} kB per batch (1 per 60 s)"
        )

        now = start + n
        fresh = History(folder, retention_days=args.days + 1)
        _, open_s = _timed(lambda: fresh.open(now))
        print(f"open() of {len(fresh)} samples: {open_s:.2f} s")
        print(f"memory for the sample columns: {len(fresh) * 16 / 1e6:.1f} MB (2 x float64)")
        (t, _v), cols_s = _timed(lambda: fresh.columns(now - 7 * 86_400))
        print(f"columns(last 7 days): {len(t)} samples in {cols_s * 1e6:.0f} us (views, no copy)")
        del t, _v
        day, day_s = _timed(lambda: fresh.samples(now - 86_400))
        week, week_s = _timed(lambda: fresh.samples(now - 7 * 86_400))
        print(f"samples(last 24 h): {len(day)} points in {day_s * 1e3:.0f} ms")
        print(f"samples(last 7 days): {len(week)} points in {week_s * 1e3:.0f} ms")
        thinned, thin_s = _timed(lambda: thin(day, 2000))
        print(f"thin(24 h, 2000): {len(thinned)} points in {thin_s * 1e3:.0f} ms")
        thinned, thin_s = _timed(lambda: thin(week, 2000))
        print(f"thin(7 days, 2000): {len(thinned)} points in {thin_s * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
