"""The node's retained state: the ``/api/status`` fields with ``lamp`` as ON/OFF, as JSON."""

from __future__ import annotations

import json
from typing import Any

from lightctl.core.settings import to_dict
from lightctl.ports import Status


def state_payload(status: Status, connected: bool = True) -> str:
    """The retained state JSON: the /api/status fields with lamp as ON/OFF."""
    body = status.to_json()
    body["lamp"] = "ON" if status.lamp else "OFF"
    body["mqtt"] = "connected" if connected else "disconnected"
    return json.dumps(body, separators=(",", ":"))


class StatePayload:
    """:func:`state_payload`, byte for byte, with the settings encoded once per change of
    them rather than for every state (they are about a third of it, and the state is
    encoded on a command's way out)."""

    def __init__(self) -> None:
        self._settings: Any = None
        self._encoded = ""

    def __call__(self, status: Status, connected: bool = True) -> str:
        if status.settings is not self._settings:
            self._encoded = json.dumps(to_dict(status.settings), separators=(",", ":"))
            self._settings = status.settings
        body = status.to_json(settings=False)
        body["lamp"] = "ON" if status.lamp else "OFF"
        body["mqtt"] = "connected" if connected else "disconnected"
        text = json.dumps(body, separators=(",", ":"))
        # the only unescaped `"settings":` is the top-level key (quotes inside strings
        # are escaped), and it is null here
        return text.replace('"settings":null', '"settings":' + self._encoded, 1)
