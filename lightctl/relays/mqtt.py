"""Relay type ``mqtt``: a smart plug (Tasmota, Shelly, Zigbee2MQTT) as the lamp's switch.

``set()`` publishes ``payload_on``/``payload_off`` to ``command_topic`` with QoS 1
and never blocks. Commands are *not retained*: a retained command would be replayed
to the plug whenever it reconnects and undo a later manual switch at the plug;
instead the wanted state is sent again after every reconnect of our own link.

With ``state_topic`` set, the plug's report confirms each command. The report is the
whole payload (Tasmota's ``ON``, Shelly Gen1's ``on``) or, with ``state_key``, a value
inside a JSON payload (Zigbee2MQTT's ``{"state": "ON", ...}``, Shelly Gen2's
``{"id": 0, "output": true, ...}``). It is compared with ``state_on``/``state_off``:
text without regard to case, JSON ``true``/``false`` with the TOML booleans. Other
messages on the same topic are ignored. ``problem`` names a plug that did not follow
within ``confirm_timeout`` s or that later reports the other state. It is computed
when read, so no timer runs.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from lightctl.config_checks import number, show, state_word, text, text_or_boolean, topic
from lightctl.device_types import DeviceType, Option, Rule
from lightctl.errors import RelayError
from lightctl.sensors.mqtt import dig

if TYPE_CHECKING:
    from lightctl.config import RelayConfig

_OK_RCS = (0, 4)  # MQTT_ERR_SUCCESS, MQTT_ERR_NO_CONN (QoS 1 stays queued until connected)


def _two_states(options: Any) -> list[tuple[str, str]]:
    on, off = options["state_on"], options["state_off"]
    if state_word(on) != state_word(off):
        return []
    same = show("relay.state_on", on)
    return [("state_off", f"is the same as state_on ({same}): the plug's two states must differ")]


TYPE = DeviceType(
    "mqtt",
    "a smart plug",
    (
        Option("command_topic", topic(), help="the topic the plug listens on"),
        Option("state_topic", topic(), None, "the topic where the plug reports its state"),
        Option("payload_on", text(), "ON", "what to send to switch on"),
        Option("payload_off", text(), "OFF", "what to send to switch off"),
        Option(
            "state_key",
            text(what="a JSON key"),
            None,
            'the key of the state in a JSON report, dotted for nested objects (`"state"` '
            'for Zigbee2MQTT, `"output"` for Shelly Gen2/Gen3); unset: the whole payload '
            "is the state",
        ),
        Option(
            "state_on",
            text_or_boolean,
            "ON",
            "what the plug reports when on: compared without regard to case; `true`/`false` "
            "for a JSON boolean. Recipes: [devices.md](devices.md)",
        ),
        Option("state_off", text_or_boolean, "OFF", "what the plug reports when off"),
        Option("confirm_timeout", number(0.5, 60, " s"), 5.0, "how long the plug has to confirm"),
    ),
    needs_mqtt="the broker of the smart plug",
    rules=(Rule("`state_on` and `state_off` must differ", _two_states),),
)


def parse_state(payload: bytes, cfg: RelayConfig) -> bool | None:
    """What a plug's report says: True (on), False (off) or None (not a state report)."""
    text = payload.decode("utf-8", "replace").strip()
    value: Any = text
    if cfg.state_key:
        try:
            value = dig(json.loads(text), cfg.state_key)
        except (ValueError, KeyError):
            return None  # not JSON, or telemetry without the state
    word = state_word(value)
    if word is None:
        return None
    if word == state_word(cfg.state_on):
        return True
    if word == state_word(cfg.state_off):
        return False
    return None


class MqttRelay:
    """The lamp behind a smart plug; see the module docstring."""

    def __init__(self, cfg: RelayConfig, *, mqtt, clock):
        self.cfg = cfg
        self._mqtt = mqtt
        self._clock = clock
        self._lock = threading.Lock()
        self._wanted: bool | None = None
        self._sent_at: float | None = None
        self._reported: bool | None = None  # the plug's last report
        self._closed = False
        if cfg.state_topic:
            mqtt.subscribe(cfg.state_topic, self._on_state)
        mqtt.add_connect_hook(self._resend)

    def set(self, on: bool) -> None:
        with self._lock:
            self._wanted = bool(on)
            self._sent_at = self._clock.mono()
        self._send(bool(on))

    def _send(self, on: bool) -> None:
        payload = self.cfg.payload_on if on else self.cfg.payload_off
        rc = self._mqtt.publish(self.cfg.command_topic, payload, qos=1, retain=False)
        if rc not in _OK_RCS:
            raise RelayError(f"could not publish to {self.cfg.command_topic}: paho rc {rc}")

    def _resend(self) -> None:
        """After a reconnect: the plug may have missed commands while we were away."""
        with self._lock:
            wanted = self._wanted
        if wanted is not None and not self._closed:
            self._send(wanted)

    def _on_state(self, payload: bytes) -> None:
        reported = parse_state(payload, self.cfg)
        if reported is None:
            return  # other telemetry on the same topic
        with self._lock:
            self._reported = reported

    @property
    def reported(self) -> bool | None:
        """What the plug last said (None: nothing yet, or no state_topic)."""
        with self._lock:
            return self._reported

    @property
    def problem(self) -> str | None:
        """Why the plug is not in the wanted state, or None."""
        if not self.cfg.state_topic:
            return None
        with self._lock:
            wanted, sent_at, reported = self._wanted, self._sent_at, self._reported
        if wanted is None or reported == wanted:
            return None
        word = "ON" if wanted else "OFF"
        if self._clock.mono() - sent_at < self.cfg.confirm_timeout:
            return None
        if reported is None:
            return f"plug did not confirm {word} within {self.cfg.confirm_timeout:g} s"
        return f"plug reports {'ON' if reported else 'OFF'}, expected {word}"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.cfg.state_topic:
            self._mqtt.unsubscribe(self.cfg.state_topic, self._on_state)


def create(cfg: RelayConfig, *, mqtt=None, clock=None, **_: Any) -> MqttRelay:
    """Build from [relay] with type = "mqtt"; needs the MQTT link."""
    if mqtt is None:
        raise RelayError('relay type "mqtt" needs an [mqtt] section (the broker of the plug)')
    if clock is None:
        from lightctl.clock import SystemClock

        clock = SystemClock()
    return MqttRelay(cfg, mqtt=mqtt, clock=clock)
