"""What each section of the config file may hold, and the readers that check it.

Each ``read_*`` takes the raw TOML table and a :class:`Problems` collector and returns
the validated keyword arguments for the matching dataclass of ``lightctl.config``
(which imports this module, never the reverse). [control] and [schedule] go through
the checks of their records in ``core.settings``, the same ones the HTTP API and MQTT use.
The keys of each sensor and relay type come from its module's declaration (``TYPE``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lightctl.config_checks import (
    MISSING,
    REQUIRED,
    Check,
    Problems,
    boolean,
    calibration_points,
    existing_file,
    integer,
    is_loopback,
    listen,
    names_from,
    node_id,
    number,
    one_of,
    password_hash,
    rule_of,
    show,
    text,
    timezone,
    tls_files_problem,
    topic,
)
from lightctl.core.checks import Bad
from lightctl.core.settings import FIELDS, Settings, check_patch, suggest
from lightctl.device_types import DeviceType
from lightctl.entities import ENTITIES
from lightctl.relays import relay_types
from lightctl.sensors import sensor_types

#: key -> (check, default); REQUIRED when the key has no default.
Spec = dict[str, tuple[Check, Any]]

TOP: Spec = {
    "node_id": (node_id, "lightctl"),
    "state_dir": (text(what="a folder path"), "/var/lib/lightctl"),
}
SECTIONS = ("sensor", "control", "schedule", "relay", "mqtt", "web", "history")

SENSOR_COMMON: Spec = {
    "interval": (number(0.05, 3600, " s"), 1.0),
    "fault_after": (integer(1, 1000, " readings"), 3),
    "max_lux": (number(0, unit=" lx", above=True), 200_000.0),
    "stuck_after": (number(0, unit=" s"), 0.0),
}
SENSOR_KINDS: dict[str, DeviceType] = sensor_types()
#: The analogue types: raw readings that [sensor.calibration] turns into lux.
ANALOGUE = tuple(name for name, kind in SENSOR_KINDS.items() if kind.calibrated)

RELAY_COMMON: Spec = {"on_shutdown": (one_of("off", "keep"), "off")}
RELAY_KINDS: dict[str, DeviceType] = relay_types()

MQTT: Spec = {
    "host": (text(what="a host name or address"), "localhost"),
    "port": (integer(1, 65535), 1883),
    "username": (text(empty=True), ""),
    "password": (text(empty=True), ""),
    "tls": (boolean, False),
    "ca_certs": (existing_file, None),
    "certfile": (existing_file, None),
    "keyfile": (existing_file, None),
    "base_topic": (topic(root=True), "lightctl"),
    "discovery_prefix": (topic(root=True), "homeassistant"),
    "keepalive": (integer(5, 3600, " s"), 30),
    "state_interval": (number(0, 3600, " s"), 30.0),
    "entities_off": (names_from(*ENTITIES), ()),
}
WEB: Spec = {
    "listen": (listen, ("127.0.0.1", 8080)),
    "username": (text(), "admin"),
    "password_hash": (password_hash, ""),
}
HISTORY: Spec = {"days": (number(1, 366, " days"), 8.0)}

#: the settings of [schedule] and of [control], as their records say
SCHEDULE_KEYS = tuple(k for k, f in FIELDS.items() if f.section == "schedule")
CONTROL_KEYS = tuple(k for k, f in FIELDS.items() if f.section == "control")


def _dotted(prefix: str, key: Any) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def unknown(prefix: str, table: Mapping, known: Any, p: Problems) -> None:
    """Name every key of ``table`` not in ``known``, with a near miss if there is one."""
    for key in table:
        if key not in known:
            where = f"[{prefix}]" if prefix else "the top level"
            p.note(_dotted(prefix, key), f"unknown key in {where}{suggest(str(key), known)}")


def read_keys(prefix: str, table: Mapping, spec: Spec, p: Problems, context: str = "") -> dict:
    """Check each key of ``spec`` present in ``table``; defaults for the absent ones."""
    out: dict[str, Any] = {}
    for key, (check, default) in spec.items():
        if key in table:
            value = p.check(_dotted(prefix, key), table[key], check)
            if value is not MISSING:
                out[key] = value
        elif default is REQUIRED:
            p.note(_dotted(prefix, key), f"is required{context}: must be {rule_of(check)}")
        else:
            out[key] = default
    return out


def read_root(data: Mapping, p: Problems) -> tuple[dict, dict[str, Mapping]]:
    """Top-level keys, and the sections that are tables (others are reported)."""
    unknown("", data, [*TOP, *SECTIONS], p)
    tables: dict[str, Mapping] = {}
    for name in SECTIONS:
        value = data.get(name, MISSING)
        if value is not MISSING and not isinstance(value, Mapping):
            p.bad(name, value, f"must be a section [{name}]", wrong_type=True)
        elif value is not MISSING:
            tables[name] = value
    return read_keys("", data, TOP, p), tables


def _read_typed(
    prefix: str,
    table: Mapping,
    p: Problems,
    common: Spec,
    types: dict[str, DeviceType],
    default: Any,
    has_mqtt: bool,
) -> tuple[str | None, dict]:
    """A section whose allowed keys depend on its ``type``, read with that type's
    declaration: its options, its rules across keys, its need of [mqtt]."""
    out = read_keys(prefix, table, common, p)
    kind = table.get("type", default)
    if kind is REQUIRED:
        p.note(f"{prefix}.type", f"is required: must be one of {', '.join(types)}")
        kind = None
    else:
        kind = p.check(f"{prefix}.type", kind, one_of(*types))
        kind = None if kind is MISSING else kind
    every = {o.name for t in types.values() for o in t.options}
    for key in table:
        owners = [t.name for t in types.values() if t.option(key) is not None]
        if key in common or key in ("type", "calibration"):
            continue
        if not owners:
            unknown(prefix, {key: None}, ["type", *common, *sorted(every)], p)
        elif kind is not None and kind not in owners:
            used = ", ".join(owners)
            p.note(f"{prefix}.{key}", f'is not used by {prefix} type "{kind}", only by: {used}')
    if kind is None:
        return None, out
    declared = types[kind]
    before = len(p.items)
    options = read_keys(prefix, table, declared.spec(), p, f' for {prefix} type "{kind}"')
    if len(p.items) == before:  # the rules across keys judge valid values only
        for rule in declared.rules:
            for key, why in rule.problems(options):
                p.note(f"{prefix}.{key}", why)
    if declared.needs_mqtt and not has_mqtt:
        p.note(f"{prefix}.type", f'"{kind}" needs an [mqtt] section: {declared.needs_mqtt}')
    return kind, {**out, "type": kind, "options": options}


def read_sensor(
    table: Mapping, p: Problems, has_mqtt: bool, require_calibration: bool = True
) -> dict:
    """[sensor] and [sensor.calibration] (optional only for `lightctl calibrate`)."""
    kind, out = _read_typed("sensor", table, p, SENSOR_COMMON, SENSOR_KINDS, REQUIRED, has_mqtt)
    cal = table.get("calibration", MISSING)
    if kind in ANALOGUE and not isinstance(cal, Mapping):
        if cal is MISSING and not require_calibration:
            pass
        elif cal is MISSING:
            p.note(
                "sensor.calibration.points",
                f'is required for sensor type "{kind}": [[raw, lux], ...] reference points '
                "turning raw readings into lux; `lightctl calibrate` measures them",
            )
        else:
            p.bad("sensor.calibration", cal, "must be a section [sensor.calibration]", True)
    elif kind in ANALOGUE:
        unknown("sensor.calibration", cal, ["points"], p)
        points = read_keys("sensor.calibration", cal, {"points": (calibration_points, REQUIRED)}, p)
        if "points" in points:
            out["calibration"] = points["points"]
    elif cal is not MISSING and kind is not None:
        p.note(
            "sensor.calibration",
            f"is only for the analogue sensor types {', '.join(ANALOGUE)}; "
            f'"{kind}" reports lux itself',
        )
    return out


def read_relay(table: Mapping, p: Problems, has_mqtt: bool) -> dict:
    """[relay]; a file config without a type means the GPIO relay."""
    return _read_typed("relay", table, p, RELAY_COMMON, RELAY_KINDS, "gpio", has_mqtt)[1]


def read_mqtt(table: Mapping, p: Problems) -> dict:
    """[mqtt]: the broker, credentials, TLS files and topic roots."""
    unknown("mqtt", table, MQTT, p)
    out = read_keys("mqtt", table, MQTT, p)
    if ("certfile" in table) != ("keyfile" in table):
        missing = "mqtt.keyfile" if "certfile" in table else "mqtt.certfile"
        p.note(missing, "certfile and keyfile go together: set both or neither")
    files = [k for k in ("ca_certs", "certfile", "keyfile") if k in table]
    if files and out.get("tls") is False:
        p.note("mqtt.tls", f"is false, but {', '.join(files)} set: set tls = true or remove them")
    elif files and all(k in out for k in files):  # each file exists: can they be loaded?
        found = tls_files_problem(out.get("ca_certs"), out.get("certfile"), out.get("keyfile"))
        if found is not None:
            p.note(f"mqtt.{found[0]}", found[1])
    return out


def read_web(table: Mapping, p: Problems) -> dict:
    """[web]; refuses a network-reachable page without a password."""
    unknown("web", table, WEB, p)
    out = read_keys("web", table, WEB, p)
    if "listen" in out:
        out["host"], out["port"] = out.pop("listen")
        if not is_loopback(out["host"]) and out.get("password_hash") == "":
            p.note(
                "web.listen",
                f"{show('web.listen', table['listen'])} is reachable from the network but "
                "web.password_hash is empty: lightctl refuses to serve the page on the network "
                "without a password; run `lightctl hash-password` and put the result in "
                'web.password_hash, or listen on "127.0.0.1:8080"',
            )
    return out


def read_history(table: Mapping, p: Problems) -> dict:
    """[history]: how many days of samples and switch events to keep."""
    unknown("history", table, HISTORY, p)
    return read_keys("history", table, HISTORY, p)


def read_settings(control: Mapping, schedule: Mapping, p: Problems) -> tuple[Settings, Any]:
    """[control] + [schedule], each value checked once by its record's check (the path
    the HTTP API and MQTT take too); returns (settings, timezone)."""
    merged: dict[str, Any] = {}
    for prefix, table, keys, other, other_keys in (
        ("control", control, CONTROL_KEYS, "schedule", SCHEDULE_KEYS),
        ("schedule", schedule, SCHEDULE_KEYS, "control", CONTROL_KEYS),
    ):
        for key, value in table.items():
            if key in keys:
                merged[key] = value
            elif key in other_keys:
                p.note(f"{prefix}.{key}", f"belongs in [{other}]")
            elif not (prefix == "schedule" and key == "timezone"):
                unknown(
                    prefix, {key: value}, keys if prefix == "control" else [*keys, "timezone"], p
                )
    tz = read_keys("schedule", schedule, {"timezone": (timezone, None)}, p).get("timezone")
    changes, problems = check_patch(Settings(), merged)
    for key, problem in problems.items():
        dotted = f"{FIELDS[key].section}.{key}"
        if isinstance(problem, Bad):
            p.bad(dotted, merged[key], problem.text, problem.wrong_type)
        else:
            p.note(dotted, problem)
    return (Settings() if problems else Settings(**changes)), tz
