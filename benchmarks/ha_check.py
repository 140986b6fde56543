"""lightctl against a real Home Assistant: every discovered entity, its state, commands
from Home Assistant, and a clean Home Assistant log.

Starts Mosquitto on a free loopback port, the real `lightctl run` (file sensor in the
dark, mock relay, lamp power 60 W) and Home Assistant from its own venv with the MQTT
integration already set up (benchmarks/ha_rig.py), then checks:

- every discovery payload passes the MQTT platform's own discovery schema, and no key
  in it is silently dropped (a misspelt key would be) other than ones known to be
  newer than this release;
- every discovery config the node publishes became an entity of the MQTT integration,
  in the right domain, all on one device, with the payload's device class, state class,
  unit, entity category, number bounds and select options (the modes lightctl declares);
- no entity is ``unavailable`` or ``unknown`` (a button has no state until pressed) and
  the values match `/api/status`;
- the energy sensor passes the Energy dashboard's own validation as an individual
  device, and the three counters get long-term statistics as sums;
- Home Assistant's service calls reach the node: the test button, every mode, a number,
  the lamp;
- Home Assistant's log holds no warning or error about MQTT, discovery or lightctl
  (others are printed, not counted).

Prints a report; exit code 1 on any failure, 2 when it could not run.

    python benchmarks/ha_check.py --ha-python ~/ha-venv/bin/python [--keep]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import paho.mqtt.client as mqtt  # noqa: E402
from ha_rig import HomeAssistant, write_config  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from lightctl.core.model import Mode  # noqa: E402
from lightctl.entities import ENTITIES  # noqa: E402
from tests.broker import Broker, free_port  # noqa: E402
from tests.e2e.helpers import DaemonProcess  # noqa: E402
from tests.e2e.helpers import write_config as write_lightctl_config  # noqa: E402

NODE = "e2e"  # tests.e2e.helpers.write_config's node
PREFIX = "homeassistant"
RELATED = ("mqtt", "discovery", "lightctl", "twilight", f"{NODE}_")
ENTITY_WAIT = 30.0  # s from the API's start until every entity must be registered
#: discovery keys that Home Assistant releases before the one given ignore, by design
NEWER_KEYS = {"default_entity_id": "2025.10"}
#: payload keys that Home Assistant shows as state attributes of the same name
SHOWN = ("device_class", "state_class", "unit_of_measurement", "min", "max", "step", "options")


class Report:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}{'' if ok or not detail else ': ' + detail}")
        if not ok:
            self.failures.append(f"{what}: {detail}" if detail else what)
        return ok


def wait(predicate: Callable[[], Any], timeout: float, step: float = 0.25) -> Any:
    """The predicate's first truthy value within ``timeout`` s, else its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def discovery_configs(broker: Broker, quiet: float = 1.5) -> dict[str, dict[str, Any]]:
    """unique_id -> payload (plus ``component``) of every retained config of the node."""
    found: dict[str, dict[str, Any]] = {}
    last = [time.monotonic()]

    def on_message(c, u, msg) -> None:
        last[0] = time.monotonic()
        if msg.payload:
            component = msg.topic.split("/")[1]
            payload = json.loads(msg.payload)
            found[payload["unique_id"]] = {**payload, "component": component}

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="ha-check-listener")
    c.on_connect = lambda c, u, f, rc, p: c.subscribe(f"{PREFIX}/+/{NODE}/+/config", 1)
    c.on_message = on_message
    c.connect(broker.host, broker.port)
    c.loop_start()
    try:
        wait(lambda: found and time.monotonic() - last[0] > quiet, 10)
    finally:
        c.loop_stop()
        c.disconnect()
    return found


def check_schema(rep: Report, ha: HomeAssistant, configs: dict[str, dict[str, Any]]) -> None:
    """Each payload through the platform's own discovery schema; a key it drops is a
    failure (a typo HA would silently ignore) unless it is known to be newer."""
    print("\ndiscovery payloads through Home Assistant's own schemas:")
    newer: set[str] = set()
    for uid, result in sorted(ha.schema_check(configs).items()):
        dropped = result.get("dropped", [])
        newer |= {k for k in dropped if k in NEWER_KEYS}
        unknown = [k for k in dropped if k not in NEWER_KEYS]
        rep.check(
            "error" not in result and not unknown,
            f"{uid} is valid",
            result.get("error") or f"keys ignored: {unknown}",
        )
    for k in sorted(newer):
        print(f"  note {k!r} is ignored by this release (used from HA {NEWER_KEYS[k]} on)")


def check_entities(
    rep: Report, ha: HomeAssistant, configs: dict[str, dict[str, Any]], status: dict[str, Any]
) -> dict[str, str]:
    """Registry, attributes and states; returns object id -> entity id."""
    registry = {e["unique_id"]: e for e in ha.entity_registry() if e["platform"] == "mqtt"}
    ids: dict[str, str] = {}
    print(f"\n{len(configs)} discovery configs published, {len(registry)} MQTT entities in HA:")
    published = {uid.removeprefix(f"lightctl_{NODE}_") for uid in configs}
    rep.check(
        published == set(ENTITIES),
        f"the node published a config for each of its {len(ENTITIES)} entities",
        f"missing {sorted(set(ENTITIES) - published)}, extra {sorted(published - set(ENTITIES))}",
    )
    devices = {registry[u]["device_id"] for u in configs if u in registry}
    rep.check(len(devices) == 1, "all entities on one device", f"{len(devices)} devices")
    rep.check(
        set(registry) <= set(configs),
        "no MQTT entity HA has beyond the node's",
        str(sorted(set(registry) - set(configs))),
    )
    for uid, cfg in sorted(configs.items(), key=lambda kv: kv[1]["component"]):
        key = uid.removeprefix(f"lightctl_{NODE}_")
        entry = registry.get(uid)
        if not rep.check(entry is not None, f"{cfg['component']} {key!r} is an entity"):
            continue
        eid = ids[key] = entry["entity_id"]
        st = ha.state(eid)
        attrs = st["attributes"]
        print(f"       {eid} = {st['state']!r} {json.dumps(attrs, sort_keys=True)[:160]}")
        rep.check(eid.split(".")[0] == cfg["component"], f"{eid} in domain {cfg['component']}")
        rep.check(
            entry.get("entity_category") == cfg.get("entity_category"),
            f"{eid} entity_category",
            f"{entry.get('entity_category')}",
        )
        for k in SHOWN:
            if k in cfg:
                rep.check(attrs.get(k) == cfg[k], f"{eid} {k} = {cfg[k]!r}", f"{attrs.get(k)!r}")
        if cfg["component"] != "button":
            rep.check(
                st["state"] not in ("unavailable", "unknown"), f"{eid} has a state", st["state"]
            )
        if cfg["component"] == "number":
            want = status["settings"][key]
            rep.check(_num(st["state"]) == want, f"{eid} shows {key} = {want}", st["state"])
    modes = [m.value for m in Mode]
    if "mode" in ids:
        opts = ha.state(ids["mode"])["attributes"].get("options")
        rep.check(opts == modes, f"mode select offers the node's modes {modes}", f"{opts}")
    return ids


def _num(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def check_commands(rep: Report, ha: HomeAssistant, d: DaemonProcess, ids: dict[str, str]) -> None:
    """Service calls in Home Assistant reach the node, and the node's answer comes back."""
    print("\nHome Assistant -> lightctl:")

    def both(what: str, node_ok: Callable[[dict], bool], eid: str, ha_ok: Callable[[str], bool]):
        if rep.check(
            wait(lambda: node_ok(d.get("/api/status")), 10),
            f"{what}: the node has it",
            str(d.get("/api/status"))[:300],
        ):
            rep.check(
                wait(lambda: ha_ok(ha.state(eid)["state"]), 10),
                f"{what}: {eid} shows it",
                ha.state(eid)["state"],
            )

    if "test" in ids and "testing" in ids:
        ha.call("button", "press", entity_id=ids["test"])
        both(
            "button.press test",
            lambda s: bool(s["test_until"]),
            ids["testing"],
            lambda v: v == "on",
        )
        ha_shows = ha.state(ids["test"])["state"]
        rep.check(
            ha_shows not in ("unknown", "unavailable"), "test button has a last press", ha_shows
        )
    if "mode" in ids:
        for mode in [m.value for m in Mode if m is not Mode.AUTO] + [Mode.AUTO.value]:
            ha.call("select", "select_option", entity_id=ids["mode"], option=mode)
            both(
                f"select_option {mode}",
                lambda s, m=mode: s["mode"] == m,
                ids["mode"],
                lambda v, m=mode: v == m,
            )
    if "threshold" in ids:
        ha.call("number", "set_value", entity_id=ids["threshold"], value=25)
        both(
            "number.set_value threshold 25",
            lambda s: s["settings"]["threshold"] == 25,
            ids["threshold"],
            lambda v: _num(v) == 25,
        )
    if "lamp" in ids:
        for on in (False, True):
            word = "ON" if on else "OFF"
            ha.call("light", "turn_on" if on else "turn_off", entity_id=ids["lamp"])
            both(
                f"light.turn_{word.lower()}",
                lambda s, w=word: s["lamp"].upper() == w,
                ids["lamp"],
                lambda v, w=word: v == w.lower(),
            )


def check_counters(rep: Report, ha: HomeAssistant, d: DaemonProcess, ids: dict[str, str]) -> None:
    """After a minute of lamp ON at 60 W (and states re-sent by the commands), Home
    Assistant's counters are positive, never ahead of the node's, and the cycles agree."""
    print("\ncounters, Home Assistant beside the node:")
    node = d.get("/api/status")["counters"]
    for key, field in (("energy", "energy_kwh"), ("on_hours", "on_hours")):
        if key in ids:
            v = _num(ha.state(ids[key])["state"])
            rep.check(
                0 < v <= node[field],
                f"{ids[key]} = {v} (node {node[field]})",
                "not positive or ahead of the node",
            )
    if "relay_cycles" in ids:
        eid, want = ids["relay_cycles"], d.get("/api/status")["counters"]["relay_cycles"]
        rep.check(
            wait(lambda: _num(ha.state(eid)["state"]) == want, 10),
            f"{eid} = node's {want}",
            ha.state(eid)["state"],
        )


def check_energy(rep: Report, ha: HomeAssistant, ids: dict[str, str]) -> None:
    """The energy sensor as an individual device of the Energy dashboard, validated by
    Home Assistant's own energy checks; the counters as long-term statistics sums."""
    print("\nEnergy dashboard and long-term statistics:")
    if "energy" not in ids:
        return
    eid = ids["energy"]
    prefs = {"type": "energy/save_prefs", "device_consumption": [{"stat_consumption": eid}]}
    _, valid, sums = ha.ws(
        prefs,
        {"type": "energy/validate"},
        {"type": "recorder/list_statistic_ids", "statistic_type": "sum"},
    )
    issues = [i for group in valid["device_consumption"] for i in group]
    # statistics appear at the recorder's first 5-minute compile, later than this run
    later = [i for i in issues if i["type"] == "statistics_not_defined"]
    rep.check(
        not [i for i in issues if i not in later],
        f"{eid} accepted as an individual device",
        json.dumps([i for i in issues if i not in later]),
    )
    if later:
        print("  note no statistics compiled yet (the recorder's first 5-minute run)")
    have = {st["statistic_id"] for st in sums}
    for key in ("energy", "on_hours", "relay_cycles"):
        if key in ids:
            rep.check(ids[key] in have, f"{ids[key]} has long-term statistics as a sum")


def run(ha_python: str, keep: bool, timeout: float) -> int:
    rep = Report()
    tmp = Path(tempfile.mkdtemp(prefix="lightctl-ha-"))
    (tmp / "node").mkdir()
    (tmp / "node" / "lux.txt").write_text("5\n")  # dark: the lamp is on, energy counts
    broker = Broker().start()
    extra = f'\n[mqtt]\nhost = "{broker.host}"\nport = {broker.port}\n'
    cfg = write_lightctl_config(
        tmp / "node", port=free_port(), extra=extra, control="lamp_power = 60"
    )
    d = DaemonProcess(cfg)
    port = free_port()
    token = write_config(
        tmp / "ha", http_port=port, broker_host=broker.host, broker_port=broker.port
    )
    ha = HomeAssistant(ha_python, tmp / "ha", port, token)
    t0 = time.monotonic()
    try:
        d.start()
        d.wait_for(lambda s: s["mqtt"] == "connected", what="MQTT", timeout=15)
        configs = discovery_configs(broker)
        ha.start()
        print(f"Home Assistant API up after {ha.wait_api(timeout):.1f} s ({ha.url})")
        version = ha.rest("GET", "/api/config")["version"]
        print(f"Home Assistant {version}, lightctl {d.get('/api/status').get('version', '?')}")
        t1 = time.monotonic()
        got = wait(
            lambda: set(configs) <= {e["unique_id"] for e in ha.entity_registry()},
            ENTITY_WAIT,
            step=1.0,
        )
        print(f"entities {'all there' if got else 'missing'} {time.monotonic() - t1:.1f} s later")
        wait(
            lambda: all(
                s["state"] != "unavailable"
                for s in ha.rest("GET", "/api/states")
                if s["entity_id"].split(".")[0] != "button"
            ),
            15,
        )
        check_schema(rep, ha, configs)
        ids = check_entities(rep, ha, configs, d.get("/api/status"))
        check_commands(rep, ha, d, ids)
        check_counters(rep, ha, d, ids)
        check_energy(rep, ha, ids)
    except Exception as exc:  # noqa: BLE001 - reported with the logs, then exit 2
        print(f"\nCOULD NOT RUN: {type(exc).__name__}: {exc}")
        print(f"--- lightctl log (tail) ---\n{d.log()[-2000:]}")
        print(f"--- Home Assistant log (tail) ---\n{ha.log()[-4000:]}")
        rep.failures.append("could not run")
    finally:
        ha.stop()
        d.kill()
        broker.close()
    entries = ha.log_problems()
    related = [e for e in entries if any(w in e.lower() for w in RELATED)]
    other = [e for e in entries if e not in related]
    print(
        f"\nHome Assistant's log ({ha.log_path}): {len(related)} warnings/errors about "
        f"MQTT/discovery/lightctl, {len(other)} others"
    )
    for e in related:
        rep.check(False, "HA log", e)
    for e in other:
        print(f"  (not counted) {e[:300]}")
    print(f"\n{len(rep.failures)} failures, {time.monotonic() - t0:.1f} s in all")
    if keep:
        print(f"kept: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    if "could not run" in rep.failures:
        return 2
    return 1 if rep.failures else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--ha-python",
        default=os.environ.get("LIGHTCTL_HA_PYTHON"),
        help="python of Home Assistant's venv (default $LIGHTCTL_HA_PYTHON)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the config folders and logs")
    ap.add_argument("--timeout", type=float, default=180, help="s for HA to start")
    args = ap.parse_args(argv)
    if not args.ha_python:
        print(
            "no Home Assistant: pass --ha-python or set LIGHTCTL_HA_PYTHON "
            "(docs/home-assistant.md, 'Checking against a real Home Assistant')"
        )
        return 2
    return run(args.ha_python, args.keep, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
