"""``lightctl calibrate``: turn raw analogue readings into [sensor.calibration] points.

Interactive: at each light level the user puts a lux meter (a phone app will do)
next to the sensor and types what it shows; several raw readings are averaged into
one point. Non-interactive: ``--points RAW:LUX ...`` goes straight to
:func:`points_snippet`. I/O is injected (``read_raw``, ``ask``, ``say``), so the
whole dialogue is testable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from lightctl.config import Config
from lightctl.core.calibration import check_points, fit
from lightctl.errors import SensorError

SAMPLES = 5
DARK_LUX = 0.5  # what 'dark' records: below what a phone's meter resolves, above 0 (log fit)
DARK_WORDS = ("dark", "d")

INTRO = """Calibrating the {type} sensor: raw readings -> lux.
At each light level (e.g. daylight by a window, dusk, a lamp at a distance, a dark room),
put a lux meter (a phone app will do) right next to the sensor, facing the same way,
and type the lux it shows. Two points are the minimum; 4-5 spread over the range you care
about (dusk: 1-200 lx) give a better fit. When it is dark now (the meter shows 0),
type 'dark': the point is recorded at {dark:g} lx.
Commands: a number = add a point, 'dark' = it is dark now, 'u' = undo the last point,
empty line = done, 'q' = quit."""


def parse_point(text: str) -> tuple[float, float]:
    """'0.12:5' -> (0.12, 5.0); ValueError with the expected form otherwise."""
    raw, sep, lux = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return float(raw), float(lux)
    except ValueError:
        msg = f"calibration point {text!r} must look like RAW:LUX, e.g. 0.12:5"
        raise ValueError(msg) from None


def points_snippet(points: Iterable[Sequence[float]]) -> str:
    """The TOML snippet for ``points``; ValueError naming every problem with them."""
    pts = [(float(r), float(v)) for r, v in points]
    problems = check_points(pts)
    if problems:
        raise ValueError("; ".join(problems))
    cal = fit(pts)
    body = ", ".join(f"[{r:.6g}, {v:.6g}]" for r, v in sorted(pts))
    return (
        "[sensor.calibration]\n"
        f"# fit: lux = {10**cal.intercept:.4g} * raw ^ {cal.slope:.4g}\n"
        f"points = [{body}]\n"
    )


def _average(read_raw: Callable[[], float], samples: int) -> float:
    values = [read_raw() for _ in range(samples)]
    good = [v for v in values if math.isfinite(v)]
    if not good:
        raise SensorError("no finite raw reading")
    return sum(good) / len(good)


def run_calibrate(
    cfg: Config,
    *,
    read_raw: Callable[[], float],
    ask: Callable[[str], str],
    say: Callable[[str], None],
    samples: int = SAMPLES,
) -> str:
    """Guide the user through reference readings; returns (and says) the TOML snippet.

    Raises KeyboardInterrupt when the user quits with 'q' (or ends input) before two
    usable points exist, so the CLI can exit non-zero without printing a snippet.
    """
    say(INTRO.format(type=cfg.sensor.type, dark=DARK_LUX))
    points: list[tuple[float, float]] = []
    while True:
        try:
            answer = ask(f"Point {len(points) + 1} - lux shown by the meter: ").strip().lower()
        except EOFError:  # input ended: finish if the points are usable, else abandon
            if check_points(points):
                raise KeyboardInterrupt("calibration abandoned") from None
            answer = ""
        if answer == "q":
            raise KeyboardInterrupt("calibration abandoned")
        if answer == "u":
            if points:
                say(f"removed raw {points.pop()[0]:.6g}")
            continue
        if answer == "":
            problems = check_points(points)
            if not problems:
                break
            say("Not done yet: " + "; ".join(problems))
            if len(points) < 2 and not _wants_more(ask):
                raise KeyboardInterrupt("calibration abandoned")
            continue
        try:
            lux = DARK_LUX if answer in DARK_WORDS else float(answer)
            if not (math.isfinite(lux) and lux > 0):
                raise ValueError
        except ValueError:
            say(f"{answer!r} is not a positive number of lux ('dark' if it is dark); try again")
            continue
        try:
            raw = _average(read_raw, samples)
        except SensorError as e:
            say(f"could not read the sensor: {e}; fix it and type the lux again")
            continue
        points.append((raw, lux))
        say(f"  raw {raw:.6g} -> {lux:g} lx (mean of {samples} readings)")
        problems = check_points(points)
        if len(points) >= 2 and problems:
            say("  warning: " + "; ".join(problems) + " ('u' removes the last point)")
    snippet = points_snippet(points)
    say("[sensor.calibration] for your config file (--write saves it there):\n")
    say(snippet)
    return snippet


def _wants_more(ask: Callable[[str], str]) -> bool:
    try:
        return ask("Fewer than 2 points: continue? [Y/n] ").strip().lower() not in ("n", "no")
    except EOFError:
        return False
