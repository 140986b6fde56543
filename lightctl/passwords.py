"""Password hashes for ``web.password_hash``: made by `lightctl hash-password`, checked
by the page's login (werkzeug's scrypt)."""

from __future__ import annotations

MIN_PASSWORD = 8  # characters: the page may face a whole network


def hash_password(password: str) -> str:
    """The value for ``web.password_hash`` (werkzeug scrypt)."""

    from werkzeug.security import generate_password_hash  # not at start-up: slow on a Pi

    if not password:
        raise ValueError("the password is empty")
    return generate_password_hash(password, method="scrypt")
