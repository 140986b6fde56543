"""The configuration file (TOML), read once into frozen, typed objects.

No ``cfg["x"]`` appears past this module. Parsing and validation fill these
classes; see ``load_config``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lightctl.core.model import SensorLimits, Settings

DEFAULT_CONFIG_PATH = Path("/etc/lightctl/config.toml")
SECRET = "<SECRET>"


@dataclass(frozen=True)
class SensorConfig:
    """[sensor] and [sensor.calibration]; per-type keys are None when not used."""

    type: str = "simulated"
    interval: float = 1.0
    fault_after: int = 3  # consecutive bad readings before a fault
    max_lux: float = 200_000.0  # readings above this are faults
    stuck_after: float = 0.0  # s: same raw value this long while the sun moves -> fault; 0 = off
    # ldr_rc
    pin: int | None = None
    charge_time_limit: float = 0.05  # s: longest RC charge before "too dark / open circuit"
    # mcp3008 (channel 0-7, device = SPI chip select 0/1), ads1115 (channel 0-3, gain)
    channel: int | None = None
    device: int = 0
    gain: float = 4.096  # ads1115 full-scale range in volts
    # ads1115 / bh1750
    bus: int = 1
    address: int | None = None
    # iio (path or name), file (path)
    path: str | None = None
    name: str | None = None
    # mqtt
    topic: str | None = None
    json_key: str | None = None
    # simulated
    speed: float = 1.0  # simulated seconds per real second (the demo accelerates the day)
    seed: int = 0
    # analogue sensors: raw reading -> lux, [[raw, lux], ...]
    calibration: tuple[tuple[float, float], ...] = ()

    def limits(self) -> SensorLimits:
        return SensorLimits(
            interval=self.interval, fault_after=self.fault_after, max_lux=self.max_lux
        )


@dataclass(frozen=True)
class RelayConfig:
    """[relay]: gpio | mqtt | mock."""

    type: str = "mock"
    pin: int = 17
    active_high: bool = True
    on_shutdown: str = "off"  # off | keep: relay state when the daemon stops
    # mqtt (smart plug)
    command_topic: str | None = None
    state_topic: str | None = None
    payload_on: str = "ON"
    payload_off: str = "OFF"
    state_on: str = "ON"
    state_off: str = "OFF"
    confirm_timeout: float = 5.0


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
        return f"{self.host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1") or self.host.startswith("127.")


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
