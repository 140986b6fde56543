"""``simulated`` sensor: a deterministic day of light for the demo and tests.

Lux is a pure function of the clock's wall time and ``cfg.seed`` (see :func:`lux_at`):
- daylight from the sun's elevation (astral) at a fixed place, Paris (48.85 N, 2.35 E);
- civil twilight: log-linear from ~400 lx at sunset down to ~3 lx at -6°, then ~1 lx by -12°;
- by day, passing clouds: smooth multiplicative dips down to ~30 % of the clear sky;
- at night, now and then a car's headlights: a 200-600 lx spike for 5-15 s, a few per night.

Time comes from the injected clock, so an accelerated clock speeds up the whole day.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lightctl.config_checks import integer, number
from lightctl.core.schedule import sun_elevation
from lightctl.device_types import DeviceType, Option

if TYPE_CHECKING:
    from lightctl.config import SensorConfig

TYPE = DeviceType(
    "simulated",
    "no hardware: a simulated day",
    (
        Option("speed", number(0, 1e6, above=True), 1.0, "simulated seconds per real second"),
        Option("seed", integer(0, 2**63 - 1), 0, "the same seed gives the same clouds"),
    ),
)

LATITUDE, LONGITUDE = 48.85, 2.35
NIGHT_LUX = 1.0
CAR_SLOT = 3600.0  # s: at most one car per hour-long slot
CAR_CHANCE = 0.45  # per slot: about 4-5 cars in a 10-hour night
CAR_BELOW = 20.0  # lx: headlights only show when it is this dark


@dataclass(frozen=True, slots=True)
class Headlight:
    """One passing car: ``start`` (epoch s), ``duration`` s, ``peak`` lx added."""

    start: float
    duration: float
    peak: float

    def lux(self, wall: float) -> float:
        """The light added at ``wall``: 1 s ramps either side of a flat top."""
        t = wall - self.start
        if t < 0 or t > self.duration:
            return 0.0
        return self.peak * min(1.0, t, self.duration - t)


def clear_sky(elevation: float) -> float:
    """Clear-sky illuminance (lx) for a solar elevation in degrees; continuous."""
    if elevation >= 0:
        return 400.0 + 110_000.0 * math.sin(math.radians(elevation)) ** 1.15
    if elevation >= -6:  # civil twilight: 400 lx -> 3 lx, log-linear
        return math.exp(math.log(3.0) + (math.log(400.0) - math.log(3.0)) * (elevation + 6) / 6)
    if elevation >= -12:  # nautical twilight: 3 lx -> 1 lx
        return math.exp(math.log(NIGHT_LUX) + math.log(3.0) * (elevation + 12) / 6)
    return NIGHT_LUX


def cloud_factor(wall: float, seed: int) -> float:
    """Multiplicative cloud cover in (0.3, 1]: three slow waves, smoothstepped."""
    rnd = random.Random(f"clouds:{seed}")
    s = 0.0
    for period in (17 * 60.0, 29 * 60.0, 41 * 60.0):
        s += math.sin(2 * math.pi * wall / period + rnd.uniform(0, 2 * math.pi))
    x = min(max((s / 3 - 0.15) / 0.6, 0.0), 1.0)
    return 1.0 - 0.7 * x * x * (3 - 2 * x)


def headlight_in_slot(slot: int, seed: int) -> Headlight | None:
    """The car of hour-slot ``slot`` (epoch // 3600), if one passes in it."""
    rnd = random.Random(f"car:{seed}:{slot}")
    if rnd.random() >= CAR_CHANCE:
        return None
    duration = rnd.uniform(5.0, 15.0)
    start = slot * CAR_SLOT + rnd.uniform(0.0, CAR_SLOT - duration)
    return Headlight(start, duration, rnd.uniform(200.0, 600.0))


def headlights(start: float, end: float, seed: int) -> list[Headlight]:
    """Every car whose spike starts in [start, end), whether it shows (dark) or not."""
    slots = range(int(start // CAR_SLOT), int(end // CAR_SLOT) + 1)
    cars = (headlight_in_slot(s, seed) for s in slots)
    return [c for c in cars if c is not None and start <= c.start < end]


def lux_at(wall: float, seed: int = 0) -> float:
    """Simulated illuminance (lx) at epoch ``wall``: pure and deterministic."""
    elevation = sun_elevation(LATITUDE, LONGITUDE, wall)
    base = clear_sky(elevation)
    if elevation > -6:
        return base * cloud_factor(wall, seed) if elevation > 0 else base
    car = headlight_in_slot(int(wall // CAR_SLOT), seed)
    if car is not None and base < CAR_BELOW:
        return base + car.lux(wall)
    return base


def demo_start(wall: float, before: float = 300.0) -> float:
    """An epoch ``before`` s ahead of the next sunset after ``wall`` at the fixed place.

    The demo starts its accelerated clock there, so dusk comes within minutes.
    """
    from astral import Observer
    from astral.sun import sunset

    obs = Observer(LATITUDE, LONGITUDE)
    day = datetime.fromtimestamp(wall, UTC).date()
    for i in range(3):
        t = sunset(obs, day + timedelta(days=i), tzinfo=UTC).timestamp() - before
        if t >= wall:
            return t
    return wall


class SimulatedSensor:
    """Reads :func:`lux_at` at the clock's wall time."""

    def __init__(self, clock: Any, seed: int = 0):
        self.clock, self.seed = clock, seed

    def read(self) -> float:
        return lux_at(self.clock.wall(), self.seed)

    def close(self) -> None:
        """Nothing to release."""


def create(cfg: SensorConfig, *, clock: Any = None, **_: Any) -> SimulatedSensor:
    if clock is None:
        from lightctl.clock import SystemClock

        clock = SystemClock()
    return SimulatedSensor(clock, cfg.options["seed"])
