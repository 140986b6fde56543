"""The local-time off window (midnight, DST days) and the sun guard's elevation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lightctl.core.schedule import CLOCK_VALID_FROM, in_window, parse_window, sun_elevation
from tests.core.helpers import PARIS, local


def open_stretches(window: str, start: float, hours: float, tz=PARIS) -> list[tuple[float, float]]:
    """Scan minute by minute; return the (open, close) epochs of the window."""
    out: list[tuple[float, float]] = []
    opened = None
    for m in range(int(hours * 60) + 1):
        t = start + 60 * m
        inside = in_window(window, t, tz)
        if inside and opened is None:
            opened = t
        elif not inside and opened is not None:
            out.append((opened, t))
            opened = None
    assert opened is None, "window still open at the end of the scan"
    return out


class TestParseWindow:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [("23:30-05:30", (1410, 330)), ("0:00-6:15", (0, 375)), (" 22:00 - 23:00 ", (1320, 1380))],
    )
    def test_parses_minutes_after_midnight(self, text, expected):
        """HH:MM-HH:MM becomes (start, end) in minutes after local midnight."""
        assert parse_window(text) == expected

    @pytest.mark.parametrize(
        "text", ["", "23:30", "24:00-05:00", "23:60-05:00", "10:00-10:00", "ab:cd-ef:gh", "1-2"]
    )
    def test_rejects_malformed(self, text):
        """Malformed or empty windows raise ValueError with the rule."""
        with pytest.raises(ValueError):
            parse_window(text)


class TestInWindow:
    def test_crossing_midnight(self):
        """23:30-05:30 is open late in the evening and early in the morning, not by day."""
        w = "23:30-05:30"
        assert not in_window(w, local("2026-01-15T23:29"), PARIS)
        assert in_window(w, local("2026-01-15T23:30"), PARIS)
        assert in_window(w, local("2026-01-16T00:00"), PARIS)
        assert in_window(w, local("2026-01-16T05:29"), PARIS)
        assert not in_window(w, local("2026-01-16T05:30"), PARIS)
        assert not in_window(w, local("2026-01-16T12:00"), PARIS)

    def test_same_day_window(self):
        """A window within one day is open only between its two times."""
        w = "01:00-02:00"
        assert not in_window(w, local("2026-01-16T00:59"), PARIS)
        assert in_window(w, local("2026-01-16T01:30"), PARIS)
        assert not in_window(w, local("2026-01-16T02:00"), PARIS)

    def test_no_window(self):
        """None or empty: never in the window."""
        assert not in_window(None, local("2026-01-16T01:30"), PARIS)
        assert not in_window("", local("2026-01-16T01:30"), PARIS)

    def test_utc_when_no_zone(self):
        """Without a time zone the window is read in UTC."""
        assert in_window("00:00-01:00", local("2026-01-16T00:30", UTC), None)
        assert not in_window("00:00-01:00", local("2026-01-16T00:30", PARIS), None)

    def test_fixed_offset_zone(self):
        """A fixed-offset zone works like any other."""
        tz = timezone(timedelta(hours=-5))
        assert in_window("22:00-23:00", local("2026-01-15T22:30", tz), tz)

    def test_clock_before_2024_is_never_in_window(self):
        """An unsynced clock (1970, or fake-hwclock from 2023) disables the window."""
        assert not in_window("00:00-23:59", 1000.0, PARIS)
        assert not in_window("00:00-23:59", CLOCK_VALID_FROM - 1, PARIS)
        assert in_window("00:00-23:59", CLOCK_VALID_FROM + 3600, PARIS)

    def test_spring_forward_night_is_an_hour_shorter(self):
        """2026-03-29 in Paris: 23:30-05:30 lasts 5 h of real time, at the written times."""
        [(opened, closed)] = open_stretches("23:30-05:30", local("2026-03-28T20:00"), 12)
        assert opened == local("2026-03-28T23:30")
        assert closed == local("2026-03-29T05:30")
        assert closed - opened == 5 * 3600

    def test_fall_back_night_is_an_hour_longer(self):
        """2026-10-25 in Paris: 23:30-05:30 lasts 7 h of real time."""
        [(opened, closed)] = open_stretches("23:30-05:30", local("2026-10-24T20:00"), 12)
        assert opened == local("2026-10-24T23:30")
        assert closed == local("2026-10-25T05:30")
        assert closed - opened == 7 * 3600

    def test_skipped_end_is_reached_when_the_clock_jumps(self):
        """An end at 02:30 on spring-forward day closes at the jump (02:00 CET = 03:00 CEST)."""
        [(opened, closed)] = open_stretches("01:00-02:30", local("2026-03-28T20:00"), 12)
        assert opened == local("2026-03-29T01:00")
        assert closed == local("2026-03-29T03:00")

    def test_skipped_start_opens_when_the_clock_jumps(self):
        """A start at 02:15 on spring-forward day opens at the jump, 03:00 CEST."""
        [(opened, closed)] = open_stretches("02:15-04:00", local("2026-03-28T20:00"), 12)
        assert (opened, closed) == (local("2026-03-29T03:00"), local("2026-03-29T04:00"))

    def test_repeated_hour_does_not_reopen_the_window(self):
        """Fall-back day, window 02:30-05:30: one open stretch, not two (no lamp blip)."""
        stretches = open_stretches("02:30-05:30", local("2026-10-24T20:00"), 12)
        assert len(stretches) == 1
        opened, closed = stretches[0]
        assert closed - opened == 4 * 3600  # 02:30 CEST .. 05:30 CET

    def test_repeated_hour_does_not_close_twice(self):
        """Fall-back day, window 23:00-02:30: it closes at the first 02:30 and stays closed."""
        stretches = open_stretches("23:00-02:30", local("2026-10-24T20:00"), 12)
        assert len(stretches) == 1
        assert stretches[0][1] - stretches[0][0] == 3.5 * 3600

    @settings(max_examples=200, deadline=None)
    @given(
        start=st.integers(0, 1439),
        length=st.integers(1, 1439),
        t=st.floats(CLOCK_VALID_FROM, CLOCK_VALID_FROM + 20 * 365 * 86400),
    )
    def test_matches_clock_reading_on_ordinary_days(self, start, length, t):
        """Away from DST changes the window is exactly "start <= local time < end"."""
        end = (start + length) % 1440
        w = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"

        dt = datetime.fromtimestamp(t, PARIS)
        near_change = any((dt + timedelta(days=k)).utcoffset() != dt.utcoffset() for k in (-1, 1))
        if near_change:
            return
        minute = dt.hour * 60 + dt.minute + dt.second / 60 + dt.microsecond / 6e7
        expected = start <= minute < end if start < end else minute >= start or minute < end
        assert in_window(w, t, PARIS) == expected


class TestSunElevation:
    def test_noon_in_june_is_high(self):
        """Paris at noon on the summer solstice: the sun is about 64° up."""
        assert 60 < sun_elevation(48.85, 2.35, local("2026-06-21T13:50")) < 66

    def test_midnight_is_below_the_horizon(self):
        """Paris at midnight: the sun is well below the horizon."""
        assert sun_elevation(48.85, 2.35, local("2026-06-21T00:00")) < -10
        assert sun_elevation(48.85, 2.35, local("2026-01-15T00:00")) < -50

    def test_southern_hemisphere_winter_noon_is_lower(self):
        """Sydney's June noon sun is lower than Paris' June noon sun."""
        sydney = sun_elevation(-33.87, 151.21, local("2026-06-21T02:00", UTC))
        paris = sun_elevation(48.85, 2.35, local("2026-06-21T12:00", UTC))
        assert 20 < sydney < 40 < paris
