"""Topic names and command parsing for one node; pure, no paho.

Every command topic is ``<base>/<node_id>/<name>/set``. ``parse_command`` turns an
incoming message into a command value, or an :class:`Ignored` that says why it was
dropped. Numbers are only parsed here; their ranges are checked by
``lightctl.core.settings.apply_patch`` inside the controller, the same path the HTTP
API and the config file take.

Payload rules (documented in docs/home-assistant.md):

- at most ``MAX_PAYLOAD`` bytes of UTF-8; surrounding white space is ignored;
- ``lamp/set``: ``ON``/``OFF`` (any case) is a manual override, ``AUTO`` ends it;
- ``mode/set``: ``auto``/``on``/``off``/``away`` (any case);
- ``<setting>/set``: a plain decimal number (``25``, ``12.5``, ``1e3``); ``nan``,
  ``inf``, hex, ``1_000`` and JSON objects are refused;
- retained ``/set`` messages are ignored: a stale retained command must not be
  replayed at every reconnect.
"""

from __future__ import annotations

from dataclasses import dataclass

from lightctl.core.checks import parse_number
from lightctl.core.model import Mode
from lightctl.entities import ENTITIES as ENTITIES
from lightctl.entities import NUMBER_KEYS

MAX_PAYLOAD = 256
COMMANDS = ("lamp", "mode", *NUMBER_KEYS, "test")


@dataclass(frozen=True, slots=True)
class Topics:
    """The topic names of one node."""

    base: str
    node_id: str
    discovery_prefix: str = "homeassistant"

    @property
    def root(self) -> str:
        return f"{self.base}/{self.node_id}"

    @property
    def availability(self) -> str:
        return f"{self.root}/availability"

    @property
    def state(self) -> str:
        return f"{self.root}/state"

    @property
    def commands(self) -> str:
        """The subscription that covers every command topic."""
        return f"{self.root}/+/set"

    @property
    def ha_status(self) -> str:
        """Where Home Assistant announces itself (birth ``online``, will ``offline``)."""
        return f"{self.discovery_prefix}/status"

    def command(self, name: str) -> str:
        return f"{self.root}/{name}/set"


@dataclass(frozen=True, slots=True)
class LampCommand:
    """Manual override (``on`` True/False) or its end (``on`` None)."""

    on: bool | None

    def __str__(self) -> str:
        return "back to auto" if self.on is None else f"lamp {'ON' if self.on else 'OFF'}"


@dataclass(frozen=True, slots=True)
class ModeCommand:
    mode: Mode

    def __str__(self) -> str:
        return f"mode {self.mode.value}"


@dataclass(frozen=True, slots=True)
class SettingCommand:
    """One setting's new value, still to be range-checked by the controller."""

    key: str
    value: float

    def __str__(self) -> str:
        shown = f"{self.value:g}" if isinstance(self.value, int | float) else self.value
        return f"{self.key} = {shown}"


@dataclass(frozen=True, slots=True)
class Ignored:
    """A message that changes nothing, and why."""

    reason: str


@dataclass(frozen=True, slots=True)
class TestCommand:
    """The installer's test: start (PRESS or ON, ten minutes) or end (OFF)."""

    on: bool

    def __str__(self) -> str:
        return "installer's test " + ("on" if self.on else "off")


Command = LampCommand | ModeCommand | SettingCommand | TestCommand


def command_name(topics: Topics, topic: str) -> str | None:
    """``lamp`` for ``<base>/<node>/lamp/set``; None for a topic that is not ours."""
    prefix, suffix = topics.root + "/", "/set"
    if not (topic.startswith(prefix) and topic.endswith(suffix)):
        return None
    name = topic[len(prefix) : -len(suffix)]
    return name if name and "/" not in name else None


def parse_command(topics: Topics, topic: str, payload: bytes, retain: bool) -> Command | Ignored:
    """The command carried by one message, or why it is ignored."""
    name = command_name(topics, topic)
    if name is None:
        return Ignored(f"{topic}: not a command topic of this node")
    if name not in COMMANDS:
        return Ignored(f"{topic}: unknown command {name!r}; allowed: {', '.join(COMMANDS)}")
    if retain:
        return Ignored(
            f"{topic}: retained command ignored (clear it with an empty retained message)"
        )
    if len(payload) > MAX_PAYLOAD:
        return Ignored(f"{topic}: payload of {len(payload)} bytes is over {MAX_PAYLOAD}")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        return Ignored(f"{topic}: payload is not UTF-8: {payload[:32]!r}")
    if name == "lamp":
        return _lamp(topic, text)
    if name == "mode":
        return _mode(topic, text)
    if name == "test":
        word = text.upper()
        if word in ("PRESS", "ON", "OFF"):
            return TestCommand(word != "OFF")
        return Ignored(f"{topic}: {text[:40]!r} is not PRESS, ON or OFF")
    return _setting(topic, name, text)


def _lamp(topic: str, text: str) -> LampCommand | Ignored:
    word = text.upper()
    if word in ("ON", "OFF"):
        return LampCommand(word == "ON")
    if word == "AUTO":
        return LampCommand(None)
    return Ignored(f"{topic}: {text[:40]!r} is not ON, OFF or AUTO")


def _mode(topic: str, text: str) -> ModeCommand | Ignored:
    try:
        return ModeCommand(Mode(text.lower()))
    except ValueError:
        allowed = ", ".join(m.value for m in Mode)
        return Ignored(f"{topic}: {text[:40]!r} is not a mode; allowed: {allowed}")


def _setting(topic: str, key: str, text: str) -> SettingCommand | Ignored:
    try:
        value = parse_number(text)
    except ValueError as exc:
        return Ignored(f"{topic}: {exc}")
    return SettingCommand(key, value)
