"""The tuning page in Debian's Chromium, against the real daemon and API (tests/web/conftest.py).

The daemon runs on a manual clock: a new reading reaches the page when the test lets
time pass (``live_server.feed``). Tests take ``live_server`` before ``page`` so the
browser (and its keep-alive connections) goes away before the server stops.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from lightctl.core.model import Mode
from lightctl.core.settings import FIELDS, describe
from lightctl.webapp.page import page_fields

browser = pytest.mark.browser


def open_page(page: Page, live_server) -> Page:
    """Load the page and wait until the first status and the chart are drawn."""
    page.goto(live_server.url + "/")
    expect(page.locator("#light")).to_have_text("123")
    expect(page.locator("#chart svg .light-path")).to_have_count(1)
    return page


# --- server-rendered form (no browser) ------------------------------------------------


def test_every_setting_has_one_labelled_input():
    """page_fields lists every setting in the schema exactly once, with a label and help."""
    control, schedule = page_fields()
    keys = [f.key for f in control + schedule]
    assert keys == list(FIELDS)
    assert all(f.label and f.help for f in control + schedule)
    assert {f.key for f in schedule} == {
        "off_window",
        "away_off_window",
        "away_morning",
        "away_seed",
        "latitude",
        "longitude",
        "sun_max_elevation",
    }


def test_html_inputs_carry_the_keys_and_step_any(live_server):
    """GET / names each input after its setting; number inputs take decimals (step=any)."""
    import urllib.request

    html = urllib.request.urlopen(live_server.url + "/", timeout=5).read().decode()
    for key in FIELDS:
        assert f'name="{key}"' in html, key
        assert f'<label for="in-{key}"' in html, key
    numbers = re.findall(r'<input[^>]*type="number"[^>]*>', html)
    kinds = [spec["type"] for spec in describe().values()]
    assert len(numbers) == kinds.count("number") + kinds.count("integer")
    assert all('step="any"' in tag for tag in numbers)
    assert "http://" not in html.replace(live_server.url, "") and "https://" not in html


# --- live page -------------------------------------------------------------------------


@browser
def test_values_render(live_server, page: Page):
    """Light, lamp, mode, health and every setting's value appear from the live daemon."""
    open_page(page, live_server)
    status = live_server.daemon.status()
    expect(page.locator("#lamp")).to_have_text("ON" if status.lamp else "OFF")
    expect(page.locator("#mode")).to_have_text(re.compile("^Auto"))
    expect(page.locator("#sensor")).to_have_text("ok")
    expect(page.locator("#mqtt")).to_have_text("disabled")
    expect(page.locator("#version")).to_have_text(status.version or re.compile("."))
    expect(page.locator("#node-id")).to_contain_text("testnode")
    expect(page.locator("#override")).to_have_text("none")
    expect(page.locator("[name=threshold]")).to_have_value("20")
    expect(page.locator("[name=hysteresis]")).to_have_value("20")
    expect(page.locator("[name=on_delay]")).to_have_value("60")
    expect(page.locator("[name=fail_safe]")).to_have_value("sun")
    expect(page.locator("[name=latitude]")).to_have_value("")
    # no coordinates set: the time zone's point (or none), said with where it came from
    expect(page.locator("#location")).to_have_text(status.location.describe())
    assert status.location.source in ("timezone", "none")
    live_server.daemon.update_settings({"latitude": 48.1, "longitude": 11.6})
    expect(page.locator("#location")).to_have_text("48.10 N 11.60 E (configured)")
    # fail_safe "sun": where it switches, and whence (no evenings recorded yet)
    expect(page.locator("#fail-safe")).to_have_text(
        "the lamp follows the sun: switches at −4.0° (the default until 3 evenings are recorded)"
    )
    live_server.daemon.update_settings({"fail_safe": "hold"})
    expect(page.locator("#fail-safe")).to_have_text("the lamp stays as it is")
    expect(page.locator("button.mode[data-mode=auto]")).to_have_attribute("aria-pressed", "true")


@browser
def test_live_light_follows_the_sensor(live_server, page: Page):
    """A new reading shows up without reloading (status is polled)."""
    open_page(page, live_server)
    smoothing = live_server.settings().smoothing
    live_server.feed(4567, seconds=smoothing * live_server.interval)
    expect(page.locator("#light")).to_have_text("4567", timeout=8000)


@browser
def test_chart_draws_light_thresholds_and_switches(live_server, page: Page):
    """The SVG has the light curve, both threshold lines in order, ON shading and events."""
    open_page(page, live_server)
    svg = page.locator("#chart svg")
    expect(svg.locator(".thr-line")).to_have_count(1)
    expect(svg.locator(".off-line")).to_have_count(1)
    thr_y = float(svg.locator(".thr-line").get_attribute("y1"))
    off_y = float(svg.locator(".off-line").get_attribute("y1"))
    assert off_y < thr_y  # 40 lx is drawn above 20 lx
    assert live_server.recorded_events >= 1
    expect(svg.locator(".event")).to_have_count(live_server.recorded_events)
    assert svg.locator(".on-band").count() >= 1
    expect(svg.locator("title").first).to_contain_text("Light level")
    expect(svg.locator("desc")).to_contain_text("Threshold 20.0 lx, off above 40.0 lx")
    expect(page.locator("#chart-summary")).to_contain_text("The lamp switched")
    # the log scale: one gridline per decade, 0.1 lx to 100 000 lx
    expect(svg.locator(".ylab", has_text=re.compile(r"^(0\.1|100k)$"))).to_have_count(2)


@browser
def test_editing_previews_and_changes_nothing(live_server, page: Page):
    """Typing a threshold asks /api/preview, draws the would-be ON periods, applies nothing."""
    open_page(page, live_server)
    sent = []
    page.on("request", lambda r: sent.append((r.method, r.url)))
    with page.expect_request("**/api/preview") as req:
        page.fill("[name=threshold]", "60")
    body = json.loads(req.value.post_data)
    assert body == {"settings": {"threshold": 60}, "hours": 24}
    expect(page.locator("#preview")).to_be_visible()
    expect(page.locator("#preview-text")).to_contain_text("would have switched")
    expect(page.locator("#preview-table tbody tr").first).to_be_visible()
    expect(page.locator("#chart svg .thr-line.prev")).to_have_count(1)
    assert page.locator("#chart svg .prev-band").count() >= 1
    assert live_server.settings().threshold == 20.0
    assert not [m for m, _ in sent if m in ("PATCH", "PUT")]
    # discarding puts the saved value back and removes the preview
    page.click("#discard")
    expect(page.locator("[name=threshold]")).to_have_value("20")
    expect(page.locator("#preview")).to_be_hidden()


@browser
def test_bad_value_shows_alert_and_changes_nothing(live_server, page: Page):
    """A refused value is explained next to its field and in a summary; nothing changes."""
    open_page(page, live_server)
    before = live_server.settings()
    page.fill("[name=hysteresis]", "35")
    page.fill("[name=threshold]", "-5")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url))
    page.click("#save")
    err = page.locator("#err-threshold")
    expect(err).to_have_attribute("role", "alert")
    expect(err).to_contain_text("must be")
    alert = page.locator("#form-alert")
    expect(alert).to_contain_text(re.compile("^Not saved.*Nothing was changed"))
    page.wait_for_timeout(500)  # past the preview debounce: Save cancelled the pending preview
    assert not [u for u in sent if u.endswith("/api/preview")]
    expect(alert).to_contain_text(re.compile("^Not saved"))
    expect(page.locator("[name=threshold]")).to_have_attribute("aria-invalid", "true")
    assert live_server.settings() == before  # the good hysteresis was not half-applied


@browser
def test_save_applies(live_server, page: Page):
    """Save sends the edited fields and the daemon runs with them at once."""
    open_page(page, live_server)
    page.fill("[name=hysteresis]", "12.5")
    page.fill("[name=off_window]", "23:30-05:30")
    with page.expect_request(lambda r: r.method == "PATCH") as req:
        page.click("#save")
    assert json.loads(req.value.post_data) == {"hysteresis": 12.5, "off_window": "23:30-05:30"}
    expect(page.locator("#form-status")).to_contain_text("Saved")
    s = live_server.settings()
    assert (s.hysteresis, s.off_window, s.threshold) == (12.5, "23:30-05:30", 20.0)
    expect(page.locator("#save")).to_be_disabled()
    expect(page.locator("#chart svg desc")).to_contain_text("off above 32.5 lx")


@browser
def test_mode_buttons(live_server, page: Page):
    """On, Off and Auto switch the real daemon's mode and the page shows it."""
    open_page(page, live_server)
    page.click("button.mode[data-mode=on]")
    expect(page.locator("#lamp")).to_have_text("ON")
    expect(page.locator("button.mode[data-mode=on]")).to_have_attribute("aria-pressed", "true")
    assert live_server.daemon.status().mode is Mode.ON
    page.click("button.mode[data-mode=off]")
    expect(page.locator("#lamp")).to_have_text("OFF")
    expect(page.locator("#mode")).to_have_text(re.compile("^Off"))
    assert live_server.daemon.status().mode is Mode.OFF
    page.click("button.mode[data-mode=auto]")
    expect(page.locator("#mode")).to_have_text(re.compile("^Auto"))
    assert live_server.daemon.status().mode is Mode.AUTO


@browser
def test_away_button_and_what_the_rules_saved(live_server, page: Page):
    """Away sets the real daemon's away mode (with a seed of its own, shown in the form);
    the energy card shows what the rules saved against a plain photocell."""
    open_page(page, live_server)
    page.click("button.mode[data-mode=away]")
    expect(page.locator("#mode")).to_have_text(re.compile("^Away"))
    expect(page.locator("button.mode[data-mode=away]")).to_have_attribute("aria-pressed", "true")
    assert live_server.daemon.status().mode is Mode.AWAY
    seed = live_server.daemon.status().settings.away_seed
    assert seed != 0
    expect(page.locator("#in-away_seed")).to_have_value(str(seed))
    expect(page.locator("#in-away_off_window")).to_have_value("22:30-23:45")
    expect(page.locator("#saved-hours-week")).to_have_text(re.compile(r"^-?\d+\.\d$"))
    expect(page.locator("#saved-note")).to_contain_text("plain photocell")


@browser
def test_timed_override_and_back_to_auto(live_server, page: Page):
    """'On for 1 h' sets a timed override with its expiry shown; 'Back to auto' ends it."""
    open_page(page, live_server)
    page.get_by_role("button", name="On for 1 h").click()
    expect(page.locator("#override")).to_contain_text("lamp on until")
    expect(page.locator("#lamp")).to_have_text("ON")
    o = live_server.daemon.status().override
    assert o is not None and o.on and o.until is not None
    page.get_by_role("button", name="Back to auto").click()
    expect(page.locator("#override")).to_have_text("none")
    assert live_server.daemon.status().override is None


@browser
def test_teach_in_fills_threshold_and_previews(live_server, page: Page):
    """The teach-in button copies the current light into threshold; saving stays manual."""
    open_page(page, live_server)
    with page.expect_request("**/api/preview"):
        page.get_by_role("button", name="Use the current light as the threshold").click()
    expect(page.locator("[name=threshold]")).to_have_value("123")
    expect(page.locator("#save")).to_be_enabled()
    assert live_server.settings().threshold == 20.0


@browser
def test_phone_viewport_has_no_horizontal_scroll(live_server, page: Page):
    """At 390x844 the whole page fits the width, chart included."""
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, live_server)
    page.fill("[name=threshold]", "60")
    expect(page.locator("#preview")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator("#chart svg").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390


@browser
def test_tuning_on_a_phone_end_to_end(live_server, page: Page):
    """On a 390x844 screen: raise the threshold above the current light, read the
    preview, save; once the on delay has passed the lamp goes on and the page, its
    chart and the daemon agree."""
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, live_server)
    expect(page.locator("#lamp")).to_have_text("OFF")
    with page.expect_request("**/api/preview") as req:
        page.fill("[name=threshold]", "200")
    assert json.loads(req.value.post_data) == {"settings": {"threshold": 200}, "hours": 24}
    expect(page.locator("#preview-text")).to_contain_text("would have switched")
    expect(page.locator("#chart svg .thr-line.prev")).to_have_count(1)
    with page.expect_request(lambda r: r.method == "PATCH") as req:
        page.click("#save")
    assert json.loads(req.value.post_data) == {"threshold": 200}
    expect(page.locator("#form-status")).to_contain_text("Saved")
    expect(page.locator("#chart svg desc")).to_contain_text("Threshold 200 lx, off above 220 lx")
    assert live_server.settings().threshold == 200.0
    assert not live_server.daemon.status().lamp  # 123 lx is dark now: the on delay runs

    live_server.advance(live_server.settings().on_delay + live_server.interval)
    assert live_server.daemon.status().lamp
    expect(page.locator("#lamp")).to_have_text("ON", timeout=8000)  # the next status poll
    expect(page.locator("#reason")).to_contain_text("it is dark")
    # the new switch makes the page reload the history: one more mark on the chart
    marks = page.locator("#chart svg .event")
    expect(marks).to_have_count(live_server.recorded_events + 1, timeout=8000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@browser
def test_keyboard_and_labels(live_server, page: Page):
    """Every input has a label; Tab reaches the inputs and Enter on a button acts."""
    open_page(page, live_server)
    unlabelled = page.evaluate(
        "Array.from(document.querySelectorAll('input,select'))"
        ".filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"
    )
    assert unlabelled == []
    page.focus("button.mode[data-mode=off]")
    page.keyboard.press("Enter")
    expect(page.locator("#mode")).to_have_text(re.compile("^Off"))
    page.focus("[name=threshold]")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "hysteresis"


@browser
def test_dark_colour_scheme(live_server, page: Page):
    """With prefers-color-scheme: dark the page background turns dark."""
    page.emulate_media(color_scheme="dark")
    open_page(page, live_server)
    rgb = page.evaluate("getComputedStyle(document.body).backgroundColor")
    r, g, b = (int(x) for x in re.findall(r"\d+", rgb)[:3])
    assert r + g + b < 150


@browser
def test_no_request_leaves_the_server(live_server, page: Page):
    """Every request the page makes goes to the switch itself (no CDN, no fonts)."""
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    open_page(page, live_server)
    page.fill("[name=threshold]", "30")
    expect(page.locator("#preview")).to_be_visible()
    assert urls
    foreign = [u for u in urls if not u.startswith(live_server.url + "/")]
    assert foreign == []


@browser
def test_with_password_login_then_changes_carry_the_csrf_token(live_server_with_password, page):
    """Behind a login, the page's own PATCH and POSTs pass the CSRF check and apply."""
    from tests.web.conftest import PASSWORD

    server = live_server_with_password
    page.goto(server.url + "/")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#light")).to_have_text("123")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token
    with page.expect_request(lambda r: r.method == "PATCH") as req:
        page.fill("[name=on_delay]", "45")
        page.click("#save")
    assert req.value.headers.get("x-csrf-token") == token
    expect(page.locator("#form-status")).to_contain_text("Saved")
    assert server.settings().on_delay == 45.0
    page.click("button.mode[data-mode=off]")
    expect(page.locator("#mode")).to_have_text(re.compile("^Off"))
    assert server.daemon.status().mode is Mode.OFF
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@browser
def test_sensor_fault_is_shown(live_server, page: Page):
    """A failing sensor shows its problem in the health list, and clears when it recovers."""
    open_page(page, live_server)
    fault_after = live_server.app.cfg.sensor.fault_after
    live_server.feed("not a number", seconds=fault_after * live_server.interval)
    expect(page.locator("#sensor")).to_have_text(re.compile("^problem: "), timeout=8000)
    expect(page.locator("#sensor")).to_have_class("bad")
    live_server.feed(50)
    expect(page.locator("#sensor")).to_have_text("ok", timeout=8000)


@browser
def test_the_savings_are_asked_every_ten_minutes_and_after_a_change(live_server, page: Page):
    """A week of savings is about a second of a Pi Zero's CPU: an open page asks for them
    at load, then every 10 minutes (not every minute, as the chart), and at once after
    a change of the settings (here from elsewhere: Home Assistant, another phone)."""
    import urllib.request

    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/api/savings" in r.url else None)
    page.clock.install()
    open_page(page, live_server)
    expect(page.locator("#saved-hours-week")).to_have_text(re.compile(r"^-?\d+\.\d$"))
    assert len(asked) == 1
    page.clock.run_for(5 * 60_000)  # status every 2 s and the chart every minute meanwhile
    page.wait_for_timeout(200)
    assert len(asked) == 1
    with page.expect_request("**/api/savings"):
        page.clock.run_for(5 * 60_000 + 2_000)
    assert len(asked) == 2
    body = json.dumps({"hysteresis": 12.5}).encode()
    req = urllib.request.Request(
        live_server.url + "/api/settings",
        body,
        {"Content-Type": "application/json"},
        method="PATCH",
    )
    urllib.request.urlopen(req, timeout=5).read()
    with page.expect_request("**/api/savings"):
        page.clock.run_for(2_100)  # the next status poll sees the new settings
    assert len(asked) == 3
