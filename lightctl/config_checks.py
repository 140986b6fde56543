"""Checks for single config values, and the collector of problems.

Built on :mod:`lightctl.core.checks` (numbers, choices), the one family of checks.
Every check either returns the cleaned value or raises :class:`Bad` with the text of
what is allowed ("must be ..."). :class:`Problems` turns that into one line naming the
dotted key, the bad value (secrets masked) and the rule, and the readers go on, so one
run names every mistake.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
from collections.abc import Mapping
from typing import Any

# the checks every input shares (the settings, the HTTP commands) live in the core;
# the ones here need the machine (files, time zones) or speak of the config file only
from lightctl.core.checks import Bad as Bad
from lightctl.core.checks import Check as Check
from lightctl.core.checks import boolean as boolean
from lightctl.core.checks import integer as integer
from lightctl.core.checks import names_from as names_from
from lightctl.core.checks import number as number
from lightctl.core.checks import one_of as one_of
from lightctl.core.checks import rule_of as rule_of
from lightctl.core.checks import text as text

MISSING: Any = object()
REQUIRED: Any = object()
SECRET = "<SECRET>"
SECRET_KEYS = frozenset({"mqtt.password", "web.password_hash"})


def toml_type(value: Any) -> str:
    """The TOML name of a value's type, as a user wrote it."""
    for types, name in (
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (list | tuple, "an array"),
        (Mapping, "a table"),
        (dt.date | dt.time, "a date/time"),
    ):
        if isinstance(value, types):
            return name
    return f"a {type(value).__name__}"


def show(key: str, value: Any) -> str:
    """A value as the user wrote it in TOML, short, and masked for secret keys."""
    if key in SECRET_KEYS:
        return SECRET
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, int) and value.bit_length() > 200:
        text = "a huge integer"
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(map(str, value)) + "}"
    else:
        try:
            text = repr(value)
        except ValueError:  # an int beyond Python's 4300-digit str() limit, inside a list
            text = "a value too large to show"
    return text if len(text) <= 60 else text[:57] + "..."


class Problems:
    """Every problem found, one line each, naming the dotted key."""

    def __init__(self, labels: Mapping[str, str] | None = None) -> None:
        self.items: list[str] = []
        self.labels = dict(labels or {})  # how to name some keys, e.g. "... (from --listen)"

    def bad(self, key: str, value: Any, allowed: str, wrong_type: bool = False) -> None:
        """``allowed`` is the whole rule, e.g. "must be from 0 to 27"."""
        name = self.labels.get(key, key)
        if wrong_type:
            self.items.append(f"{name}: {show(key, value)} is {toml_type(value)}; {allowed}")
        else:
            self.items.append(f"{name}: {show(key, value)} is not allowed: {allowed}")

    def note(self, key: str, text: str) -> None:
        self.items.append(f"{self.labels.get(key, key)}: {text}")

    def check(self, key: str, value: Any, check: Check) -> Any:
        """``check(value)``, or MISSING after recording why not."""
        try:
            return check(value)
        except Bad as exc:
            self.bad(key, value, exc.text, exc.wrong_type)
            return MISSING


# --- checks ----------------------------------------------------------------------------


def text_or_boolean(value: Any) -> str | bool:
    """A plug's reported state: a non-empty text ("ON") or a JSON boolean (true)."""
    if isinstance(value, bool):
        return value
    return text(what="a text or true/false")(value)


def state_word(value: Any) -> str | None:
    """How a plug state compares: text case-insensitively, true/false as JSON writes them,
    numbers as numbers; None for anything else (objects, lists, null)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format(value, "g")
    if isinstance(value, str):
        return value.strip().casefold()
    return None


def topic(*, root: bool = False) -> Check:
    """An MQTT topic to publish or subscribe to exactly: no + or # wildcards."""
    rule = "a non-empty MQTT topic without + or # wildcards"
    if root:
        rule += " and without a leading or trailing /"

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Bad(rule, wrong_type=True)
        if not value or any(c in value for c in "+#\x00"):
            raise Bad(rule)
        if root and (value.startswith("/") or value.endswith("/")):
            raise Bad(rule)
        return value

    return check


def existing_file(value: Any) -> str:
    rule = "the path of an existing file"
    if not isinstance(value, str):
        raise Bad(rule, wrong_type=True)
    if not value or "\x00" in value or not os.path.isfile(value):
        raise Bad(rule)
    return value


def node_id(value: Any) -> str:
    rule = "1 to 32 of a-z, 0-9, _ and - (it goes into MQTT topics and unique ids)"
    if not isinstance(value, str):
        raise Bad(rule, wrong_type=True)
    if not re.fullmatch(r"[a-z0-9_-]{1,32}", value):
        raise Bad(rule)
    return value


_HOSTNAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*")


def listen(value: Any) -> tuple[str, int]:
    """ "host:port" with an IPv4 address or a host name, or "[IPv6]:port" -> (host, port)."""
    rule = 'a "host:port" such as "127.0.0.1:8080", "0.0.0.0:8080" or "[::1]:8080"'
    if not isinstance(value, str):
        raise Bad(rule, wrong_type=True)
    if m := re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:([0-9]{1,5})", value):
        host, port = m.group(1), m.group(2)
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise Bad(rule) from None
    else:
        host, _, port = value.rpartition(":")
        if not re.fullmatch(r"[0-9]{1,5}", port) or not _HOSTNAME.fullmatch(host):
            raise Bad(rule)
        if re.fullmatch(r"[0-9.]+", host):  # looks like IPv4: must be one
            try:
                ipaddress.IPv4Address(host)
            except ValueError:
                raise Bad(rule) from None
    if int(port) > 65535:
        raise Bad(rule + " (port 1 to 65535, or 0 for any free port)")
    return host, int(port)


LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def is_loopback(host: str) -> bool:
    """True for a host only this machine can reach: 127.x, ::1, localhost and its
    Debian aliases, any name under ``.localhost``. The one definition: the config's
    password rule and the web server's request guard both ask this."""
    name = host.strip().strip("[]").lower().rstrip(".")
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return name in LOOPBACK_NAMES or name.endswith(".localhost")


#: pbkdf2 below this many iterations is too cheap to guess against (werkzeug's own
#: defaults have been 260 000 and up since 2021).
PBKDF2_MIN_ITERATIONS = 100_000
#: hex digits of the derived key: scrypt's 64 bytes, pbkdf2's digest size
_KEY_HEX = {"scrypt": 128, "sha256": 64, "sha384": 96, "sha512": 128}
_PBKDF2_DIGESTS = frozenset({"sha256", "sha384", "sha512"})
_HASH = re.compile(
    r"(?P<method>scrypt|pbkdf2)(?::(?P<params>[0-9a-z:]*))?"
    r"\$(?P<salt>[A-Za-z0-9]{8,64})\$(?P<key>[0-9a-f]+)",
    re.ASCII,
)


def password_hash(value: Any) -> str:
    """Empty, or a whole werkzeug hash (``lightctl hash-password``) of a sane strength:
    scrypt with N >= 2^14 and r >= 8, or pbkdf2-sha256/384/512 with at least
    :data:`PBKDF2_MIN_ITERATIONS`; a truncated hash is refused, not found out at login."""
    rule = 'empty or a hash from `lightctl hash-password` (starting with "scrypt:" or "pbkdf2:")'
    if not isinstance(value, str):
        raise Bad(rule, wrong_type=True)
    if not value:
        return value
    if not value.startswith(("scrypt:", "pbkdf2:")):
        raise Bad(rule)
    m = _HASH.fullmatch(value)
    if m is None:
        raise Bad(rule + "; this one is cut short or altered: copy the whole line again")
    params = (m["params"] or "").split(":") if m["params"] else []
    if m["method"] == "scrypt":
        problem = _scrypt_problem(params)
        digest = "scrypt"
    else:
        digest = params[0] if params else "sha256"
        problem = _pbkdf2_problem(params)
    if problem is None and len(m["key"]) != _KEY_HEX[digest]:
        problem = "its key is cut short or altered: copy the whole line again"
    if problem:
        raise Bad(f"{rule}; {problem}")
    return value


def _scrypt_problem(params: list[str]) -> str | None:
    if len(params) != 3 or not all(x.isdigit() for x in params):
        return "scrypt needs N:r:p, as in scrypt:32768:8:1$..."
    n, r, p = (int(x) for x in params)
    if n < 2**14 or n > 2**20 or n & (n - 1) or not 8 <= r <= 32 or not 1 <= p <= 16:
        return "scrypt needs N a power of 2 from 16384 to 1048576, r 8..32, p 1..16"
    return None


def _pbkdf2_problem(params: list[str]) -> str | None:
    if len(params) > 2 or (params and params[0] not in _PBKDF2_DIGESTS):
        return "pbkdf2 takes sha256, sha384 or sha512, as in pbkdf2:sha256:600000$..."
    if len(params) == 2:
        if not params[1].isdigit():
            return "pbkdf2's iterations must be a whole number"
        if int(params[1]) < PBKDF2_MIN_ITERATIONS:
            return (
                f"pbkdf2 with {int(params[1])} iterations is too weak (at least "
                f"{PBKDF2_MIN_ITERATIONS}); make a new one with `lightctl hash-password`"
            )
    return None


def timezone(value: Any) -> str | None:
    """An IANA time zone name, or empty for the system's."""
    from zoneinfo import ZoneInfo

    rule = 'an IANA time zone name such as "Europe/Paris", or empty for the system\'s'
    if not isinstance(value, str):
        raise Bad(rule, wrong_type=True)
    if not value:
        return None
    try:
        ZoneInfo(value)
    except (KeyError, ValueError, OSError, TypeError):
        raise Bad(rule) from None
    return value


def calibration_points(value: Any) -> tuple[tuple[float, float], ...]:
    """[[raw, lux], ...], checked by core.calibration (the rules `lightctl calibrate` uses)."""
    from lightctl.core.calibration import check_points

    rule = "[[raw, lux], ...] reference points; `lightctl calibrate` measures them"
    if not isinstance(value, list | tuple):
        raise Bad(rule, wrong_type=True)
    if not all(isinstance(pair, list | tuple) for pair in value):
        raise Bad(rule)
    if any(isinstance(v, int) and abs(v) >= 1e308 for pair in value for v in pair):
        raise Bad(rule, text="numbers must be finite (`lightctl calibrate` measures them)")
    if problems := check_points(value):
        raise Bad(rule, text="; ".join(problems) + " (`lightctl calibrate` measures them)")
    return tuple(sorted((float(raw), float(lux)) for raw, lux in value))


def tls_files_problem(
    ca_certs: str | None, certfile: str | None, keyfile: str | None
) -> tuple[str, str] | None:
    """(key, why) when the MQTT TLS files cannot be loaded as the MQTT client loads
    them (a CA file without a certificate, a client certificate and key that do not
    match, a key with a passphrase); None when they load. Checked with the config, so
    ``check-config`` names the file and ``run`` refuses it before the lamp starts."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    asked: list[bool] = []

    def no_passphrase() -> bytes:
        asked.append(True)
        return b""

    if certfile is not None and keyfile is not None:
        try:
            context.load_cert_chain(certfile, keyfile, password=no_passphrase)
        except (ssl.SSLError, OSError, ValueError) as exc:
            if asked:
                return "keyfile", "has a passphrase, which lightctl cannot give: use one without"
            return "certfile", f"with keyfile, cannot be loaded: {exc}"
    if ca_certs is not None:
        try:
            context.load_verify_locations(ca_certs)
        except (ssl.SSLError, OSError, ValueError) as exc:
            return "ca_certs", f"holds no certificate that can be loaded: {exc}"
    return None
