"""The configuration file (TOML), read once into frozen, typed objects.

No ``cfg["x"]`` appears past this module. ``load_config`` reads the file and
``parse_config`` validates it (the rules live in ``config_schema``), reporting every
problem at once in a :class:`ConfigError`; ``effective_toml`` prints the result with
secrets masked.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lightctl import config_schema as schema
from lightctl.config_checks import Problems, is_loopback, toml_type
from lightctl.core.model import SensorLimits, Settings
from lightctl.core.settings import to_dict
from lightctl.device_types import Options, typed_section
from lightctl.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("/etc/lightctl/config.toml")
SECRET = "<SECRET>"
#: dotted key -> (the command-line option that gave it, its value), e.g.
#: {"web.listen": ("--listen", "0.0.0.0:8080")}: laid over the file before it is checked
Overrides = Mapping[str, tuple[str, Any]]


@typed_section(schema.SENSOR_KINDS)
@dataclass(frozen=True)
class SensorConfig:
    """[sensor] and [sensor.calibration]: the keys every type shares, and in ``options``
    the type's own keys (declared in ``lightctl/sensors/<type>.py``)."""

    type: str = "simulated"
    interval: float = 1.0
    fault_after: int = 3  # consecutive bad readings before a fault
    max_lux: float = 200_000.0  # readings above this are faults
    stuck_after: float = 0.0  # s: same raw value this long while the sun moves -> fault; 0 = off
    # analogue sensors: raw reading -> lux, [[raw, lux], ...]
    calibration: tuple[tuple[float, float], ...] = ()
    options: Mapping[str, Any] = field(default_factory=Options)

    def limits(self) -> SensorLimits:
        return SensorLimits(
            interval=self.interval, fault_after=self.fault_after, max_lux=self.max_lux
        )


@typed_section(schema.RELAY_KINDS)
@dataclass(frozen=True)
class RelayConfig:
    """[relay]: the keys every type shares, and in ``options`` the type's own keys
    (declared in ``lightctl/relays/<type>.py``)."""

    type: str = "mock"
    on_shutdown: str = "off"  # off | keep: relay state when the daemon stops
    options: Mapping[str, Any] = field(default_factory=Options)


@dataclass(frozen=True)
class MqttConfig:
    """[mqtt]; absent section -> MQTT off, the lamp still works."""

    host: str = "localhost"
    port: int = 1883
    username: str = ""
    password: str = field(default="", repr=False)
    tls: bool = False
    ca_certs: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    base_topic: str = "lightctl"
    discovery_prefix: str = "homeassistant"
    keepalive: int = 30
    state_interval: float = 30.0  # s: light-only state updates at most this often
    entities_off: tuple[str, ...] = ()  # Home Assistant entities to remove, e.g. ("dark",)

    def __repr__(self) -> str:
        return (
            f"MqttConfig(host={self.host!r}, port={self.port}, username={self.username!r}, "
            f"password={SECRET if self.password else ''!r}, tls={self.tls}, "
            f"base_topic={self.base_topic!r}, discovery_prefix={self.discovery_prefix!r})"
        )


@dataclass(frozen=True)
class WebConfig:
    """[web]: the tuning page and API."""

    host: str = "127.0.0.1"
    port: int = 8080
    username: str = "admin"
    password_hash: str = field(default="", repr=False)

    @property
    def listen(self) -> str:
        """ "host:port" as written in the config ("[::1]:8080" for IPv6)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.host)


@dataclass(frozen=True)
class Config:
    """The whole configuration; ``settings`` merges [control] and [schedule]."""

    node_id: str = "lightctl"
    state_dir: Path = Path("/var/lib/lightctl")
    timezone: str | None = None  # [schedule] timezone (IANA); None = the system's
    sensor: SensorConfig = field(default_factory=SensorConfig)
    settings: Settings = field(default_factory=Settings)
    relay: RelayConfig = field(default_factory=RelayConfig)
    mqtt: MqttConfig | None = None
    web: WebConfig = field(default_factory=WebConfig)
    history_days: float = 8.0  # [history] days: how long samples and events are kept


def resolve_path(path: Path | None, environ: Mapping[str, str] = os.environ) -> Path:
    """--config, else $LIGHTCTL_CONFIG, else /etc/lightctl/config.toml."""
    if path is not None:
        return Path(path)
    if environ.get("LIGHTCTL_CONFIG"):
        return Path(environ["LIGHTCTL_CONFIG"])
    return DEFAULT_CONFIG_PATH


def load_config(
    path: Path | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    require_calibration: bool = True,
    overrides: Overrides | None = None,
) -> Config:
    """Read and validate the config file; ConfigError lists every problem found.

    ``require_calibration=False`` lets an analogue sensor lack [sensor.calibration]:
    only `lightctl calibrate`, which measures those points, loads it so. ``overrides``
    (command-line options) are laid over the file before it is checked.
    """
    where = resolve_path(path, environ)
    origin = " (from $LIGHTCTL_CONFIG)" if path is None and environ.get("LIGHTCTL_CONFIG") else ""
    try:
        data = tomllib.loads(where.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            [
                f"{where}{origin}: no such file; copy examples/config.toml there, pass "
                "--config PATH, or try `lightctl run --demo`, which needs none"
            ]
        ) from None
    except OSError as exc:
        raise ConfigError([f"{where}{origin}: cannot be read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{where}: is not UTF-8 text (byte {exc.start})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{where}: is not valid TOML: {exc}"]) from None
    return parse_config(
        data, source=str(where), require_calibration=require_calibration, overrides=overrides
    )


def _laid_over(data: Mapping, overrides: Overrides) -> dict:
    """A copy of the raw TOML with each dotted key set ("web.listen"), before any check;
    a section that is not a table keeps its own error rather than being replaced."""
    out = dict(data)
    for dotted, (_option, value) in overrides.items():
        *tables, key = dotted.split(".")
        node = out
        for name in tables:
            sub = node.get(name, {})
            if not isinstance(sub, Mapping):
                break
            node[name] = dict(sub)
            node = node[name]
        else:
            node[key] = value
    return out


def parse_config(
    data: Mapping,
    *,
    source: str = "config",
    require_calibration: bool = True,
    overrides: Overrides | None = None,
) -> Config:
    """Validate a parsed TOML document into a Config, or raise ConfigError naming every problem.

    ``overrides`` are set in the document first, so they pass the same checks, and a
    problem with one names its option: a validated Config is never patched afterwards."""
    if not isinstance(data, Mapping):
        raise ConfigError([f"{source}: is {toml_type(data)}; must be a table of keys and sections"])
    overrides = overrides or {}
    p = Problems({key: f"{key} (from {option})" for key, (option, _) in overrides.items()})
    data = _laid_over(data, overrides)
    top, tables = schema.read_root(data, p)
    has_mqtt = "mqtt" in data
    mqtt = schema.read_mqtt(tables["mqtt"], p) if "mqtt" in tables else None
    sensor = schema.read_sensor(tables.get("sensor", {}), p, has_mqtt, require_calibration)
    settings, tz = schema.read_settings(tables.get("control", {}), tables.get("schedule", {}), p)
    relay = schema.read_relay(tables.get("relay", {}), p, has_mqtt)
    web = schema.read_web(tables.get("web", {}), p)
    history = schema.read_history(tables.get("history", {}), p)
    if p.items:
        raise ConfigError(p.items)
    return Config(
        node_id=top["node_id"],
        state_dir=Path(top["state_dir"]),
        timezone=tz,
        sensor=SensorConfig(**sensor),
        settings=settings,
        relay=RelayConfig(**relay),
        mqtt=None if mqtt is None else MqttConfig(**mqtt),
        web=WebConfig(**web),
        history_days=history["days"],
    )


def demo_config(state_dir: Path, overrides: Overrides | None = None) -> Config:
    """`lightctl run --demo`: an accelerated simulated day, a mock relay, no hardware, no MQTT."""
    demo = {
        "node_id": "demo",
        "state_dir": str(state_dir),
        "sensor": {"type": "simulated", "speed": 60.0, "interval": 10.0},
        "control": {
            "threshold": 20.0,
            "hysteresis": 20.0,
            "on_delay": 60.0,
            "off_delay": 120.0,
            "smoothing": 3,
        },
        # the simulated sensor's sun is the one over Paris
        "schedule": {"timezone": "Europe/Paris"},
        "relay": {"type": "mock"},
        "web": {"listen": "127.0.0.1:8080"},
    }
    return parse_config(demo, source="the demo", overrides=overrides)


def _toml_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and key == "address":
        return f"{value:#04x}"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(key, v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def effective_toml(cfg: Config, *, reveal_secrets: bool = False) -> str:
    """The effective configuration as TOML (defaults filled in); secrets print as <SECRET>."""

    def secret(value: str) -> str:
        return value if reveal_secrets or not value else SECRET

    sensor, relay, values = cfg.sensor, cfg.relay, to_dict(cfg.settings)
    sections: list[tuple[str, dict[str, Any]]] = [
        ("", {"node_id": cfg.node_id, "state_dir": str(cfg.state_dir)}),
        ("sensor", {k: getattr(sensor, k) for k in ("type", *schema.SENSOR_COMMON)}),
        ("control", {k: values[k] for k in schema.CONTROL_KEYS}),
        ("schedule", {**{k: values[k] for k in schema.SCHEDULE_KEYS}, "timezone": cfg.timezone}),
        ("relay", {k: getattr(relay, k) for k in ("type", *schema.RELAY_COMMON)}),
    ]
    sections[1][1].update(sensor.options)
    if sensor.calibration:
        sections.insert(2, ("sensor.calibration", {"points": sensor.calibration}))
    sections[-1][1].update(relay.options)
    if cfg.mqtt is not None:
        sections.append(("mqtt", {**asdict(cfg.mqtt), "password": secret(cfg.mqtt.password)}))
    web = {"listen": cfg.web.listen, "username": cfg.web.username}
    sections.append(("web", {**web, "password_hash": secret(cfg.web.password_hash)}))
    sections.append(("history", {"days": cfg.history_days}))
    lines: list[str] = []
    for name, table in sections:
        lines += ["", f"[{name}]"] if name else []
        for key, value in table.items():
            unset = f"# {key} is not set"
            lines.append(unset if value is None else f"{key} = {_toml_value(key, value)}")
    return "\n".join(lines).lstrip("\n") + "\n"
