"""Save a measured [sensor.calibration] into the config file, keeping everything else.

The file is edited as text, not re-serialised, so the user's comments, order and
spacing survive: an existing ``[sensor.calibration]`` section is replaced, else the
new one goes right after the ``[sensor]`` section's keys. The result is parsed again
and must equal the old document with only the points changed; otherwise nothing is
written. The write is atomic (temp file in the same folder, fsync, rename, folder
fsync), keeps the file's mode and owner, so a power cut leaves the old file or the new.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\s*(#.*)?$")
ARRAY_HEADER = re.compile(r"^\s*\[\[")


def _header(line: str) -> str | None:
    """The table name a ``[name]`` or ``[[name]]`` line opens, else None."""
    if ARRAY_HEADER.match(line):
        return line.strip().strip("[]").strip()
    m = HEADER.match(line)
    return m.group(1).replace(" ", "").replace('"', "") if m else None


def _section_end(lines: list[str], start: int) -> int:
    """Index after the last key line of the section opened at ``start``.

    Comments and blank lines just before the next header stay with that header.
    """
    nxt = next((i for i in range(start + 1, len(lines)) if _header(lines[i])), len(lines))
    end = nxt
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip()[:1] == "#"):
        end -= 1
    return end


def with_calibration(text: str, snippet: str) -> str:
    """``text`` with its [sensor.calibration] replaced by (or added as) ``snippet``.

    ValueError when the file cannot be edited safely (e.g. calibration written as an
    inline table): the user then pastes the printed snippet by hand.
    """
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    block = snippet.rstrip("\n").splitlines(keepends=False)
    block = [f"{b}\n" for b in block]
    names = [_header(line) for line in lines]
    if "sensor.calibration" in names:
        start = names.index("sensor.calibration")
        end = _section_end(lines, start)
        new = lines[:start] + block + lines[end:]
    elif "sensor" in names:
        end = _section_end(lines, names.index("sensor"))
        new = lines[:end] + ["\n"] + block + lines[end:]
    else:
        raise ValueError("the file has no [sensor] section")
    result = "".join(new)
    _check_same_but_points(text, result, tomllib.loads(snippet))
    return result


def _check_same_but_points(old_text: str, new_text: str, snippet: dict[str, Any]) -> None:
    """The edit changed the calibration points and nothing else, or ValueError."""
    try:
        old, new = tomllib.loads(old_text), tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"editing the file would break it ({exc})") from None
    want = snippet["sensor"]["calibration"]["points"]
    got = new.get("sensor", {}).get("calibration", {}).get("points")
    old.get("sensor", {}).pop("calibration", None)
    new.get("sensor", {}).pop("calibration", None)
    if got != want or old != new:
        raise ValueError(
            "cannot place [sensor.calibration] in this file safely "
            "(is calibration written inline in [sensor]?)"
        )


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: old or new content after any crash, never half."""
    path = Path(path)
    st = path.stat()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fchmod(f.fileno(), st.st_mode & 0o7777)
            if os.geteuid() == 0:
                os.fchown(f.fileno(), st.st_uid, st.st_gid)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
