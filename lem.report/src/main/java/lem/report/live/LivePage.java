package lem.report.live;

/**
 * {@code /live}: a page that asks {@code /live.json} every second and draws, for each experiment
 * running now, its progress (campaign run, phase, cycle, requests done of planned, elapsed) and
 * each device's power over the last readings as an SVG line with labelled axes. No library, no
 * request outside this server.
 */
final class LivePage {
    static final String CSS = "body{font-family:\"DejaVu Sans\",Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1000px}"
            + "h1{font-size:22px}h2{font-size:17px;margin-top:24px}table{border-collapse:collapse;font-size:13px}"
            + "td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f4f4f4}.muted{color:#666}";

    private LivePage() {
    }

    static String html() {
        return """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>lem live</title><style>@CSS@</style></head><body>
                <p><a href="/">index</a> | <a href="/live">live</a></p>
                <h1>lem live</h1>
                <p id="checked" class="muted">waiting for the first answer</p>
                <div id="runs"></div>
                <script>
                "use strict";
                const NS = "http://www.w3.org/2000/svg";
                function el(name, attrs, text) {
                  const e = document.createElementNS(NS, name);
                  for (const k in attrs) { e.setAttribute(k, attrs[k]); }
                  if (text !== undefined) { e.textContent = text; }
                  return e;
                }
                function fmt(v) {
                  if (v === null || v === undefined || !isFinite(v)) { return "n/a"; }
                  const a = Math.abs(v);
                  if (a !== 0 && (a < 0.001 || a >= 1e7)) { return v.toExponential(3); }
                  const decimals = a === 0 ? 0 : Math.max(0, 3 - Math.floor(Math.log10(a)));
                  return v.toFixed(decimals);
                }
                function niceStep(raw) {
                  const m = Math.pow(10, Math.floor(Math.log10(raw)));
                  const f = raw / m;
                  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * m;
                }
                function progressBar(done, total) {
                  const svg = el("svg", {width: 420, height: 22, class: "progress"});
                  svg.appendChild(el("rect", {x: 0, y: 4, width: 400, height: 14, fill: "#eeeeee", class: "track"}));
                  const share = total > 0 ? Math.min(1, done / total) : 0;
                  svg.appendChild(el("rect", {x: 0, y: 4, width: 400 * share, height: 14, fill: "#009E73", class: "mark"}));
                  return svg;
                }
                function powerChart(d) {
                  const w = 640, h = 220, left = 60, right = w - 16, top = 16, bottom = h - 40;
                  const svg = el("svg", {width: w, height: h, class: "power"});
                  const xs = d.t_s, ys = d.watts;
                  const xMin = Math.min(-1, xs[0]);
                  let yMax = Math.max.apply(null, ys.concat([1]));
                  const step = niceStep(yMax / 4);
                  yMax = Math.ceil(yMax / step) * step;
                  const px = x => left + (x - xMin) / (0 - xMin) * (right - left);
                  const py = y => bottom - y / yMax * (bottom - top);
                  for (let v = 0; v <= yMax + step / 2; v += step) {
                    svg.appendChild(el("line", {x1: left, x2: right, y1: py(v), y2: py(v), stroke: "#e4e4e4"}));
                    svg.appendChild(el("text", {x: left - 6, y: py(v) + 4, "text-anchor": "end", "font-size": 12}, fmt(v)));
                  }
                  const xStep = niceStep(-xMin / 5);
                  for (let v = 0; v >= xMin; v -= xStep) {
                    svg.appendChild(el("text", {x: px(v), y: bottom + 16, "text-anchor": "middle", "font-size": 12}, fmt(v)));
                  }
                  let path = "";
                  for (let i = 0; i < xs.length; i++) { path += (i ? "L" : "M") + px(xs[i]).toFixed(1) + "," + py(ys[i]).toFixed(1); }
                  svg.appendChild(el("path", {d: path, stroke: "#0072B2", "stroke-width": 1.6, fill: "none", class: "mark"}));
                  svg.appendChild(el("line", {x1: left, x2: right, y1: bottom, y2: bottom, stroke: "#444"}));
                  svg.appendChild(el("line", {x1: left, x2: left, y1: top, y2: bottom, stroke: "#444"}));
                  svg.appendChild(el("text", {x: (left + right) / 2, y: h - 6, "text-anchor": "middle", "font-size": 12},
                      "time before the newest reading (s)"));
                  svg.appendChild(el("text", {x: 14, y: (top + bottom) / 2, "text-anchor": "middle", "font-size": 12,
                      transform: "rotate(-90 14 " + (top + bottom) / 2 + ")"}, "power (W)"));
                  return svg;
                }
                function render(state) {
                  const runs = document.getElementById("runs");
                  runs.textContent = "";
                  document.getElementById("checked").textContent = "checked " + new Date(state.checked_epoch_ms).toISOString()
                      + (state.running.length ? "" : ": nothing is running");
                  for (const r of state.running) {
                    const div = document.createElement("div");
                    div.className = "run";
                    const h = document.createElement("h2");
                    h.textContent = (r.campaign ? "campaign " + r.campaign.id + ", run " + r.campaign.run + " of " + r.campaign.runs + ": " : "")
                        + r.experiment_id;
                    div.appendChild(h);
                    const p = document.createElement("p");
                    p.className = "status";
                    p.textContent = (r.phase || "starting") + (r.cycle ? "; cycle " + r.cycle + " of " + r.cycles
                        + "; requests " + r.requests_done + " of " + r.requests_total + "; " + fmt(r.elapsed_s) + " s" : "")
                        + "; total power " + fmt(r.power_watts) + " W" + (r.power_estimated ? " (estimate)" : "");
                    div.appendChild(p);
                    div.appendChild(progressBar(r.requests_done || 0, r.requests_total || 0));
                    for (const d of r.devices) {
                      const t = document.createElement("p");
                      t.textContent = d.device_id + " (" + d.source + "): " + fmt(d.watts[d.watts.length - 1]) + " W now";
                      div.appendChild(t);
                      div.appendChild(powerChart(d));
                    }
                    runs.appendChild(div);
                  }
                }
                function poll() {
                  fetch("/live.json", {cache: "no-store"})
                    .then(r => r.json())
                    .then(render)
                    .catch(e => { document.getElementById("checked").textContent = "no answer from the host: " + e; })
                    .finally(() => setTimeout(poll, 1000));
                }
                poll();
                </script>
                </body></html>
                """.replace("@CSS@", CSS);
    }
}
