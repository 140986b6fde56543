"""The log-log calibration fit and its point checks."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lightctl.core.calibration import CLOSE, EXTRAPOLATE, check_points, fit


def test_fit_recovers_a_power_law():
    """Points on lux = 500 * raw^1.4 are fitted exactly."""
    pts = [(r, 500 * r**1.4) for r in (0.05, 0.2, 0.5, 0.9)]
    cal = fit(pts)
    assert cal.slope == pytest.approx(1.4)
    assert cal(0.3) == pytest.approx(500 * 0.3**1.4)
    assert cal.inverse(cal(0.3)) == pytest.approx(0.3)


def test_fit_falling_law_for_charge_times():
    """lux falling with raw (e.g. an LDR on the low side of a divider) fits too."""
    cal = fit([(0.2, 800.0), (0.8, 5.0)])
    assert cal.slope < 0
    assert cal(0.5) < cal(0.3)


def test_outside_range_is_held_and_zero_is_dark():
    """Beyond EXTRAPOLATE x the points the value is held; raw <= 0 reads 0 lx."""
    cal = fit([(0.1, 1.0), (0.5, 100.0)])
    assert cal(0.0) == 0.0 and cal(-1.0) == 0.0
    assert cal(0.5 * EXTRAPOLATE * 10) == pytest.approx(cal(0.5 * EXTRAPOLATE))
    assert cal(0.1 / EXTRAPOLATE / 10) == pytest.approx(cal(0.1 / EXTRAPOLATE))
    assert math.isnan(cal(float("nan")))


def test_steep_law_stays_within_a_decade():
    """Two points with nearly equal raw values cannot extrapolate to absurd lux."""
    cal = fit([(4784.0, 0.001), (4813.0, 1997.0)])
    assert cal(1e9) == pytest.approx(19970.0)
    assert cal(1.0) == pytest.approx(0.0001)


@pytest.mark.parametrize(
    ("points", "problem"),
    [
        ([(0.1, 5.0)], "at least 2"),
        ([], "at least 2"),
        ([(0.1, 5.0), (0.0, 10.0)], "> 0"),
        ([(0.1, 5.0), (0.3, -1.0)], "> 0"),
        ([(0.1, 5.0), (0.1, 10.0)], "twice"),
        ([(0.1, 5.0), (0.3, 50.0), (0.5, 20.0)], "rise"),
        ([(0.1, 5.0), (0.3, 5.0)], "rise"),
        ([(0.1, float("inf")), (0.3, 5.0)], "finite"),
        ([(0.1, 5.0, 3.0), (0.3, 5.0)], r"\[raw, lux\]"),
        ([("a", 5.0), (0.3, 5.0)], "numbers"),
    ],
)
def test_check_points_names_the_problem(points, problem):
    """Each kind of bad calibration is reported, and fit() refuses it."""
    problems = check_points(points)
    assert any(__import__("re").search(problem, p) for p in problems), problems
    with pytest.raises(ValueError):
        fit(points)


def test_good_points_have_no_problems():
    """A monotonic set of positive points is accepted."""
    assert check_points([[0.12, 5.0], [0.55, 200.0]]) == []


positive = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False)


@given(
    st.lists(positive, min_size=2, max_size=8, unique=True),
    st.lists(positive, min_size=2, max_size=8, unique=True),
    st.booleans(),
)
def test_monotonic_points_give_a_monotonic_fit(raws, luxes, falling):
    """Any strictly monotonic point set gives a fit that is monotonic in the same sense."""
    n = min(len(raws), len(luxes))
    raws, luxes = sorted(raws[:n]), sorted(luxes[:n], reverse=falling)
    for values in (raws, sorted(luxes)):  # the fit needs values apart on a log scale
        assume(all(b / a >= CLOSE for a, b in zip(values, values[1:], strict=False)))
    cal = fit(list(zip(raws, luxes, strict=True)))
    grid = [raws[0] / 4 + (raws[-1] * 4 - raws[0] / 4) * i / 200 for i in range(201)]
    values = [cal(r) for r in grid]
    pairs = list(zip(values, values[1:], strict=False))
    if falling:
        assert all(b <= a * (1 + 1e-9) for a, b in pairs)
    else:
        assert all(b >= a * (1 - 1e-9) for a, b in pairs)


@pytest.mark.parametrize(
    "points",
    [
        [[1.0, 5.0], [1.0000000000000002, 200.0]],
        [[0.5, 5.0], [0.6, 5.000000000000001]],
    ],
)
def test_points_too_close_on_a_log_scale_are_a_problem(points):
    """Distinct values that log10 cannot tell apart would divide by zero in the fit."""
    problems = check_points(points)
    assert problems and "too close" in problems[0]
    with pytest.raises(ValueError, match="too close"):
        fit(points)
