"""The documents agree with the settings' records (lightctl/core/settings.py FIELDS).

A setting added, renamed, re-ranged or moved to another section without its docs makes
one of these fail, saying what the row must be: docs/config.md's [control] and [schedule]
tables (key, type, default, range), the README's list of keys per section, the MQTT
number topics (docs/home-assistant.md, README) and the Prometheus gauges (http-api.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lightctl.core.settings import FIELDS, Field
from lightctl.entities import NUMBER_KEYS
from lightctl.webapp.metrics import SETTING_GAUGES

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("control", "schedule")
EXTRA = {"schedule": ["timezone"]}  # keys of the section that are not tunable settings


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def expected_cells(f: Field) -> tuple[str, str, str]:
    """(type, default, start of "allowed") as docs/config.md writes them."""
    kind = {"number": "number", "integer": "integer"}.get(f.kind, "string")
    if f.unit and f.kind in ("number", "integer"):
        kind += f" ({f.unit})"
    if f.default is None:
        default = "unset"
    elif isinstance(f.default, str):
        default = f'`"{f.default}"`'
    else:
        default = f"`{_num(f.default)}`"
    if f.lo is not None:
        allowed = f"{_num(f.lo)} – {_num(f.hi)}"
    elif f.choices:
        allowed = ", ".join(f"`{c}`" for c in sorted(f.choices))
    else:
        allowed = f'`"{f.pattern}"`'
    return kind, default, allowed


def table(markdown: str, heading: str) -> list[list[str]]:
    """The rows (cells) of the first table under ``heading``."""
    part = markdown.split(f"\n{heading}\n", 1)[1]
    rows = []
    for line in part.splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split(" | ")])
        elif rows:
            break
    return rows[2:]  # past the header and the rule


@pytest.mark.parametrize("section", SECTIONS)
def test_config_md_tables_match_the_records(section):
    """Each [control]/[schedule] row: the record's key in order, type, default and range."""
    rows = table((ROOT / "docs/config.md").read_text(), f"## [{section}]")
    keys = [k for k, f in FIELDS.items() if f.section == section]
    assert [r[0].strip("`") for r in rows] == keys + EXTRA.get(section, [])
    for row in rows[: len(keys)]:
        f = FIELDS[row[0].strip("`")]
        kind, default, allowed = expected_cells(f)
        assert row[1:3] == [kind, default], f"{f.key}: | `{f.key}` | {kind} | {default} | ..."
        if f.choices:
            assert sorted(re.findall(r"`(\w+)`", row[3].split(":")[0])) == sorted(f.choices)
        else:
            assert row[3].startswith(allowed), f"{f.key}: the allowed column starts {allowed}"


@pytest.mark.parametrize("section", SECTIONS)
def test_readme_lists_the_keys_of_each_section(section):
    """The README's table of sections names the same keys, in the same order."""
    text = (ROOT / "README.md").read_text()
    line = next(x for x in text.splitlines() if x.startswith(f"| `[{section}]` |"))
    keys = [k for k, f in FIELDS.items() if f.section == section] + EXTRA.get(section, [])
    assert re.findall(r"`(\w+)`", line.split(" | ", 1)[1]) == keys


def test_number_topics_are_documented():
    """Every setting Home Assistant shows as a number has its `<key>/set` topic documented."""
    for doc in ("docs/home-assistant.md", "README.md"):
        text = (ROOT / doc).read_text()
        missing = [k for k in NUMBER_KEYS if f"`{k}/set`" not in text]
        assert missing == [], f"{doc} lacks the topics {missing}"


def test_gauges_are_documented():
    """Every setting's Prometheus gauge is in the /metrics table."""
    text = (ROOT / "docs/http-api.md").read_text()
    missing = [name for name, _ in SETTING_GAUGES.values() if f"`{name}`" not in text]
    assert missing == [], f"docs/http-api.md lacks the gauges {missing}"


def test_the_checks_can_fail():
    """A wrong default or range is caught (the comparison is not vacuous)."""
    f = FIELDS["threshold"]
    assert expected_cells(f) == ("number (lx)", "`20`", "0 – 200000")
    assert expected_cells(FIELDS["off_window"]) == ("string", "unset", '`"HH:MM-HH:MM"`')
    assert expected_cells(FIELDS["fail_safe"])[:2] == ("string", '`"sun"`')
