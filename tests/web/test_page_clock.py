"""One clock on the page: every time is shown in the Pi's zone, whatever the browser's.

The switch runs in Asia/Kolkata (UTC+05:30, so its full hours fall on the half hours
of most other zones); the browser runs in America/Los_Angeles. Each time the page
shows (the "since" line, the chart's switch marks and summary, the override's end and
the preview's first ON / last OFF) must read as the Pi's wall clock.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.web.conftest import running_switch

PI_ZONE = "Asia/Kolkata"
BROWSER_ZONE = "America/Los_Angeles"
TZ = ZoneInfo(PI_ZONE)


@pytest.fixture
def kolkata_switch(tmp_path):
    with running_switch(tmp_path, timezone=PI_ZONE) as server:
        yield server


@pytest.fixture
def la_page(kolkata_switch, browser):
    context = browser.new_context(timezone_id=BROWSER_ZONE)
    page = context.new_page()
    yield page
    context.close()


def hhmm(t: float) -> str:
    return datetime.fromtimestamp(t, TZ).strftime("%H:%M")


@pytest.mark.browser
def test_page_shows_every_time_in_the_pis_zone(kolkata_switch, la_page):
    page = la_page
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == BROWSER_ZONE
    page.goto(kolkata_switch.url + "/")
    expect(page.locator("#chart svg .light-path")).to_have_count(1)
    expect(page.locator("#tz")).to_have_text(f"times in {PI_ZONE}")
    expect(page.locator("#chart-tz")).to_have_text(f"times in {PI_ZONE}")

    # the switch marks of the chart, in the Pi's zone
    events = kolkata_switch.app.controller.history(24.0).events
    assert events, "the recorded day has switches"
    titles = page.locator("#chart svg .event title").all_text_contents()
    want = [f"{e[1]} at {hhmm(e[0])}" for e in sorted(events)]
    assert [re.sub(r" \(.*\)$", "", t) for t in titles] == want
    # the hour labels are the Pi's full hours, every third one
    labels = page.locator("#chart svg .xlab").all_text_contents()
    assert labels and all(re.fullmatch(r"(\d\d):00", x) for x in labels), labels
    assert all(int(x[:2]) % 3 == 0 for x in labels), labels

    # an override with an end: "until HH:MM" in the Pi's zone
    page.click("button.ovr[data-state=on]")
    expect(page.locator("#override")).to_contain_text("until")
    until = kolkata_switch.daemon.status().override.until
    expect(page.locator("#override")).to_contain_text(f"until {hhmm(until)}")
    since = kolkata_switch.daemon.status().since
    expect(page.locator("#reason")).to_contain_text(f"since {hhmm(since)}")

    # the preview's first ON is the same clock as the chart's marks
    preview = kolkata_switch.app.controller.preview({"threshold": 100}, 24.0)
    night = preview["summary"]["nights"][0]
    first_on = datetime.fromisoformat(night["first_on"]).astimezone(TZ).strftime("%H:%M")
    page.fill("[name=threshold]", "100")
    row = page.locator("#preview-table tbody tr").first
    expect(row.locator("td").nth(2)).to_have_text(first_on)
