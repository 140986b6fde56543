"""The JSON API (docs/http-api.md) and /healthz: thin views over :class:`lightctl.ports.Controller`.

Every body is checked here before the controller sees it: strict JSON (UTF-8, an
object, no NaN/Infinity, no unknown keys) and typed fields. Bad input answers 400
``{"error": summary, "fields": {key: message}}`` and changes nothing; settings
themselves are validated once, by the controller, through
:func:`lightctl.core.settings.apply_patch`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, Response, jsonify, request, stream_with_context
from werkzeug.exceptions import UnsupportedMediaType

from lightctl.core import checks
from lightctl.core.model import Mode
from lightctl.core.settings import SettingsError, describe, to_dict
from lightctl.webapp import chart, context

bp = Blueprint("api", __name__)

MAX_HOURS = 24 * 8
MAX_POINTS = 20_000


class BadRequest(Exception):
    """Bad input from the client: answered as 400 with the fields at fault."""

    def __init__(self, error: str, fields: Mapping[str, str] | None = None):
        super().__init__(error)
        self.error = error
        self.fields = dict(fields or {})


def bad(key: str, msg: str) -> BadRequest:
    """A BadRequest about one field."""
    return BadRequest(f"{key}: {msg}", {key: msg})


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest):
    body: dict[str, Any] = {"error": exc.error}
    if exc.fields:
        body["fields"] = exc.fields
    return jsonify(body), 400


@bp.errorhandler(SettingsError)
def _bad_settings(exc: SettingsError):
    n = len(exc.problems)
    summary = f"{n} invalid setting{'s' if n != 1 else ''}: {exc}"
    return jsonify(error=summary, fields=exc.problems), 400


# --- input parsing ------------------------------------------------------------------


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def json_body(allowed: Sequence[str] | None) -> dict[str, Any]:
    """The request's JSON object, with only ``allowed`` keys (None: any); else BadRequest.

    Content-Type must be application/json: a cross-site page cannot send that
    without a CORS preflight, which this server never grants.
    """
    if request.mimetype != "application/json":
        raise UnsupportedMediaType('send the body as JSON with "Content-Type: application/json"')
    raw = request.get_data(cache=True)  # 413 past MAX_CONTENT_LENGTH
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"body is not valid UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest(f"body must be a JSON object, got {type(data).__name__}")
    if allowed is None:
        return data
    unknown = {k: f"unknown field; allowed: {', '.join(allowed)}" for k in data if k not in allowed}
    if unknown:
        raise BadRequest("unknown field(s): " + ", ".join(unknown), unknown)
    return data


def _duration(body: Mapping[str, Any], key: str = "for") -> float | None:
    """Optional override/mode duration in seconds: 0 < s <= 7 days (checked only here)."""
    value = body.get(key)
    if value is None:
        return None
    return _checked(key, value, checks.duration)


def _choice(body: Mapping[str, Any], key: str, choices: Sequence[str]) -> str:
    """One of ``choices``, in any case ("ON" as MQTT takes it)."""
    value = body.get(key)
    word = value.strip().lower() if isinstance(value, str) else value
    if word not in choices:
        msg = f"must be one of {', '.join(choices)}, got {checks.shown(value)}"
        raise bad(key, msg)
    return word


_HOURS = checks.number(0, MAX_HOURS, " h", above=True)
_POINTS = checks.integer(3, MAX_POINTS)


def _hours(value: Any, *, text: bool = False, key: str = "hours", default: float = 24.0) -> float:
    """Hours of history: 0 < h <= 192 (8 days); a JSON number, or query ``text``."""
    if value is None:
        return default
    return _checked(key, value, _HOURS, checks.parse_number if text else None)


def _points(value: str | None) -> int | None:
    """How many samples a chart wants: a whole number from 3, as query text."""
    return None if value is None else _checked("points", value, _POINTS, checks.parse_whole)


def _checked(key: str, value: Any, check: checks.Check, parse=None) -> Any:
    """``check(value)`` (after ``parse`` for query text), or a 400 naming ``key``."""
    try:
        return check(parse(value) if parse and isinstance(value, str) else value)
    except ValueError as exc:
        rule = exc.text if isinstance(exc, checks.Bad) else f"must be {checks.rule_of(check)}"
        raise bad(key, f"{rule}, got {checks.shown(value)}") from None


# --- views ----------------------------------------------------------------------------


@bp.get("/api/status")
def status():
    """The switch as it is now."""
    return jsonify(context().controller.status().to_json())


@bp.get("/api/settings")
def get_settings():
    """The tunable settings, exactly the object PATCH accepts."""
    return jsonify(to_dict(context().controller.status().settings))


@bp.patch("/api/settings")
def patch_settings():
    """Change some settings; every field is checked, and all or nothing is applied."""
    # unknown keys are named by apply_patch (with a "did you mean"), along with bad values
    patch = json_body(allowed=None)
    new = context().controller.update_settings(patch)
    return jsonify(to_dict(new.settings))


@bp.get("/api/schema")
def schema():
    """Type, bounds, unit and help of every setting, in the page's order."""
    return jsonify(fields=describe())


@bp.post("/api/mode")
def set_mode():
    """Mode auto/on/off/away; on/off/away may be timed (``for`` seconds), then back to
    auto."""
    body = json_body(allowed=("mode", "for"))
    mode = Mode(_choice(body, "mode", [m.value for m in Mode]))
    duration = _duration(body)
    if duration is not None and mode is Mode.AUTO:
        msg = "a duration goes with mode on, off or away only"
        raise bad("for", msg)
    return _command(lambda c: c.set_mode(mode, duration))


@bp.post("/api/lamp")
def set_lamp():
    """Manual override on/off (until the automatic decision next changes, or ``for``
    seconds); ``auto`` ends the override."""
    body = json_body(allowed=("state", "for"))
    state = _choice(body, "state", ("on", "off", "auto"))
    duration = _duration(body)
    if state == "auto":
        if duration is not None:
            msg = "a duration goes with state on or off only"
            raise bad("for", msg)
        return _command(lambda c: c.set_lamp(None))
    return _command(lambda c: c.set_lamp(state == "on", duration))


def _command(call):
    try:
        new = call(context().controller)
    except SettingsError:
        raise
    except ValueError as exc:  # the controller refused the command; nothing changed
        raise BadRequest(str(exc)) from None
    return jsonify(new.to_json())


@bp.post("/api/test")
def set_test():
    """The installer's test: {"state": "on"} for ten minutes with no delays nor minimum
    times, {"state": "off"} to end it sooner."""
    body = json_body(allowed=("state",))
    on = _choice(body, "state", ("on", "off")) == "on"
    return _command(lambda c: c.set_test(on))


@bp.get("/api/history")
def history():
    """Recorded light samples and switch events of the last ``hours``; ``points`` thins
    the samples for a chart."""
    hours = _hours(request.args.get("hours"), text=True)
    points = _points(request.args.get("points"))
    window = context().controller.history(hours, stream=True)
    if points is None:  # every sample: streamed, never the whole body in memory
        pieces = chart.window_json_pieces(window)
        return Response(stream_with_context(pieces), mimetype="application/json")
    return jsonify(chart.window_json(window, points))


@bp.post("/api/preview")
def preview():
    """What the given settings would have switched over the recorded history; applies
    nothing."""
    body = json_body(allowed=("settings", "hours", "mode"))
    patch = body.get("settings", {})
    if not isinstance(patch, dict):
        msg = f"must be an object of settings, got {type(patch).__name__}"
        raise bad("settings", msg)
    hours = _hours(body.get("hours"))
    ctl = context().controller
    if body.get("mode") is None:
        return jsonify(ctl.preview(patch, hours))  # auto, or away while the switch is away
    mode = Mode(_choice(body, "mode", [Mode.AUTO.value, Mode.AWAY.value]))
    return jsonify(ctl.preview(patch, hours, mode))


@bp.get("/api/savings")
def savings():
    """Hours (and kWh) the off window, the sun guard, away mode and the light rules kept
    the lamp off against a plain photocell, over the last 24 hours and 7 days."""
    return jsonify(context().controller.savings())


@bp.get("/api/suggestion")
def suggestion():
    """What the sensor read when the sun crossed civil dusk (−4°) on recent evenings,
    with the threshold that switches on then; applies nothing."""
    return jsonify(context().controller.suggestion())


@bp.get("/healthz")
def healthz():
    """200 while the control loop keeps stepping, 503 when it stalled (no login needed)."""
    alive = bool(context().controller.alive())
    return jsonify(ok=alive), 200 if alive else 503
