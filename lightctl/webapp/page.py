"""The tuning page: one server-rendered HTML form, brought to life by web/static/app.js.

The page itself carries no state: labels, units, help and the box each setting sits in
("Control" or "Schedule") come from the settings' records (:mod:`lightctl.core.settings`),
values and everything live come from the JSON API. So the form lists every setting the
core knows, and a new setting appears here by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template

from lightctl.core.settings import FIELDS, describe

bp = Blueprint("page", __name__)

#: Schema types -> the HTML control drawn for them.
KINDS = {"number": "number", "integer": "number", "choice": "select", "text": "text"}


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
    min: float | None = None
    max: float | None = None
    placeholder: str = ""


def page_fields() -> tuple[list[Field], list[Field]]:
    """The (control, schedule) inputs, in the schema's order."""
    control: list[Field] = []
    schedule: list[Field] = []
    for key, spec in describe().items():
        field = Field(
            key=key,
            label=FIELDS[key].label,
            unit=spec.get("unit", ""),
            help=spec.get("help", ""),
            kind=KINDS.get(spec.get("type", "text"), "text"),
            options=tuple(spec.get("choices", ())),
            optional=bool(spec.get("optional", False)),
            min=spec.get("min"),
            max=spec.get("max"),
            placeholder=spec.get("pattern", "") if spec.get("type") == "text" else "",
        )
        (schedule if FIELDS[key].section == "schedule" else control).append(field)
    return control, schedule


@bp.get("/")
def index() -> str:
    """The tuning page."""
    control, schedule = page_fields()
    return render_template("index.html", control=control, schedule=schedule)
