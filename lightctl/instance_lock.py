"""One daemon per ``state_dir``: an exclusive ``flock`` on ``state_dir/lock``.

Two daemons on one state would share a relay and a history, and the second would
connect to MQTT with the same client id and knock the first off the broker. So
``lightctl run`` takes this lock before it touches the network or the hardware, and a
second one stops at once with one line. The kernel drops the lock when the process
ends, however it ends (kill -9 and power cuts included): there is no stale lock to
clean up. The file holds the owner's pid, for the message only.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

log = logging.getLogger("lightctl")

FILE_NAME = "lock"


class AlreadyRunning(RuntimeError):
    """Another process holds the lock on this state_dir."""


class InstanceLock:
    """Held from :meth:`acquire` until :meth:`release` or the end of the process."""

    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / FILE_NAME
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        """Take the lock, or raise AlreadyRunning naming the other pid.

        A state_dir that cannot hold the file (a read-only disk) must not stop the
        lamp: then the daemon runs unlocked and says so in the log.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            try:  # read-only but present: a shared open still locks
                fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                log.warning("no instance lock in %s (%s): running without it", self.path, exc)
                return self
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = _read_pid(fd)
            os.close(fd)
            who = f" (pid {other})" if other else ""
            raise AlreadyRunning(
                f"another lightctl is already running with state_dir {self.path.parent}{who}"
            ) from None
        self._fd = fd
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass  # the lock holds without the pid in it
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() and text.isascii() else None
