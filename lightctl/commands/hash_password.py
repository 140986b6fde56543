"""`lightctl hash-password`: read a password twice, print the web.password_hash."""

from __future__ import annotations

import sys


def cmd_hash_password(args) -> int:
    from lightctl.webapp.auth import prompt_hash

    return prompt_hash(sys.stdin, sys.stdout)
