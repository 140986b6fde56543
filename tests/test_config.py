"""The config file: every rule, all problems at once, paths, secrets, effective TOML."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightctl.config import (
    DEFAULT_CONFIG_PATH,
    Config,
    demo_config,
    effective_toml,
    load_config,
    parse_config,
    resolve_path,
)
from lightctl.core.model import FailSafe, Settings
from lightctl.core.settings import SettingsError, apply_patch
from lightctl.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "config.toml"
HASH = "scrypt:32768:8:1$saltsalt$" + "0123456789abcdef" * 8
PASSWORD = "broker-pass-Xy7"

FULL = """\
node_id = "porch"
state_dir = "{tmp}/state"

[sensor]
type = "ads1115"
interval = 2
fault_after = 5
max_lux = 100000
stuck_after = 600
channel = 1
address = 0x49
bus = 3
gain = 2.048

[sensor.calibration]
points = [[0.55, 200.0], [0.12, 5.0], [0.3, 50]]

[control]
threshold = 15.5
hysteresis = 10
on_delay = 45
off_delay = 90
smoothing = 7
min_on = 600
min_off = 120
fail_safe = "hold"

[schedule]
off_window = "23:30-05:30"
latitude = 48.85
longitude = 2.35
sun_max_elevation = -3
timezone = "Europe/Paris"

[relay]
type = "mqtt"
on_shutdown = "keep"
command_topic = "zigbee2mqtt/plug/set"
state_topic = "zigbee2mqtt/plug"
payload_on = "on"
payload_off = "off"
state_on = "on"
state_off = "off"
confirm_timeout = 2.5

[mqtt]
host = "broker.lan"
port = 8883
username = "lightctl"
password = "{password}"
tls = true
ca_certs = "{tmp}/ca.crt"
certfile = "{tmp}/client.crt"
keyfile = "{tmp}/client.key"
base_topic = "home/lightctl"
discovery_prefix = "ha"
keepalive = 60
state_interval = 10

[web]
listen = "0.0.0.0:8081"
username = "me"
password_hash = "{hash}"

[history]
days = 14
"""


@pytest.fixture
def full(tmp_path: Path) -> Path:
    """A config file using every section, with real TLS files next to it."""
    for name in ("ca.crt", "client.crt", "client.key"):
        (tmp_path / name).write_bytes((TLS / name).read_bytes())
    path = tmp_path / "config.toml"
    path.write_text(FULL.format(tmp=tmp_path, password=PASSWORD, hash=HASH))
    return path


def problems_of(data: dict[str, Any]) -> list[str]:
    """The problems parse_config reports for ``data`` (fails if it parses)."""
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return info.value.problems


#: a test CA, a client certificate it signed, the client's key, and that key with a
#: passphrase ("secret"): made once with openssl, valid for a hundred years
TLS = Path(__file__).parent / "data" / "tls"

BASE: dict[str, Any] = {"sensor": {"type": "file", "path": "/run/lux"}, "relay": {"type": "mock"}}
DROP = object()


def merged(patch: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """``base`` (default BASE) with ``patch`` merged in, section by section; DROP removes."""
    out = copy.deepcopy(BASE if base is None else base)
    for key, value in patch.items():
        if value is DROP:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(value, out[key])
        else:
            out[key] = value
    return out


# --- good configs -----------------------------------------------------------------------


def test_full_config_loads_every_value(full: Path) -> None:
    """Every key of a complete file lands in the typed objects, with the right types."""
    cfg = load_config(full)
    assert cfg.node_id == "porch" and cfg.state_dir == full.parent / "state"
    assert cfg.timezone == "Europe/Paris" and cfg.history_days == 14.0
    s = cfg.sensor
    assert (s.type, s.interval, s.fault_after, s.max_lux, s.stuck_after) == (
        "ads1115",
        2.0,
        5,
        100000.0,
        600.0,
    )
    assert isinstance(s.interval, float) and (s.channel, s.address, s.bus, s.gain) == (
        1,
        0x49,
        3,
        2.048,
    )
    assert s.calibration == ((0.12, 5.0), (0.3, 50.0), (0.55, 200.0))  # sorted by raw
    assert cfg.settings == Settings(
        threshold=15.5,
        hysteresis=10.0,
        on_delay=45.0,
        off_delay=90.0,
        smoothing=7,
        min_on=600.0,
        min_off=120.0,
        fail_safe=FailSafe.HOLD,
        off_window="23:30-05:30",
        latitude=48.85,
        longitude=2.35,
        sun_max_elevation=-3.0,
    )
    r = cfg.relay
    assert (r.type, r.on_shutdown, r.command_topic, r.state_topic) == (
        "mqtt",
        "keep",
        "zigbee2mqtt/plug/set",
        "zigbee2mqtt/plug",
    )
    assert (r.payload_on, r.payload_off, r.state_on, r.state_off, r.confirm_timeout) == (
        "on",
        "off",
        "on",
        "off",
        2.5,
    )
    m = cfg.mqtt
    assert m is not None and (m.host, m.port, m.username, m.password, m.tls) == (
        "broker.lan",
        8883,
        "lightctl",
        PASSWORD,
        True,
    )
    assert (m.base_topic, m.discovery_prefix, m.keepalive, m.state_interval) == (
        "home/lightctl",
        "ha",
        60,
        10.0,
    )
    assert m.ca_certs == str(full.parent / "ca.crt")
    w = cfg.web
    assert (w.host, w.port, w.username, w.password_hash, w.is_loopback) == (
        "0.0.0.0",
        8081,
        "me",
        HASH,
        False,
    )


def test_effective_toml_round_trips(full: Path) -> None:
    """The effective TOML (secrets revealed on request) parses back to the same Config."""
    cfg = load_config(full)
    text = effective_toml(cfg, reveal_secrets=True)
    assert parse_config(tomllib.loads(text)) == cfg
    assert "address = 0x49" in text


def test_defaults_of_a_minimal_file(tmp_path: Path) -> None:
    """Only a sensor: gpio relay on pin 17, loopback web page, no MQTT, default settings."""
    path = tmp_path / "c.toml"
    path.write_text('[sensor]\ntype = "bh1750"\n')
    cfg = load_config(path)
    assert (cfg.relay.type, cfg.relay.pin, cfg.relay.active_high) == ("gpio", 17, True)
    assert cfg.mqtt is None and cfg.web.listen == "127.0.0.1:8080" and cfg.web.is_loopback
    assert (cfg.sensor.address, cfg.sensor.bus) == (0x23, 1)
    assert cfg.settings == Settings() and cfg.history_days == 8.0 and cfg.timezone is None
    assert cfg.node_id == "lightctl" and cfg.state_dir == Path("/var/lib/lightctl")


@pytest.mark.parametrize(
    ("sensor", "field", "value"),
    [
        ({"type": "ads1115", "channel": 0}, "address", 0x48),
        ({"type": "bh1750"}, "address", 0x23),
        ({"type": "bh1750", "address": 0x5C}, "address", 0x5C),
        ({"type": "mcp3008", "channel": 7}, "device", 0),
        ({"type": "ldr_rc", "pin": 4}, "charge_time_limit", 0.05),
        ({"type": "iio", "name": "bh1750"}, "path", None),
        ({"type": "iio", "path": "/sys/bus/iio/devices/iio:device0"}, "name", None),
        ({"type": "simulated"}, "speed", 1.0),
        ({"type": "simulated", "speed": 60, "seed": 7}, "seed", 7),
    ],
)
def test_per_type_defaults(sensor: dict, field: str, value: Any) -> None:
    """Each sensor type gets its own defaults (I2C address per chip, ...)."""
    cal = {"calibration": {"points": [[1, 1], [2, 2]]}}
    if sensor["type"] in ("ldr_rc", "mcp3008", "ads1115"):
        sensor = {**sensor, **cal}
    cfg = parse_config(merged({"sensor": DROP}) | {"sensor": sensor})
    assert getattr(cfg.sensor, field) == value


@pytest.mark.parametrize(
    ("listen", "host", "port", "loopback"),
    [
        ("127.0.0.1:8080", "127.0.0.1", 8080, True),
        ("localhost:0", "localhost", 0, True),
        ("[::1]:8080", "::1", 8080, True),
        ("127.0.1.1:80", "127.0.1.1", 80, True),
        ("pi.local:8080", "pi.local", 8080, False),
        ("[::]:9000", "::", 9000, False),
    ],
)
def test_listen_forms(listen: str, host: str, port: int, loopback: bool) -> None:
    """IPv4, host names and bracketed IPv6 are accepted; listen prints back the same way."""
    cfg = parse_config(merged({"web": {"listen": listen, "password_hash": HASH}}))
    assert (cfg.web.host, cfg.web.port, cfg.web.is_loopback) == (host, port, loopback)
    assert cfg.web.listen == listen


def test_integers_are_fine_where_floats_are_allowed() -> None:
    """interval = 2 (a TOML integer) becomes 2.0."""
    cfg = parse_config(merged({"sensor": {"interval": 2}, "control": {"threshold": 7}}))
    assert cfg.sensor.interval == 2.0 and isinstance(cfg.sensor.interval, float)
    assert cfg.settings.threshold == 7.0


def test_example_config_parses() -> None:
    """examples/config.toml, the file users copy, is valid as shipped."""
    cfg = load_config(EXAMPLE)
    assert cfg.sensor.type == "bh1750" and cfg.relay.type == "gpio"
    assert cfg.web.is_loopback


def test_demo_config() -> None:
    """The demo: accelerated simulated sensor, mock relay, loopback web, no MQTT; it validates."""
    cfg = demo_config(Path("/tmp/demo-state"))
    assert (cfg.node_id, cfg.state_dir, cfg.mqtt) == ("demo", Path("/tmp/demo-state"), None)
    assert (cfg.sensor.type, cfg.sensor.speed, cfg.sensor.interval) == ("simulated", 60.0, 10.0)
    assert cfg.relay.type == "mock" and cfg.web.listen == "127.0.0.1:8080"
    s = cfg.settings
    assert (s.threshold, s.hysteresis, s.on_delay, s.off_delay, s.smoothing) == (20, 20, 60, 120, 3)
    assert parse_config(tomllib.loads(effective_toml(cfg))) == cfg


# --- one failing example per rule -----------------------------------------------------------

MQ: dict[str, Any] = {"mqtt": {}}
CAL = {"calibration": {"points": [[1, 1], [2, 2]]}}

CASES: list[tuple[dict[str, Any], str, str]] = [
    # top level
    ({"node_id": "Porch!"}, "node_id", '"Porch!" is not allowed: must be 1 to 32 of a-z'),
    ({"node_id": "a" * 33}, "node_id", "is not allowed"),
    ({"node_id": ""}, "node_id", "is not allowed"),
    ({"node_id": 5}, "node_id", "5 is an integer"),
    ({"state_dir": ""}, "state_dir", "must be a non-empty folder path"),
    ({"state_dir": 3}, "state_dir", "is an integer"),
    ({"sensors": {}}, "sensors", 'unknown key in the top level (did you mean "sensor"?)'),
    ({"control": 5}, "control", "5 is an integer; must be a section [control]"),
    ({"history": {"days": 0}}, "history.days", "must be a number from 1 to 366 days"),
    ({"history": {"days": 367}}, "history.days", "is not allowed"),
    ({"history": {"days": "8"}}, "history.days", '"8" is a string'),
    ({"history": {"keep": 8}}, "history.keep", "unknown key in [history]"),
    # sensor, common keys
    ({"sensor": {"type": DROP}}, "sensor.type", "is required: must be one of ldr_rc, mcp3008"),
    ({"sensor": DROP}, "sensor.type", "is required"),
    ({"sensor": {"type": "tsl2561"}}, "sensor.type", '"tsl2561" is not allowed: must be one of'),
    ({"sensor": {"interval": 0.01}}, "sensor.interval", "from 0.05 to 3600 s"),
    ({"sensor": {"interval": 4000}}, "sensor.interval", "is not allowed"),
    ({"sensor": {"interval": True}}, "sensor.interval", "true is a boolean; must be a number"),
    ({"sensor": {"interval": float("nan")}}, "sensor.interval", "is not allowed"),
    ({"sensor": {"fault_after": 0}}, "sensor.fault_after", "from 1 to 1000"),
    ({"sensor": {"fault_after": 1001}}, "sensor.fault_after", "is not allowed"),
    ({"sensor": {"fault_after": 2.5}}, "sensor.fault_after", "whole number"),
    ({"sensor": {"max_lux": 0}}, "sensor.max_lux", "must be a number above 0 lx"),
    ({"sensor": {"stuck_after": -1}}, "sensor.stuck_after", "of 0 s or more"),
    ({"sensor": {"intervall": 1}}, "sensor.intervall", '(did you mean "interval"?)'),
    # sensor, per type
    ({"sensor": {"type": "ldr_rc", **CAL}}, "sensor.pin", 'required for sensor type "ldr_rc"'),
    ({"sensor": {"type": "ldr_rc", "pin": 28, **CAL}}, "sensor.pin", "from 0 to 27"),
    (
        {"sensor": {"type": "ldr_rc", "pin": 4, "charge_time_limit": 2, **CAL}},
        "sensor.charge_time_limit",
        "from 0.001 to 1 s",
    ),
    ({"sensor": {"type": "mcp3008", **CAL}}, "sensor.channel", "is required"),
    ({"sensor": {"type": "mcp3008", "channel": 8, **CAL}}, "sensor.channel", "from 0 to 7"),
    (
        {"sensor": {"type": "mcp3008", "channel": 0, "device": 2, **CAL}},
        "sensor.device",
        "one of 0, 1",
    ),
    ({"sensor": {"type": "ads1115", "channel": 4, **CAL}}, "sensor.channel", "from 0 to 3"),
    (
        {"sensor": {"type": "ads1115", "channel": 0, "address": 0x4C, **CAL}},
        "sensor.address",
        "from 0x48 to 0x4b",
    ),
    (
        {"sensor": {"type": "ads1115", "channel": 0, "gain": 5.0, **CAL}},
        "sensor.gain",
        "one of 6.144, 4.096, 2.048, 1.024, 0.512, 0.256",
    ),
    ({"sensor": {"type": "ads1115", "channel": 0, "bus": -1, **CAL}}, "sensor.bus", "0 to 255"),
    ({"sensor": {"type": "bh1750", "address": 0x24}}, "sensor.address", "one of 0x23, 0x5c"),
    ({"sensor": {"type": "bh1750", "address": "0x23"}}, "sensor.address", "is a string"),
    ({"sensor": {"type": "iio", "path": DROP}}, "sensor.path", "exactly one of path"),
    ({"sensor": {"type": "iio", "path": "/x", "name": "y"}}, "sensor.path", "exactly one of"),
    ({"sensor": {"path": DROP}}, "sensor.path", 'is required for sensor type "file"'),
    ({"sensor": {"path": ""}}, "sensor.path", "non-empty file path"),
    ({"sensor": {"type": "mqtt", "topic": "a/+/lux", **MQ}}, "sensor.topic", "without + or #"),
    ({"sensor": {"type": "mqtt", **MQ}}, "sensor.topic", 'required for sensor type "mqtt"'),
    ({"sensor": {"type": "mqtt", "topic": "z/lux"}}, "sensor.type", "needs an [mqtt] section"),
    (
        {"sensor": {"type": "mqtt", "topic": "z", "json_key": 3, **MQ}},
        "sensor.json_key",
        "is an integer",
    ),
    ({"sensor": {"type": "simulated", "speed": 0}}, "sensor.speed", "above 0"),
    ({"sensor": {"type": "simulated", "seed": -1}}, "sensor.seed", "whole number"),
    ({"sensor": {"pin": 4}}, "sensor.pin", 'not used by sensor type "file", only by: ldr_rc'),
    ({"sensor": {"bus": 1}}, "sensor.bus", "only by: ads1115, bh1750"),
    # calibration
    ({"sensor": {"type": "mcp3008", "channel": 0}}, "sensor.calibration.points", "calibrate"),
    (
        {"sensor": CAL},
        "sensor.calibration",
        'analogue sensor types ldr_rc, mcp3008, ads1115; "file',
    ),
    *[
        (
            {"sensor": {"type": "mcp3008", "channel": 0, "calibration": {"points": pts}}},
            "sensor.calibration.points",
            "`lightctl calibrate`",
        )
        for pts in (
            [[1, 1]],
            [],
            [[0, 1], [2, 2]],
            [[1, -1], [2, 2]],
            [[1, 1], [1, 2]],
            [[1, 1], [2, 5], [3, 2]],
            [[1, 1], [2, 1]],
            [[1, 1], [2, True]],
            [[1, 1], [2, "2"]],
            [[1, 1, 1], [2, 2, 2]],
            "1:1, 2:2",
        )
    ],
    (
        {"sensor": {"type": "mcp3008", "channel": 0, "calibration": [[1, 1], [2, 2]]}},
        "sensor.calibration",
        "must be a section [sensor.calibration]",
    ),
    (
        {"sensor": {"type": "mcp3008", "channel": 0, "calibration": {"point": [[1, 1], [2, 2]]}}},
        "sensor.calibration.point",
        '(did you mean "points"?)',
    ),
    # control and schedule (the apply_patch path)
    ({"control": {"threshold": -5}}, "control.threshold", "-5 is not allowed: must be a number"),
    ({"control": {"threshold": "5"}}, "control.threshold", '"5" is a string; must be a number'),
    ({"control": {"hysteresis": 1e9}}, "control.hysteresis", "is not allowed"),
    ({"control": {"on_delay": -1}}, "control.on_delay", "is not allowed"),
    ({"control": {"off_delay": 86401}}, "control.off_delay", "is not allowed"),
    ({"control": {"smoothing": 0}}, "control.smoothing", "whole number from 1 to 600"),
    ({"control": {"smoothing": True}}, "control.smoothing", "true is a boolean"),
    ({"control": {"min_on": -1}}, "control.min_on", "is not allowed"),
    ({"control": {"min_off": "1"}}, "control.min_off", "is a string"),
    ({"control": {"fail_safe": "maybe"}}, "control.fail_safe", "must be one of on, off, hold"),
    ({"control": {"treshold": 5}}, "control.treshold", '(did you mean "threshold"?)'),
    ({"control": {"off_window": "23:00-05:00"}}, "control.off_window", "belongs in [schedule]"),
    ({"schedule": {"threshold": 5}}, "schedule.threshold", "belongs in [control]"),
    ({"schedule": {"off_window": "25:00-01:00"}}, "schedule.off_window", "hours go from 00"),
    ({"schedule": {"off_window": "evening"}}, "schedule.off_window", "HH:MM-HH:MM"),
    ({"schedule": {"latitude": 91, "longitude": 0}}, "schedule.latitude", "from -90 to 90"),
    ({"schedule": {"longitude": 181, "latitude": 0}}, "schedule.longitude", "-180 to 180"),
    ({"schedule": {"latitude": 48.8}}, "schedule.longitude", "go together"),
    ({"schedule": {"sun_max_elevation": 95}}, "schedule.sun_max_elevation", "is not allowed"),
    ({"schedule": {"timezone": "Mars/Olympus"}}, "schedule.timezone", "IANA time zone"),
    ({"schedule": {"timezone": "../etc/passwd"}}, "schedule.timezone", "IANA time zone"),
    ({"schedule": {"timezone": 1}}, "schedule.timezone", "is an integer"),
    ({"schedule": {"timezon": "UTC"}}, "schedule.timezon", '(did you mean "timezone"?)'),
    # relay
    ({"relay": {"type": "ssr"}}, "relay.type", "one of gpio, mqtt, mock"),
    ({"relay": {"type": "gpio", "pin": 28}}, "relay.pin", "from 0 to 27"),
    ({"relay": {"type": "gpio", "active_high": "yes"}}, "relay.active_high", '"yes" is a string'),
    ({"relay": {"type": "gpio", "active_high": 1}}, "relay.active_high", "true or false"),
    ({"relay": {"on_shutdown": "on"}}, "relay.on_shutdown", "one of off, keep"),
    ({"relay": {"type": "mqtt", **MQ}}, "relay.command_topic", "is required"),
    ({"relay": {"type": "mqtt", "command_topic": "p/#", **MQ}}, "relay.command_topic", "#"),
    ({"relay": {"type": "mqtt", "command_topic": "p/set"}}, "relay.type", "[mqtt] section"),
    (
        {"relay": {"type": "mqtt", "command_topic": "p", "state_topic": "+", **MQ}},
        "relay.state_topic",
        "wildcards",
    ),
    (
        {"relay": {"type": "mqtt", "command_topic": "p", "confirm_timeout": 0.1}, **MQ},
        "relay.confirm_timeout",
        "from 0.5 to 60 s",
    ),
    (
        {"relay": {"type": "mqtt", "command_topic": "p", "payload_on": ""}, **MQ},
        "relay.payload_on",
        "non-empty",
    ),
    (
        {"relay": {"type": "mqtt", "command_topic": "p", "state_on": 1}, **MQ},
        "relay.state_on",
        "a non-empty text or true/false",
    ),
    (
        {
            "relay": {"type": "mqtt", "command_topic": "p", "state_on": "on", "state_off": "ON"},
            **MQ,
        },
        "relay.state_off",
        "the plug's two states must differ",
    ),  # fmt: skip
    (
        {"relay": {"type": "mqtt", "command_topic": "p", "state_key": ""}, **MQ},
        "relay.state_key",
        "non-empty",
    ),  # fmt: skip
    ({"relay": {"pin": 17}}, "relay.pin", 'not used by relay type "mock", only by: gpio'),
    ({"relay": {"pins": 17}}, "relay.pins", '(did you mean "pin"?)'),
    # mqtt
    ({"mqtt": {"host": ""}}, "mqtt.host", "non-empty host name"),
    ({"mqtt": {"port": 0}}, "mqtt.port", "from 1 to 65535"),
    ({"mqtt": {"port": 70000}}, "mqtt.port", "is not allowed"),
    ({"mqtt": {"tls": "no"}}, "mqtt.tls", "true or false"),
    ({"mqtt": {"username": 5}}, "mqtt.username", "is an integer"),
    ({"mqtt": {"tls": True, "ca_certs": "/nonexistent/ca.crt"}}, "mqtt.ca_certs", "existing file"),
    ({"mqtt": {"tls": True, "certfile": "/etc/hostname"}}, "mqtt.keyfile", "go together"),
    ({"mqtt": {"ca_certs": "/etc/hostname"}}, "mqtt.tls", "set tls = true"),
    (
        {"mqtt": {"tls": True, "ca_certs": str(TLS / "client.key")}},
        "mqtt.ca_certs",
        "holds no certificate that can be loaded",
    ),  # fmt: skip
    (
        {
            "mqtt": {
                "tls": True,
                "certfile": str(TLS / "ca.crt"),  # not the key's certificate
                "keyfile": str(TLS / "client.key"),
            }
        },
        "mqtt.certfile",
        "with keyfile, cannot be loaded",
    ),  # fmt: skip
    (
        {
            "mqtt": {
                "tls": True,
                "certfile": str(TLS / "client.crt"),
                "keyfile": str(TLS / "client-encrypted.key"),
            }
        },
        "mqtt.keyfile",
        "has a passphrase",
    ),  # fmt: skip
    ({"mqtt": {"base_topic": "/home"}}, "mqtt.base_topic", "leading or trailing /"),
    ({"mqtt": {"base_topic": "home/"}}, "mqtt.base_topic", "is not allowed"),
    ({"mqtt": {"base_topic": "a/#"}}, "mqtt.base_topic", "is not allowed"),
    ({"mqtt": {"discovery_prefix": ""}}, "mqtt.discovery_prefix", "non-empty MQTT topic"),
    ({"mqtt": {"keepalive": 1}}, "mqtt.keepalive", "from 5 to 3600 s"),
    ({"mqtt": {"state_interval": -1}}, "mqtt.state_interval", "from 0 to 3600 s"),
    ({"mqtt": {"hots": "x"}}, "mqtt.hots", '(did you mean "host"?)'),
    # web
    ({"web": {"listen": "8080"}}, "web.listen", '"host:port"'),
    ({"web": {"listen": 8080}}, "web.listen", "is an integer"),
    ({"web": {"listen": "localhost:99999"}}, "web.listen", "port 1 to 65535"),
    ({"web": {"listen": "[zz]:80"}}, "web.listen", "is not allowed"),
    ({"web": {"listen": "[::1]:8080:1"}}, "web.listen", "is not allowed"),
    ({"web": {"listen": "999.1.1.1:80"}}, "web.listen", "is not allowed"),
    ({"web": {"listen": ":8080"}}, "web.listen", "is not allowed"),
    ({"web": {"username": ""}}, "web.username", "non-empty"),
    ({"web": {"password_hash": "plain"}}, "web.password_hash", '"scrypt:" or "pbkdf2:"'),
    ({"web": {"listen": "0.0.0.0:8080"}}, "web.listen", "refuses to serve the page on the net"),
    ({"web": {"listen": "[::]:8080"}}, "web.listen", "`lightctl hash-password`"),
    ({"web": {"passwd": "x"}}, "web.passwd", "unknown key in [web]"),
]


@pytest.mark.parametrize(("patch", "key", "fragment"), CASES)
def test_each_rule_rejects_a_bad_value(patch: dict, key: str, fragment: str) -> None:
    """The bad value is reported on a line that starts with its dotted key and says the rule."""
    problems = problems_of(merged(patch))
    assert any(p.startswith(f"{key}: ") and fragment in p for p in problems), problems


def test_control_goes_through_apply_patch() -> None:
    """A bad [control] value gets exactly apply_patch's rule (one path for config, API, MQTT)."""
    with pytest.raises(SettingsError) as info:
        apply_patch(Settings(), {"threshold": -5})
    rule = info.value.problems["threshold"].removesuffix(", got -5")
    assert problems_of(merged({"control": {"threshold": -5}})) == [
        f"control.threshold: -5 is not allowed: {rule}"
    ]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """A file with many mistakes in many sections names each of them in one error."""
    path = tmp_path / "bad.toml"
    path.write_text(
        'node_id = "Bad Id"\n'
        '[sensor]\ntype = "ldr_rc"\npin = 99\ninterval = 0\n'
        "[control]\nthreshold = -5\nhysterisis = 3\n"
        '[relay]\ntype = "gpio"\npin = 40\n'
        '[web]\nlisten = "0.0.0.0:80"\n'
        "[history]\ndays = 1000\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    keys = [p.split(":", 1)[0] for p in info.value.problems]
    assert keys == [
        "node_id",
        "sensor.interval",
        "sensor.pin",
        "sensor.calibration.points",
        "control.hysterisis",
        "control.threshold",
        "relay.pin",
        "web.listen",
        "history.days",
    ]
    assert all("\n" not in p for p in info.value.problems)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    """A TOML syntax error is a ConfigError naming the file and the line."""
    path = tmp_path / "broken.toml"
    path.write_text('node_id = "x"\n[sensor]\ntype = \n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert str(path) in problem and "not valid TOML" in problem and "line 3" in problem


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda d: d / "missing.toml", "no such file"),
        (lambda d: d, "cannot be read"),
        (
            lambda d: (
                (d / "latin1.toml").write_bytes(b'node_id = "caf\xe9"\n') and d / "latin1.toml"
            ),
            "not UTF-8",
        ),
    ],
)
def test_unreadable_files(tmp_path: Path, make: Any, fragment: str) -> None:
    """Missing, unreadable and non-UTF-8 files are ConfigErrors naming the path."""
    path = make(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert fragment in info.value.problems[0] and str(path) in info.value.problems[0]


def test_not_a_table() -> None:
    """parse_config of something that is not a mapping is a ConfigError, not a crash."""
    with pytest.raises(ConfigError, match="must be a table"):
        parse_config([1, 2])  # type: ignore[arg-type]


# --- path resolution ---------------------------------------------------------------------


def test_resolve_path_order(tmp_path: Path) -> None:
    """--config wins over $LIGHTCTL_CONFIG, which wins over /etc/lightctl/config.toml."""
    env = {"LIGHTCTL_CONFIG": str(tmp_path / "env.toml")}
    assert resolve_path(tmp_path / "cli.toml", env) == tmp_path / "cli.toml"
    assert resolve_path(None, env) == tmp_path / "env.toml"
    assert resolve_path(None, {}) == DEFAULT_CONFIG_PATH == Path("/etc/lightctl/config.toml")
    assert resolve_path(None, {"LIGHTCTL_CONFIG": ""}) == DEFAULT_CONFIG_PATH


def test_load_config_reads_the_env_path(tmp_path: Path) -> None:
    """load_config() without a path reads $LIGHTCTL_CONFIG, and says so when it is missing."""
    path = tmp_path / "env.toml"
    path.write_text('node_id = "from_env"\n[sensor]\ntype = "bh1750"\n')
    assert load_config(environ={"LIGHTCTL_CONFIG": str(path)}).node_id == "from_env"
    with pytest.raises(ConfigError, match=r"\$LIGHTCTL_CONFIG"):
        load_config(environ={"LIGHTCTL_CONFIG": str(tmp_path / "nope.toml")})


# --- secrets -----------------------------------------------------------------------------


def test_secrets_never_in_repr_or_effective_toml(full: Path) -> None:
    """The MQTT password and the page's password hash print as <SECRET>, never in clear."""
    cfg = load_config(full)
    for text in (repr(cfg), str(cfg), repr(cfg.mqtt), repr(cfg.web), effective_toml(cfg)):
        assert PASSWORD not in text and HASH not in text and "$salt$" not in text
    toml = tomllib.loads(effective_toml(cfg))
    assert toml["mqtt"]["password"] == "<SECRET>" and toml["web"]["password_hash"] == "<SECRET>"


def test_secrets_never_in_problems() -> None:
    """A wrong password_hash (maybe a password typed in by mistake) is not echoed back."""
    problems = problems_of(merged({"web": {"password_hash": "hunter2"}, "mqtt": {"password": 5}}))
    assert problems and not any("hunter2" in p for p in problems)
    assert any(p.startswith("web.password_hash: <SECRET> is not allowed") for p in problems)


def test_empty_secrets_print_empty() -> None:
    """An unset password stays visibly empty, so check-config shows there is none."""
    text = effective_toml(parse_config(merged({"mqtt": {}})))
    assert 'password = ""' in text and 'password_hash = ""' in text


# --- garbage never crashes -------------------------------------------------------------------

GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["", "0x23", "127.0.0.1:0", "[::1]:1", "23:30-05:30", "UTC", "a/+", "#"]),
    st.lists(st.one_of(st.integers(), st.floats(), st.text(max_size=3)), max_size=3),
    st.lists(st.lists(st.one_of(st.integers(), st.floats()), max_size=3), max_size=4),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
    st.datetimes(),
    st.just(dt.time(1, 2)),
    st.sampled_from([10**400, -(10**5000), [[10**400, 1], [1, 2]], [10**5000]]),
)


def _full_data(tmp: Path) -> dict[str, Any]:
    return tomllib.loads(FULL.format(tmp=tmp, password=PASSWORD, hash=HASH))


def _paths(data: dict[str, Any], prefix: tuple = ()) -> list[tuple]:
    out = []
    for key, value in data.items():
        out.append((*prefix, key))
        if isinstance(value, dict):
            out += _paths(value, (*prefix, key))
    return out


def _like(value: Any) -> st.SearchStrategy:
    """Values of the same TOML type as ``value``, so that many drawn configs are valid."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(min_value=-5, max_value=100_000)
    if isinstance(value, float):
        return st.floats(min_value=-100, max_value=300_000)
    if isinstance(value, str):
        return st.text(alphabet="abz09_-/:. ", min_size=1, max_size=12)
    return GARBAGE


EXTRA_KEYS = [("sensor", k) for k in ("type", "pin", "path", "name", "topic", "speed", "seed")]
EXTRA_KEYS += [("relay", "type"), ("relay", "pin"), ("relay", "active_high"), ("bogus",)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_garbage_values_parse_or_raise_config_error(data: st.DataObject) -> None:
    """Any value for any key parses (and round-trips through effective_toml) or raises
    ConfigError; never another exception."""
    doc = _full_data(Path("/nonexistent"))
    doc["mqtt"] = {
        k: v for k, v in doc["mqtt"].items() if k not in ("ca_certs", "certfile", "keyfile", "tls")
    }
    keys = data.draw(st.lists(st.sampled_from(_paths(doc) + EXTRA_KEYS), min_size=1, max_size=2))
    for path in keys:
        table = doc
        for part in path[:-1]:
            if not isinstance(table.get(part), dict):
                table[part] = {}
            table = table[part]
        like = _like(table.get(path[-1]))
        table[path[-1]] = data.draw(st.one_of(like, like, GARBAGE))
    try:
        cfg = parse_config(doc)
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
    else:
        assert isinstance(cfg, Config)
        assert parse_config(tomllib.loads(effective_toml(cfg, reveal_secrets=True))) == cfg


def test_mqtt_entities_off() -> None:
    """[mqtt] entities_off lists Home Assistant entities to remove; unknown names are errors."""
    base = {"sensor": {"type": "simulated"}, "relay": {"type": "mock"}}
    cfg = parse_config({**base, "mqtt": {"entities_off": ["dark", "problem"]}})
    assert cfg.mqtt is not None and cfg.mqtt.entities_off == ("dark", "problem")
    assert parse_config(tomllib.loads(effective_toml(cfg, reveal_secrets=True))) == cfg
    for bad in (["drak"], "dark", ["dark", "dark"], [1]):
        with pytest.raises(ConfigError, match=r"mqtt\.entities_off"):
            parse_config({**base, "mqtt": {"entities_off": bad}})


# --- command-line options laid over the file -------------------------------------------------


def test_listen_option_is_checked_with_the_file(tmp_path: Path) -> None:
    """--listen goes into the raw file before it is checked: a network address without a
    password is refused by the config's own rule, naming the option."""
    path = tmp_path / "c.toml"
    path.write_text('[sensor]\ntype = "simulated"\n[relay]\ntype = "mock"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides={"web.listen": ("--listen", "0.0.0.0:8080")})
    (line,) = info.value.problems
    assert line.startswith('web.listen (from --listen): "0.0.0.0:8080" is reachable from the net')
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides={"web.listen": ("--listen", "porch")})
    assert info.value.problems[0].startswith('web.listen (from --listen): "porch" is not allowed')
    cfg = load_config(
        path,
        overrides={"web.listen": ("--listen", "[::1]:9000"), "state_dir": ("--state-dir", "/x")},
    )
    assert (cfg.web.host, cfg.web.port, cfg.state_dir) == ("::1", 9000, Path("/x"))
    assert load_config(path).web.listen == "127.0.0.1:8080"  # the file itself is untouched


def test_listen_option_keeps_the_password_of_the_file() -> None:
    """A network --listen over a file with a password hash is fine; a [web] that is not a
    table keeps its own error rather than being replaced by the option."""
    data = merged({"web": {"password_hash": HASH}})
    cfg = parse_config(data, overrides={"web.listen": ("--listen", "0.0.0.0:8080")})
    assert cfg.web.listen == "0.0.0.0:8080" and not cfg.web.is_loopback
    assert data["web"] == {"password_hash": HASH}  # the caller's document is not changed
    with pytest.raises(ConfigError, match=r"^web: 5 is an integer; must be a section"):
        parse_config({**data, "web": 5}, overrides={"web.listen": ("--listen", "0.0.0.0:1")})


def test_demo_takes_the_options() -> None:
    """`run --demo --listen ... --state-dir ...`: the demo's document with the options."""
    cfg = demo_config(Path("/tmp/d"), {"web.listen": ("--listen", "127.0.0.1:0")})
    assert (cfg.web.port, cfg.state_dir) == (0, Path("/tmp/d"))
    with pytest.raises(ConfigError, match="from --listen"):
        demo_config(Path("/tmp/d"), {"web.listen": ("--listen", "0.0.0.0:8080")})
