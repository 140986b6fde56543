"""The fast replay classes the smoothed level a block of readings at a time (to bound
its memory): any block size gives exactly the classes of the whole series at once."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightctl.core import fastreplay
from lightctl.core.fastreplay import _classes, _classes_block, fast_replay, fast_replay_arrays
from lightctl.core.model import Settings
from lightctl.core.replay import replay
from tests.core.test_fastreplay import limits_st, replay_settings, sky_st, streams, tz_st


def _readings(rng: np.random.Generator, m: int) -> np.ndarray:
    """Levels around the threshold and the off level, exact ties included."""
    return rng.choice([0.0, 5.0, 19.0, 20.0, 21.0, 39.0, 40.0, 41.0, 80.0, 500.0], size=m)


@pytest.mark.parametrize("smoothing", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("block", [1, 3, 7, 64])
def test_any_block_size_gives_the_whole_series_classes(monkeypatch, smoothing, block):
    """Blocks are cut over the samples, failed readings included: a block may hold fewer
    good readings than the window, or none at all."""
    rng = np.random.default_rng(smoothing * 100 + block)
    s = Settings(smoothing=smoothing)
    for _ in range(20):
        n = int(rng.integers(1, 300))
        lux = _readings(rng, n)
        good = rng.random(n) < rng.choice([0.2, 0.7, 1.0])
        lux[~good] = np.nan
        g = lux[good]
        starts = np.unique(rng.integers(0, max(g.size, 1), size=int(rng.integers(0, 6))))
        whole = _classes_block(g, starts, s)
        monkeypatch.setattr(fastreplay, "CLASS_BLOCK", block)
        out = np.full(n, -1, dtype=np.int8)
        _classes(lux, good, starts, s, out)
        monkeypatch.undo()
        assert np.array_equal(out[good], whole), (n, starts.tolist())
        assert np.all(out[~good] == -1)  # a failed reading is left to the caller


def test_fast_replay_is_the_same_in_blocks(monkeypatch):
    """Two days at 1 Hz with failed readings: the same switches with blocks of 1000."""
    rng = np.random.default_rng(7)
    t = 1_767_225_600.0 + np.arange(2 * 86_400, dtype=float)
    day = 0.5 - 0.5 * np.cos(2 * np.pi * (t - t[0]) / 86_400.0)
    lux = 300.0 * day * rng.lognormal(0.0, 0.3, t.size)
    lux[rng.integers(0, t.size, 400)] = np.nan
    lux[50_000:50_010] = np.nan  # a fault: the window starts afresh after it
    s = Settings(smoothing=5, on_delay=30, off_delay=60)
    whole = fast_replay_arrays(t, lux, s)
    monkeypatch.setattr(fastreplay, "CLASS_BLOCK", 1000)
    assert fast_replay_arrays(t, lux, s) == whole
    assert len(whole) >= 4


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    samples=streams(),
    s=replay_settings(),
    limits=limits_st,
    tz=tz_st,
    sky=sky_st,
    block=st.sampled_from([1, 2, 5, 16]),
)
def test_tiny_blocks_still_equal_the_streaming_replay(samples, s, limits, tz, sky, block):
    """The classes and the daylight rule walked a few samples at a time (failed readings,
    faults and a site included) give what the fold of step() gives."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fastreplay, "CLASS_BLOCK", block)
        fast = fast_replay(samples, s, limits=limits, tz=tz, **sky)
    assert fast == replay(samples, s, limits=limits, tz=tz, **sky)


def _week_and_a_day() -> tuple[np.ndarray, np.ndarray]:
    """8 days at 1 Hz of a sky with noise and failed readings (a Pi's 8-day preview)."""
    rng = np.random.default_rng(11)
    t = 1_767_225_600.0 + np.arange(8 * 86_400, dtype=float)
    day = 0.5 - 0.5 * np.cos(2 * np.pi * (t - t[0]) / 86_400.0)
    lux = 300.0 * day * rng.lognormal(0.0, 0.3, t.size)
    lux[rng.integers(0, t.size, 2000)] = np.nan
    lux[300_000:300_010] = np.nan  # a fault
    return t, lux


@pytest.mark.parametrize(
    ("settings_kw", "sky"),
    [
        ({}, {}),
        # a site and the sun guard: dark by day, night lights, the guard's minutes
        (
            {"latitude": 48.85, "longitude": 2.35, "night_off_delay": 900.0},
            {"site": (48.85, 2.35)},
        ),
    ],
)
def test_an_8_day_replay_needs_less_than_two_columns_of_memory(settings_kw, sky):
    """Over the history's own columns (no copy), the replay's temporaries stay under 1.5
    times one float column of the samples, a Pi Zero's 8-day preview included: full-length
    float temporaries (the sun's elevation of every dark reading, a copy of the good
    readings, an index column) once took 71 MB here, 13 columns."""
    import tracemalloc

    t, lux = _week_and_a_day()
    s = Settings(smoothing=5, on_delay=30, off_delay=60, off_window="23:00-05:00", **settings_kw)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        found = fast_replay_arrays(t, lux, s, **sky)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert len(found) >= 8
    assert peak < 1.5 * t.nbytes, f"{peak / 2**20:.1f} MiB"
