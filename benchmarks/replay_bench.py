"""Replay throughput: the streaming fold, the numpy fast path, and a naive loop for scale.

Run: python benchmarks/replay_bench.py [--days 1 7] [--repeat 3]

For each span, 1 Hz synthetic samples (a daily light curve with passing clouds, sensor
noise, a headlight now and then, a failed reading now and then) are replayed with:
- ``replay``: the live ``step`` folded over every sample (the reference semantics);
- ``fast_replay``: the same answer from numpy, given (time, lux) tuples;
- ``fast_replay_arrays``: the same, given two float columns (History keeps array('d'));
- a naive pure-Python loop of the level rules only (median, threshold, hysteresis,
  delays), written plainly below: what a hand-written loop costs, for scale.
Each is checked to give the same switches as ``replay`` (the naive loop: same count).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from array import array
from collections import deque
from zoneinfo import ZoneInfo

from lightctl.core.fastreplay import fast_replay, fast_replay_arrays
from lightctl.core.model import Mode, Settings
from lightctl.core.replay import replay

START = 1_764_201_600.0  # 2025-11-27 00:00 UTC
PARIS = ZoneInfo("Europe/Paris")
CASES = {
    "defaults": Settings(),
    "window+sun+hold": Settings(
        off_window="23:30-05:30",
        latitude=48.85,
        longitude=2.35,
        fail_safe="hold",
        min_on=300,
        smoothing=6,
    ),
    "away+spell": Settings(away_morning="06:00-06:40", away_seed=7),
}
#: Cases replayed in a mode other than auto.
MODES = {"away+spell": Mode.AWAY}


def synthetic(days: float, seed: int = 1) -> list[tuple[float, float | None]]:
    """1 Hz samples of a plausible sky over ``days``."""
    rng = random.Random(seed)
    out: list[tuple[float, float | None]] = []
    cloud = 1.0
    for i in range(int(days * 86_400)):
        t = START + i
        if rng.random() < 0.0005:
            out.append((t, None))  # failed reading
            continue
        day = math.sin(2 * math.pi * ((t % 86_400) / 86_400 - 0.3))  # sunrise ~07:10 UTC
        cloud = min(1.0, max(0.15, cloud + rng.gauss(0, 0.01)))
        lux = max(0.0, 30_000 * day) * cloud + 0.5 + rng.gauss(0, 0.3) ** 2
        if rng.random() < 0.0002:
            lux += 400.0  # a car's headlights
        out.append((t, lux))
    return out


def naive(samples, s: Settings) -> list[tuple[float, bool]]:
    """The level rules only, as one would write them by hand."""
    window: deque[float] = deque(maxlen=s.smoothing)
    lamp = False
    dark_since = light_since = None
    out = []
    for t, lux in samples:
        if lux is None or lux != lux:
            continue
        window.append(lux)
        level = statistics.median(window)
        if level < s.threshold:
            dark_since = t if dark_since is None else dark_since
            light_since = None
            if not lamp and t - dark_since >= s.on_delay:
                lamp = True
                out.append((t, True))
        elif level > s.threshold + s.hysteresis:
            light_since = t if light_since is None else light_since
            dark_since = None
            if lamp and t - light_since >= s.off_delay:
                lamp = False
                out.append((t, False))
        else:
            dark_since = light_since = None
    return out


def best_of(repeat: int, fn):
    """(result, best wall time in s) of ``repeat`` runs."""
    best = math.inf
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def _row(name: str, s: Settings, samples, times, lux, repeat: int) -> str:
    """Time every path on one case; check they agree with the streaming replay."""
    kw = {"tz": PARIS, "mode": MODES.get(name, Mode.AUTO)}
    ref, t_ref = best_of(1, lambda: replay(samples, s, **kw))
    fast, t_fast = best_of(repeat, lambda: fast_replay(samples, s, **kw))
    arr, t_arr = best_of(repeat, lambda: fast_replay_arrays(times, lux, s, **kw))
    plain, t_naive = best_of(1, lambda: naive(samples, s))
    assert fast == ref and arr == ref, f"{name}: fast path differs from replay"
    note = "" if name != "defaults" or len(plain) == len(ref) else " (naive differs)"
    return (
        f"{name:<16} {len(samples) / 86_400:>4g} {len(samples):>8} {t_ref * 1e3:>7.0f}ms"
        f" {t_fast * 1e3:>7.1f}ms {t_arr * 1e3:>7.1f}ms {t_naive * 1e3:>7.0f}ms"
        f" {t_ref / t_arr:>6.0f}x {len(ref):>8}{note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, nargs="+", default=[1.0, 7.0])
    parser.add_argument("--repeat", type=int, default=3, help="fast paths: best of N runs")
    args = parser.parse_args()
    print(
        f"{'case':<16} {'days':>4} {'samples':>8} {'replay':>9} {'fast':>9} {'arrays':>9}"
        f" {'naive':>9} {'ratio':>7} {'switches':>8}"
    )
    for days in args.days:
        samples = synthetic(days)
        times = array("d", [t for t, _ in samples])
        lux = array("d", [math.nan if v is None else v for _, v in samples])
        for name, s in CASES.items():
            print(_row(name, s, samples, times, lux, args.repeat))
    print("ratio = replay / fast_replay_arrays; fast = fast_replay over (time, lux) tuples")


if __name__ == "__main__":
    main()
