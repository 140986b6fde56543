#!/usr/bin/env python3
"""Screenshots of the tuning page for the docs: docs/screenshot.png and docs/screenshot-phone.png.

Runs the real daemon in-process (simulated sensor in real time, mock relay, no MQTT)
on a free port, with the last 24 h of simulated light recorded beforehand so the
chart shows a night, then photographs the page with Playwright and Debian's Chromium.
The desktop shot shows a live preview of an edited threshold (nothing is saved).

    python scripts/screenshot.py [--out docs] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAY = 86_400.0


def seed_history(state_dir: Path, now: float, settings, step: float = 120.0) -> None:
    """Record 24 h of simulated light and the switches the core makes of it."""
    from lightctl.core.replay import replay
    from lightctl.history import History
    from lightctl.sensors.simulated import lux_at

    n = int(DAY // step)
    samples = [(now - DAY + i * step, lux_at(now - DAY + i * step)) for i in range(1, n)]
    hist = History(state_dir / "history", flush_interval=0)
    hist.open(now)
    for t, lux in samples:
        hist.add_sample(t, lux)
    for ev in replay(samples, settings):
        hist.add_event(ev.at.wall, ev.on, ev.reason.value)
    hist.close()


def start_server(state_dir: Path):
    """The real daemon and web server around a simulated sensor; returns the started App."""
    from lightctl.bootstrap import build
    from lightctl.config import Config, RelayConfig, SensorConfig, WebConfig
    from lightctl.core.model import Settings

    settings = Settings(threshold=20.0, hysteresis=20.0, on_delay=60.0, off_delay=120.0)
    cfg = Config(
        node_id="porch",
        state_dir=state_dir,
        sensor=SensorConfig(type="simulated", interval=1.0),
        settings=settings,
        relay=RelayConfig(type="mock"),
        mqtt=None,
        web=WebConfig(host="127.0.0.1", port=0),
    )
    seed_history(state_dir, time.time(), settings)
    app = build(cfg, environ={})
    app.start()
    return app


def shoot(url: str, out: Path, chromium: str) -> list[Path]:
    """Desktop (with a live preview) and phone screenshots of the page at ``url``."""
    from playwright.sync_api import expect, sync_playwright

    desktop, phone = out / "screenshot.png", out / "screenshot-phone.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(url + "/")
            expect(page.locator("#chart svg .light-path")).to_have_count(1, timeout=10_000)
            page.fill("[name=threshold]", "8")
            expect(page.locator("#preview")).to_be_visible()
            page.wait_for_function("document.querySelector('#preview-table tbody tr')")
            _full_height(page)
            page.screenshot(path=str(desktop))

            page = browser.new_page(
                viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
            )
            page.goto(url + "/")
            expect(page.locator("#chart svg .light-path")).to_have_count(1, timeout=10_000)
            _full_height(page)
            chart = page.locator(".chart-card").bounding_box()
            bottom = chart["y"] + chart["height"] + 12 if chart else 844
            page.screenshot(path=str(phone), clip={"x": 0, "y": 0, "width": 390, "height": bottom})
        finally:
            browser.close()
    return [desktop, phone]


def _full_height(page) -> None:
    """Grow the viewport to the whole page, so the sticky Save bar sits where it ends."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": height})
    page.wait_for_timeout(300)  # let the chart redraw after the resize


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNG files")
    ap.add_argument(
        "--chromium",
        default=shutil.which("chromium") or "/usr/bin/chromium",
        help="Chromium executable (Playwright's own browsers are not needed)",
    )
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lightctl-shot-") as tmp:
        app = start_server(Path(tmp))
        try:
            for path in shoot(app.url.rstrip("/"), args.out, args.chromium):
                print(f"{path} ({path.stat().st_size // 1024} KiB)")
        finally:
            app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
