"""A real Home Assistant for benchmarks/ha_check.py: its config folder, process and APIs.

Home Assistant runs from its own venv (``LIGHTCTL_HA_PYTHON``, see docs/home-assistant.md),
never from lightctl's. The config folder is written before the first start so no
onboarding is needed:

- ``configuration.yaml``: http on 127.0.0.1 only, the REST and websocket APIs, the
  recorder and the Energy dashboard, logging to ``home-assistant.log``; nothing that
  reaches the internet;
- ``.storage/core.config_entries``: the MQTT integration pointing at the test broker,
  discovery on (what the UI's "Add integration → MQTT" stores);
- ``.storage/auth``: one admin user with a long-lived access token, whose JWT is signed
  here (HS256, as Home Assistant itself signs them) so the REST calls can authenticate.

The websocket queries (the entity registry, which maps unique ids to entity ids; the
Energy dashboard's validation; the recorder's statistics) run in
Home Assistant's own Python, which has aiohttp; lightctl's venv needs nothing extra.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CONFIGURATION = """\
homeassistant:
  name: lightctl check
  latitude: 52.37
  longitude: 4.89
  elevation: 0
  unit_system: metric
  time_zone: UTC
  currency: EUR
  country: NL
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
websocket_api:
config:
recorder:
  db_url: sqlite:///{db}
energy:
logger:
  default: info
"""

WS_CALLS = r"""
import asyncio, json, sys
import aiohttp

async def main(url, token, calls):
    out = []
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        msg = await ws.receive_json()
        if msg["type"] != "auth_ok":
            sys.exit(f"websocket auth failed: {msg}")
        for n, call in enumerate(calls, 1):
            await ws.send_json({"id": n, **call})
            reply = await ws.receive_json()
            if not reply.get("success"):
                sys.exit(f"{call['type']}: {reply}")
            out.append(reply["result"])
    print(json.dumps(out))

asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())))
"""

#: Validates discovery payloads with the MQTT platforms' own DISCOVERY_SCHEMA, as Home
#: Assistant does on receipt, and names the keys it drops (unknown to this release).
SCHEMA_CHECK = r"""
import importlib, json, sys
import voluptuous as vol

out = {}
for uid, payload in json.load(sys.stdin).items():
    payload = dict(payload)
    component = payload.pop("component")
    schema = importlib.import_module(f"homeassistant.components.mqtt.{component}").DISCOVERY_SCHEMA
    try:
        valid = schema(dict(payload))
    except vol.Invalid as exc:
        out[uid] = {"error": str(exc)}
        continue
    dropped = sorted(set(payload) - set(valid))
    for key in ("device", "origin"):
        if isinstance(payload.get(key), dict) and isinstance(valid.get(key), dict):
            dropped += [f"{key}.{k}" for k in sorted(set(payload[key]) - set(valid[key]))]
    out[uid] = {"dropped": dropped}
print(json.dumps(out))
"""

#: the start of a line of home-assistant.log: time, level, thread, logger
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (\w+) \((\w+)\) \[([\w.]+)\] ")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_hs256(claims: dict[str, Any], key: str) -> str:
    """A JSON Web Token signed with HMAC-SHA256, as Home Assistant's access tokens are."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    sig = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


def _store(key: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "minor_version": 1, "key": key, "data": data}


def write_config(folder: Path, *, http_port: int, broker_host: str, broker_port: int) -> str:
    """Write a ready Home Assistant config folder; returns the REST access token."""
    storage = folder / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    (folder / "configuration.yaml").write_text(
        CONFIGURATION.format(port=http_port, db=folder / "home-assistant.db")
    )
    mqtt_entry = {
        "entry_id": secrets.token_hex(16),
        "version": 1,
        "minor_version": 1,
        "domain": "mqtt",
        "title": broker_host,
        "data": {
            "broker": broker_host,
            "port": broker_port,
            "discovery": True,
            "discovery_prefix": "homeassistant",
        },
        "options": {},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "unique_id": None,
        "disabled_by": None,
    }
    (storage / "core.config_entries").write_text(
        json.dumps(_store("core.config_entries", {"entries": [mqtt_entry]}))
    )
    user_id, token_id, jwt_key = secrets.token_hex(16), secrets.token_hex(16), secrets.token_hex(64)
    now = datetime.now(UTC)
    auth = {
        "users": [
            {
                "id": user_id,
                "group_ids": [],
                "is_owner": True,
                "is_active": True,
                "name": "lightctl check",
                "system_generated": False,
                "local_only": False,
            }
        ],
        "groups": [],  # Home Assistant adds its system groups and makes this user admin
        "credentials": [],
        "refresh_tokens": [
            {
                "id": token_id,
                "user_id": user_id,
                "client_id": None,
                "client_name": "lightctl check",
                "client_icon": None,
                "token_type": "long_lived_access_token",
                "created_at": now.isoformat(),
                "access_token_expiration": 86400.0,
                "token": secrets.token_hex(64),
                "jwt_key": jwt_key,
                "last_used_at": None,
                "last_used_ip": None,
                "expire_at": None,
                "credential_id": None,
                "version": None,
            }
        ],
    }
    (storage / "auth").write_text(json.dumps(_store("auth", auth)))
    t = int(now.timestamp())
    return jwt_hs256({"iss": token_id, "iat": t, "exp": t + 86400}, jwt_key)


class HomeAssistant:
    """``python -m homeassistant -c <folder> --skip-pip`` and its REST/websocket APIs."""

    def __init__(self, python: str, folder: Path, port: int, token: str):
        self.python, self.folder, self.port, self.token = python, folder, port, token
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.folder / "home-assistant.log"

    def start(self) -> None:
        # --skip-pip: nothing is installed at run time; a missing requirement is an error
        # in the log rather than a download.
        self.proc = subprocess.Popen(
            [self.python, "-m", "homeassistant", "-c", str(self.folder), "--skip-pip"],
            stdout=(self.folder / "stdout.log").open("ab"),
            stderr=subprocess.STDOUT,
        )

    def wait_api(self, timeout: float) -> float:
        """Seconds until the REST API answers."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"Home Assistant exited {self.proc.returncode}")
            if "Activating recovery mode" in self.log():
                raise RuntimeError(
                    "Home Assistant started in recovery mode (a requirement of its default "
                    "integrations is missing from its venv: docs/home-assistant.md)"
                )
            try:
                if self.rest("GET", "/api/").get("message") == "API running.":
                    return time.monotonic() - t0
            except (OSError, urllib.error.URLError, ValueError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"Home Assistant's API did not answer in {timeout:.0f} s")

    def rest(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def state(self, entity_id: str) -> dict[str, Any]:
        return self.rest("GET", f"/api/states/{entity_id}")

    def call(self, domain: str, service: str, **data: Any) -> None:
        self.rest("POST", f"/api/services/{domain}/{service}", data)

    def ws(self, *calls: dict[str, Any]) -> list[Any]:
        """The results of websocket commands, sent in order on one connection."""
        ws = f"ws://127.0.0.1:{self.port}/api/websocket"
        return self._in_ha_python(WS_CALLS, [ws, self.token], calls, 30, "websocket call")

    def entity_registry(self) -> list[dict[str, Any]]:
        return self.ws({"type": "config/entity_registry/list"})[0]

    def schema_check(self, payloads: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """unique_id -> {"error": ...} or {"dropped": [keys this release ignores]}."""
        return self._in_ha_python(SCHEMA_CHECK, [], payloads, 120, "schema check")

    def _in_ha_python(self, script: str, args: list[str], data: Any, timeout: float, what: str):
        """``script`` run by Home Assistant's interpreter: ``data`` as JSON in, JSON out."""
        out = subprocess.run(
            [self.python, "-c", script, *args],
            input=json.dumps(data),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"{what} failed: {out.stderr.strip()[-500:]}")
        return json.loads(out.stdout)

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def log(self) -> str:
        p = self.log_path
        return p.read_text(errors="replace") if p.exists() else ""

    def log_problems(self) -> list[str]:
        """The warnings and errors of the log, each with its continuation lines."""
        entries: list[str] = []
        current: list[str] | None = None
        for line in self.log().splitlines():
            m = LOG_LINE.match(line)
            if m:
                current = [line] if m.group(1) in ("WARNING", "ERROR", "CRITICAL") else None
                if current is not None:
                    entries.append(line)
            elif current is not None:
                current.append(line)
                entries[-1] = "\n".join(current)
        return entries
