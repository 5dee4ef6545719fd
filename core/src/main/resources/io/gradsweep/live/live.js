// gradsweep live view: polls /api/state?since=V (at most every 2 s), keeps what it got, and draws only the trials
// that changed and are on screen. No build step; ECharts comes from the driver (its WebJar), never from a CDN.
"use strict";
(function () {
  const POLL_MS = 2000;
  const MAX_ROWS = 2000;
  // the PNG heatmap's colour ramp (chart.GradientCharts.RAMP), dark = small, light = large
  const RAMP = ["#1f0d4d", "#334099", "#1a8594", "#59bd5c", "#fce638"];
  const MISSING = "#d0d0d0";
  const trials = new Map(); // run id -> {h: header, rows: [[step, c0..c15]], loss: [[step, v]], ...}
  let version = 0;
  let order = [];
  let factors = [];
  let buckets = 16;
  let failures = 0;

  const $ = (id) => document.getElementById(id);
  const visible = new Set();
  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const id = e.target.dataset.runId;
      if (e.isIntersecting) { visible.add(e.target); draw(trials.get(id), e.target); } else { visible.delete(e.target); }
    }
  }, { rootMargin: "200px" });

  function text(s) { return s == null ? "" : String(s); }
  function fmt(v) {
    if (v == null || !isFinite(v)) return "–";
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(2) : v.toPrecision(3);
  }
  function factorText(t) {
    return Object.entries(t.h.factors || {}).map(([k, v]) => k + "=" + v).join(" ");
  }
  function logRange(rows) {
    let lo = Infinity, hi = -Infinity;
    for (const r of rows) for (let b = 1; b < r.length; b++) {
      const v = r[b];
      if (v != null && v > 0) { const l = Math.log10(v); if (l < lo) lo = l; if (l > hi) hi = l; }
    }
    if (!isFinite(lo)) return [-1, 0];
    return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
  }

  function heatOption(t, small) {
    const data = [];
    t.rows.forEach((r, i) => { for (let b = 0; b < buckets; b++) { const v = r[b + 1];
      data.push([b, i, v != null && v > 0 ? Math.log10(v) : "-"]); } });
    const [lo, hi] = logRange(t.rows);
    return {
      animation: false,
      grid: small ? { left: 2, right: 2, top: 2, bottom: 2, show: true, backgroundColor: MISSING, borderWidth: 0 }
        : { left: 52, right: 56, top: 8, bottom: 34, show: true, backgroundColor: MISSING, borderWidth: 0 },
      tooltip: small ? undefined : { formatter: (p) => "step " + t.rows[p.value[1]][0] + ", bucket b"
        + String(p.value[0]).padStart(2, "0") + ": " + fmt(Math.pow(10, p.value[2])) },
      xAxis: { type: "category", data: [...Array(buckets).keys()], show: !small, name: small ? "" : "time step (bucket)",
        nameLocation: "middle", nameGap: 20, axisLabel: { interval: 3, fontSize: 10 }, splitArea: { show: false } },
      yAxis: { type: "category", data: t.rows.map((r) => r[0]), show: !small, inverse: true,
        name: small ? "" : "training step", nameLocation: "middle", nameGap: 40, axisLabel: { fontSize: 10 } },
      visualMap: { type: "continuous", min: lo, max: hi, calculable: false, show: !small, orient: "vertical",
        right: 0, top: "center", itemHeight: 120, itemWidth: 10, precision: 1, text: [fmt(Math.pow(10, hi)), fmt(Math.pow(10, lo))],
        textStyle: { fontSize: 10 }, inRange: { color: RAMP }, dimension: 2 },
      series: [{ type: "heatmap", data: data, progressive: 0 }],
    };
  }

  function profileOption(t) {
    const last = t.rows[t.rows.length - 1];
    const first = t.rows[0];
    const line = (r) => r ? [...Array(buckets).keys()].map((b) => [b, r[b + 1] != null && r[b + 1] > 0 ? r[b + 1] : null]) : [];
    return {
      animation: false,
      grid: { left: 50, right: 8, top: 16, bottom: 18 },
      title: { text: "profile at step " + (last ? last[0] : "–"), textStyle: { fontSize: 11, fontWeight: "normal" }, left: 50, top: 0 },
      tooltip: { trigger: "axis", valueFormatter: fmt },
      xAxis: { type: "value", min: 0, max: buckets - 1, interval: 5, axisLabel: { fontSize: 10 } },
      yAxis: { type: "log", axisLabel: { fontSize: 10, formatter: (v) => fmt(v) } },
      series: [
        { name: "first (step " + (first ? first[0] : "–") + ")", type: "line", data: line(first), showSymbol: false,
          lineStyle: { type: "dashed", width: 1, color: "#999" } },
        { name: "current", type: "line", data: line(last), showSymbol: false, lineStyle: { width: 2, color: "#1f5fb4" } },
      ],
    };
  }

  function lossOption(t) {
    const base = t.h.baseline;
    return {
      animation: false,
      grid: { left: 50, right: 8, top: 16, bottom: 18 },
      title: { text: "eval/loss" + (base != null ? " (baseline " + fmt(base) + ")" : ""),
        textStyle: { fontSize: 11, fontWeight: "normal" }, left: 50, top: 0 },
      tooltip: { trigger: "axis", valueFormatter: fmt },
      xAxis: { type: "value", axisLabel: { fontSize: 10 } },
      yAxis: { type: "value", scale: true, axisLabel: { fontSize: 10, formatter: (v) => fmt(v) } },
      series: [{ type: "line", data: t.loss, showSymbol: false, lineStyle: { color: "#e07010" },
        markLine: base == null ? undefined : { symbol: "none", silent: true, label: { show: false },
          lineStyle: { type: "dashed", color: "#555" }, data: [{ yAxis: base }] } }],
    };
  }

  function chart(el) { return echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "canvas" }); }

  function draw(t, el) {
    if (!t || !t.dirty) return;
    t.dirty = false;
    if (el.classList.contains("strip-item")) {
      el.querySelector(".label").textContent = t.h.name + " · " + text(t.h.outcome || t.h.status);
      el.querySelector(".label").className = "label status-" + text(t.h.outcome || t.h.status);
      el.title = t.h.name + "\n" + factorText(t) + "\n" + text(t.h.outcome || t.h.status) + ", "
        + t.rows.length + " profiles, clip rate " + fmt(t.h.clipRate);
      if (t.rows.length) chart(el.querySelector(".mini")).setOption(heatOption(t, true), true);
    } else {
      el.querySelector(".title").textContent = t.h.name;
      el.querySelector(".facts").textContent = [factorText(t), "status " + text(t.h.status),
        t.rows.length + " profiles", "clip rate " + fmt(t.h.clipRate),
        "eval/loss " + fmt(t.loss.length ? t.loss[t.loss.length - 1][1] : null)].filter((s) => s).join(" · ");
      if (t.rows.length) {
        chart(el.querySelector(".heat")).setOption(heatOption(t, false), true);
        chart(el.querySelector(".prof")).setOption(profileOption(t), true);
      }
      if (t.loss.length) chart(el.querySelector(".loss")).setOption(lossOption(t), true);
    }
    el.dataset.rows = String(t.rows.length); // what is drawn (the browser test reads it)
  }

  function dispose(el) {
    el.querySelectorAll(".heat, .prof, .loss, .mini").forEach((c) => { const i = echarts.getInstanceByDom(c); if (i) i.dispose(); });
    observer.unobserve(el); visible.delete(el); el.remove();
  }

  function panelFor(t) {
    if (t.el && t.el.classList.contains("panel") && t.h.status === "RUNNING") return t.el;
    if (t.el && t.el.classList.contains("strip-item") && t.h.status !== "RUNNING") return t.el;
    if (t.el) dispose(t.el);
    const el = document.createElement("div");
    el.dataset.runId = t.id;
    el.dataset.rows = "0";
    if (t.h.status === "RUNNING") {
      el.className = "panel";
      el.innerHTML = '<div class="title"></div><div class="facts"></div><div class="charts">'
        + '<div class="heat"></div><div class="prof"></div><div class="loss"></div></div>';
      $("running").appendChild(el);
    } else {
      el.className = "strip-item";
      el.innerHTML = '<div class="mini"></div><div class="label"></div>';
      $("strip").appendChild(el);
    }
    t.el = el;
    t.dirty = true;
    observer.observe(el);
    return el;
  }

  function sortStrip() {
    const strip = $("strip");
    const rank = new Map(order.map((id, i) => [id, i]));
    const items = [...strip.children].sort((a, b) => (rank.get(a.dataset.runId) ?? 1e9) - (rank.get(b.dataset.runId) ?? 1e9));
    items.forEach((el) => strip.appendChild(el));
    const running = $("running");
    [...running.children].sort((a, b) => (rank.get(a.dataset.runId) ?? 1e9) - (rank.get(b.dataset.runId) ?? 1e9))
      .forEach((el) => running.appendChild(el));
  }

  function apply(s) {
    if (s.reset) {
      for (const t of trials.values()) if (t.el) dispose(t.el);
      trials.clear();
    }
    buckets = s.buckets || 16;
    if (s.sweep) {
      $("sweep").textContent = "sweep " + text(s.sweep.name);
      const meta = $("sweep-meta");
      meta.textContent = text(s.sweep.status).toLowerCase() + (s.sweep.parentRun ? " · parent run " : "");
      if (s.sweep.parentRun) {
        const a = document.createElement("a");
        a.href = s.sweep.parentRun; a.textContent = s.sweep.parentRun; a.rel = "noreferrer"; meta.appendChild(a);
      }
      $("message").textContent = text(s.sweep.message);
    }
    let reorder = false;
    if (s.order) { order = s.order; factors = s.factors || []; $("factors").textContent = factors.join(", ") || "none"; reorder = true; }
    for (const u of s.trials) {
      let t = trials.get(u.id);
      if (!t) { t = { id: u.id, rows: [], loss: [] }; trials.set(u.id, t); }
      const moved = !t.h || t.h.status !== u.status;
      t.h = u;
      for (const r of u.rows) t.rows.push(r);
      if (t.rows.length > MAX_ROWS) t.rows.splice(0, t.rows.length - MAX_ROWS);
      for (const p of u.loss) t.loss.push(p);
      t.dirty = true;
      const el = panelFor(t);
      if (moved) reorder = true;
      if (visible.has(el)) draw(t, el);
    }
    if (reorder) sortStrip();
    const running = $("running").children.length;
    $("running-count").textContent = running ? "(" + running + ")" : "";
    $("running-empty").style.display = running ? "none" : "";
    version = s.version;
  }

  async function poll() {
    const t0 = Date.now();
    try {
      const r = await fetch("api/state?since=" + version, { cache: "no-store" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      apply(await r.json());
      failures = 0;
    } catch (e) {
      failures++;
      $("message").textContent = "the driver does not answer (" + e.message + "): the sweep's driver has stopped? "
        + "gradsweep watch --experiment E --sweep NAME shows a sweep from MLflow alone";
    }
    setTimeout(poll, Math.max(POLL_MS - (Date.now() - t0), 200) + Math.min(failures, 5) * 1000);
  }
  window.addEventListener("resize", () => visible.forEach((el) =>
    el.querySelectorAll(".heat, .prof, .loss, .mini").forEach((c) => { const i = echarts.getInstanceByDom(c); if (i) i.resize(); })));
  window.gradsweepLive = { trials: trials, version: () => version };
  poll();
})();
