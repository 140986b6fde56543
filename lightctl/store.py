"""Runtime settings, mode and override, kept in ``state_dir/runtime.json``.

Changes made from the page, the API or MQTT must survive a restart and a power
cut, and a kill at any instant must leave either the old or the new file, never
a torn one. So every save writes a temporary file in the same folder, flushes and
fsyncs it, renames it over the real one (``os.replace`` is atomic on POSIX) and
fsyncs the folder so the rename itself is on disk.

The store is deliberately dumb: it checks JSON shapes, not setting values. The
daemon passes ``settings`` through the one validation path
(``lightctl.core.settings.apply_patch``) after loading.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("lightctl.store")

FILE_NAME = "runtime.json"
TMP_SUFFIX = ".tmp"
FORMAT_VERSION = 1
MODES = frozenset({"auto", "on", "off", "away"})
OVERRIDE_KEYS = frozenset({"on", "until", "base"})


@dataclass(frozen=True)
class RuntimeState:
    """What changed at runtime: settings keys, mode (maybe timed), manual override."""

    settings: dict[str, Any] = field(default_factory=dict)  # only keys changed at runtime
    mode: str = "auto"  # auto | on | off | away
    mode_until: float | None = None  # epoch seconds, timed mode
    override: dict[str, Any] | None = None  # {"on": bool, "until": epoch|None, "base": bool|None}


class ShapeError(ValueError):
    """The JSON does not have the shape of a RuntimeState."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _optional_number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if not _is_number(value):
        raise ShapeError(f"{name} must be a finite number or null, got {value!r}")
    return float(value)


def to_json(rt: RuntimeState) -> dict[str, Any]:
    """The file's JSON object (checked, so a save never writes what load would refuse)."""
    data = {
        "version": FORMAT_VERSION,
        "settings": dict(rt.settings),
        "mode": rt.mode,
        "mode_until": rt.mode_until,
        "override": None if rt.override is None else dict(rt.override),
    }
    from_json(data)
    return data


def from_json(data: Any) -> RuntimeState:
    """Check the shapes and types of a parsed file; raise ShapeError naming the problem."""
    if not isinstance(data, dict):
        raise ShapeError(f"top level must be an object, got {type(data).__name__}")
    if data.get("version") != FORMAT_VERSION:
        raise ShapeError(f"version must be {FORMAT_VERSION}, got {data.get('version')!r}")
    unknown = set(data) - {"version", "settings", "mode", "mode_until", "override"}
    if unknown:
        raise ShapeError(f"unknown keys {sorted(unknown)}")

    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise ShapeError(f"settings must be an object, got {settings!r}")
    for key, value in settings.items():
        if not (value is None or isinstance(value, str) or _is_number(value)):
            raise ShapeError(f"settings.{key} must be a number, text or null, got {value!r}")

    mode = data.get("mode", "auto")
    if mode not in MODES:
        raise ShapeError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
    mode_until = _optional_number(data.get("mode_until"), "mode_until")

    override = data.get("override")
    if override is not None:
        if not isinstance(override, dict) or not isinstance(override.get("on"), bool):
            raise ShapeError(
                f'override must be null or an object with a boolean "on", got {override!r}'
            )
        if set(override) - OVERRIDE_KEYS:
            raise ShapeError(f"override has unknown keys {sorted(set(override) - OVERRIDE_KEYS)}")
        base = override.get("base")
        if base is not None and not isinstance(base, bool):
            raise ShapeError(f"override.base must be a boolean or null, got {base!r}")
        override = {
            "on": override["on"],
            "until": _optional_number(override.get("until"), "override.until"),
            "base": base,
        }
    return RuntimeState(dict(settings), mode, mode_until, override)


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable; some filesystems refuse, which we accept."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


class SettingsStore:
    """Load and atomically save the :class:`RuntimeState` in ``state_dir``.

    Thread-safe (one lock around load and save). ``save`` raises OSError when the
    disk refuses; the caller logs it and keeps running with the state in memory.
    """

    def __init__(self, state_dir: Path):
        self.folder = Path(state_dir)
        self.path = self.folder / FILE_NAME
        self._lock = threading.Lock()
        try:
            self.folder.mkdir(mode=0o750, parents=True, exist_ok=True)
        except OSError as exc:  # a read-only disk: the first save reports it
            log.error("cannot create %s: %s", self.folder, exc)

    def load(self) -> RuntimeState | None:
        """The saved state; None when there is none or it was unreadable (moved aside)."""
        with self._lock:
            self._remove_stale_tmp()
            try:
                raw = self.path.read_bytes()
            except FileNotFoundError:
                return None
            except OSError as exc:  # e.g. an I/O error on a failing card: start from config
                log.error("cannot read %s: %s; starting from the config", self.path, exc)
                return None
            try:
                return from_json(json.loads(raw.decode("utf-8")))
            except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, ShapeError
                self._move_aside(exc)
                return None

    def save(self, rt: RuntimeState) -> None:
        """Write ``rt`` so that a crash at any instant leaves the old or the new file."""
        data = json.dumps(to_json(rt), allow_nan=False, sort_keys=True, indent=1) + "\n"
        with self._lock:
            self.folder.mkdir(mode=0o750, parents=True, exist_ok=True)
            # One temp name per process: two writers never truncate each other's file.
            tmp = self.folder / f"{FILE_NAME}.{os.getpid()}{TMP_SUFFIX}"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
            _fsync_dir(self.folder)

    def _remove_stale_tmp(self) -> None:
        """A crash between write and rename leaves the temp file; it is never the truth."""
        for stale in self.folder.glob(FILE_NAME + "*" + TMP_SUFFIX):
            with contextlib.suppress(OSError):
                stale.unlink()
                log.info("removed %s, left by an interrupted save", stale)

    def _move_aside(self, exc: Exception) -> None:
        """Keep an unreadable file for a human, out of the way of the next start."""
        target = self.folder / f"{FILE_NAME}.corrupt-{int(time.time())}"
        n = 1
        while target.exists():
            target = self.folder / f"{FILE_NAME}.corrupt-{int(time.time())}-{n}"
            n += 1
        try:
            os.replace(self.path, target)
        except OSError as move_exc:
            log.error("%s is unreadable (%s) and could not be moved: %s", self.path, exc, move_exc)
            return
        log.error(
            "%s is unreadable (%s); moved to %s, starting from the config",
            self.path,
            exc,
            target.name,
        )
