"""`lightctl status`: ask a running daemon over HTTP and print a summary."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from lightctl.errors import ConfigError


def _status_url(args) -> str:
    if args.url:
        url = args.url.strip().rstrip("/")
        return url if "://" in url else f"http://{url}"  # "127.0.0.1:8080" means http
    try:
        from lightctl.config import load_config

        web = load_config(args.config).web
        host = "127.0.0.1" if web.host in ("0.0.0.0", "::", "") else web.host
        return f"http://{host}:{web.port}"
    except (ConfigError, OSError):
        return "http://127.0.0.1:8080"


def cmd_status(args) -> int:
    import urllib.error  # only this command talks HTTP: `run` starts faster without them
    import urllib.request
    from base64 import b64encode

    url = _status_url(args) + "/api/status"
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    user, pw = os.environ.get("LIGHTCTL_USER", "admin"), os.environ.get("LIGHTCTL_PASSWORD")
    if pw:
        req.add_header("Authorization", "Basic " + b64encode(f"{user}:{pw}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            data = json.load(resp)
    except urllib.error.HTTPError as exc:
        print(f"lightctl status: {url}: HTTP {exc.code} {exc.reason}", file=sys.stderr)
        if exc.code == 401:
            hint = (
                "the login was refused: check $LIGHTCTL_USER and $LIGHTCTL_PASSWORD"
                if pw
                else "the page has a password: set $LIGHTCTL_PASSWORD (and $LIGHTCTL_USER "
                "if the user is not admin)"
            )
            print(f"  {hint}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError) as exc:
        why = getattr(exc, "reason", exc)
        print(f"lightctl status: cannot reach {url}: {why}", file=sys.stderr)
        print("  is the daemon running? `systemctl status lightctl`, or pass --url HOST:PORT",
              file=sys.stderr)  # fmt: skip
        return 1
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(format_status(data))
    return 0


def status_zone(d: dict[str, Any]) -> tzinfo:
    """The daemon's time zone, as its status names it (every time is shown in it)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = d.get("timezone")
    if isinstance(name, str) and name:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(name)
    offset = d.get("utc_offset")
    if isinstance(offset, int | float) and not isinstance(offset, bool) and abs(offset) < 86400:
        return timezone(timedelta(seconds=offset))
    return UTC


def _lux(value: Any) -> str:
    """A light level as a person reads it: 20 lx, 7.5 lx, 0.35 lx."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "?"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.2g}" if value < 1 else f"{value:.1f}".removesuffix(".0")


def format_status(d: dict[str, Any]) -> str:
    """A human summary of /api/status, times in the daemon's own zone."""
    tz = status_zone(d)

    def when(t):
        return "-" if t is None else datetime.fromtimestamp(t, tz).strftime("%Y-%m-%d %H:%M:%S")

    s = d.get("settings", {})
    light = d.get("light")
    lines = [
        f"lamp      {d.get('lamp', '?').upper()} ({d.get('reason')}) since {when(d.get('since'))}",
        f"mode      {d.get('mode')}"
        + (f" until {when(d['mode_until'])}" if d.get("mode_until") else ""),
        f"light     {'no reading' if light is None else f'{_lux(light)} lx'}"
        f" -> {'dark' if d.get('dark') else 'light'}",
        f"levels    on below {_lux(s.get('threshold'))} lx, off above "
        f"{_lux((s.get('threshold') or 0) + (s.get('hysteresis') or 0))} lx; "
        f"delays {_num(s.get('on_delay'))} s / {_num(s.get('off_delay'))} s",
        f"sensor    {d.get('problem') or 'ok'}",
        f"mqtt      {d.get('mqtt')}",
    ]
    ov = d.get("override")
    if ov:
        until = f"until {when(ov['until'])}" if ov.get("until") else "until the next dusk/dawn"
        lines.insert(2, f"override  {ov['state'].upper()} {until}")
    lines.append(f"node      {d.get('node_id')} (lightctl {d.get('version')})")
    zone = d.get("timezone") or datetime.now(tz).strftime("UTC%z")
    speed = d.get("clock_speed")
    fast = f"; simulated clock, {speed:g}x real time" if speed and speed != 1 else ""
    lines.append(f"times     in {zone}{fast}")
    if isinstance(d.get("location"), dict):
        lines.append(f"location  {d['location'].get('text')}")
    dusk = d.get("fail_safe_sun")
    if s.get("fail_safe") == "sun" and isinstance(dusk, dict):
        lines.append(f"fail-safe {dusk.get('text')}")
    return "\n".join(lines)


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)
