"""What the rules saved against a plain photocell: the pure comparison, the daemon's
/api/savings, and the line in ``lightctl replay``'s summary."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightctl.cli import main
from lightctl.core.fastreplay import fast_replay
from lightctl.core.model import Mode, SensorLimits, Settings
from lightctl.savings import BUCKETS, RULES, Tally, photocell_level, savings
from tests.core.test_fastreplay import replay_settings, streams

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0
DARK, LIGHT = 5.0, 100.0


def night(start: float = T0, step: float = 60.0) -> list[tuple[float, float]]:
    """Light from noon to 17:00, dark until 07:00, light until noon (UTC), a reading a minute."""
    out = []
    for k in range(int(24 * HOUR / step)):
        t = start + k * step
        h = ((t - start) / HOUR + 12) % 24
        out.append((t, DARK if (h >= 17 or h < 7) else LIGHT))
    return out


def compare(samples, s: Settings, mode: Mode = Mode.AUTO, **kw):
    events = fast_replay(samples, s, limits=SensorLimits(interval=60), mode=mode, **kw)
    switches = [(e.at.wall, e.on, e.reason.value) for e in events]
    times = [t for t, _ in samples]
    lux = [math.nan if v is None else v for _, v in samples]
    return savings(times, lux, switches, s, (times[0], times[-1] + 60))


def test_the_off_window_is_credited_with_its_hours_and_energy():
    """Dark 17:00-07:00; window 23:00-05:00: the photocell is ON 14 h, the lamp 8 h."""
    s = Settings(on_delay=0, off_delay=0, smoothing=1, off_window="23:00-05:00", lamp_power=100)
    out = compare(night(), s)
    assert out["photocell_hours"] == pytest.approx(14.0)
    assert out["lamp_hours"] == pytest.approx(8.0)
    assert out["kept_off_hours"]["window"] == pytest.approx(6.0)
    assert out["saved_hours"] == pytest.approx(6.0) and out["saved_kwh"] == pytest.approx(0.6)
    assert out["extra_on_hours"] == 0.0


def test_delays_are_shorter_nights_and_a_late_off_counts_against():
    """on_delay 10 min: ON 10 min after the photocell; at dawn the level rises through the
    band, so the photocell goes OFF at the middle and the lamp only above the off level."""
    samples = night()
    dawn = T0 + 19 * HOUR  # 07:00
    samples = [(t, 35.0 if dawn <= t < dawn + 1200 else v) for t, v in samples]  # 20 min band
    s = Settings(on_delay=600, off_delay=0, smoothing=1)
    out = compare(samples, s)
    assert photocell_level(s) == 30.0
    assert out["kept_off_hours"]["shorter_nights"] == pytest.approx(10 / 60, abs=1e-3)
    assert out["extra_on_hours"] == pytest.approx(20 / 60, abs=1e-3)
    assert out["saved_hours"] == pytest.approx(-10 / 60, abs=1e-3)
    assert out["saved_kwh"] is None  # no lamp power set


def test_away_mode_is_credited():
    s = Settings(on_delay=0, off_delay=0, smoothing=1, away_seed=3)
    out = compare(night(), s, Mode.AWAY)
    # OFF somewhere between 22:30 and 23:45 until 07:00
    assert 7.25 - 0.01 <= out["kept_off_hours"]["away"] <= 8.5
    assert out["kept_off_hours"]["away"] == pytest.approx(out["saved_hours"])


@settings(max_examples=150, deadline=None)
@given(samples=streams(), s=replay_settings())
def test_the_hours_add_up(samples, s):
    """photocell - lamp = kept off - extra on; nothing negative; nothing beyond the span."""
    if not samples or samples[-1][0] <= samples[0][0]:
        return
    events = fast_replay(samples, s)
    switches = [(e.at.wall, e.on, e.reason.value) for e in events]
    times = [t for t, _ in samples]
    lux = [math.nan if v is None else v for _, v in samples]
    span = (times[0], times[-1])
    out = savings(times, lux, switches, s, span)
    hours = (span[1] - span[0]) / HOUR
    kept = sum(out["kept_off_hours"][b] for b in BUCKETS)
    assert out["photocell_hours"] - out["lamp_hours"] == pytest.approx(
        kept - out["extra_on_hours"], abs=1e-3
    )
    for value in (out["photocell_hours"], out["lamp_hours"], kept, out["extra_on_hours"]):
        assert -1e-9 <= value <= hours + 1e-3


def test_empty_history_saves_nothing():
    out = savings([], [], [], Settings(), (T0, T0 + HOUR))
    assert out["saved_hours"] == 0.0 and out["kept_off_hours"]["window"] == 0.0


def test_the_daemon_reports_the_window_it_kept(tmp_path):
    """The real daemon over a recorded night: the off window's hours show in the switch's
    savings(), answered from the history the daemon recorded."""
    from lightctl.services.controller import SwitchController
    from tests.core.helpers import PARIS, local
    from tests.test_rules import rig_at

    s = Settings(on_delay=0, off_delay=0, smoothing=1, off_window="23:00-05:00", lamp_power=50)
    r = rig_at(tmp_path, local("2026-01-15T16:00"), s, interval=60, tz=PARIS)
    r.sensor.value = LIGHT
    r.run(HOUR)
    r.sensor.value = DARK
    r.run(14 * HOUR)
    r.sensor.value = LIGHT
    r.run(2 * HOUR)
    out = SwitchController(r.daemon).savings()
    assert out["day"]["kept_off_hours"]["window"] == pytest.approx(6.0, abs=0.02)
    assert out["week"]["saved_kwh"] == pytest.approx(0.3, abs=0.002)


def test_replay_prints_what_the_rules_saved(tmp_path, capsys):
    f = tmp_path / "night.csv"
    f.write_text("time,lux\n" + "".join(f"{t:.0f},{v}\n" for t, v in night()))
    cfg = tmp_path / "lightctl.toml"
    cfg.write_text(
        '[sensor]\ntype = "simulated"\n[schedule]\ntimezone = "UTC"\noff_window = "23:00-05:00"\n'
    )
    args = ["replay", "--config", str(cfg), "--input", str(f), "--set", "smoothing=1"]
    more = ["--set", "on_delay=0", "--set", "off_delay=0", "--set", "lamp_power=100"]
    assert main([*args, *more]) == 0
    err = capsys.readouterr().err
    assert "against a plain photocell" in err and "off window 6.00 h" in err
    assert "net saved 6.00 h, 0.600 kWh" in err


def _stretches_at_once(times, lux, events, s: Settings, span) -> dict:
    """The definition with every stretch in one array (the module's first form, before
    it walked the samples a piece at a time): the model the pieces must agree with."""
    a, b = span
    t, v = np.asarray(times, dtype=float), np.asarray(lux, dtype=float)
    ev = sorted(events, key=lambda e: e[0])
    sums = dict.fromkeys(("cell", "lamp", "extra", *BUCKETS), 0.0)
    if b <= a or t.size == 0:
        return sums
    with np.errstate(invalid="ignore"):
        good = np.isfinite(v) & (v >= 0)
    last_good = np.maximum.accumulate(np.where(good, np.arange(t.size), -1))
    cell = np.where(last_good >= 0, v[np.maximum(last_good, 0)] < photocell_level(s), False)
    ev_t = np.array([e[0] for e in ev], dtype=float)
    inner = [a, b, *t[(t > a) & (t < b)], *ev_t[(ev_t > a) & (ev_t < b)]]
    edges = np.unique(np.array(inner, dtype=float))
    for start, end in zip(edges[:-1], edges[1:], strict=True):
        k = int(np.searchsorted(t, start, side="right")) - 1
        cell_on = bool(cell[k]) if k >= 0 else False
        j = int(np.searchsorted(ev_t, start, side="right")) - 1
        lamp = bool(ev[j][1]) if j >= 0 else (not ev[0][1] if ev else False)
        rule = RULES.get(str(ev[j][2]), "other") if j >= 0 else "shorter_nights"
        sums["cell"] += (end - start) * cell_on
        sums["lamp"] += (end - start) * lamp
        sums["extra"] += (end - start) * (lamp and not cell_on)
        if cell_on and not lamp:
            sums[rule] += end - start
    return sums


@settings(max_examples=200, deadline=None)
@given(
    samples=streams(),
    s=replay_settings(),
    cuts=st.lists(st.integers(0, 300), max_size=6),
    ends=st.tuples(st.floats(-600, 4000), st.floats(-600, 90_000)),
)
def test_a_piece_at_a_time_is_the_stretches_at_once(samples, s, cuts, ends):
    """Fed a piece at a time (a cut anywhere, equal times across a cut, a span that
    begins before the first sample or ends after the last), the tally is the sum over
    every stretch at once."""
    if not samples or any(b[0] < a[0] for a, b in zip(samples, samples[1:], strict=False)):
        return
    events = [(e.at.wall, e.on, e.reason.value) for e in fast_replay(samples, s)]
    times = np.array([t for t, _ in samples])
    lux = np.array([math.nan if v is None else v for _, v in samples])
    span = (times[0] + ends[0], times[0] + ends[1])
    tally = Tally(events, s, span)
    edges = [0, *sorted(min(c, times.size) for c in cuts), times.size]
    for a, b in zip(edges, edges[1:], strict=False):
        tally.feed(times[a:b], lux[a:b])
    want = _stretches_at_once(times, lux, events, s, span)
    for got in (tally.result(), savings(times, lux, events, s, span)):
        assert got["photocell_hours"] == pytest.approx(want["cell"] / HOUR, abs=1e-4)
        assert got["lamp_hours"] == pytest.approx(want["lamp"] / HOUR, abs=1e-4)
        assert got["extra_on_hours"] == pytest.approx(want["extra"] / HOUR, abs=1e-4)
        for name in BUCKETS:
            assert got["kept_off_hours"][name] == pytest.approx(want[name] / HOUR, abs=1e-4)


def test_failed_readings_after_a_cut_leave_the_photocell_where_it_was():
    """Dark, then a cut, then failed readings: the photocell stays ON through them."""
    times = np.array([T0, T0 + 600, T0 + 1200, T0 + 1800])
    lux = np.array([DARK, math.nan, math.nan, LIGHT])
    span = (T0, T0 + 1800)
    want = _stretches_at_once(times, lux, [], Settings(), span)
    assert want["cell"] == 1800.0
    for cut in range(1, 4):
        tally = Tally([], Settings(), span)
        tally.feed(times[:cut], lux[:cut])
        tally.feed(times[cut:], lux[cut:])
        assert tally.result()["photocell_hours"] == 0.5, cut


def test_a_span_that_starts_at_the_last_sample_of_a_piece():
    """Pieces wholly before the span only carry the photocell on; one that ends exactly
    where the span starts still opens its first stretch."""
    times = np.array([T0, T0 + 600, T0 + 1200, T0 + 1800, T0 + 2400])
    lux = np.array([LIGHT, DARK, math.nan, LIGHT, DARK])
    for start in times[:-1]:
        span = (float(start), T0 + 3000)
        want = _stretches_at_once(times, lux, [], Settings(), span)["cell"] / HOUR
        for cut in range(1, times.size):
            tally = Tally([], Settings(), span)
            tally.feed(times[:cut], lux[:cut])
            tally.feed(times[cut:], lux[cut:])
            assert tally.result()["photocell_hours"] == pytest.approx(want, abs=1e-4), cut
