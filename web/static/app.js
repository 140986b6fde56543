/* lightctl tuning page: live status, chart, live preview, settings, lamp buttons.
   Talks only to this server's JSON API; nothing is applied until Save. */
"use strict";
(function () {
  const $ = (s) => document.querySelector(s);
  const $$ = (s) => Array.from(document.querySelectorAll(s));
  const C = window.LightChart;
  // the savings (7 days of history) take the switch about a second of CPU on a Pi
  // Zero: asked every 10 minutes, and after a switch or a change of the settings
  const POLL_MS = 2000, HISTORY_MS = 60000, SAVINGS_MS = 600000, DEBOUNCE_MS = 300;
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.content : null;
  const form = $("#settings");
  const inputs = $$("#settings [name]");
  const REASONS = {
    dark: "it is dark", light: "it is light", override: "manual override", mode: "set by the mode",
    window: "off window", sun: "the sun is up", "fail-safe": "sensor fault: fail-safe", startup: "starting up",
    away: "away mode",
  };

  let status = null, history = null, preview = null, saved = {};
  let previewSeq = 0, previewTimer = null, lastSince, lastSettings, chartText = "";

  /** fetch JSON from this server; returns {ok, code, data}. */
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (csrf && method !== "GET") headers["X-CSRF-Token"] = csrf;
    const r = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (r.status === 401) { location.reload(); throw new Error("login needed"); }
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    return { ok: r.ok, code: r.status, data };
  }

  function fmtDuration(s) {
    if (s === null || s === undefined || !isFinite(s)) return "–";
    s = Math.max(0, Math.round(s));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d) return `${d} d ${h} h`;
    if (h) return `${h} h ${m} min`;
    if (m) return `${m} min`;
    return `${s} s`;
  }
  function serverNow() { return status && status.updated ? status.updated : Date.now() / 1000; }
  function until(t) {
    if (!t) return "";
    return ` until ${C.fmtTime(t)} (in ${fmtDuration(t - serverNow())})`;
  }
  function setText(sel, text, cls) {
    const e = $(sel);
    e.textContent = text;
    if (cls !== undefined) e.className = cls;
  }

  // ---- live status ---------------------------------------------------------------
  function zoneWords(s) {
    if (s.timezone) return s.timezone;
    const off = Math.round((s.utc_offset || 0) / 60), a = Math.abs(off);
    return "UTC" + (off < 0 ? "−" : "+") + String(Math.floor(a / 60)).padStart(2, "0") + ":" + String(a % 60).padStart(2, "0");
  }
  function renderStatus(s) {
    status = s;
    C.setZone(s.timezone, s.utc_offset);
    const fast = s.clock_speed && s.clock_speed !== 1;
    setText("#tz", `times in ${zoneWords(s)}` + (fast ? ` · demo: simulated clock at ${s.clock_speed}× real time;` +
      " each start begins afresh, with the day before it simulated" : ""));
    setText("#chart-tz", `times in ${zoneWords(s)}`);
    setText("#light", s.light === null ? "no reading" : C.fmtLux(s.light));
    setText("#lamp", s.lamp === "on" ? "ON" : "OFF", "badge " + (s.lamp === "on" ? "is-on" : "is-off"));
    const why = REASONS[s.reason] || s.reason || "";
    setText("#reason", (why ? "· " + why : "") + (s.since ? ` · since ${C.fmtTime(s.since)}` : ""));
    const modeName = { auto: "Auto", on: "On (forced)", off: "Off (forced)", away: "Away (lived-in look)" }[s.mode] || s.mode;
    const awayNext = s.away_next ? ` · next away switch ${C.fmtTime(s.away_next)}` : "";
    setText("#mode", modeName + until(s.mode_until) + awayNext);
    const o = s.override;
    setText("#override", o ? `lamp ${o.state}` + (o.until ? until(o.until) : " until the next automatic switch") : "none");
    setText("#sensor", s.problem ? "problem: " + s.problem : "ok", s.problem ? "bad" : "good");
    setText("#mqtt", s.mqtt || "–", s.mqtt === "connected" ? "good" : s.mqtt === "disconnected" ? "bad" : "muted");
    setText("#location", s.location ? s.location.text : "–", s.location && s.location.source === "none" ? "muted" : "");
    setText("#lamp-delta", s.lamp_delta === null || s.lamp_delta === undefined ? "not measured yet"
      : `adds about ${C.fmtLux(s.lamp_delta)} lx to the reading when it goes on`);
    setText("#rejected", `${s.rejected_lights || 0} kept from switching the lamp off`);
    const fs = s.settings ? s.settings.fail_safe : null;
    setText("#fail-safe", fs === "sun" ? "the lamp follows the sun: " + (s.fail_safe_sun ? s.fail_safe_sun.text : "")
      : { on: "the lamp goes ON", off: "the lamp goes OFF", hold: "the lamp stays as it is" }[fs] || "–");
    setText("#test-state", s.test_until ? `Test running: no delays until ${C.fmtTime(s.test_until)}.`
      : "Cover the sensor and the lamp answers at once while the test runs.");
    const prop = s.proposed_hysteresis;
    $("#proposal").hidden = !prop;
    if (prop) {
      setText("#proposal-text", `The lamp's own light (about ${C.fmtLux(s.lamp_delta)} lx) reaches the off level: ` +
        `it could switch itself off. A hysteresis of ${C.fmtLux(prop)} lx clears it.`);
      $("#apply-proposal").dataset.value = String(prop);
    }
    setText("#uptime", fmtDuration(s.updated - s.started) + (fast ? " (simulated)" : ""));
    setText("#version", s.version || "–");
    setText("#node-id", s.node_id ? "· " + s.node_id : "");
    document.title = `${s.lamp === "on" ? "ON" : "OFF"} · ${s.node_id || "lightctl"}`;
    for (const b of $$("button.mode")) b.setAttribute("aria-pressed", String(b.dataset.mode === s.mode));
    renderCounters(s.counters, s.settings || {});
    if (s.settings) { saved = s.settings; fillForm(); }
    const settingsText = JSON.stringify(s.settings || {});
    if (lastSince !== undefined && s.since !== lastSince) loadHistory();
    if ((lastSince !== undefined && s.since !== lastSince) ||
        (lastSettings !== undefined && settingsText !== lastSettings)) loadSavings();
    lastSince = s.since;
    lastSettings = settingsText;
    drawChart();
  }

  function renderCounters(c, set) {
    if (!c) return;
    const h = (v) => (v ?? 0).toFixed(1), kwh = (v) => (set.lamp_power ? (v ?? 0).toFixed(2) : "–");
    for (const [key, part] of [["today", c.today], ["month", c.month], ["total", c]]) {
      setText(`#hours-${key}`, h(part.on_hours));
      setText(`#kwh-${key}`, kwh(part.energy_kwh));
    }
    setText("#power-note", set.lamp_power ? `Energy is ON time × lamp power (${set.lamp_power} W).` :
      "Set the lamp power below to count energy.");
    setText("#cycles", `${c.relay_cycles} of ${c.relay_rated_cycles} rated (${c.relay_wear_percent.toFixed(1)} %)`,
      c.relay_wear_percent >= 90 ? "bad" : "");
  }

  async function poll() {
    try {
      const r = await api("GET", "/api/status");
      if (!r.ok) throw new Error("HTTP " + r.code);
      renderStatus(r.data);
      setText("#conn", "", "conn");
    } catch (e) {
      setText("#conn", "No answer from the switch; retrying…", "conn bad");
    }
    setTimeout(poll, POLL_MS);
  }

  async function loadHistory() {
    try {
      const r = await api("GET", "/api/history?hours=24&points=600");
      if (r.ok) { history = r.data; drawChart(); }
      if (r.ok && r.data.loading) { // the daemon reads its history after start-up
        setText("#chart-summary", "Loading the history…");
        setTimeout(loadHistory, 1000);
      }
    } catch (e) { /* the status line already says the server is away */ }
  }

  /** What the rules saved against a plain photocell: last 24 h and last 7 days. */
  async function loadSavings() {
    try {
      const r = await api("GET", "/api/savings");
      if (!r.ok) return;
      if (r.data.loading) { // the daemon reads its history after start-up: no numbers yet
        for (const td of $$("#savings-table td")) td.textContent = "…";
        setText("#saved-note", "Loading the history…");
        setTimeout(loadSavings, 1000);
        return;
      }
      const h = (v) => (v ?? 0).toFixed(1);
      for (const key of ["day", "week"]) {
        const s = r.data[key] || {}, kept = s.kept_off_hours || {};
        for (const rule of ["window", "sun", "away", "shorter_nights"]) setText(`#saved-${rule}-${key}`, h(kept[rule]));
        setText(`#saved-hours-${key}`, h(s.saved_hours));
        setText(`#saved-kwh-${key}`, s.saved_kwh === null || s.saved_kwh === undefined ? "–" : s.saved_kwh.toFixed(2));
      }
      setText("#saved-note", `Compared with ${r.data.definition || "a plain photocell"}.` +
        " Net saved is the photocell's ON hours minus the lamp's.");
    } catch (e) { /* the status line already says the server is away */ }
  }

  function drawChart() {
    if (!status) return;
    const end = serverNow();
    const set = status.settings || {};
    const d = {
      start: end - 86400, end,
      samples: history ? history.samples : [],
      events: history ? history.events : [],
      marks: history ? history.marks || [] : [],
      lampNow: status.lamp === "on",
      threshold: set.threshold, offLevel: set.threshold + set.hysteresis,
      preview: null,
    };
    if (preview) {
      const e = { ...set, ...preview.edits };
      d.preview = { events: preview.events, threshold: Number(e.threshold), offLevel: Number(e.threshold) + Number(e.hysteresis) };
    }
    const text = C.draw($("#chart"), d);
    if (text !== chartText) { chartText = text; setText("#chart-summary", text); }
  }

  // ---- the form --------------------------------------------------------------------
  function shown(v) { return v === null || v === undefined ? "" : String(v); }
  function valueOf(inp) {
    const v = inp.value.trim();
    if (inp.type === "number") {
      if (v === "") return null;
      const n = Number(v);
      return isFinite(n) ? n : v;
    }
    return v === "" ? null : v;
  }
  function isDirty(inp) {
    const now = valueOf(inp), was = saved[inp.name];
    if (inp.type === "number" && typeof now === "number") return now !== Number(was) || was === null;
    return shown(now) !== shown(was);
  }
  /** The edited fields only: {key: value}. */
  function edits() {
    const out = {};
    for (const inp of inputs) if (isDirty(inp)) out[inp.name] = valueOf(inp);
    return out;
  }
  function fillForm() {
    for (const inp of inputs) {
      if (inp.dataset.dirty === "1" || document.activeElement === inp) continue;
      inp.value = shown(saved[inp.name]);
    }
  }
  function setError(key, msg) {
    const e = document.getElementById("err-" + key);
    const inp = form.elements[key];
    if (e) e.textContent = msg || "";
    if (inp) inp.setAttribute("aria-invalid", msg ? "true" : "false");
  }
  function clearErrors() {
    for (const inp of inputs) setError(inp.name, "");
    setText("#form-alert", "");
  }
  function showErrors(data, what) {
    const fields = (data && data.fields) || {};
    let first = null;
    for (const [k, msg] of Object.entries(fields)) {
      if (form.elements[k]) { setError(k, msg); first = first || form.elements[k]; }
    }
    const n = Object.keys(fields).length;
    const err = (data && data.error) || "the server refused the values";
    setText("#form-alert", `${what}: ${n > 1 ? n + " fields need attention" : err}. Nothing was changed.`);
    return first;
  }
  function onEdit(ev) {
    const inp = ev.target;
    inp.dataset.dirty = isDirty(inp) ? "1" : "";
    setError(inp.name, "");
    setText("#form-status", "");
    const any = Object.keys(edits()).length > 0;
    $("#save").disabled = !any;
    $("#discard").disabled = !any;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(runPreview, DEBOUNCE_MS);
  }

  async function runPreview() {
    const seq = ++previewSeq;
    const e = edits();
    if (!Object.keys(e).length) { preview = null; renderPreview(); drawChart(); setText("#form-alert", ""); return; }
    let r;
    try { r = await api("POST", "/api/preview", { settings: e, hours: 24 }); } catch (err) { return; }
    if (seq !== previewSeq) return; // a newer edit is on its way
    if (!r.ok) { showErrors(r.data, "Preview impossible"); preview = null; renderPreview(); drawChart(); return; }
    setText("#form-alert", "");
    preview = { edits: e, events: r.data.events || [], summary: r.data.summary || {}, loading: !!r.data.loading, mode: r.data.mode };
    if (preview.loading) setTimeout(() => { if (seq === previewSeq) runPreview(); }, 1000);
    renderPreview();
    drawChart();
  }

  function clock(iso) {
    if (!iso) return "–";
    const m = /T(\d\d:\d\d)/.exec(iso);
    return m ? m[1] : typeof iso === "number" ? C.fmtTime(iso) : String(iso);
  }
  function renderPreview() {
    const box = $("#preview");
    $("#legend-prev").hidden = !preview;
    if (!preview) { box.hidden = true; return; }
    box.hidden = false;
    const s = preview.summary, nights = s.nights || [];
    const n = s.switches ?? preview.events.length;
    const perNight = nights.length ? (n / nights.length).toFixed(1) : "0";
    if (preview.loading) {
      setText("#preview-text", "Loading the history… the preview follows.");
      $("#preview-table tbody").replaceChildren();
      return;
    }
    const inMode = preview.mode === "away" ? " in away mode" : "";
    setText("#preview-text", `With these values the lamp would have switched ${n} time${n === 1 ? "" : "s"} ` +
      `over the recorded history${inMode} (${perNight} per night). Nothing is applied until you press Save.`);
    const body = $("#preview-table tbody");
    body.replaceChildren(...nights.map((nt) => {
      const tr = document.createElement("tr");
      for (const v of [nt.night, nt.switches, clock(nt.first_on), clock(nt.last_off), (nt.on_hours ?? 0).toFixed(1)]) {
        const td = document.createElement("td"); td.textContent = String(v); tr.appendChild(td);
      }
      return tr;
    }));
  }

  async function save(ev) {
    ev.preventDefault();
    const e = edits();
    if (!Object.keys(e).length) return;
    clearTimeout(previewTimer);
    previewSeq++; // a preview still on its way must not overwrite what Save reports
    clearErrors();
    $("#save").disabled = true;
    let r;
    try { r = await api("PATCH", "/api/settings", e); } catch (err) {
      setText("#form-alert", "Could not reach the switch. Nothing was changed."); $("#save").disabled = false; return;
    }
    if (!r.ok) {
      const first = showErrors(r.data, "Not saved");
      $("#save").disabled = false;
      if (first) first.focus();
      return;
    }
    saved = (r.data && (r.data.settings || r.data)) || saved;
    for (const inp of inputs) inp.dataset.dirty = "";
    for (const inp of inputs) inp.value = shown(saved[inp.name]);
    preview = null; renderPreview();
    $("#discard").disabled = true;
    setText("#form-status", "Saved. The switch uses the new settings now.");
    if (status) status.settings = saved;
    drawChart();
    poll.once();
  }

  async function applyProposal() {
    const value = Number($("#apply-proposal").dataset.value);
    if (!value) return;
    const r = await api("PATCH", "/api/settings", { hysteresis: value });
    setText("#form-status", r.ok ? `Saved: hysteresis ${C.fmtLux(value)} lx.` : "Not saved: " + JSON.stringify(r.data));
    poll.once();
  }

  function discard() {
    for (const inp of inputs) { inp.dataset.dirty = ""; inp.value = shown(saved[inp.name]); }
    clearErrors();
    preview = null; renderPreview(); drawChart();
    $("#save").disabled = true; $("#discard").disabled = true;
    setText("#form-status", "Edits discarded.");
  }

  function teach() {
    const inp = form.elements.threshold;
    if (!status || status.light === null || status.light === undefined) {
      setError("threshold", "There is no current light reading to use.");
      return;
    }
    inp.value = Number(C.fmtLux(status.light));
    inp.dispatchEvent(new Event("input", { bubbles: true }));
    inp.focus();
  }

  // the sky's suggestion: what the sensor read at civil dusk on recent evenings
  async function loadSuggestion() {
    try {
      const r = await api("GET", "/api/suggestion");
      const g = r.ok && r.data ? r.data.suggestion : null;
      $("#sky-suggest").hidden = !g;
      if (g) {
        const spread = g.low === g.high ? `${C.fmtLux(g.low)} lx` : `${C.fmtLux(g.low)}–${C.fmtLux(g.high)} lx`;
        setText("#sky-suggest-text", `At civil dusk (sun at ${g.elevation}°) your sensor read ${spread} on the last ` +
          `${g.evenings} evening${g.evenings === 1 ? "" : "s"}; a threshold of ${C.fmtLux(g.threshold)} lx switches on then.`);
        $("#sky-fill").dataset.value = String(g.threshold);
      }
    } catch (e) { /* optional: the page works without it */ }
    setTimeout(loadSuggestion, 600000);
  }
  function fillSuggestion() {
    const inp = form.elements.threshold;
    inp.value = $("#sky-fill").dataset.value;
    inp.dispatchEvent(new Event("input", { bubbles: true }));
    inp.focus();
  }

  // ---- lamp buttons ----------------------------------------------------------------
  async function command(path, body) {
    setText("#ctl-alert", "");
    try {
      const r = await api("POST", path, body);
      if (!r.ok) { setText("#ctl-alert", (r.data && r.data.error) || `Refused (HTTP ${r.code}).`); return false; }
      if (r.data && r.data.lamp) renderStatus(r.data);
      return true;
    } catch (e) { setText("#ctl-alert", "Could not reach the switch."); return false; }
  }
  async function onOverride(ev) {
    const b = ev.currentTarget, body = { state: b.dataset.state };
    if (b.dataset.for) body.for = Number(b.dataset.for);
    const ok = await command("/api/lamp", body);
    if (ok && body.state === "auto" && status && status.mode !== "auto") await command("/api/mode", { mode: "auto" });
    poll.once();
  }

  poll.once = async function () {
    try { const r = await api("GET", "/api/status"); if (r.ok) renderStatus(r.data); } catch (e) { /* next poll */ }
  };

  for (const inp of inputs) { inp.addEventListener("input", onEdit); inp.addEventListener("change", onEdit); }
  form.addEventListener("submit", save);
  $("#discard").addEventListener("click", discard);
  $("#apply-proposal").addEventListener("click", applyProposal);
  $("#sky-fill").addEventListener("click", fillSuggestion);
  $("#test-on").addEventListener("click", async () => { await command("/api/test", { state: "on" }); poll.once(); });
  $("#test-off").addEventListener("click", async () => { await command("/api/test", { state: "off" }); poll.once(); });
  loadSuggestion();
  $("#teach").addEventListener("click", teach);
  for (const b of $$("button.mode")) b.addEventListener("click", async () => { await command("/api/mode", { mode: b.dataset.mode }); poll.once(); });
  for (const b of $$("button.ovr")) b.addEventListener("click", onOverride);
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawChart, 150); });

  poll();
  loadHistory();
  loadSavings();
  setInterval(loadHistory, HISTORY_MS);
  setInterval(loadSavings, SAVINGS_MS);
})();
