"""The threshold taught by the sky: what the sensor reads when the sun crosses −4°."""

from __future__ import annotations

import math

from lightctl import skylearn
from lightctl.core.schedule import sun_elevation
from tests.core.helpers import PARIS, local

SITE = (48.87, 2.33)


def test_dusk_times_are_where_the_sun_sets_through_minus_four():
    since, until = local("2026-01-10T00:00"), local("2026-01-17T00:00")
    times = skylearn.dusk_times(SITE, PARIS, since, until)
    assert len(times) == 7
    for t in times:
        assert math.isclose(sun_elevation(*SITE, t), -4.0, abs_tol=0.1)
        assert sun_elevation(*SITE, t + 600) < sun_elevation(*SITE, t)  # setting


def test_readings_at_dusk_give_the_spread_and_the_median():
    since, until = local("2026-01-10T00:00"), local("2026-01-17T00:00")
    crossings = skylearn.dusk_times(SITE, PARIS, since, until)
    times, lux = [], []
    for k, c in enumerate(crossings):  # a sensor reading 12..18 lx at dusk, 10 s apart
        for i in range(-60, 61):
            times.append(c + 10 * i)
            lux.append(12.0 + k if abs(i) <= 12 else 500.0 if i < 0 else 0.5)
    found = skylearn.suggestion(skylearn.dusk_readings(times, lux, crossings))
    assert found == {"evenings": 7, "low": 12.0, "high": 18.0, "threshold": 15.0, "elevation": -4.0}


def test_no_evening_no_suggestion():
    assert skylearn.suggestion(skylearn.dusk_readings([], [], [1.0, 2.0])) is None
    # a night with only failed readings around dusk says nothing
    assert skylearn.dusk_readings([0.0, 10.0], [math.nan, math.nan], [5.0]) == []


def test_polar_night_has_no_dusk():
    longyearbyen = (78.22, 15.65)  # the sun stays below -10° all day in December
    since = local("2026-12-10T00:00")
    assert skylearn.dusk_times(longyearbyen, PARIS, since, since + 3 * 86400) == []
