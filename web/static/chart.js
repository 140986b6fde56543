/* lightctl chart: 24 h of light on a log scale, as plain SVG (no library).
   LightChart.draw(box, data) redraws into box and returns a text summary. */
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const LO = -1, HI = 5; // log10 of 0.1 lx .. 100 000 lx

  function pad(n) { return String(n).padStart(2, "0"); }
  // Every time on the page is shown in the Pi's zone, never the browser's: the switch
  // decides by the Pi's clock, and the preview's first ON / last OFF come from it too.
  let zoneFmt = null, zoneOffset = null;
  /** Show times in the IANA zone `name`; a zone without a name uses a fixed offset (s). */
  function setZone(name, offset) {
    zoneFmt = null;
    zoneOffset = typeof offset === "number" && isFinite(offset) ? offset : null;
    if (!name) return;
    try {
      zoneFmt = new Intl.DateTimeFormat("en-GB", { timeZone: name, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    } catch (e) { zoneFmt = null; }
  }
  /** [hour, minute] of epoch t in the Pi's zone. */
  function hm(t) {
    const d = new Date(t * 1000);
    if (zoneFmt) {
      const p = {};
      for (const part of zoneFmt.formatToParts(d)) p[part.type] = part.value;
      return [Number(p.hour) % 24, Number(p.minute)];
    }
    if (zoneOffset !== null) {
      const z = new Date((t + zoneOffset) * 1000);
      return [z.getUTCHours(), z.getUTCMinutes()];
    }
    return [d.getHours(), d.getMinutes()];
  }
  function fmtTime(t) { const [h, m] = hm(t); return pad(h) + ":" + pad(m); }
  function fmtLux(v) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    if (v < 1) return v.toFixed(2);
    if (v < 100) return v.toFixed(1);
    return String(Math.round(v));
  }
  function el(name, attrs, parent, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  /** Normalise an event to [epoch, "on"|"off", reason] (arrays or objects). */
  function normEvent(e) {
    if (Array.isArray(e)) return [Number(e[0]), String(e[1]).toLowerCase(), e[2] || ""];
    const on = e.lamp ?? e.state ?? e.on;
    return [Number(e.time ?? e.t ?? e.at), on === true ? "on" : on === false ? "off" : String(on).toLowerCase(), e.reason || ""];
  }
  /** ON periods [[from, to], ...] within [start, end], given the state before the first event. */
  function onPeriods(events, start, end, initial) {
    const out = [];
    let on = initial, from = start;
    for (const [t, s] of events) {
      if (t < start) { on = s === "on"; from = start; continue; }
      if (t > end) break;
      if (s === "on" && !on) { on = true; from = t; }
      else if (s === "off" && on) { out.push([from, t]); on = false; }
    }
    if (on) out.push([from, end]);
    return out;
  }

  function draw(box, d) {
    const W = Math.max(280, Math.floor(box.clientWidth || 600));
    const narrow = W < 480;
    const H = narrow ? 230 : 280;
    const ml = 40, mr = 8, mt = 14, lane = 9, mb = 20 + 2 * (lane + 3);
    const pw = W - ml - mr, ph = H - mt - mb;
    const span = Math.max(1, d.end - d.start);
    const x = (t) => ml + ((t - d.start) / span) * pw;
    const y = (lux) => {
      const l = Math.log10(Math.max(lux, 0.1));
      return mt + ph - ((Math.min(l, HI) - LO) / (HI - LO)) * ph;
    };
    const events = (d.events || []).map(normEvent).sort((a, b) => a[0] - b[0]);
    const inRange = events.filter((e) => e[0] >= d.start && e[0] <= d.end);
    const firstIn = inRange[0];
    const initial = firstIn ? firstIn[1] === "off" : !!d.lampNow;
    const periods = onPeriods(events, d.start, d.end, initial);

    const svg = el("svg", {
      viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
      "aria-labelledby": "chart-t chart-d", class: "chart-svg",
    });
    el("title", { id: "chart-t" }, svg, "Light level over the last 24 hours, log scale");
    const desc = el("desc", { id: "chart-d" }, svg);

    // lamp-ON shading (recorded)
    const gOn = el("g", { class: "on-bands" }, svg);
    for (const [a, b] of periods) {
      el("rect", { class: "on-band", x: x(a), y: mt, width: Math.max(1, x(b) - x(a)), height: ph }, gOn);
    }
    // grid: decades, hours
    const gGrid = el("g", { class: "grid" }, svg);
    const labels = ["0.1", "1", "10", "100", "1k", "10k", "100k"];
    for (let p = LO; p <= HI; p++) {
      const yy = y(Math.pow(10, p));
      el("line", { x1: ml, x2: ml + pw, y1: yy, y2: yy }, gGrid);
      el("text", { x: ml - 4, y: yy + 4, class: "ylab" }, gGrid, labels[p - LO]);
    }
    const step = (narrow ? 6 : 3) * 3600;
    // full hours of the Pi's zone (quarter-hour steps find them in zones offset by :30 or :45)
    for (let t = Math.ceil(d.start / 900) * 900; t < d.end; t += 900) {
      const [hr, mi] = hm(t);
      if (mi !== 0 || hr % (step / 3600) !== 0 || t - d.start < 1800) continue;
      el("line", { x1: x(t), x2: x(t), y1: mt, y2: mt + ph }, gGrid);
      el("text", { x: x(t), y: mt + ph + 14, class: "xlab" }, gGrid, pad(hr) + ":00");
    }
    el("rect", { class: "frame", x: ml, y: mt, width: pw, height: ph }, svg);

    // the light itself, broken where the sensor gave nothing
    let path = "", pen = false, lo = Infinity, hi = -Infinity, n = 0;
    for (const [t, v] of d.samples || []) {
      if (v === null || v === undefined || !isFinite(v) || t < d.start) { pen = false; continue; }
      path += (pen ? "L" : "M") + x(t).toFixed(1) + " " + y(v).toFixed(1);
      pen = true; n++; lo = Math.min(lo, v); hi = Math.max(hi, v);
    }
    if (path) el("path", { class: "light-path", d: path }, svg);

    // threshold lines: saved, and the edited ones when they differ
    function hline(v, cls, text) {
      if (v === null || v === undefined || !isFinite(v)) return;
      const yy = y(v);
      el("line", { class: cls, x1: ml, x2: ml + pw, y1: yy, y2: yy }, svg);
      el("title", {}, el("line", { class: "hit", x1: ml, x2: ml + pw, y1: yy, y2: yy }, svg), text);
    }
    hline(d.threshold, "thr-line", `threshold ${fmtLux(d.threshold)} lx`);
    hline(d.offLevel, "off-line", `off above ${fmtLux(d.offLevel)} lx`);
    const pv = d.preview;
    if (pv && pv.threshold !== d.threshold) hline(pv.threshold, "thr-line prev", `edited threshold ${fmtLux(pv.threshold)} lx`);
    if (pv && pv.offLevel !== d.offLevel) hline(pv.offLevel, "off-line prev", `edited off level ${fmtLux(pv.offLevel)} lx`);

    // switch markers at the top edge
    const gEv = el("g", { class: "events" }, svg);
    for (const [t, s, why] of inRange) {
      const xx = x(t);
      const pts = s === "on" ? `${xx - 4},${mt - 9} ${xx + 4},${mt - 9} ${xx},${mt - 1}` : `${xx - 4},${mt - 1} ${xx + 4},${mt - 1} ${xx},${mt - 9}`;
      const m = el("polygon", { class: "event ev-" + s, points: pts }, gEv);
      el("title", {}, m, `${s} at ${fmtTime(t)}${why ? " (" + why + ")" : ""}`);
      el("line", { class: "ev-line", x1: xx, x2: xx, y1: mt, y2: mt + ph }, gEv);
    }

    // night lights the sky kept from switching the lamp off: a ring at the top edge
    const marks = (d.marks || []).filter((m) => m[0] >= d.start && m[0] <= d.end);
    for (const [t] of marks) {
      const r = el("circle", { class: "mark-rejected", cx: x(t), cy: mt - 5, r: 3.5 }, gEv);
      el("title", {}, r, `night light at ${fmtTime(t)}: kept the lamp on (the sun was far down)`);
    }

    // two lanes under the time axis: recorded ON, and ON under the edited settings
    const l1 = mt + ph + 22, l2 = l1 + lane + 3;
    el("text", { x: ml - 4, y: l1 + lane - 1, class: "ylab" }, svg, "lamp");
    el("rect", { class: "lane", x: ml, y: l1, width: pw, height: lane }, svg);
    for (const [a, b] of periods) {
      el("rect", { class: "lane-on", x: x(a), y: l1, width: Math.max(1, x(b) - x(a)), height: lane }, svg);
    }
    let pPeriods = null;
    if (pv) {
      const pe = (pv.events || []).map(normEvent).sort((a, b) => a[0] - b[0]);
      pPeriods = onPeriods(pe, d.start, d.end, false);
      el("text", { x: ml - 4, y: l2 + lane - 1, class: "ylab prev-lab" }, svg, "edit");
      el("rect", { class: "lane", x: ml, y: l2, width: pw, height: lane }, svg);
      const gp = el("g", { class: "prev-bands" }, svg);
      for (const [a, b] of pPeriods) {
        el("rect", { class: "prev-band", x: x(a), y: l2, width: Math.max(1, x(b) - x(a)), height: lane }, gp);
      }
    }

    // text for screen readers and for everyone
    let text;
    if (!n) text = "No light readings recorded in the last 24 hours yet.";
    else text = `Light between ${fmtLux(lo)} and ${fmtLux(hi)} lx over the last 24 hours.`;
    text += ` Threshold ${fmtLux(d.threshold)} lx, off above ${fmtLux(d.offLevel)} lx.`;
    if (marks.length) {
      text += ` ${marks.length} night light${marks.length === 1 ? "" : "s"} did not switch the lamp off.`;
    }
    if (inRange.length) {
      const last = inRange.slice(-6).map(([t, s, w]) => `${s} at ${fmtTime(t)}${w ? " (" + w + ")" : ""}`);
      text += ` The lamp switched ${inRange.length} time${inRange.length === 1 ? "" : "s"}: ${last.join(", ")}${inRange.length > 6 ? " …" : ""}.`;
    } else {
      text += ` The lamp did not switch (${d.lampNow ? "on" : "off"} all along).`;
    }
    if (pPeriods) text += ` With your edits it would have been on ${pPeriods.length} time${pPeriods.length === 1 ? "" : "s"}.`;
    desc.textContent = text;
    box.replaceChildren(svg);
    return text;
  }

  window.LightChart = { draw, fmtLux, fmtTime, normEvent, onPeriods, setZone };
})();
