#!/usr/bin/env python3
"""Write the per-type key tables of docs/config.md from the sensor and relay modules.

Each table sits between two marker comments, ``<!-- begin: sensor types ... -->`` and
``<!-- end: sensor types -->`` (and the same for relay types); everything else in
the file is left as it is. Run it after adding or changing a type's options:

    python scripts/gen-config-docs.py          # rewrite docs/config.md
    python scripts/gen-config-docs.py --check  # exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from lightctl.config import _toml_value
from lightctl.config_checks import REQUIRED
from lightctl.device_types import DeviceType, Option
from lightctl.relays import relay_types
from lightctl.sensors import sensor_types

DOC = Path(__file__).resolve().parent.parent / "docs" / "config.md"


def _default(option: Option) -> str:
    if option.default is REQUIRED:
        return "— (required)"
    if option.default is None:
        return "unset"
    return f"`{_toml_value(option.name, option.default)}`"


def _about(section: str, kind: DeviceType) -> str:
    needs = []
    if kind.calibrated:
        needs.append(f"needs `[{section}.calibration]`")
    if kind.needs_mqtt:
        needs.append(f"needs an `[mqtt]` section: {kind.needs_mqtt}")
    return f"`{kind.name}` ({'; '.join([kind.summary, *needs])})"


def table(section: str, kinds: dict[str, DeviceType]) -> list[str]:
    """The markdown rows for every type of ``section``, in registry order."""
    rows = ["| type | key | default | allowed |", "| --- | --- | --- | --- |"]
    for kind in kinds.values():
        about = _about(section, kind)
        if not kind.options:
            rows.append(f"| {about} | | | no keys of its own |")
        for option in kind.options:
            allowed = option.rule + (f": {option.help}" if option.help else "")
            rows.append(f"| {about} | `{option.name}` | {_default(option)} | {allowed} |")
            about = ""
        rows += [f"| | | | {rule.doc} |" for rule in kind.rules]
    return rows


def render(text: str) -> str:
    """``text`` with each marked table replaced by the one the declarations give."""
    for section, kinds in (("sensor", sensor_types()), ("relay", relay_types())):
        begin = f"<!-- begin: {section} types (scripts/gen-config-docs.py writes this table) -->"
        end = f"<!-- end: {section} types -->"
        pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.S)
        if not pattern.search(text):
            raise SystemExit(f"{DOC}: no {begin} ... {end} block")
        block = "\n".join([begin, *table(section, kinds), end])
        text = pattern.sub(lambda _, block=block: block, text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/config.md differs")
    args = parser.parse_args()
    text = DOC.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        if new != text:
            print(f"{DOC} is out of date: run python scripts/gen-config-docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
