"""The planner page's template: its HTML, style sheet and script, and how curves are packed.

:func:`render_page` turns the payload of :func:`mmmkit.planner.write_planner` (numbers,
curves and words, JSON-ready) into one HTML document. The page loads nothing: its
Content-Security-Policy is ``default-src 'none'`` with the SHA-256 hashes of its one inline
script and one inline style sheet (any other script, style, image, font or connection is
refused by the browser); the data sit in a ``<script type="application/json">`` block, which
browsers never execute. Text reaches the page through ``textContent`` or escaped HTML only.

:func:`encode_curves` packs one channel's curves per draw as 16-bit integers scaled by the
draw's largest magnitude (relative rounding ``1 / 65534``) in base64, little-endian;
:func:`decode_curves` is its inverse (the script decodes the same way). The script's
interpolation is :func:`mmmkit.planner.curve_at`, line by line, and its quantiles are numpy's
default (linear) ones, as every interval of :mod:`mmmkit.stats`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json

import numpy as np

from mmmkit.report_text import CSS

__all__ = ["PAGE_CSS", "PAGE_SCRIPT", "content_security_policy", "decode_curves",
           "encode_curves", "page_json", "render_page"]

#: largest 16-bit code: a value ``x`` of a draw whose largest magnitude is ``a`` is stored as
#: ``round(x / a * CODE_MAX)``
CODE_MAX = 32767


# =============================================================================================
# Packing the curves
# =============================================================================================
def _b64(values: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode("ascii")


def _quantize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes int16 (S, K), scales float32 (S,))`` of the rows of ``x``."""
    scale = np.abs(x).max(axis=1).astype(np.float32)
    safe = np.where(scale > 0, scale.astype(float), 1.0)
    codes = np.clip(np.rint(x / safe[:, None] * CODE_MAX), -CODE_MAX, CODE_MAX)
    return codes.astype(np.int16), scale


def encode_curves(lift: np.ndarray, slope: np.ndarray, slope0: np.ndarray) -> dict[str, str]:
    """One channel's curves as the page stores them.

    Parameters
    ----------
    lift : ``(S, K)`` the curve at the positive grid points, per draw (target units).
    slope : ``(S, K)`` its derivative in ``log m`` there (target units).
    slope0 : ``(S,)`` its derivative in ``m`` at ``m = 0`` (may be ``inf``).

    Returns
    -------
    dict of base64 strings: ``lift`` and ``slope`` (int16 codes, draw-major), ``scale``
    (float32 pairs ``(lift, slope)`` per draw: the magnitude of code ``CODE_MAX``) and
    ``slope0`` (float32).
    """
    lift, slope = np.asarray(lift, dtype=float), np.asarray(slope, dtype=float)
    if lift.shape != slope.shape or lift.ndim != 2 or np.shape(slope0) != lift.shape[:1]:
        raise ValueError(f"lift and slope must be (S, K) and slope0 (S,), got {lift.shape}, "
                         f"{slope.shape} and {np.shape(slope0)}.")
    if not (np.all(np.isfinite(lift)) and np.all(np.isfinite(slope))):
        raise ValueError("curves must be finite at the positive grid points.")
    lift_codes, lift_scale = _quantize(lift)
    slope_codes, slope_scale = _quantize(slope)
    return {"lift": _b64(lift_codes, "<i2"), "slope": _b64(slope_codes, "<i2"),
            "scale": _b64(np.column_stack([lift_scale, slope_scale]), "<f4"),
            "slope0": _b64(slope0, "<f4")}


def decode_curves(entry: dict[str, str], n_draws: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(lift (S, K), slope (S, K), slope0 (S,))`` as the page reads :func:`encode_curves`."""
    scale = np.frombuffer(base64.b64decode(entry["scale"]), "<f4").astype(float)
    scale = scale.reshape(n_draws, 2) / CODE_MAX
    out = []
    for key, col in (("lift", 0), ("slope", 1)):
        codes = np.frombuffer(base64.b64decode(entry[key]), "<i2").astype(float)
        out.append(codes.reshape(n_draws, -1) * scale[:, col:col + 1])
    slope0 = np.frombuffer(base64.b64decode(entry["slope0"]), "<f4").astype(float)
    return out[0], out[1], slope0


# =============================================================================================
# The document
# =============================================================================================
def page_json(payload: dict) -> str:
    """``payload`` as JSON for an inline data block: no ``NaN``, and ``<`` escaped so the
    text can never close the block."""
    return json.dumps(payload, allow_nan=False, separators=(",", ":")).replace("<", "\\u003c")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_security_policy(script: str, style: str) -> str:
    """The page's policy: nothing loads; only the inline ``script`` and ``style`` (by their
    SHA-256 hashes) run."""
    return (f"default-src 'none'; script-src {_sha256(script)}; style-src {_sha256(style)}; "
            "base-uri 'none'; form-action 'none'")


def render_page(payload: dict) -> str:
    """The planner page of ``payload`` (see :func:`mmmkit.planner.write_planner`)."""
    words = payload["words"]
    e = html.escape
    style = CSS + PAGE_CSS
    glossary = "".join(f"<dt>{e(term)}</dt><dd>{e(text)}</dd>"
                       for term, text in payload["glossary"])
    notes = "".join(f"<li>{e(words[k])}</li>" for k in ("counted", "draws", "grid", "beyond"))
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\""
        f"{content_security_policy(PAGE_SCRIPT, style)}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{e(payload['title'])}</title><style>{style}</style></head><body><main>"
        f"<header><h1>{e(payload['title'])}</h1><p class='sub'>{e(words['subtitle'])}</p>"
        f"</header><p>Set each channel's spend for the period; the results compare the plan "
        f"with {e(words['reference'])}. {e(words['how'])}</p>"
        "<noscript><p class='callout'>The planner computes in the browser: allow "
        "JavaScript for this file to use it.</p></noscript>"
        "<section aria-label='Plan totals' class='toolbar'>"
        "<p id='budget-line' class='budget' aria-live='polite'></p>"
        "<p id='total-line' class='callout' aria-live='polite'></p>"
        "<div class='buttons noprint'>"
        "<button type='button' id='reset'>Reset to the actual spend</button>"
        "<span id='optimiser'><label for='budget-choice'>Optimiser's split for a total of"
        "</label> <select id='budget-choice'></select> "
        "<button type='button' id='fill'>Fill in the optimiser's split</button></span>"
        "<button type='button' id='print'>Print the plan</button></div>"
        "<p id='plan-status' class='note' aria-live='polite'></p></section>"
        "<table class='numbers planner' id='planner'><caption class='note'>"
        f"{e(words['caption'])}</caption><thead><tr><th scope='col'>Channel</th>"
        "<th scope='col' class='curve'>Response curve</th>"
        f"<th scope='col'>Planned spend<br><span class='unit'>{e(words['spendUnit'])} and % "
        "of actual</span></th>"
        f"<th scope='col'>Spend change<br><span class='unit'>{e(words['spendUnit'])}</span></th>"
        f"<th scope='col'>{e(words['change'])}<br><span class='unit'>{e(words['level'])} "
        "interval below</span></th>"
        f"<th scope='col'>{e(words['chance'])}</th>"
        f"<th scope='col'>Marginal ROAS<br><span class='unit'>{e(words['roasUnit'])}, at the "
        "plan</span></th><th scope='col'>Note</th></tr></thead><tbody id='rows'></tbody>"
        "<tfoot id='totals'></tfoot></table>"
        "<div id='warnings'></div>"
        f"<h2>How the numbers are computed</h2><ul class='notes'>{notes}</ul>"
        f"<h2>Glossary</h2><dl class='glossary'>{glossary}</dl>"
        f"<footer>{e(words['stamp'])}</footer></main>"
        f"<script type='application/json' id='planner-data'>{page_json(payload)}</script>"
        f"<script>{PAGE_SCRIPT}</script></body></html>\n"
    )


PAGE_CSS = """
main { max-width: 1320px; }
.toolbar { position: sticky; top: 0; background: #fff; z-index: 1; padding: 4px 0 6px;
  border-bottom: 1px solid var(--line); }
.budget { font-size: 17px; margin: 6px 0; }
.budget b { font-variant-numeric: tabular-nums; }
.budget .keeps { color: var(--muted); } .budget .raises { color: #1f6b35; }
.budget .cuts { color: #a33a1f; }
.buttons { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 6px 0; }
button, select { font: inherit; padding: 4px 10px; border: 1px solid #8a96a5;
  border-radius: 4px; background: var(--band); color: var(--ink); }
button:hover { background: #e6ebf1; }
:focus-visible { outline: 3px solid #f0a500; outline-offset: 1px; }
table.planner { width: 100%; }
table.planner caption { text-align: left; caption-side: top; padding-bottom: 4px; }
table.planner td, table.planner th { padding: 6px 6px; vertical-align: middle; }
table.planner td.controls { text-align: left; white-space: nowrap; }
table.planner input[type=range] { width: 150px; vertical-align: middle; }
table.planner input[type=number] { font: inherit; width: 118px; padding: 2px 4px;
  text-align: right; font-variant-numeric: tabular-nums; }
table.planner input.pct { width: 66px; }
table.planner td.note { text-align: left; font-size: 12px; max-width: 170px; }
table.planner tr.beyond td.note { color: #8a5a00; }
svg.curve { display: block; }
svg.curve .band { fill: #c9daef; } svg.curve .mean { fill: none; stroke: var(--accent);
  stroke-width: 1.5; } svg.curve .beyond { fill: #fbeed5; } svg.curve .axis { stroke: #9aa5b1; }
svg.curve .actual { fill: #fff; stroke: #5b6675; stroke-width: 1.5; }
svg.curve .plan { fill: var(--accent); }
.print-only { display: none; }
ul.notes li { margin: 3px 0; }
@media (max-width: 1100px) { .curve { display: none; } }
@media print {
  .noprint, input[type=range], .toolbar .buttons { display: none !important; }
  table.planner input[type=number] { display: none; }
  .print-only { display: inline; } .toolbar { position: static; border: none; }
  main { max-width: none; padding: 0; } body { font-size: 12px; }
  table.planner { font-size: 12px; } h2 { break-before: auto; }
}
"""

PAGE_SCRIPT = r"""
(function () {
  "use strict";
  var P = JSON.parse(document.getElementById("planner-data").textContent);
  var W = P.words, S = P.draws, G = P.multipliers, K = G.length, TOP = G[K - 1];
  var LOGG = G.map(Math.log), CUR = P.currency, LO = (1 - P.prob) / 2, HI = 1 - LO;
  var $ = function (id) { return document.getElementById(id); };

  // ---- numbers as mmmkit.formatting writes them ----------------------------------------
  function number(x, d) {
    if (x === null || !isFinite(x)) { return "\u2014"; }
    var t = x.toLocaleString("en-US", {minimumFractionDigits: d || 0,
                                       maximumFractionDigits: d || 0});
    return /^-?[0.,]+$/.test(t) && !/[1-9]/.test(t) ? t.replace("-", "") : t;
  }
  function money(x) {
    if (!CUR) { return number(x); }
    if (CUR.length === 1) { return (x < 0 ? "-" : "") + CUR + number(Math.abs(x)); }
    return CUR + " " + number(x);
  }
  function signedMoney(x) {
    var t = money(Math.abs(x));
    return /[1-9]/.test(t) ? (x > 0 ? "+" : "-") + t : "\u00b10";
  }
  function amount(x) { return number(x, Math.abs(x) >= 100 ? 0 : 2); }
  function signed(x) {
    var t = amount(Math.abs(x));
    if (!isFinite(x)) { return t; }
    return /[1-9]/.test(t) ? (x > 0 ? "+" : "-") + t : "\u00b10";
  }
  function percent(x, d) { return isFinite(x) ? (100 * x).toFixed(d) + "%" : "\u2014"; }
  function ratio(x) { return x === Infinity ? "\u221e" : number(x, 2); }

  // ---- the curves: decoding and interpolation (mmmkit.planner.curve_at) ----------------
  function view(b64) {
    var s = atob(b64), u = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { u[i] = s.charCodeAt(i); }
    return new DataView(u.buffer);
  }
  function decode(ch) {
    var lv = view(ch.lift), sv = view(ch.slope), cv = view(ch.scale), zv = view(ch.slope0);
    var L = new Float64Array(S * K), D = new Float64Array(S * K), D0 = new Float64Array(S);
    for (var s = 0; s < S; s++) {
      var a = cv.getFloat32(8 * s, true) / 32767, b = cv.getFloat32(8 * s + 4, true) / 32767;
      for (var k = 0; k < K; k++) {
        L[s * K + k] = lv.getInt16(2 * (s * K + k), true) * a;
        D[s * K + k] = sv.getInt16(2 * (s * K + k), true) * b;
      }
      D0[s] = zv.getFloat32(4 * s, true);
    }
    return {L: L, D: D, D0: D0};
  }
  var hv = 0, hd = 0;
  function hermite(t, h, y0, y1, d0, d1) {
    var t2 = t * t, t3 = t2 * t;
    hv = (2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * h * d0 +
         (-2 * t3 + 3 * t2) * y1 + (t3 - t2) * h * d1;
    hd = ((6 * t2 - 6 * t) * y0 + (3 * t2 - 4 * t + 1) * h * d0 +
          (-6 * t2 + 6 * t) * y1 + (3 * t2 - 2 * t) * h * d1) / h;
  }
  // the curve of channel c at multiplier m: value (target units) and d value / d m, per draw
  function curveAt(c, m, v, d) {
    var C = curves[c], s, g1 = G[0];
    m = Math.min(Math.max(m, 0), TOP);
    if (m === 0) { for (s = 0; s < S; s++) { v[s] = 0; d[s] = C.D0[s]; } return; }
    if (m < g1) {
      for (s = 0; s < S; s++) {
        var y = C.L[s * K], dy = C.D[s * K] / g1, d0 = C.D0[s], fin = isFinite(d0);
        var lin = fin ? d0 : 0, rest = y - lin * g1, p = g1 * (dy - lin) / rest;
        if (isFinite(p) && p > 0 && rest > 0) {
          var r = Math.pow(m / g1, p);
          v[s] = lin * m + rest * r; d[s] = lin + p * rest * r / m;
        } else if (fin) { hermite(m / g1, g1, 0, y, d0, dy); v[s] = hv; d[s] = hd; }
        else { v[s] = y * m / g1; d[s] = y / g1; }
      }
      return;
    }
    var lo = 0, hi = K - 1;
    while (hi - lo > 1) {
      var mid = (lo + hi) >> 1;
      if (G[mid] <= m) { lo = mid; } else { hi = mid; }
    }
    var h = LOGG[lo + 1] - LOGG[lo], t = (Math.log(m) - LOGG[lo]) / h;
    for (s = 0; s < S; s++) {
      var i = s * K + lo;
      hermite(t, h, C.L[i], C.L[i + 1], C.D[i], C.D[i + 1]);
      v[s] = hv; d[s] = hd / m;
    }
  }

  // ---- summaries (mmmkit.stats: mean, equal-tailed interval, share of draws above 0) ----
  function quantile(sorted, q) {
    var pos = q * (sorted.length - 1), lo = Math.floor(pos), t = pos - lo;
    if (t === 0) { return sorted[lo]; }
    var a = sorted[lo], b = sorted[lo + 1];
    if (b === Infinity) { return Infinity; }
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
  }
  function mean(x) {
    var sum = 0;
    for (var s = 0; s < x.length; s++) { sum += x[s]; }
    return sum / x.length;
  }
  function summary(x) {
    var sorted = Float64Array.from(x).sort(), sum = 0, up = 0;
    for (var s = 0; s < x.length; s++) { sum += x[s]; if (x[s] > 0) { up++; } }
    return {mean: sum / x.length, lower: quantile(sorted, LO), upper: quantile(sorted, HI),
            pos: up / x.length};
  }

  var curves = P.channels.map(decode);
  var n = P.channels.length, plan = P.channels.map(function (ch) { return ch.spend; });
  var ref = P.channels.map(function (ch, c) {
    var v = new Float64Array(S), d = new Float64Array(S);
    curveAt(c, 1, v, d);
    return v;
  });
  var cells = [], v = new Float64Array(S), d = new Float64Array(S);
  var delta = new Float64Array(S), mroas = new Float64Array(S), total = new Float64Array(S);

  // ---- building the rows ----------------------------------------------------------------
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) { if (attrs[k] !== null) { e.setAttribute(k, attrs[k]); } }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function svgEl(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    return e;
  }
  function niceStep(x) { return x > 0 ? Math.pow(10, Math.floor(Math.log10(x / 100))) : 1; }
  function curveSvg(c) {
    var ch = P.channels[c], wd = 160, ht = 46, pts = 41, avg = [], lo = [], hi = [], top = 0;
    var a = new Float64Array(S), b = new Float64Array(S);
    for (var j = 0; j < pts; j++) {
      curveAt(c, TOP * j / (pts - 1), a, b);
      var st = summary(a);
      avg.push(st.mean); lo.push(st.lower); hi.push(st.upper); top = Math.max(top, st.upper);
    }
    top = top > 0 ? top : 1;
    var x = function (m) { return (m / TOP * (wd - 4) + 2).toFixed(1); };
    var y = function (val) { return (ht - 3 - Math.max(val, 0) / top * (ht - 8)).toFixed(1); };
    var svg = svgEl("svg", {"class": "curve", width: wd, height: ht, role: "img",
      "aria-label": ch.name + ": response curve, " + W.kpi + " against spend from 0 to " +
        money(TOP * ch.spend) + "; open dot the actual spend, filled dot the plan" +
        (ch.observed !== null && ch.observed < TOP ? "; shaded: beyond the data" : "")});
    if (ch.observed !== null && ch.observed < TOP) {
      svg.appendChild(svgEl("rect", {"class": "beyond", x: x(ch.observed), y: 0,
        width: (wd - 2 - x(ch.observed)).toFixed(1), height: ht}));
    }
    var band = [], line = [];
    for (j = 0; j < pts; j++) { band.push(x(TOP * j / (pts - 1)) + "," + y(hi[j])); }
    for (j = pts - 1; j >= 0; j--) { band.push(x(TOP * j / (pts - 1)) + "," + y(lo[j])); }
    for (j = 0; j < pts; j++) { line.push(x(TOP * j / (pts - 1)) + "," + y(avg[j])); }
    svg.appendChild(svgEl("polygon", {"class": "band", points: band.join(" ")}));
    svg.appendChild(svgEl("polyline", {"class": "mean", points: line.join(" ")}));
    svg.appendChild(svgEl("line", {"class": "axis", x1: 2, x2: wd - 2, y1: ht - 3, y2: ht - 3}));
    var m1 = mean(ref[c]);
    svg.appendChild(svgEl("circle", {"class": "actual", cx: x(1), cy: y(m1), r: 3.5}));
    var dot = svgEl("circle", {"class": "plan", cx: x(1), cy: y(m1), r: 3});
    svg.appendChild(dot);
    return {svg: svg, dot: dot, x: x, y: y};
  }
  function buildRow(c) {
    var ch = P.channels[c], tr = el("tr", {id: "row-" + c}), th = el("th", {scope: "row"});
    th.appendChild(el("span", {}, ch.name));
    th.appendChild(el("br", {}));
    var reach = ch.observed === null ? "" : " \u00b7 data cover up to " + percent(ch.observed, 0);
    th.appendChild(el("span", {"class": "unit"}, "actual " + money(ch.spend) + reach));
    var cell = {}, tdCurve = el("td", {"class": "curve"});
    if (ch.active) { cell.curve = curveSvg(c); tdCurve.appendChild(cell.curve.svg); }
    var ctl = el("td", {"class": "controls"}), name = ch.name;
    cell.slider = el("input", {type: "range", id: "slider-" + c, min: 0, max: TOP * ch.spend,
      step: ch.spend / 100, "aria-label": name + ": planned spend, " + W.spendUnit});
    cell.spend = el("input", {type: "number", id: "spend-" + c, min: 0, max: TOP * ch.spend,
      step: niceStep(ch.spend), inputmode: "decimal",
      "aria-label": name + ": planned spend in " + W.spendUnit});
    cell.pct = el("input", {type: "number", id: "pct-" + c, "class": "pct", min: 0,
      max: 100 * TOP, step: 1, inputmode: "decimal",
      "aria-label": name + ": planned spend in % of the actual spend"});
    cell.print = el("span", {"class": "print-only", id: "print-" + c});
    [cell.slider, cell.spend, cell.pct].forEach(function (e) { e.disabled = !ch.active; });
    ctl.appendChild(cell.slider); ctl.appendChild(document.createTextNode(" "));
    ctl.appendChild(cell.spend); ctl.appendChild(document.createTextNode(" "));
    ctl.appendChild(cell.pct); ctl.appendChild(el("span", {"class": "noprint"}, " %"));
    ctl.appendChild(cell.print);
    ["change", "lift", "prob", "mroas", "note"].forEach(function (k) {
      cell[k] = el("td", {id: k + "-" + c, "class": k === "note" ? "note" : null});
    });
    [th, tdCurve, ctl, cell.change, cell.lift, cell.prob, cell.mroas, cell.note]
      .forEach(function (e) { tr.appendChild(e); });
    cell.row = tr;
    if (!ch.active) { cell.note.textContent = "No spend in the period: no pattern to scale."; }
    wire(c, cell);
    return cell;
  }
  // a change of less than half a currency unit is rounding: the channel keeps its spend
  function setPlan(c, value) {
    var spend = P.channels[c].spend, top = TOP * spend;
    if (value > top * (1 + 1e-12)) {
      status("The page's curves reach " + percent(TOP, 0) + " of the actual spend: " +
             P.channels[c].name + " is set to " + money(top) + ".");
    }
    value = Math.min(Math.max(value, 0), top);
    plan[c] = Math.abs(value - spend) < 0.5 ? spend : value;
  }
  function status(text) { $("plan-status").textContent = text; }
  function wire(c, cell) {
    function typed(box, toSpend, source) {
      box.addEventListener("input", function () {
        if (isFinite(box.valueAsNumber)) {
          status(""); setPlan(c, toSpend(box.valueAsNumber)); sync(c, source); render();
        }
      });
      box.addEventListener("change", function () { sync(c, null); });
    }
    typed(cell.slider, function (x) { return x; }, "slider");
    typed(cell.spend, function (x) { return x; }, "spend");
    typed(cell.pct, function (x) { return x / 100 * P.channels[c].spend; }, "pct");
  }
  // the channel's three controls show its plan (except the one being typed into)
  function sync(c, source) {
    var cell = cells[c], spend = P.channels[c].spend;
    if (source !== "slider") { cell.slider.value = plan[c]; }
    if (source !== "spend") { cell.spend.value = Math.round(plan[c] * 100) / 100; }
    if (source !== "pct") { cell.pct.value = spend > 0 ? +(100 * plan[c] / spend).toFixed(2) : 0; }
  }
  function setAll(values) {
    for (var c = 0; c < n; c++) { plan[c] = values[c]; sync(c, null); }
    render();
  }

  // ---- results -------------------------------------------------------------------------
  function withInterval(td, st, fmt) {
    td.textContent = "";
    td.appendChild(el("b", {}, fmt(st.mean)));
    td.appendChild(el("br", {}));
    td.appendChild(el("span", {"class": "ci"},
                      P.level + ": " + fmt(st.lower) + " to " + fmt(st.upper)));
    td.setAttribute("data-mean", st.mean); td.setAttribute("data-lower", st.lower);
    td.setAttribute("data-upper", st.upper);
  }
  function render() {
    total.fill(0);
    var beyond = [], changed = 0;
    for (var c = 0; c < n; c++) {
      var ch = P.channels[c], cell = cells[c], m = ch.active ? plan[c] / ch.spend : 0;
      curveAt(c, m, v, d);
      for (var s = 0; s < S; s++) {
        delta[s] = ch.active ? v[s] - ref[c][s] : 0; total[s] += delta[s];
        mroas[s] = ch.active ? d[s] / ch.spend : NaN;
      }
      var same = plan[c] === ch.spend, st = summary(delta);
      if (!same) { changed++; }
      withInterval(cell.lift, st, signed);
      cell.prob.textContent = same ? "\u2014" : percent(st.pos, 0);
      cell.prob.setAttribute("data-value", same ? "" : st.pos);
      cell.change.textContent = signedMoney(plan[c] - ch.spend) +
        (ch.spend > 0 ? " (" + (same ? "\u00b10" : (plan[c] > ch.spend ? "+" : "-") +
         Math.abs(100 * (m - 1)).toFixed(1)) + "%)" : "");
      cell.print.textContent = money(plan[c]) + " (" + percent(m, 0) + ")";
      if (ch.active) {
        var out = ch.observed !== null && m > ch.observed * (1 + 1e-9);
        cell.row.classList.toggle("beyond", out);
        cell.row.setAttribute("data-beyond", out ? "1" : "0");
        var roas = summary(mroas), notes = [];
        withInterval(cell.mroas, roas, ratio);
        if (out) {
          notes.push("Beyond the data: highest week " + (m / ch.observed).toFixed(2) +
                     "\u00d7 the highest in the data.");
        }
        if (W.revenue && roas.mean < 1) { notes.push(W.breakEven); }
        cell.note.textContent = notes.join(" ");
        if (out) { beyond.push(ch.name); }
        cell.curve.dot.setAttribute("cx", cell.curve.x(m));
        cell.curve.dot.setAttribute("cy", cell.curve.y(mean(v)));
      }
    }
    renderTotals(summary(total), changed, beyond);
  }
  function renderTotals(st, changed, beyond) {
    var planned = plan.reduce(function (a, b) { return a + b; }, 0);
    var actual = P.channels.reduce(function (a, ch) { return a + ch.spend; }, 0);
    var diff = planned - actual;
    var kind = Math.abs(diff) < 0.5 ? "keeps" : diff > 0 ? "raises" : "cuts";
    var line = $("budget-line");
    line.textContent = "";
    line.appendChild(document.createTextNode("Total budget "));
    line.appendChild(el("b", {id: "budget-total"}, money(planned)));
    line.appendChild(document.createTextNode(" \u00b7 "));
    line.appendChild(el("span", {"class": kind, id: "budget-kind"}, kind === "keeps" ?
      "keeps the actual total (" + money(actual) + ")" : kind + " it by " +
      money(Math.abs(diff)) + " (" + (diff > 0 ? "+" : "-") +
      Math.abs(100 * diff / actual).toFixed(1) + "% of " + money(actual) + ")"));
    line.setAttribute("data-state", kind);
    var foot = $("totals");
    foot.textContent = "";
    var tr = el("tr", {"class": "total", id: "row-total"});
    tr.appendChild(el("th", {scope: "row"}, "Total"));
    tr.appendChild(el("td", {"class": "curve"}));
    tr.appendChild(el("td", {}, money(planned)));
    tr.appendChild(el("td", {}, signedMoney(diff)));
    var lift = el("td", {id: "lift-total"});
    withInterval(lift, st, signed);
    tr.appendChild(lift);
    var prob = el("td", {id: "prob-total", "data-value": changed ? st.pos : ""},
                  changed ? percent(st.pos, 0) : "\u2014");
    tr.appendChild(prob); tr.appendChild(el("td", {})); tr.appendChild(el("td", {}));
    foot.appendChild(tr);
    $("total-line").textContent = changed === 0 ? "The plan is the actual spend: no change." :
      W.change + " with this plan instead of the actual spend: " + signed(st.mean) + " " +
      W.kpi + " (" + W.interval + " " + signed(st.lower) + " to " + signed(st.upper) +
      "); " + W.chance.toLowerCase() + ": " + percent(st.pos, 0) + ".";
    var warn = $("warnings");
    warn.textContent = "";
    if (beyond.length) {
      warn.appendChild(el("p", {"class": "callout", id: "beyond-warning"},
        "Beyond the data: " + beyond.join(", ") + ". " + W.beyond));
    }
  }

  // ---- the optimiser's splits, reset, print ----------------------------------------------
  var actualTotal = P.channels.reduce(function (a, ch) { return a + ch.spend; }, 0);
  function fill(i) {
    var split = P.plans[i];
    setAll(split.allocation);
    status("Filled in the optimiser's split for a total of " + money(split.budget) + " (" +
      percent(split.budget / actualTotal, 0) + " of the actual total). " + split.limits +
      (split.converged ? "" : " The optimiser did not converge: treat the split as a draft."));
  }
  var rows = $("rows");
  for (var c = 0; c < n; c++) { cells.push(buildRow(c)); rows.appendChild(cells[c].row); }
  if (P.plans.length) {
    P.plans.forEach(function (p, i) {
      $("budget-choice").appendChild(el("option", {value: i}, money(p.budget) + " (" +
        percent(p.budget / actualTotal, 0) + " of actual)"));
    });
    var same = P.plans.findIndex(function (p) { return Math.abs(p.budget - actualTotal) < 0.5; });
    $("budget-choice").value = same >= 0 ? same : 0;
    $("fill").addEventListener("click", function () { fill(+$("budget-choice").value); });
  } else { $("optimiser").hidden = true; }
  $("reset").addEventListener("click", function () {
    setAll(P.channels.map(function (ch) { return ch.spend; }));
    status("Reset to the actual spend.");
  });
  $("print").addEventListener("click", function () { window.print(); });
  setAll(plan);
  document.body.setAttribute("data-ready", "1");
})();
"""
