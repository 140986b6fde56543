"""A real year replayed: how often the lamp switches, and when, for several settings.

Run: python benchmarks/real_year.py [--cache DIR] [--seed 2025] [--repeat 3] [--check]
                                    [--set KEY=VALUE ...]

The readings are 10 s samples built on a measured TMY3 year (benchmarks/tmy_year.py:
real hourly clouds, the twilight shape from the sun's elevation, headlights at night,
two days of dead sensor). Each setting is replayed over the whole year with
``fast_replay_arrays`` (the numpy path of the live rules) given the site's latitude,
longitude and time zone; a sun-only timer (on at sunset, off at sunrise, from astral)
is the yardstick. ``--set`` adds a row: the defaults with the location, patched.

Figures, per setting:

- switches per night (a night runs from local noon to the next; 364 whole nights)
  and nights with more than 2 switches;
- nights with an OFF in the middle of the night (the sun below −9°);
- the sun's elevation at ON and at OFF (median, and 5th–95th percentile);
- lamp hours in daylight (sun above 0°) and hours of darkness (sun below −6°) left
  unlit, over the year and within the dead days;
- how long the replay of the whole year took.

Import ``build_year`` (tmy_year), ``replay_setting``/``sun_timer`` and ``figures`` to
compare a new rule with these.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from astral import Observer  # noqa: E402
from astral.sun import sunrise, sunset  # noqa: E402

from benchmarks.tmy_year import Year, build_year, cache_dir, fetch_tmy3, model_check  # noqa: E402
from lightctl.core.fastreplay import fast_replay_arrays  # noqa: E402
from lightctl.core.model import SensorLimits, Settings  # noqa: E402
from lightctl.core.replay import replay  # noqa: E402
from lightctl.core.settings import SettingsError, apply_patch  # noqa: E402

MID_NIGHT = -9.0  # an OFF below this sun elevation is not the dawn
DAYLIGHT, DARKNESS = 0.0, -6.0


@dataclass(frozen=True)
class Run:
    """The switches a setting made over the year: (wall time, on) pairs, and the time taken."""

    name: str
    switches: list[tuple[float, bool]]
    seconds: float | None = None


def settings_rows(year: Year, extra: dict[str, str] | None = None) -> dict[str, Settings]:
    """The settings compared, by name."""
    here = {"latitude": year.site.latitude, "longitude": year.site.longitude}
    rows = {
        "defaults, location": apply_patch(Settings(), here),
        "defaults, no location": Settings(),
        "defaults, no location, fail_safe off": apply_patch(Settings(), {"fail_safe": "off"}),
        "Finder-like (hyst 0, 15 s/25 s)": apply_patch(
            Settings(), {"hysteresis": 0, "on_delay": 15, "off_delay": 25}
        ),
        "naive (hyst 0, no delays, smoothing 1)": apply_patch(
            Settings(), {"hysteresis": 0, "on_delay": 0, "off_delay": 0, "smoothing": 1}
        ),
    }
    if extra:
        rows["defaults, location, " + ", ".join(f"{k}={v}" for k, v in extra.items())] = (
            apply_patch(rows["defaults, location"], extra)
        )
    return rows


LIMITS = SensorLimits(interval=10.0)  # 3 failed readings in a row (30 s) are a fault


def replay_setting(year: Year, name: str, settings: Settings, repeat: int = 1) -> Run:
    """The automatic switches of ``settings`` over the year, and the best replay time."""
    tz = ZoneInfo(year.site.zone)
    took = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        found = fast_replay_arrays(year.times, year.lux, settings, limits=LIMITS, tz=tz)
        took.append(time.perf_counter() - start)
    return Run(name, [(s.at.wall, s.on) for s in found], min(took))


def check_streaming(year: Year, settings: Settings, run: Run) -> bool:
    """True when the live rules (``step`` folded over every reading) switch the same way."""
    lux = [None if v != v else v for v in year.lux.tolist()]  # NaN: a failed reading
    pairs = list(zip(year.times.tolist(), lux, strict=True))
    found = replay(pairs, settings, limits=LIMITS, tz=ZoneInfo(year.site.zone))
    return [(s.at.wall, s.on) for s in found] == run.switches


def sun_timer(year: Year) -> Run:
    """On at astral's sunset, off at the next sunrise, every day of the year."""
    obs = Observer(year.site.latitude, year.site.longitude)
    tz = ZoneInfo(year.site.zone)
    first = date.fromtimestamp(float(year.times[0])) - timedelta(days=1)
    out: list[tuple[float, bool]] = []
    for n in range(368):
        day = first + timedelta(days=n)
        out.append((sunrise(obs, day, tzinfo=tz).timestamp(), False))
        out.append((sunset(obs, day, tzinfo=tz).timestamp(), True))
    out.sort()
    lo, hi = float(year.times[0]), float(year.times[-1]) + 10.0
    before = [(lo, o) for w, o in out if w < lo][-1:]  # the state the year starts in
    return Run("sun-only timer (sunset to sunrise)", before + [s for s in out if lo <= s[0] < hi])


def lamp_states(year: Year, switches: list[tuple[float, bool]]) -> np.ndarray:
    """The lamp during each 10 s reading (off before the first switch)."""
    at = np.array([w for w, _ in switches], dtype=float)
    on = np.array([o for _, o in switches], dtype=bool)
    if not at.size:
        return np.zeros(year.times.size, dtype=bool)
    last = np.searchsorted(at, year.times, side="right") - 1
    return np.where(last >= 0, on[np.maximum(last, 0)], False)


def figures(year: Year, run: Run) -> dict[str, float]:
    """The compared figures of one run (see the module doc)."""
    at = np.array([w for w, _ in run.switches], dtype=float)
    on = np.array([o for _, o in run.switches], dtype=bool)
    sun_at = year.sun_at(at)
    noon0 = float(year.times[0]) + 12 * 3600.0
    nights = (len(year.times) * 10.0 - 86_400.0) // 86_400.0
    night = np.floor((at - noon0) / 86_400.0)
    inside = (night >= 0) & (night < nights)
    per_night = np.bincount(night[inside].astype(int), minlength=int(nights))
    mid_off = np.unique(night[inside & ~on & (sun_at < MID_NIGHT)])
    lamp = lamp_states(year, run.switches)
    hour = 10.0 / 3600.0
    dead = (year.times >= year.dead[0]) & (year.times < year.dead[1])
    day, dark = year.sun > DAYLIGHT, year.sun < DARKNESS

    def pct(values: np.ndarray, q: float) -> float:
        return float(np.percentile(values, q)) if values.size else float("nan")

    return {
        "nights": float(nights),
        "switches/night": float(per_night.mean()),
        "nights >2 switches": float((per_night > 2).sum()),
        "max switches a night": float(per_night.max()),
        "nights with mid-night OFF": float(mid_off.size),
        "sun at ON, median": pct(sun_at[on], 50),
        "sun at ON, p5": pct(sun_at[on], 5),
        "sun at ON, p95": pct(sun_at[on], 95),
        "sun at OFF, median": pct(sun_at[~on], 50),
        "sun at OFF, p5": pct(sun_at[~on], 5),
        "sun at OFF, p95": pct(sun_at[~on], 95),
        "lamp h in daylight": float((lamp & day).sum() * hour),
        "lamp h in daylight, dead days": float((lamp & day & dead).sum() * hour),
        "dark h unlit": float((~lamp & dark).sum() * hour),
        "dark h unlit, dead days": float((~lamp & dark & dead).sum() * hour),
        "replay s": float("nan") if run.seconds is None else run.seconds,
    }


def table(rows: dict[str, dict[str, float]]) -> str:
    """A Markdown table, one row per setting."""
    head = (
        "| setting | switches/night | nights >2 | max | mid-night OFF nights "
        "| sun at ON median [p5, p95] | sun at OFF median [p5, p95] "
        "| lamp h in daylight: year (dead days) | dark h unlit: year (dead days) | replay |"
    )
    lines = [head, "|" + " --- |" * 10]
    for name, f in rows.items():
        replay = "–" if f["replay s"] != f["replay s"] else f"{f['replay s']:.2f} s"
        lines.append(
            f"| {name} | {f['switches/night']:.2f} | {f['nights >2 switches']:.0f} "
            f"| {f['max switches a night']:.0f} | {f['nights with mid-night OFF']:.0f} "
            f"| {_spread(f, 'ON')} | {_spread(f, 'OFF')} "
            f"| {f['lamp h in daylight']:.1f} ({f['lamp h in daylight, dead days']:.1f}) "
            f"| {f['dark h unlit']:.1f} ({f['dark h unlit, dead days']:.1f}) | {replay} |"
        )
    return "\n".join(lines)


def _spread(f: dict[str, float], which: str) -> str:
    key = f"sun at {which}, "
    return f"{f[key + 'median']:.1f}° [{f[key + 'p5']:.1f}, {f[key + 'p95']:.1f}]"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=cache_dir(), help="where the TMY3 file is kept")
    ap.add_argument("--seed", type=int, default=2025, help="clouds, noise and headlights")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="add a row: the defaults with the location and these settings",
    )
    ap.add_argument("--repeat", type=int, default=3, help="replays per setting, best time kept")
    ap.add_argument(
        "--check", action="store_true", help="also fold every reading through step() (slow)"
    )
    args = ap.parse_args(argv)
    if any("=" not in item for item in args.set):
        ap.error("--set takes KEY=VALUE, e.g. --set fail_safe=off")
    extra = {k: _number(v) for k, v in (item.split("=", 1) for item in args.set)}
    try:
        apply_patch(Settings(), extra)
    except SettingsError as exc:
        ap.error(f"--set: {exc}")

    path = fetch_tmy3(args.cache)
    start = time.perf_counter()
    year = build_year(path, seed=args.seed)
    built = time.perf_counter() - start
    s = year.site
    fmt = "%Y-%m-%d %H:%M"
    dead = [time.strftime(fmt, time.gmtime(w + s.utc_offset * 3600)) for w in year.dead]
    print(f"{s.name} ({s.latitude} {s.longitude}, UTC{s.utc_offset:+g}, {s.zone}); {year.source}")
    print(
        f"{year.times.size} readings every 10 s, built in {built:.1f} s; "
        f"{year.headlights} headlights; dead sensor {dead[0]} to {dead[1]} local standard time"
    )
    print(model_check(year, path))
    rows, differ = {}, False
    for name, settings in settings_rows(year, extra).items():
        run = replay_setting(year, name, settings, args.repeat)
        rows[name] = figures(year, run)
        if args.check:
            start = time.perf_counter()
            same = check_streaming(year, settings, run)
            differ |= not same
            took = time.perf_counter() - start
            print(
                f"{name}: step() folded over the year in {took:.0f} s: "
                f"{'the same' if same else 'DIFFERENT'} {len(run.switches)} switches"
            )
    timer = sun_timer(year)
    rows[timer.name] = figures(year, timer)
    print(table(rows))
    return 1 if differ else 0


def _number(text: str) -> object:
    """A --set value as the config file would give it (number or text)."""
    try:
        return float(text) if any(c in text for c in ".e") else int(text)
    except ValueError:
        return text


if __name__ == "__main__":
    sys.exit(main())
