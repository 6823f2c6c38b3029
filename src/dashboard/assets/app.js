// Soniq dashboard client: plain browser JavaScript, no dependencies, no network access beyond
// this dashboard's own /api. Every value from the server reaches the page through textContent,
// createTextNode or setAttribute: never innerHTML. Served as a file so the page's CSP can
// forbid inline scripts.
"use strict";
(() => {
  const BODY = document.body;
  const BASE = BODY.dataset.base || "";
  const WRITE = BODY.dataset.write === "true";
  const POLL_MS = Math.max(500, Number(BODY.dataset.poll) || 2000);
  const SVG_NS = "http://www.w3.org/2000/svg";
  const STATUSES = ["queued", "processing", "done", "cancelled"];
  const REASONS = ["max_retries_exceeded", "timeout", "job_not_found", "invalid_arguments", "permanent_failure", "manual_move"];
  const RANGES = [
    { key: "1h", window: 3600, buckets: 60 },
    { key: "6h", window: 6 * 3600, buckets: 72 },
    { key: "24h", window: 86400, buckets: 96 },
    { key: "7d", window: 7 * 86400, buckets: 84 },
  ];

  // ------------------------------------------------------------ DOM helpers

  /** Build an element. Strings and numbers among the children become text nodes. */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    setProps(el, props);
    append(el, children);
    return el;
  }

  function svg(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
    append(el, children);
    return el;
  }

  function setProps(el, props) {
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = String(v);
      else if (k === "text") el.textContent = String(v);
      else if (k === "checked" || k === "disabled" || k === "value" || k === "selected") el[k] = v;
      // CSSOM, not a style attribute: the CSP forbids inline style attributes.
      else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }

  function append(el, ...children) {
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function replace(el, ...children) {
    clear(el);
    append(el, children);
  }

  // ------------------------------------------------------------ formatting

  function fmtAge(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const s = Math.max(0, seconds);
    if (s < 1) return `${Math.round(s * 1000)}ms`;
    if (s < 60) return `${Math.round(s)}s`;
    const two = (big, bigUnit, small, smallUnit) => (small ? `${big}${bigUnit} ${small}${smallUnit}` : `${big}${bigUnit}`);
    if (s < 3600) return two(Math.floor(s / 60), "m", Math.round(s % 60), "s");
    if (s < 86400) return two(Math.floor(s / 3600), "h", Math.floor((s % 3600) / 60), "m");
    return two(Math.floor(s / 86400), "d", Math.floor((s % 86400) / 3600), "h");
  }

  function fmtTime(value) {
    if (!value) return "—";
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString();
  }

  function ago(value) {
    if (!value) return "—";
    return `${fmtAge((Date.now() - new Date(value).getTime()) / 1000)} ago`;
  }

  function fmtNum(n) {
    return typeof n === "number" ? n.toLocaleString() : "—";
  }

  function fmtPct(r) {
    return r === null || r === undefined ? "—" : `${(r * 100).toFixed(r < 0.1 ? 1 : 0)}%`;
  }

  function json(value) {
    if (value === undefined || value === null) return "null";
    try {
      return JSON.stringify(value, null, 2);
    } catch {
      return String(value);
    }
  }

  function shortId(id) {
    return String(id).slice(0, 8) + "…";
  }

  function badge(status) {
    return h("span", { class: `badge ${String(status).replace(/[^a-z_]/g, "")}`, text: status });
  }

  function link(hash, text, props) {
    return h("a", { href: `#/${hash}`, ...(props || {}) }, text);
  }

  function enc(s) {
    return encodeURIComponent(String(s));
  }

  // ------------------------------------------------------------ API and feedback

  async function api(path, options) {
    const init = { method: (options && options.method) || "GET", credentials: "same-origin", headers: { Accept: "application/json" } };
    if (options && options.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    const res = await fetch(`${BASE}/api/${path}`, init);
    if (res.status === 401) {
      location.reload();
      throw new Error("login required");
    }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || `${res.status} ${res.statusText}`);
    return data;
  }

  let toastTimer = null;
  function toast(message, kind) {
    const old = document.querySelector(".toast");
    if (old) old.remove();
    const el = h("div", { class: `toast ${kind || "ok"}`, role: "status", text: message });
    document.body.append(el);
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => el.remove(), 4000);
  }

  /** A write action: run it, report, refresh the view. */
  async function act(label, fn) {
    try {
      const result = await fn();
      toast(label);
      await refreshNow();
      return result;
    } catch (error) {
      toast(`${label} failed: ${error.message}`, "error");
      return null;
    }
  }

  function writeButton(label, onclick, cls) {
    return h("button", {
      type: "button",
      class: cls || "",
      disabled: !WRITE,
      title: WRITE ? undefined : "Read-only dashboard: set SONIQ_DASHBOARD_WRITE_ENABLED=1 to allow changes",
      onclick: (ev) => {
        ev.stopPropagation();
        onclick(ev);
      },
      text: label,
    });
  }

  // ------------------------------------------------------------ charts (inline SVG)

  function niceMax(v) {
    if (v <= 0) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function timeLabel(d, windowSeconds) {
    const date = new Date(d);
    if (windowSeconds > 2 * 86400) return `${date.getMonth() + 1}/${date.getDate()} ${String(date.getHours()).padStart(2, "0")}h`;
    return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
  }

  /**
   * A chart of time buckets: `bars` are stacked ({ key, cls, label }), `line` is drawn over them.
   * `yFormat` formats axis values; `yMax` fixes the scale (else from the data).
   */
  function chart(points, { bars = [], line = null, yFormat = fmtNum, yMax = null, windowSeconds = 3600, title = "" }) {
    const W = 640, H = 200, L = 46, R = 10, T = 10, B = 24;
    const pw = W - L - R, ph = H - T - B;
    const n = Math.max(1, points.length);
    let max = yMax;
    if (max === null) {
      max = 0;
      for (const p of points) {
        const stacked = bars.reduce((s, b) => s + (p[b.key] || 0), 0);
        max = Math.max(max, stacked, line && p[line.key] !== null ? p[line.key] || 0 : 0);
      }
      max = niceMax(Math.max(max, 4)); // counts: whole numbers on the axis
    }
    const y = (v) => T + ph - (v / max) * ph;
    const bw = pw / n;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
    root.append(svg("title", {}, title));
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      root.append(svg("line", { class: i === 0 ? "axis" : "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      root.append(svg("text", { x: L - 6, y: y(v) + 3, "text-anchor": "end" }, yFormat(v)));
    }
    const labelEvery = Math.max(1, Math.ceil(n / 6));
    points.forEach((p, i) => {
      const x = L + i * bw;
      if (i % labelEvery === 0) root.append(svg("text", { x: x + bw / 2, y: H - 8, "text-anchor": "middle" }, timeLabel(p.start, windowSeconds)));
      if (bars.length) {
        let acc = 0;
        const g = svg("g", {});
        const parts = [];
        for (const b of bars) {
          const v = p[b.key] || 0;
          parts.push(`${b.label}: ${fmtNum(v)}`);
          if (v > 0) {
            g.append(svg("rect", { class: b.cls, x: x + 1, width: Math.max(1, bw - 2), y: y(acc + v), height: Math.max(0.5, y(acc) - y(acc + v)) }));
          }
          acc += v;
        }
        // A transparent full-height target so every bucket has a tooltip.
        g.append(svg("rect", { x, width: bw, y: T, height: ph, fill: "transparent" }));
        g.append(svg("title", {}, `${fmtTime(p.start)}\n${parts.join("\n")}${line ? `\n${line.label}: ${line.format(p[line.key])}` : ""}`));
        root.append(g);
      }
    });
    if (line) {
      let d = "";
      points.forEach((p, i) => {
        const v = p[line.key];
        if (v === null || v === undefined) return;
        const cx = L + i * bw + bw / 2;
        d += `${d ? " " : ""}${cx.toFixed(1)},${y(v).toFixed(1)}`;
        if (line.dots) {
          const dot = svg("circle", { class: line.dotCls || "", cx: cx.toFixed(1), cy: y(v).toFixed(1), r: 2.5 });
          dot.append(svg("title", {}, `${fmtTime(p.start)}\n${line.label}: ${line.format(v)}`));
          root.append(dot);
        }
      });
      if (d) root.insertBefore(svg("polyline", { class: line.cls, points: d }), root.querySelector("circle"));
    }
    return h("div", { class: "chart" }, root);
  }

  function legend(items) {
    return h("div", { class: "legend" }, items.map(([cls, label]) => h("span", {}, h("i", { class: cls }), label)));
  }

  // ------------------------------------------------------------ routing and live updates

  const main = document.getElementById("app");
  const liveEl = document.getElementById("live");
  const liveText = document.getElementById("live-text");
  const pauseBtn = document.getElementById("pause");
  let view = null;
  let generation = 0;
  let paused = false;
  let inFlight = false;
  let tick = 0;

  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, "");
    const [path, query] = raw.split("?");
    const parts = (path || "overview").split("/").filter(Boolean).map((p) => decodeURIComponent(p));
    return { parts, params: new URLSearchParams(query || "") };
  }

  function setHash(path, params) {
    const q = params ? new URLSearchParams([...params].filter(([, v]) => v !== "" && v !== null && v !== undefined)).toString() : "";
    location.hash = `#/${path}${q ? `?${q}` : ""}`;
  }

  function setLive(state, text) {
    liveEl.className = `live ${state}`;
    liveText.textContent = text;
  }

  async function refreshNow() {
    if (!view || inFlight) return;
    const gen = generation;
    inFlight = true;
    try {
      await view.refresh(tick++);
      if (gen === generation) setLive(paused ? "paused" : "", `${paused ? "paused" : "live"} · updated ${new Date().toLocaleTimeString()}`);
    } catch (error) {
      if (gen === generation) setLive("error", `update failed: ${error.message}`);
    } finally {
      inFlight = false;
    }
  }

  function route() {
    generation++;
    tick = 0;
    const { parts, params } = parseHash();
    const page = parts[0];
    for (const a of document.querySelectorAll("header.top nav a")) a.classList.toggle("active", a.dataset.page === page);
    clear(main);
    const factory = VIEWS[page] || VIEWS.overview;
    view = factory(parts.slice(1), params);
    document.title = `${view.title} · Soniq`;
    void refreshNow();
  }

  pauseBtn.addEventListener("click", () => {
    paused = !paused;
    pauseBtn.textContent = paused ? "Resume live" : "Pause live";
    setLive(paused ? "paused" : "", paused ? "paused" : "live");
  });
  window.addEventListener("hashchange", route);
  setInterval(() => {
    if (!paused && !document.hidden) void refreshNow();
  }, POLL_MS);

  // ------------------------------------------------------------ views

  function overview() {
    const state = { range: RANGES[0], timeline: null };
    const cards = h("div", { class: "cards" });
    const throughput = h("div", {});
    const failure = h("div", {});
    const queues = h("div", {});
    const workers = h("div", { class: "muted" });
    const rangeButtons = h("div", { class: "range" });
    const drawRange = () =>
      replace(
        rangeButtons,
        RANGES.map((r) =>
          h("button", {
            type: "button",
            class: r === state.range ? "on" : "",
            text: r.key,
            onclick: () => {
              state.range = r;
              state.timeline = null;
              drawRange();
              void refreshNow();
            },
          }),
        ),
      );
    drawRange();
    append(
      main,
      h("h1", {}, "Overview"),
      WRITE ? null : h("div", { class: "banner" }, "Read-only mode. Set SONIQ_DASHBOARD_WRITE_ENABLED=1 to replay, delete, pause or trigger."),
      cards,
      h(
        "div",
        { class: "grid2" },
        h("div", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", {}, "Throughput"), rangeButtons), throughput),
        h("div", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", {}, "Failure rate")), failure),
      ),
      h("div", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", {}, "Queues"), workers), queues),
    );

    async function refresh(n) {
      const wantTimeline = state.timeline === null || n % 5 === 0;
      const [stats, q, w, t] = await Promise.all([
        api("stats"),
        api("queues"),
        api("workers"),
        wantTimeline ? api(`timeline?window=${state.range.window}&buckets=${state.range.buckets}`) : Promise.resolve(state.timeline),
      ]);
      state.timeline = t;
      const card = (label, value, hash) => link(hash, h("div", {}, h("div", { class: "label", text: label }), h("div", { class: "value", text: fmtNum(value) })), { class: "card" });
      replace(
        cards,
        card("Total", stats.total, "jobs"),
        card("Queued", stats.queued, "jobs?status=queued"),
        card("Processing", stats.processing, "jobs?status=processing"),
        card("Done", stats.done, "jobs?status=done"),
        card("Cancelled", stats.cancelled, "jobs?status=cancelled"),
        card("Dead letter", stats.dead_letter, "dead-letter"),
      );
      replace(
        throughput,
        chart(t.buckets, {
          title: "Jobs per bucket",
          windowSeconds: t.windowSeconds,
          bars: [
            { key: "completed", cls: "s-completed", label: "done" },
            { key: "deadLettered", cls: "s-dead", label: "dead-lettered" },
          ],
          line: { key: "enqueued", cls: "s-enqueued", label: "enqueued", format: fmtNum },
        }),
        legend([
          ["completed", `done (${fmtNum(t.totals.completed)})`],
          ["dead", `dead-lettered (${fmtNum(t.totals.deadLettered)})`],
          ["enqueued", `enqueued (${fmtNum(t.totals.enqueued)})`],
          ["", `bucket ${fmtAge(t.bucketSeconds)}`],
        ]),
      );
      replace(
        failure,
        chart(t.buckets, {
          title: "Share of finished jobs that were dead-lettered",
          windowSeconds: t.windowSeconds,
          yMax: 1,
          yFormat: (v) => `${Math.round(v * 100)}%`,
          line: { key: "failureRate", cls: "s-rate", dotCls: "dot-rate", dots: true, label: "failure rate", format: fmtPct },
        }),
        legend([["rate", `dead-lettered / finished, overall ${fmtPct(t.totals.failureRate)}`]]),
      );
      replace(workers, `${w.summary.active} active worker${w.summary.active === 1 ? "" : "s"} (concurrency ${w.summary.concurrency})`, w.summary.stale ? `, ${w.summary.stale} stale` : "");
      const maxAge = Math.max(1, ...q.queues.map((x) => x.oldestQueuedAgeSeconds || 0));
      replace(
        queues,
        q.queues.length === 0
          ? h("div", { class: "empty", text: "No jobs yet." })
          : h(
              "table",
              {},
              h("thead", {}, h("tr", {}, ["Queue", "Queued", "Processing", "Done", "Cancelled", "Dead letter", "Backlog age (oldest due job)"].map((x, i) => h("th", { class: i > 0 && i < 6 ? "num" : "", text: x })))),
              h(
                "tbody",
                {},
                q.queues.map((x) =>
                  h(
                    "tr",
                    {},
                    h("td", {}, link(`jobs?queue=${enc(x.queue)}`, x.queue)),
                    h("td", { class: "num", text: fmtNum(x.queued) }),
                    h("td", { class: "num", text: fmtNum(x.processing) }),
                    h("td", { class: "num", text: fmtNum(x.done) }),
                    h("td", { class: "num", text: fmtNum(x.cancelled) }),
                    h("td", { class: "num" }, x.deadLetter ? link(`dead-letter?queue=${enc(x.queue)}`, fmtNum(x.deadLetter)) : "0"),
                    h(
                      "td",
                      {},
                      h(
                        "div",
                        { class: "agecell" },
                        h("span", { text: fmtAge(x.oldestQueuedAgeSeconds) }),
                        h("div", { class: "agebar-wrap" }, x.oldestQueuedAgeSeconds ? h("div", { class: "agebar", style: { width: `${Math.round((x.oldestQueuedAgeSeconds / maxAge) * 100)}%` } }) : null),
                      ),
                    ),
                  ),
                ),
              ),
            ),
      );
    }
    return { title: "Overview", refresh };
  }

  function pager(el, data, params, path) {
    const from = data.total === 0 ? 0 : data.offset + 1;
    const to = data.offset + (data.jobs || data.items).length;
    const go = (offset) => {
      const p = new URLSearchParams(params);
      p.set("offset", String(Math.max(0, offset)));
      setHash(path, p);
    };
    replace(
      el,
      h("button", { type: "button", text: "‹ Prev", disabled: data.offset === 0, onclick: () => go(data.offset - data.limit) }),
      h("span", { text: `${fmtNum(from)}–${fmtNum(to)} of ${fmtNum(data.total)}` }),
      h("button", { type: "button", text: "Next ›", disabled: !data.hasMore, onclick: () => go(data.offset + data.limit) }),
    );
  }

  function filterForm(fields, params, path) {
    const inputs = {};
    const form = h(
      "form",
      {
        class: "filters",
        onsubmit: (ev) => {
          ev.preventDefault();
          const p = new URLSearchParams();
          for (const [name, input] of Object.entries(inputs)) if (input.value.trim()) p.set(name, input.value.trim());
          setHash(path, p);
        },
      },
      fields.map((f) => {
        let input;
        if (f.options) {
          input = h("select", { name: f.name }, h("option", { value: "", text: "any" }), f.options.map((o) => h("option", { value: o, text: o })));
          input.value = params.get(f.name) || "";
        } else {
          input = h("input", { type: "search", name: f.name, placeholder: f.placeholder || "", value: params.get(f.name) || "" });
        }
        inputs[f.name] = input;
        return h("label", {}, f.label, input);
      }),
      h("button", { type: "submit", class: "primary", text: "Apply" }),
      h("button", { type: "button", text: "Clear", onclick: () => setHash(path) }),
    );
    return form;
  }

  function jobsList(_rest, params) {
    const tbody = h("tbody", {});
    const pagerEl = h("div", { class: "pager" });
    append(
      main,
      h("h1", {}, "Jobs"),
      filterForm(
        [
          { name: "queue", label: "Queue", placeholder: "any" },
          { name: "status", label: "Status", options: STATUSES },
          { name: "job_name", label: "Job name", placeholder: "exact name" },
          { name: "q", label: "Search", placeholder: "name, error, args or id" },
        ],
        params,
        "jobs",
      ),
      h(
        "div",
        { class: "panel" },
        h(
          "table",
          { id: "jobs-table" },
          h("thead", {}, h("tr", {}, ["ID", "Job", "Status", "Queue", "Attempts", "Priority", "Created", "Updated", "Last error"].map((x) => h("th", { class: x === "Attempts" || x === "Priority" ? "num" : "", text: x })))),
          tbody,
        ),
        pagerEl,
      ),
    );
    async function refresh() {
      const q = new URLSearchParams();
      for (const k of ["queue", "status", "job_name", "q", "offset"]) if (params.get(k)) q.set(k, params.get(k));
      q.set("limit", "50");
      const data = await api(`jobs?${q}`);
      replace(
        tbody,
        data.jobs.length === 0
          ? h("tr", {}, h("td", { colspan: 9, class: "empty", text: "No matching jobs." }))
          : data.jobs.map((j) =>
              h(
                "tr",
                { class: "clickable", "data-id": j.id, onclick: () => setHash(`jobs/${enc(j.id)}`) },
                h("td", { class: "mono" }, link(`jobs/${enc(j.id)}`, shortId(j.id), { title: j.id })),
                h("td", { class: "job-name", text: j.jobName }),
                h("td", {}, badge(j.status)),
                h("td", { text: j.queue }),
                h("td", { class: "num", text: `${j.attempts} / ${j.maxAttempts}` }),
                h("td", { class: "num", text: j.priority }),
                h("td", { title: fmtTime(j.createdAt), text: ago(j.createdAt) }),
                h("td", { title: fmtTime(j.updatedAt), text: ago(j.updatedAt) }),
                h("td", { class: "err", title: j.error || "", text: j.error || "" }),
              ),
            ),
      );
      pager(pagerEl, data, params, "jobs");
    }
    return { title: "Jobs", refresh };
  }

  function fields(pairs) {
    return h("dl", { class: "fields" }, pairs.filter(Boolean).map(([k, v]) => [h("dt", { text: k }), h("dd", {}, v === null || v === undefined || v === "" ? "—" : v)]));
  }

  function section(title, content, cls) {
    return h("div", { class: "panel" }, h("h2", { text: title }), content instanceof Node ? content : h("pre", { class: cls || "", text: content }));
  }

  function jobDetail(rest) {
    const id = rest[0] || "";
    const box = h("div", {});
    append(main, h("h1", {}, link("jobs", "Jobs"), " / ", h("span", { class: "mono", text: id })), box);
    async function refresh() {
      let data;
      try {
        data = await api(`jobs/${enc(id)}`);
      } catch (error) {
        replace(box, h("div", { class: "banner warn", text: error.message }));
        return;
      }
      if (data.kind === "dead_letter") {
        replace(box, h("div", { class: "banner warn" }, "This job is in the dead-letter queue: ", link(`dead-letter/${enc(id)}`, "open it there")));
        return;
      }
      const j = data.job;
      replace(
        box,
        h(
          "div",
          { class: "panel" },
          h(
            "div",
            { class: "panel-head" },
            h("h2", {}, j.jobName, " ", badge(j.status)),
            h(
              "div",
              { class: "actions" },
              j.status === "queued" ? writeButton("Cancel", () => act("Job cancelled", () => api(`jobs/${enc(j.id)}/cancel`, { method: "POST" }))) : null,
              writeButton(
                "Delete",
                () => {
                  if (confirm(`Delete job ${j.id}?`)) void act("Job deleted", () => api(`jobs/${enc(j.id)}`, { method: "DELETE" })).then((r) => r && setHash("jobs"));
                },
                "danger",
              ),
            ),
          ),
          fields([
            ["ID", h("span", { class: "mono", text: j.id })],
            ["Status", j.status],
            ["Queue", j.queue],
            ["Priority", String(j.priority)],
            ["Attempts", `${j.attempts} of ${j.maxAttempts}`],
            ["Created", fmtTime(j.createdAt)],
            ["Updated", fmtTime(j.updatedAt)],
            ["Scheduled for", j.scheduledAt ? fmtTime(j.scheduledAt) : "as soon as possible"],
            j.expiresAt ? ["Result kept until", fmtTime(j.expiresAt)] : null,
            ["Worker", j.workerId],
            ["Producer", j.producerId],
            j.dedupKey ? ["Dedup key", j.dedupKey] : null,
            j.uniqueJob ? ["Unique", "yes"] : null,
          ]),
        ),
        section("Arguments", json(j.args)),
        j.status === "done" ? section("Result", json(j.result)) : null,
        j.error ? section("Last error", j.error, "error") : null,
        j.stack ? section("Stack", j.stack, "error") : null,
      );
    }
    return { title: `Job ${shortId(id)}`, refresh };
  }

  function deadLetterList(_rest, params) {
    const selected = new Set();
    const tbody = h("tbody", {});
    const pagerEl = h("div", { class: "pager" });
    const bulk = h("div", { class: "actions" });
    let lastIds = [];
    const drawBulk = () =>
      replace(
        bulk,
        writeButton(`Replay selected (${selected.size})`, () => {
          const ids = [...selected];
          if (ids.length === 0) return;
          void act(`Replayed ${ids.length} job(s)`, () => api("dead-letter/replay", { method: "POST", body: { ids } })).then((r) => r && selected.clear());
        }),
        writeButton("Replay all matching", () => {
          const filter = { queue: params.get("queue") || undefined, jobName: params.get("job_name") || undefined, reason: params.get("reason") || undefined };
          if (confirm("Replay every dead-letter job matching the filter (up to 1000)?")) {
            void act("Replayed matching jobs", () => api("dead-letter/replay", { method: "POST", body: { filter } }));
          }
        }),
      );
    drawBulk();
    const all = h("input", {
      type: "checkbox",
      title: "Select this page",
      onchange: (ev) => {
        for (const id of lastIds) ev.target.checked ? selected.add(id) : selected.delete(id);
        drawBulk();
        void refreshNow();
      },
    });
    append(
      main,
      h("h1", {}, "Dead-letter queue"),
      filterForm(
        [
          { name: "queue", label: "Queue", placeholder: "any" },
          { name: "job_name", label: "Job name", placeholder: "exact name" },
          { name: "reason", label: "Reason", options: REASONS },
        ],
        params,
        "dead-letter",
      ),
      h(
        "div",
        { class: "panel" },
        h("div", { class: "panel-head" }, h("h2", { text: "Failed jobs" }), bulk),
        h(
          "table",
          { id: "dlq-table" },
          h("thead", {}, h("tr", {}, h("th", {}, all), ["ID", "Job", "Queue", "Reason", "Attempts", "Moved", "Replays", "Error", ""].map((x) => h("th", { text: x })))),
          tbody,
        ),
        pagerEl,
      ),
    );
    async function refresh() {
      const q = new URLSearchParams();
      for (const k of ["queue", "job_name", "reason", "offset"]) if (params.get(k)) q.set(k, params.get(k));
      q.set("limit", "50");
      const data = await api(`dead-letter?${q}`);
      lastIds = data.items.map((d) => d.id);
      all.checked = lastIds.length > 0 && lastIds.every((id) => selected.has(id));
      replace(
        tbody,
        data.items.length === 0
          ? h("tr", {}, h("td", { colspan: 10, class: "empty", text: "The dead-letter queue is empty." }))
          : data.items.map((d) =>
              h(
                "tr",
                { "data-id": d.id },
                h(
                  "td",
                  {},
                  h("input", {
                    type: "checkbox",
                    checked: selected.has(d.id),
                    "aria-label": `select ${d.id}`,
                    onchange: (ev) => {
                      ev.target.checked ? selected.add(d.id) : selected.delete(d.id);
                      drawBulk();
                    },
                  }),
                ),
                h("td", { class: "mono" }, link(`dead-letter/${enc(d.id)}`, shortId(d.id), { title: d.id })),
                h("td", { class: "job-name", text: d.jobName }),
                h("td", { text: d.queue }),
                h("td", {}, badge(d.reason)),
                h("td", { class: "num", text: `${d.attempts} / ${d.maxAttempts}` }),
                h("td", { title: fmtTime(d.movedAt), text: ago(d.movedAt) }),
                h("td", { class: "num", text: d.resurrectionCount }),
                h("td", { class: "err", title: d.error || "", text: d.error || "" }),
                h(
                  "td",
                  {},
                  h(
                    "div",
                    { class: "actions" },
                    writeButton("Replay", () => act("Replayed", () => api(`dead-letter/${enc(d.id)}/replay`, { method: "POST" }))),
                    writeButton(
                      "Delete",
                      () => {
                        if (confirm(`Delete dead-letter job ${d.id}?`)) void act("Deleted", () => api(`dead-letter/${enc(d.id)}`, { method: "DELETE" }));
                      },
                      "danger",
                    ),
                  ),
                ),
              ),
            ),
      );
      pager(pagerEl, data, params, "dead-letter");
    }
    return { title: "Dead letters", refresh };
  }

  function deadLetterDetail(rest) {
    const id = rest[0] || "";
    const box = h("div", {});
    append(main, h("h1", {}, link("dead-letter", "Dead-letter queue"), " / ", h("span", { class: "mono", text: id })), box);
    async function refresh() {
      let data;
      try {
        data = await api(`dead-letter/${enc(id)}`);
      } catch (error) {
        replace(box, h("div", { class: "banner warn", text: error.message }));
        return;
      }
      const d = data.deadLetter;
      replace(
        box,
        h(
          "div",
          { class: "panel" },
          h(
            "div",
            { class: "panel-head" },
            h("h2", {}, d.jobName, " ", badge(d.reason)),
            h(
              "div",
              { class: "actions" },
              writeButton(
                "Replay",
                () =>
                  void act("Replayed", () => api(`dead-letter/${enc(d.id)}/replay`, { method: "POST" })).then((r) => {
                    if (r && r.jobId) setHash(`jobs/${enc(r.jobId)}`);
                  }),
                "primary",
              ),
              writeButton(
                "Delete",
                () => {
                  if (confirm(`Delete dead-letter job ${d.id}?`)) void act("Deleted", () => api(`dead-letter/${enc(d.id)}`, { method: "DELETE" })).then((r) => r && setHash("dead-letter"));
                },
                "danger",
              ),
            ),
          ),
          fields([
            ["ID", h("span", { class: "mono", text: d.id })],
            ["Queue", d.queue],
            ["Priority", String(d.priority)],
            ["Attempts", `${d.attempts} of ${d.maxAttempts}`],
            ["Reason", d.reason],
            ["Created", fmtTime(d.originalCreatedAt)],
            ["Moved to dead letters", fmtTime(d.movedAt)],
            ["Replays", String(d.resurrectionCount)],
            d.lastResurrectionAt ? ["Last replay", fmtTime(d.lastResurrectionAt)] : null,
          ]),
        ),
        section("Arguments", json(d.args)),
        d.error ? section("Error", d.error, "error") : null,
        d.stack ? section("Stack", d.stack, "error") : null,
        d.tags ? section("Tags", json(d.tags)) : null,
      );
    }
    return { title: `Dead letter ${shortId(id)}`, refresh };
  }

  function workersView(_rest, params) {
    const showAll = params.get("all") === "true";
    const summary = h("div", { class: "muted" });
    const tbody = h("tbody", {});
    append(
      main,
      h("h1", {}, "Workers"),
      h(
        "div",
        { class: "panel" },
        h(
          "div",
          { class: "panel-head" },
          summary,
          h("label", {}, h("input", { type: "checkbox", checked: showAll, onchange: (ev) => setHash("workers", ev.target.checked ? new URLSearchParams({ all: "true" }) : null) }), " show stopped"),
        ),
        h(
          "table",
          {},
          h("thead", {}, h("tr", {}, ["ID", "Host", "PID", "State", "Queues", "Concurrency", "Running", "Heartbeat", "Started", "Version"].map((x) => h("th", { text: x })))),
          tbody,
        ),
      ),
    );
    async function refresh() {
      const data = await api(`workers${showAll ? "?all=true" : ""}`);
      const s = data.summary;
      replace(summary, `${s.active} active, ${s.stale} stale, ${s.stopping} stopping, ${s.stopped} stopped; total concurrency ${s.concurrency}. Stale = no heartbeat for over ${data.heartbeatTimeout}s.`);
      replace(
        tbody,
        data.workers.length === 0
          ? h("tr", {}, h("td", { colspan: 10, class: "empty", text: "No workers running." }))
          : data.workers.map((w) =>
              h(
                "tr",
                {},
                h("td", { class: "mono", title: w.id, text: shortId(w.id) }),
                h("td", { text: w.hostname }),
                h("td", { class: "num", text: w.pid }),
                h("td", {}, badge(w.state)),
                h("td", { text: w.queues && w.queues.length ? w.queues.join(", ") : "all" }),
                h("td", { class: "num", text: w.concurrency }),
                h("td", { class: "num", text: w.running === null ? "—" : w.running }),
                h("td", { title: fmtTime(w.lastHeartbeat), text: `${fmtAge(w.heartbeatAgeSeconds)} ago` }),
                h("td", { title: fmtTime(w.startedAt), text: ago(w.startedAt) }),
                h("td", { text: w.version || "—" }),
              ),
            ),
      );
    }
    return { title: "Workers", refresh };
  }

  function schedulesView() {
    const tbody = h("tbody", {});
    append(
      main,
      h("h1", {}, "Schedules"),
      h(
        "div",
        { class: "panel" },
        h(
          "table",
          { id: "schedules-table" },
          h("thead", {}, h("tr", {}, ["Name", "When", "Status", "Queue", "Priority", "Next run", "Last run", "Runs", "Last job", ""].map((x) => h("th", { text: x })))),
          tbody,
        ),
      ),
    );
    async function refresh() {
      const data = await api("schedules");
      replace(
        tbody,
        data.schedules.length === 0
          ? h("tr", {}, h("td", { colspan: 10, class: "empty", text: "No schedules. Define them with app.periodic() or app.scheduler.add()." }))
          : data.schedules.map((s) =>
              h(
                "tr",
                { "data-name": s.name },
                h("td", { class: "job-name", text: s.name }),
                h("td", { class: "mono", text: `${s.scheduleType === "cron" ? "cron " : "every "}${s.scheduleValue}` }),
                h("td", {}, badge(s.status)),
                h("td", { text: s.queue }),
                h("td", { class: "num", text: s.priority }),
                h("td", { title: fmtTime(s.nextRun), text: s.status === "paused" ? "paused" : fmtTime(s.nextRun) }),
                h("td", { title: fmtTime(s.lastRun), text: s.lastRun ? ago(s.lastRun) : "never" }),
                h("td", { class: "num", text: s.runCount }),
                h("td", { class: "mono" }, s.lastJobId ? link(`jobs/${enc(s.lastJobId)}`, shortId(s.lastJobId), { title: s.lastJobId }) : "—"),
                h(
                  "td",
                  {},
                  h(
                    "div",
                    { class: "actions" },
                    s.status === "active"
                      ? writeButton("Pause", () => act(`Paused ${s.name}`, () => api(`schedules/${enc(s.name)}/pause`, { method: "POST" })))
                      : writeButton("Resume", () => act(`Resumed ${s.name}`, () => api(`schedules/${enc(s.name)}/resume`, { method: "POST" }))),
                    writeButton("Run now", () => act(`Enqueued ${s.name}`, () => api(`schedules/${enc(s.name)}/trigger`, { method: "POST" }))),
                  ),
                ),
              ),
            ),
      );
    }
    return { title: "Schedules", refresh };
  }

  const VIEWS = {
    overview,
    jobs: (rest, params) => (rest.length ? jobDetail(rest, params) : jobsList(rest, params)),
    "dead-letter": (rest, params) => (rest.length ? deadLetterDetail(rest, params) : deadLetterList(rest, params)),
    workers: workersView,
    schedules: schedulesView,
  };

  route();
})();
