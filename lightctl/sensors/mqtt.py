"""Sensor type ``mqtt``: the light level from another device's topic.

A message is a number (``42.5``) or JSON; with ``json_key`` the value is taken from
that key, dotted for nested objects (``illuminance`` for Zigbee2MQTT 2.x,
``BH1750.Illuminance`` for Tasmota, ``lux`` for a Shelly Gen2/Gen3 illuminance
component). Messages arrive on paho's thread and only
store the value; ``read()`` (the sampling thread) returns the latest one, or raises
SensorError when the last message is older than two sample intervals, so a silent
sensor becomes a fault after ``fault_after`` reads and recovers with the next
message. Set ``sensor.interval`` to at least the device's reporting period.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from lightctl.config_checks import text, topic
from lightctl.core.settings import parse_number
from lightctl.device_types import DeviceType, Option
from lightctl.errors import SensorError

if TYPE_CHECKING:
    from lightctl.config import SensorConfig

MAX_PAYLOAD = 4096

TYPE = DeviceType(
    "mqtt",
    "light level from another device",
    (
        Option("topic", topic(), help="the topic the device publishes its light level on"),
        Option(
            "json_key",
            text(what="a JSON key"),
            None,
            "key of the lux value when the payload is JSON, dotted for nested objects "
            '(`"illuminance"` for Zigbee2MQTT 2.x, `"BH1750.Illuminance"` for Tasmota); '
            "without it the payload is a plain number. Recipes: [devices.md](devices.md)",
        ),
    ),
    needs_mqtt="the broker to read the topic from",
)


class MissingKey(ValueError):
    """A JSON message without the configured key (e.g. a battery-only update)."""


def dig(data: Any, key: str) -> Any:
    """The value at a dotted ``key`` of parsed JSON; KeyError when a part is missing."""
    for part in key.split("."):
        if not isinstance(data, dict) or part not in data:
            raise KeyError(key)
        data = data[part]
    return data


def parse_lux(payload: bytes, json_key: str | None) -> float:
    """The number carried by a message; ValueError saying why there is none."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes is over {MAX_PAYLOAD}")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError(f"payload is not UTF-8: {payload[:32]!r}") from None
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise ValueError(f"payload is not a number or JSON: {text[:40]!r}") from None
    if json_key:
        try:
            data = dig(data, json_key)
        except KeyError:
            raise MissingKey(f"no key {json_key!r} in {text[:80]!r}") from None
    if isinstance(data, str):
        try:
            data = parse_number(data)
        except ValueError:
            raise ValueError(f"value {data[:40]!r} is not a number") from None
    if isinstance(data, bool) or not isinstance(data, int | float):
        where = f"key {json_key!r}" if json_key else "payload"
        raise ValueError(f"{where} is not a number: {text[:80]!r}")
    return float(data)


class MqttSensor:
    """The latest value seen on a topic; see the module docstring."""

    def __init__(self, topic: str, json_key: str | None, interval: float, *, mqtt, clock):
        self.topic = topic
        self.json_key = json_key
        self.max_age = 2.0 * interval
        self._mqtt = mqtt
        self._clock = clock
        self._lock = threading.Lock()
        self._value: float | None = None
        self._at = clock.mono()  # "no data for N s" counts from start-up
        self._error: str | None = None  # why the newest message held a bad value
        self._hint: str | None = None  # why the newest message was skipped (no key)
        self._closed = False
        mqtt.subscribe(topic, self._on_message)

    def _on_message(self, payload: bytes) -> None:
        if not payload:
            return  # an empty retained message is a deletion, not a reading
        try:
            lux = parse_lux(payload, self.json_key)
        except MissingKey as exc:
            with self._lock:
                self._hint = str(exc)
            return
        except ValueError as exc:
            with self._lock:
                self._error = str(exc)
            return
        with self._lock:
            self._value, self._at = lux, self._clock.mono()
            self._error = self._hint = None

    def read(self) -> float:
        with self._lock:
            value, at, error, hint = self._value, self._at, self._error, self._hint
        if error is not None:
            raise SensorError(f"bad message on {self.topic}: {error}")
        age = self._clock.mono() - at
        if value is None or age > self.max_age:
            extra = f" (last message: {hint})" if hint else ""
            raise SensorError(f"no data from {self.topic} for {age:.0f} s{extra}")
        return value  # NaN, negative or huge values are judged and named by the core

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._mqtt.unsubscribe(self.topic, self._on_message)


def create(cfg: SensorConfig, *, mqtt=None, clock=None, **_: Any) -> MqttSensor:
    """Build from [sensor] with type = "mqtt"; needs the MQTT link."""
    if mqtt is None:
        raise SensorError('sensor type "mqtt" needs an [mqtt] section (the broker to listen on)')
    if clock is None:
        from lightctl.clock import SystemClock

        clock = SystemClock()
    opts = cfg.options
    return MqttSensor(opts["topic"], opts["json_key"], cfg.interval, mqtt=mqtt, clock=clock)
