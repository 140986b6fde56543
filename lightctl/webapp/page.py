"""The tuning page: one server-rendered HTML form, brought to life by web/static/app.js.

The page itself carries no state: labels, units and help come from the settings schema
(:data:`lightctl.core.settings.FIELDS`), values and everything live come from the JSON API.
So the form lists every setting the core knows, and a new setting appears here by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template

from lightctl.core.model import FailSafe
from lightctl.core.settings import FIELDS

bp = Blueprint("page", __name__)

#: Human names for the setting keys; a key missing here is shown capitalised.
LABELS = {
    "threshold": "Threshold",
    "hysteresis": "Hysteresis",
    "on_delay": "On delay",
    "off_delay": "Off delay",
    "smoothing": "Smoothing",
    "min_on": "Minimum ON time",
    "min_off": "Minimum OFF time",
    "fail_safe": "If the sensor fails",
    "off_window": "Off window",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "sun_max_elevation": "Sun max elevation",
}

#: Settings shown under "Schedule"; the others are "Control".
SCHEDULE_KEYS = frozenset({"off_window", "latitude", "longitude", "sun_max_elevation"})
#: Settings that may be left empty (meaning "not set").
OPTIONAL_KEYS = frozenset({"off_window", "latitude", "longitude"})


@dataclass(frozen=True, slots=True)
class Field:
    """What the template needs to draw one labelled input."""

    key: str
    label: str
    unit: str
    help: str
    kind: str  # "number" | "text" | "select"
    options: tuple[str, ...] = ()
    optional: bool = False


def _kind(key: str) -> tuple[str, tuple[str, ...]]:
    if key == "fail_safe":
        return "select", tuple(f.value for f in FailSafe)
    if key == "off_window":
        return "text", ()
    return "number", ()


def page_fields() -> tuple[list[Field], list[Field]]:
    """The (control, schedule) inputs, in the schema's order."""
    control: list[Field] = []
    schedule: list[Field] = []
    for key, (_check, unit, help_text) in FIELDS.items():
        kind, options = _kind(key)
        label = LABELS.get(key, key.replace("_", " ").capitalize())
        field = Field(key, label, unit, help_text, kind, options, key in OPTIONAL_KEYS)
        (schedule if key in SCHEDULE_KEYS else control).append(field)
    return control, schedule


@bp.get("/")
def index() -> str:
    """The tuning page."""
    control, schedule = page_fields()
    return render_template("index.html", control=control, schedule=schedule)
