"""`lightctl hash-password`: read a password twice, print the web.password_hash."""

from __future__ import annotations

import getpass as _getpass
import sys
from collections.abc import Callable
from typing import TextIO

from lightctl.passwords import MIN_PASSWORD, hash_password


def cmd_hash_password(args) -> int:
    return prompt_hash(sys.stdin, sys.stdout)


def prompt_hash(
    stdin: TextIO,
    stdout: TextIO,
    *,
    getpass: Callable[[str], str] = _getpass.getpass,
    stderr: TextIO | None = None,
) -> int:
    """``lightctl hash-password``: read the password twice (from the terminal without
    echo, or two lines of stdin when piped), print its hash; return the exit code."""
    err = stderr if stderr is not None else sys.stderr
    if stdin.isatty():
        first = getpass("Password: ")
        second = getpass("Repeat password: ")
    else:
        lines = [stdin.readline(), stdin.readline()]
        if not lines[1]:
            print("error: expected the password on two lines of standard input", file=err)
            return 1
        first, second = (line.rstrip("\r\n") for line in lines)
    if not first:
        print("error: the password is empty", file=err)
        return 1
    if first != second:
        print("error: the two passwords differ", file=err)
        return 1
    if len(first) < MIN_PASSWORD:
        print(f"error: the password has {len(first)} characters; use at least {MIN_PASSWORD}",
              file=err)  # fmt: skip
        return 1
    print(hash_password(first), file=stdout)
    return 0
