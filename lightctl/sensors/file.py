"""``file`` sensor: a number in lux, re-read from a text file at every sample.

Useful for tests, for a value written by another program, or a cron job. A
missing, empty or non-numeric file is a read error; NaN and negative numbers are
returned as written, so the core judges them like any other bad reading.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lightctl.config_checks import text
from lightctl.device_types import DeviceType, Option
from lightctl.errors import SensorError

if TYPE_CHECKING:
    from lightctl.config import SensorConfig

TYPE = DeviceType(
    "file",
    "a number in lux in a text file",
    (Option("path", text(what="a file path"), help="re-read every sample"),),
)


class FileSensor:
    """Reads ``path`` each time; holds no file open between samples."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def read(self) -> float:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            raise SensorError(f"cannot read {self.path}: {e.strerror or e}") from e
        text = text.strip()
        if not text:
            raise SensorError(f"{self.path} is empty (expected a number in lux)")
        try:
            return float(text.split()[0])
        except ValueError:
            shown = text[:40] + ("…" if len(text) > 40 else "")
            raise SensorError(f"{self.path} holds {shown!r}, not a number in lux") from None

    def close(self) -> None:
        """Nothing to release."""


def create(cfg: SensorConfig, **_: Any) -> FileSensor:
    return FileSensor(cfg.options["path"])
