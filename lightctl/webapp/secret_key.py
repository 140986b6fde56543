"""The page's session-signing key in ``state_dir``: read at start-up, before Flask is
imported (a disk that refuses it is a problem shown from the first status on)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_BYTES = 32


def load_or_create_secret(state_dir: Path) -> bytes:
    """The session-signing key, made once (32 random bytes, mode 0600) and kept across
    restarts so logins survive them. A short or empty file (power cut while creating
    it) is replaced, which only logs users out."""
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) >= SECRET_BYTES:
            return key[:SECRET_BYTES]
        return _replace_secret(path)
    key = secrets.token_bytes(SECRET_BYTES)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def _replace_secret(path: Path) -> bytes:
    key = secrets.token_bytes(SECRET_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return key
