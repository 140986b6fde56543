"""Raw analogue reading -> lux: a least-squares line in log-log space (a power law).

An LDR's resistance follows R ~ lux^-gamma, so an ADC ratio, a voltage or an RC
charge rate is close to a power law of illuminance over a few decades: a straight
line through (log raw, log lux). Pure: stdlib only.

Outside the calibrated range the law is extrapolated for at most a factor of
:data:`EXTRAPOLATE` in raw, then held flat, and the result stays within one decade
of the calibrated lux range, so one wild reading (or two points with nearly the same
raw value, which give a steep law) cannot become 10^9 lx. ``raw <= 0`` (no light,
through an increasing law) reads 0 lx.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EXTRAPOLATE = 2.0
Point = tuple[float, float]


CLOSE = 1 + 1e-9  # neighbouring values closer than this give a degenerate fit


def check_points(points: Iterable[Sequence[float]]) -> list[str]:
    """Every problem with calibration ``points`` ([[raw, lux], ...]); [] when usable."""
    problems: list[str] = []
    pts: list[Point] = []
    for i, p in enumerate(points):
        if len(p) != 2:
            problems.append(f"point {i + 1} {list(p)!r} must be [raw, lux]")
            continue
        raw, lux = p
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (raw, lux)):
            problems.append(f"point {i + 1} {list(p)!r} must hold two numbers")
        elif not (math.isfinite(raw) and math.isfinite(lux)):
            problems.append(f"point {i + 1} {list(p)!r} is not finite")
        elif raw <= 0 or lux <= 0:
            problems.append(f"point {i + 1} {list(p)!r}: raw and lux must be > 0 (log-log fit)")
        else:
            pts.append((float(raw), float(lux)))
    if len(pts) + len(problems) < 2:
        problems.append(f"need at least 2 points, got {len(pts) + len(problems)}")
    if problems:
        return problems
    raws = [r for r, _ in pts]
    dups = sorted({r for r in raws if raws.count(r) > 1})
    if dups:
        problems.append(f"raw values appear twice: {', '.join(f'{r:g}' for r in dups)}")
        return problems
    lux = [v for _, v in sorted(pts)]
    steps = [b - a for a, b in zip(lux, lux[1:], strict=False)]
    if not (all(s > 0 for s in steps) or all(s < 0 for s in steps)):
        shown = ", ".join(f"[{r:g}, {v:g}]" for r, v in sorted(pts))
        problems.append(
            f"lux must rise (or fall) steadily with raw; sorted by raw the points are {shown}"
        )
        return problems
    for name, values in (("raw", sorted(raws)), ("lux", sorted(lux))):
        close = [(a, b) for a, b in zip(values, values[1:], strict=False) if b / a < CLOSE]
        if close:
            a, b = close[0]
            problems.append(
                f"{name} values {a!r} and {b!r} are too close to tell apart on a log scale"
            )
    return problems


@dataclass(frozen=True, slots=True)
class Calibration:
    """log10(lux) = intercept + slope * log10(raw), for raw within [raw_lo, raw_hi]."""

    slope: float
    intercept: float
    raw_lo: float  # smallest usable raw (lowest point / EXTRAPOLATE)
    raw_hi: float  # largest usable raw (highest point * EXTRAPOLATE)
    log_lux_lo: float  # log10 of the smallest lux returned (a decade below the points)
    log_lux_hi: float  # log10 of the largest lux returned (a decade above the points)

    def __call__(self, raw: float) -> float:
        """Lux for a raw reading; NaN stays NaN, so the core sees a bad reading."""
        if math.isnan(raw):
            return raw
        if raw <= 0:
            if self.slope > 0:
                return 0.0
            raw = self.raw_lo
        raw = min(max(raw, self.raw_lo), self.raw_hi)
        log_lux = self.intercept + self.slope * math.log10(raw)
        return 10 ** min(max(log_lux, self.log_lux_lo), self.log_lux_hi)

    def inverse(self, lux: float) -> float:
        """The raw reading that maps to ``lux`` (for showing thresholds in raw units)."""
        return 10 ** ((math.log10(lux) - self.intercept) / self.slope)


def fit(points: Iterable[Sequence[float]]) -> Calibration:
    """Least-squares power law through ``points``; ValueError naming every problem."""
    pts = [tuple(p) for p in points]
    problems = check_points(pts)
    if problems:
        raise ValueError("; ".join(problems))
    xs = [math.log10(r) for r, _ in pts]
    ys = [math.log10(v) for _, v in pts]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    raws = [r for r, _ in pts]
    return Calibration(
        slope,
        my - slope * mx,
        min(raws) / EXTRAPOLATE,
        max(raws) * EXTRAPOLATE,
        min(ys) - 1.0,
        max(ys) + 1.0,
    )
