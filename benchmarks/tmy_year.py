"""A year of 10 s light readings built on a real measured year (a TMY3 file).

A TMY3 file holds 8760 hourly records of a "typical meteorological year": each month
is a real measured month of one year (real clouds hour by hour). Its global horizontal
illuminance column ("GH illum") is an hourly mean in units of 100 lx (TMY3 user's
manual; the header says "lx", but a clear noon reads about 1000). pvlib's wheel ships
a few such files; this module fetches the wheel with ``pip download --no-deps`` into
a cache folder and reads the CSV out of it, so lightctl never depends on pvlib and
the data file is never part of the repository.

Model of the readings (every random part seeded):

- **sun**: astral's elevation (with refraction, as lightctl's sun guard) every 5
  minutes, interpolated linearly to each reading;
- **clear sky**: illuminance against elevation, log-interpolated in ``CLEAR_SKY``:
  about 600 lx at 0°, 20 lx at −4°, 3.4 lx at −6° (civil dusk), 0.16 lx at −9°,
  0.008 lx at −12°, 0.0007 lx (starlight) below −18°;
- **clouds**: each daylight hour's factor = measured mean / clear-sky mean over the
  hour (hours whose clear-sky mean is at least ``MIN_CLEAR`` lx, the rest are too
  coarse in 100 lx units), interpolated linearly between hour centres; twilight and
  night take the factor of the nearest daylight hours, so an overcast evening gets
  dark earlier. Within the hour, passing clouds: a log-normal AR(1) flicker (2 min
  correlation) whose spread peaks at half cover ("TotCld" of the file), never above
  1.3 times the clear sky (the brightening at a cloud's edge; real peaks stay far below
  the 200 klx where lightctl calls a reading failed);
- **sensor**: 2 % noise, never below 0;
- **headlights**: while the sun is below −6°, a car about once an hour (Poisson):
  20–80 lx more for 10–60 s;
- **dead sensor**: ``DEAD_DAYS`` days of failed readings (NaN, as history records
  them) from ``DEAD_FROM`` local midnight.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from astral import Observer
from astral.sun import elevation

PVLIB = "pvlib==0.16.1"  # pinned: the same file every run
STATION = "723170TYA.CSV"  # Greensboro Piedmont Triad Intl, NC
YEAR = 2025  # the calendar the typical months are laid on (TMY3 has no 29 February)
STEP = 10.0  # seconds between readings
SUN_GRID = 300.0  # seconds between two exact sun elevations
CLEAR_SKY = (  # (sun elevation °, log10 lx) of a clear sky on a horizontal sensor
    (-90.0, -3.15), (-18.0, -3.15), (-12.0, -2.1), (-6.0, 0.53), (0.0, 2.78),
    (2.0, 3.3), (5.0, 3.7), (10.0, 4.08), (20.0, 4.48), (30.0, 4.7), (45.0, 4.88),
    (60.0, 4.98), (90.0, 5.06),
)  # fmt: skip
MIN_CLEAR = 2000.0  # lx: hours whose clear-sky mean is lower carry no usable cloud factor
DEAD_FROM = date(YEAR, 4, 14)
DEAD_DAYS = 2
HEADLIGHT_RATE = 1 / 3600.0  # per second while the sun is below -6°


@dataclass(frozen=True)
class Site:
    """The station of a TMY3 file: where, and its local standard time."""

    name: str
    latitude: float
    longitude: float
    utc_offset: float  # hours; TMY3 times are local standard time all year
    zone: str  # the IANA time zone lightctl is given


@dataclass(frozen=True)
class Year:
    """10 s readings of one year (``lux`` NaN = failed reading) and the sun at each one."""

    site: Site
    times: np.ndarray  # epoch seconds, UTC
    lux: np.ndarray
    sun: np.ndarray  # elevation, degrees
    dead: tuple[float, float]  # [start, end) of the dead sensor
    headlights: int
    source: str  # file name and its sha256, to quote with the figures

    def sun_at(self, wall: np.ndarray | float) -> np.ndarray:
        """Elevation at any instant of the year (interpolated like the readings')."""
        return np.interp(wall, self.times, self.sun)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lightctl-benchmarks"


def fetch_tmy3(cache: Path, station: str = STATION) -> Path:
    """The TMY3 CSV in ``cache``, taken out of pvlib's wheel (downloaded once)."""
    target = cache / station
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("pvlib-*.whl"))
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache)]
        print(f"downloading {PVLIB} (its wheel ships {station}) into {cache}", file=sys.stderr)
        subprocess.run([*cmd, PVLIB], check=True)
        wheels = sorted(cache.glob("pvlib-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        data = wheel.read(f"pvlib/data/{station}")
    tmp = target.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    return target


def read_tmy3(path: Path, zone: str = "America/New_York") -> tuple[Site, np.ndarray, np.ndarray]:
    """The site, hourly illuminance in lx (hour ending at each record) and total cloud 0–1."""
    text = path.read_bytes().decode("latin-1")
    head, cols, *rows = text.splitlines()
    meta = next(csv.reader([head]))
    site = Site(f"{meta[1].strip().title()}, {meta[2]}", float(meta[4]), float(meta[5]),
                float(meta[3]), zone)  # fmt: skip
    names = next(csv.reader([cols]))
    i_ill, i_cld = names.index("GH illum (lx)"), names.index("TotCld (tenths)")
    table = list(csv.reader(io.StringIO("\n".join(rows))))
    if len(table) != 8760:
        raise ValueError(f"{path}: {len(table)} hourly records, expected 8760")
    ill = np.array([float(r[i_ill]) for r in table]) * 100.0  # file unit: 100 lx
    cloud = np.clip(np.array([float(r[i_cld]) for r in table]) / 10.0, 0.0, 1.0)
    return site, ill, cloud


def clear_sky(sun: np.ndarray) -> np.ndarray:
    """Clear-sky horizontal illuminance (lx) at these sun elevations."""
    x, y = zip(*CLEAR_SKY, strict=True)
    return 10.0 ** np.interp(sun, x, y)


def sun_elevations(site: Site, times: np.ndarray) -> np.ndarray:
    """astral's elevation on a 5-minute grid, interpolated to ``times``."""
    obs = Observer(site.latitude, site.longitude)
    grid = np.arange(times[0] - SUN_GRID, times[-1] + 2 * SUN_GRID, SUN_GRID)
    exact = [elevation(obs, datetime.fromtimestamp(w, UTC)) for w in grid.tolist()]
    return np.interp(times, grid, exact)


def build_year(
    path: Path,
    *,
    seed: int = 2025,
    dead_from: date = DEAD_FROM,
    dead_days: int = DEAD_DAYS,
    zone: str = "America/New_York",
) -> Year:
    """10 s readings for the whole year of the TMY3 file at ``path`` (see the module doc)."""
    site, hourly, cloud = read_tmy3(path, zone)
    rng = np.random.default_rng(seed)
    local = timezone(timedelta(hours=site.utc_offset))
    t0 = datetime(YEAR, 1, 1, tzinfo=local).timestamp()
    times = t0 + STEP * np.arange(int(8760 * 3600 / STEP))
    sun = sun_elevations(site, times)
    clear = clear_sky(sun)

    # cloud factor of each hour (record h covers [h, h+1) hours), between hour centres
    per_hour = int(3600 / STEP)
    clear_mean = clear.reshape(8760, per_hour).mean(axis=1)
    usable = clear_mean >= MIN_CLEAR
    factor = np.clip(hourly[usable] / clear_mean[usable], 0.03, 1.3)
    centres = t0 + 3600.0 * np.arange(8760) + 1800.0
    k = np.interp(times, centres[usable], factor)

    # passing clouds inside the hour: AR(1) in log space, spread 4c(1-c) * 0.3
    spread = np.repeat(0.3 * 4 * cloud * (1 - cloud), per_hour)
    phi = np.exp(-STEP / 120.0)
    flicker = _ar1(rng.standard_normal(times.size) * np.sqrt(1 - phi * phi), phi)
    lux = clear * k * np.exp(spread * flicker - spread * spread / 2)
    np.minimum(lux, 1.3 * clear, out=lux)  # a cloud's edge brightens the sky 30 % at most
    lux *= 1.0 + 0.02 * rng.standard_normal(times.size)

    # headlights in darkness
    dark = np.flatnonzero(sun < -6.0)
    cars = np.sort(rng.choice(dark, rng.poisson(dark.size * STEP * HEADLIGHT_RATE), replace=False))
    lengths = np.ceil(rng.uniform(10.0, 60.0, cars.size) / STEP).astype(int)
    for i, n, extra in zip(cars, lengths, rng.uniform(20.0, 80.0, cars.size), strict=True):
        lux[i : i + n] += extra
    np.maximum(lux, 0.0, out=lux)

    start = datetime(dead_from.year, dead_from.month, dead_from.day, tzinfo=local).timestamp()
    dead = (start, start + dead_days * 86_400.0)
    lux[(times >= dead[0]) & (times < dead[1])] = np.nan
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return Year(site, times, lux, sun, dead, int(cars.size), f"{path.name} sha256 {digest}…")


def model_check(year: Year, path: Path) -> str:
    """How the readings compare with the file's hourly means, and what twilight reads."""
    _site, hourly, _cloud = read_tmy3(path, year.site.zone)
    per_hour = year.lux.reshape(8760, -1)
    sel = (hourly >= MIN_CLEAR) & ~np.isnan(per_hour).any(axis=1)
    q = np.percentile(per_hour[sel].mean(axis=1) / hourly[sel], [5, 50, 95])
    at = [float(np.nanmedian(year.lux[np.abs(year.sun - e) < 0.1])) for e in (0, -4, -6)]
    return (
        f"hourly mean / measured, {int(sel.sum())} hours of 2 klx or more: median {q[1]:.3f} "
        f"[p5 {q[0]:.3f}, p95 {q[2]:.3f}]; median reading at sun 0° {at[0]:.0f} lx, "
        f"−4° {at[1]:.1f} lx, −6° {at[2]:.1f} lx"
    )


def _ar1(noise: np.ndarray, phi: float) -> np.ndarray:
    """x[i] = phi * x[i-1] + noise[i], stationary with unit variance, without a Python loop."""
    # the filter as a convolution would be O(n²); a log-depth doubling scan is O(n log n)
    x = noise.copy()
    x[0] = noise[0] / np.sqrt(1 - phi * phi)
    step, coef = 1, phi
    while step < x.size:
        x[step:] = x[step:] + coef * x[:-step]
        step, coef = step * 2, coef * coef
    return x
