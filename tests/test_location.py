"""The location: configured coordinates, else the time zone's point from tzdata's tables."""

from __future__ import annotations

import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lightctl import bootstrap
from lightctl.cli import format_status, main
from lightctl.location import (
    NO_LOCATION,
    Location,
    effective,
    parse_iso6709,
    parse_zone_table,
    zone_estimate,
)

FAKE_ZONE1970 = textwrap.dedent(
    """\
    # tzdb timezone descriptions, a fake for the tests
    #codes\tcoordinates\tTZ\tcomments
    FR,MC\t+4852+00220\tEurope/Paris
    US\t+404251-0740023\tAmerica/New_York\tEastern (most areas)
    AU\t-3352+15113\tAustralia/Sydney\tNew South Wales (most areas)
    XX\tgarbage\tBroken/Zone
    """
)
FAKE_ZONE_TAB = "JE\t+491101-0020624\tEurope/Jersey\n"


def test_paris_is_48_87_n_2_33_e():
    lat, lon = parse_iso6709("+4852+00220")
    assert (round(lat, 2), round(lon, 2)) == (48.87, 2.33)


def test_seconds_and_southern_western_signs():
    lat, lon = parse_iso6709("-335212-1511300")
    assert lat == pytest.approx(-(33 + 52 / 60 + 12 / 3600))
    assert lon == pytest.approx(-(151 + 13 / 60))


@pytest.mark.parametrize(
    "bad", ["", "4852+00220", "+4852+0220", "+4875+00220", "+9100+00000", "+485200+00220", "x"]
)
def test_malformed_coordinates_are_refused(bad):
    with pytest.raises(ValueError):
        parse_iso6709(bad)


@given(
    lat=st.integers(-(90 * 3600 - 1), 90 * 3600 - 1),
    lon=st.integers(-(180 * 3600 - 1), 180 * 3600 - 1),
    seconds=st.booleans(),
)
def test_any_iso6709_pair_reads_back_to_its_degrees(lat, lon, seconds):
    """A point written in tzdata's format (whole seconds, or whole minutes) reads back."""

    def fmt(value: int, width: int) -> tuple[str, float]:
        d, rest = divmod(abs(value), 3600)
        m, s = divmod(rest, 60)
        s = s if seconds else 0
        text = (
            ("-" if value < 0 else "+") + f"{d:0{width}d}{m:02d}" + (f"{s:02d}" if seconds else "")
        )
        return text, (-1 if value < 0 else 1) * (d + m / 60 + s / 3600)

    (lat_text, want_lat), (lon_text, want_lon) = fmt(lat, 2), fmt(lon, 3)
    got = parse_iso6709(lat_text + lon_text)
    assert got == (pytest.approx(want_lat), pytest.approx(want_lon))


@given(st.text(max_size=40))
def test_any_text_parses_or_raises_value_error(text):
    try:
        lat, lon = parse_iso6709(text)
    except ValueError:
        return
    assert -90 <= lat <= 90 and -180 <= lon <= 180


def test_table_skips_comments_and_bad_lines():
    table = parse_zone_table(FAKE_ZONE1970)
    assert set(table) == {"Europe/Paris", "America/New_York", "Australia/Sydney"}


def test_zone_estimate_uses_the_first_table_listing_the_zone():
    paris = zone_estimate("Europe/Paris", [FAKE_ZONE1970, FAKE_ZONE_TAB])
    assert paris.source == "timezone" and paris.zone == "Europe/Paris"
    assert paris.describe() == "48.87 N 2.33 E (estimated from the time zone Europe/Paris)"
    jersey = zone_estimate("Europe/Jersey", [FAKE_ZONE1970, FAKE_ZONE_TAB])
    assert jersey.describe().startswith("49.18 N 2.11 W")
    assert zone_estimate("Mars/Olympus", [FAKE_ZONE1970]) == NO_LOCATION
    assert zone_estimate("", [FAKE_ZONE1970]) == NO_LOCATION


def test_configured_coordinates_win_as_given():
    estimate = zone_estimate("Europe/Paris", [FAKE_ZONE1970])
    got = effective(45.1234, 5.5, estimate)
    assert got == Location(45.1234, 5.5, "configured")
    assert got.describe() == "45.12 N 5.50 E (configured)"
    assert effective(None, None, estimate) is estimate
    assert effective(None, None, NO_LOCATION).to_json()["source"] == "none"


# --- the shell: files on disk -------------------------------------------------------


def fake_zoneinfo(tmp_path: Path, *, zone1970: bool = True, zone_tab: bool = True) -> Path:
    root = tmp_path / "zoneinfo"
    root.mkdir(parents=True)
    if zone1970:
        (root / "zone1970.tab").write_text(FAKE_ZONE1970)
    if zone_tab:
        (root / "zone.tab").write_text(FAKE_ZONE_TAB)
    return root


def test_zone_location_reads_zone1970_then_zone_tab(tmp_path):
    root = fake_zoneinfo(tmp_path)
    assert bootstrap.zone_location(ZoneInfo("Australia/Sydney"), root).latitude < -33
    assert bootstrap.zone_location(ZoneInfo("Europe/Jersey"), root).zone == "Europe/Jersey"
    assert bootstrap.zone_location(ZoneInfo("UTC"), root) == NO_LOCATION


def test_missing_tables_mean_no_location(tmp_path):
    root = fake_zoneinfo(tmp_path, zone1970=False, zone_tab=False)
    assert bootstrap.zone_location(ZoneInfo("Europe/Paris"), root) == NO_LOCATION
    root2 = fake_zoneinfo(tmp_path / "b", zone1970=False)
    assert bootstrap.zone_location(ZoneInfo("Europe/Paris"), root2) == NO_LOCATION
    assert bootstrap.zone_location(ZoneInfo("Europe/Jersey"), root2).known


def test_system_tzdata_knows_paris():
    """Debian's own zone1970.tab (the file the daemon reads on a Pi)."""
    if not (bootstrap.ZONEINFO / "zone1970.tab").exists():
        pytest.skip("no tzdata tables on this machine")
    got = bootstrap.zone_location(ZoneInfo("Europe/Paris"))
    assert (round(got.latitude, 2), round(got.longitude, 2)) == (48.87, 2.33)


def write_config(tmp_path: Path, schedule: str) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'state_dir = "{tmp_path / "state"}"\n'
        f'[sensor]\ntype = "file"\npath = "{tmp_path / "lux"}"\n'
        f'[relay]\ntype = "mock"\n[schedule]\n{schedule}\n'
    )
    return cfg


@pytest.mark.parametrize(
    ("schedule", "want"),
    [
        ('timezone = "Europe/Paris"', "48.87 N 2.33 E (estimated from the time zone Europe/Paris)"),
        (
            'timezone = "Europe/Paris"\nlatitude = 51.5\nlongitude = -0.12',
            "51.50 N 0.12 W (configured)",
        ),
        ('timezone = "UTC"', "none (set schedule.latitude and schedule.longitude)"),
    ],
)
def test_check_config_says_which_location_and_whence(tmp_path, monkeypatch, capsys, schedule, want):
    monkeypatch.setattr(bootstrap, "ZONEINFO", fake_zoneinfo(tmp_path))
    assert main(["check-config", "--config", str(write_config(tmp_path, schedule))]) == 0
    assert f"# location: {want}" in capsys.readouterr().out


def test_status_reports_the_location_and_follows_live_coordinates(tmp_path, monkeypatch):
    from tests.web.conftest import running_switch

    monkeypatch.setattr(bootstrap, "ZONEINFO", fake_zoneinfo(tmp_path))
    with running_switch(tmp_path, timezone="Europe/Paris") as live:
        body = live.daemon.status().to_json()["location"]
        assert body["source"] == "timezone" and body["zone"] == "Europe/Paris"
        assert round(body["latitude"], 2) == 48.87
        assert "location  48.87 N 2.33 E (estimated from the time zone Europe/Paris)" in (
            format_status(live.daemon.status().to_json())
        )
        live.daemon.update_settings({"latitude": 40.0, "longitude": -3.7})
        body = live.daemon.status().to_json()["location"]
        assert body == {
            "latitude": 40.0,
            "longitude": -3.7,
            "source": "configured",
            "zone": None,
            "text": "40.00 N 3.70 W (configured)",
        }
