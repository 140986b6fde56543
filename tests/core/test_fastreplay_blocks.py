"""The fast replay classes the smoothed level a block of readings at a time (to bound
its memory): any block size gives exactly the classes of the whole series at once."""

from __future__ import annotations

import numpy as np
import pytest

from lightctl.core import fastreplay
from lightctl.core.fastreplay import _classes, _classes_block, fast_replay_arrays
from lightctl.core.model import Settings


def _readings(rng: np.random.Generator, m: int) -> np.ndarray:
    """Levels around the threshold and the off level, exact ties included."""
    return rng.choice([0.0, 5.0, 19.0, 20.0, 21.0, 39.0, 40.0, 41.0, 80.0, 500.0], size=m)


@pytest.mark.parametrize("smoothing", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("block", [1, 3, 7, 64])
def test_any_block_size_gives_the_whole_series_classes(monkeypatch, smoothing, block):
    rng = np.random.default_rng(smoothing * 100 + block)
    s = Settings(smoothing=smoothing)
    for _ in range(20):
        m = int(rng.integers(1, 300))
        g = _readings(rng, m)
        starts = np.unique(rng.integers(0, m, size=int(rng.integers(0, 6))))
        whole = _classes_block(g, starts, s)
        monkeypatch.setattr(fastreplay, "CLASS_BLOCK", block)
        assert np.array_equal(_classes(g, starts, s), whole), (m, starts.tolist())
        monkeypatch.undo()


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
