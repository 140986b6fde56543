"""Server-side list of live logins, so that logging out really ends a session.

The session cookie is signed, not stored: on its own, a copy of it would keep working
until it expires (30 days), logout or not. So each login gets a random id, the server
keeps the ids it handed out (as SHA-256 digests, never the ids themselves) with their
expiry, and a cookie counts only while its id is on that list. Logout takes the id off;
a new password (another ``tag``) empties the list.

With a ``state_dir`` the list lives in ``state_dir/sessions.json``, written atomically
(temporary file, fsync, rename, fsync of the folder) so that logins survive a restart
and a logout survives one too. Without one (tests, demo) it lives in memory. When the
file cannot be written the list still works in memory and the error is logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("lightctl.web")

FILE_NAME = "sessions.json"
#: Live logins kept at most; past this the oldest one is logged out.
MAX_SESSIONS = 64


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8", "surrogatepass")).hexdigest()


class SessionStore:
    """The live session ids of one password (``tag``); thread-safe."""

    def __init__(
        self,
        state_dir: Path | None,
        *,
        tag: str,
        lifetime: float,
        clock: Callable[[], float] = time.time,
        max_sessions: int = MAX_SESSIONS,
    ):
        self.path = None if state_dir is None else Path(state_dir) / FILE_NAME
        self.tag = tag
        self.lifetime = lifetime
        self.clock = clock
        self.max_sessions = max_sessions
        self._lock = threading.Lock()
        self._live: dict[str, float] = self._load()  # digest -> expiry (epoch s)

    def create(self) -> str:
        """A new session id, live from now for ``lifetime`` seconds."""
        sid = secrets.token_urlsafe(24)
        now = self.clock()
        with self._lock:
            self._expire(now)
            while len(self._live) >= self.max_sessions:
                del self._live[min(self._live, key=self._live.__getitem__)]
            self._live[_digest(sid)] = now + self.lifetime
            self._save()
        return sid

    def alive(self, sid: object) -> bool:
        """True when ``sid`` was handed out, is not revoked and has not expired."""
        if not isinstance(sid, str) or not sid:
            return False
        with self._lock:
            expiry = self._live.get(_digest(sid))
        return expiry is not None and expiry > self.clock()

    def revoke(self, sid: object) -> None:
        """End one session (logout)."""
        if not isinstance(sid, str):
            return
        with self._lock:
            if self._live.pop(_digest(sid), None) is not None:
                self._save()

    def revoke_all(self) -> None:
        """End every session."""
        with self._lock:
            self._live.clear()
            self._save()

    def __len__(self) -> int:
        return len(self._live)

    # --- the file -------------------------------------------------------------------

    def _expire(self, now: float) -> None:
        for key in [k for k, until in self._live.items() if until <= now]:
            del self._live[key]

    def _load(self) -> dict[str, float]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("%s unreadable (%s): every login starts afresh", self.path, exc)
            return {}
        if not isinstance(data, dict) or data.get("tag") != self.tag:
            return {}  # another password: its sessions are over
        live = data.get("sessions")
        if not isinstance(live, dict):
            return {}
        now = self.clock()
        return {
            k: float(v)
            for k, v in live.items()
            if isinstance(k, str)
            and isinstance(v, int | float)
            and not isinstance(v, bool)
            and v > now
        }

    def _save(self) -> None:
        """Write the list atomically (caller holds the lock)."""
        if self.path is None:
            return
        body = json.dumps({"tag": self.tag, "sessions": self._live}, separators=(",", ":"))
        tmp = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "wb") as fh:  # a short write raises instead of tearing the file
                fh.write(body.encode())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError as exc:
            log.error(
                "could not save %s (%s): logins and logouts hold until a restart", self.path, exc
            )
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
