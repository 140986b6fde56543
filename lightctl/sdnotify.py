"""systemd's notify protocol over $NOTIFY_SOCKET, without libsystemd.

READY=1 once the sensor, relay and web server are up; WATCHDOG=1 from the control
loop only (every :func:`watchdog_period` s), so a hung loop gets restarted;
STOPPING=1 on shutdown; STATUS=... for `systemctl status`. Outside systemd
($NOTIFY_SOCKET unset) everything is a no-op returning False.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def notify(message: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Send ``message`` (e.g. "READY=1"); False when not under systemd or on error."""
    address = environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address[0] == "@":  # abstract namespace socket
        address = "\0" + address[1:]
    elif address[0] != "/":
        return False  # vsock and other forms are not used by a local service
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError:
        return False
    return True


def watchdog_period(
    environ: Mapping[str, str] = os.environ, pid: int | None = None
) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WATCHDOG_USEC), or None when not asked.

    WATCHDOG_PID, when set, must be this process (``pid``, default os.getpid()).
    """
    usec = environ.get("WATCHDOG_USEC")
    if not usec:
        return None
    owner = environ.get("WATCHDOG_PID")
    if owner and owner.strip() != str(os.getpid() if pid is None else pid):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 2e6 if value > 0 else None
