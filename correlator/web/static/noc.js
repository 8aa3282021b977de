// linewatch NOC page: vanilla JavaScript, no framework, no CDN.
//
// Data: GET /api/v1/noc (everything on the screen, one document). Live: an EventSource on
// /api/v1/events; any incident, ticket, planned_work or resync event makes the page re-read
// /api/v1/noc (debounced), and it also re-reads every 30 s in case a stream dies silently.
// SLA countdowns tick here every second from the server's due times, corrected for the
// difference between this machine's clock and the server's.
//
// Token: a read-only token asked once and kept in sessionStorage (this tab only). If the server
// lets GET routes through without a token (api.anonymous_read), no token is asked.
"use strict";

(function () {
  const TOKEN_KEY = "linewatch.token";
  const REFRESH_MS = 30000;
  const DEBOUNCE_MS = 250;

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || "",
    anonymous: false,
    offsetMs: 0, // server time minus client time
    timezone: undefined,
    warnFraction: 0.8,
    source: null,
    timer: null,
    pending: null,
    loading: false,
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("data-")) node.setAttribute(k, String(v));
      else if (k === "title") node.title = String(v);
      else node.setAttribute(k, String(v));
    }
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // -- time ---------------------------------------------------------------------------------------

  function serverNow() {
    return Date.now() + state.offsetMs;
  }

  function fmtTime(iso, withDate) {
    const opts = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
    if (withDate) Object.assign(opts, { month: "2-digit", day: "2-digit" });
    if (state.timezone) opts.timeZone = state.timezone;
    try {
      return new Intl.DateTimeFormat("en-GB", opts).format(new Date(iso));
    } catch (e) {
      return new Date(iso).toISOString();
    }
  }

  function fmtDuration(ms) {
    const total = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const mm = String(m).padStart(2, "0");
    const ss = String(s).padStart(2, "0");
    return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  function age(iso) {
    const ms = serverNow() - Date.parse(iso);
    if (ms < 60000) return `${Math.max(0, Math.floor(ms / 1000))} s ago`;
    if (ms < 3600000) return `${Math.floor(ms / 60000)} min ago`;
    return `${Math.floor(ms / 3600000)} h ${Math.floor((ms % 3600000) / 60000)} min ago`;
  }

  // -- API ----------------------------------------------------------------------------------------

  class Unauthorized extends Error {}

  async function api(path) {
    const headers = { Accept: "application/json" };
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    const resp = await fetch(path, { headers, cache: "no-store" });
    if (resp.status === 401) throw new Unauthorized("401");
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(body.error ? `${body.error} (${body.fix})` : `HTTP ${resp.status}`);
    return body;
  }

  // -- token --------------------------------------------------------------------------------------

  function askToken(message) {
    const dialog = $("token-dialog");
    $("token-error").textContent = message || "";
    $("token-input").value = "";
    if (!dialog.open) dialog.showModal();
    $("token-input").focus();
  }

  async function useToken(token) {
    const before = state.token;
    state.token = token;
    try {
      const me = await api("/api/v1/whoami");
      sessionStorage.setItem(TOKEN_KEY, token);
      $("token-dialog").close();
      state.anonymous = me.name === "anonymous";
      $("token-button").hidden = state.anonymous;
      $("token-button").textContent = `token: ${me.name}`;
      start();
    } catch (e) {
      state.token = before;
      askToken(e instanceof Unauthorized ? "That token is not valid." : `Cannot check the token: ${e.message}`);
    }
  }

  function forgetToken() {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = "";
    stopLive();
    askToken("");
  }

  // -- rendering ----------------------------------------------------------------------------------

  function tierBadge(tier) {
    return tier ? el("span", { class: `badge tier-${tier}` }, tier.replace("_", " ")) : "–";
  }

  function circuitChip(c) {
    return el(
      "span",
      {
        class: `circuit ${c.status}${c.until ? " over" : ""}`,
        "data-circuit": c.circuit,
        "data-status": c.status,
        title: `${c.customer_name || c.customer} · ${c.tier} · ${c.maintenance_level} · ${c.status}` +
          (c.paths_down.length ? ` · down: ${c.paths_down.join(", ")}` : ""),
      },
      el("span", { class: "cid" }, c.circuit),
      el("span", { class: "cust" }, c.customer_name || c.customer),
    );
  }

  function countdownCell(d) {
    if (!d) return el("td", { class: "deadline" }, el("span", { class: "deadline-what" }, "no SLA clock"));
    const what = `${d.clock} · ${d.circuit}` + (d.ticket ? ` · ${d.ticket}` : " · no ticket yet");
    return el(
      "td",
      { class: "deadline" },
      el("span", {
        class: `countdown ${d.state}`,
        "data-due": d.due,
        "data-warn": d.warn_at,
        title: `due ${fmtTime(d.due, true)}`,
      }),
      el("span", { class: "deadline-what" }, what),
    );
  }

  function incidentRow(inc, n) {
    const hurtNow = inc.circuits.filter((c) => !c.until);
    const hurtTotal = inc.outage.length + inc.single_route_risk.length + inc.degraded.length;
    const more = hurtTotal > hurtNow.length
      ? el("span", { class: "circuit more", title: "GET /api/v1/incidents/" + inc.id + " lists them all" }, `+${hurtTotal - hurtNow.length} more`)
      : null;
    const chips = el("div", { class: "circuits" }, ...hurtNow.map(circuitChip), more);
    return el(
      "tr",
      { class: `incident${inc.heavy_penalty ? " heavy" : ""}`, "data-incident": inc.id, "data-tier": inc.tier || "" },
      el("td", { class: "rank" }, String(n)),
      el("td", {}, tierBadge(inc.tier), inc.heavy_penalty ? el("div", {}, el("span", { class: "badge heavy" }, "HEAVY PENALTY")) : null),
      el("td", {}, inc.maintenance_level || "–"),
      el(
        "td",
        { class: "root" },
        el("span", { class: "root-kind" }, `${inc.root.kind} `),
        el("span", { class: "root-id" }, inc.root.id),
        el("span", { class: "rule" }, inc.root.rule ? `rule ${inc.root.rule}` : "alarm is the root"),
        inc.flapping ? el("span", { class: "rule" }, "flapping") : null,
      ),
      el("td", {}, chips, el("span", { class: "age" }, `${inc.outage.length} outage, ${inc.single_route_risk.length} protection lost, ${inc.symptom_count} symptoms`)),
      el("td", {}, fmtTime(inc.started_at, true), el("span", { class: "age", "data-since": inc.started_at }, age(inc.started_at))),
      countdownCell(inc.deadline),
    );
  }

  function setFigure(name, text, cls) {
    const node = document.querySelector(`[data-figure="${name}"]`);
    node.textContent = text;
    node.parentElement.classList.remove("alert", "warn", "good");
    if (cls) node.parentElement.classList.add(cls);
  }

  function render(s) {
    state.timezone = s.timezone;
    state.warnFraction = s.warn_fraction;
    state.offsetMs = Date.parse(s.now) - Date.now();

    const body = document.querySelector("#incidents tbody");
    body.replaceChildren(...s.incidents.map((inc, i) => incidentRow(inc, i + 1)));
    $("no-incidents").hidden = s.incidents.length > 0;

    const cleared = $("cleared");
    cleared.replaceChildren(
      ...s.recently_cleared.map((inc) =>
        el("li", { "data-incident": inc.id }, `${inc.root.kind} ${inc.root.id}`, el("span", { class: "what" }, `cleared ${inc.cleared_at ? fmtTime(inc.cleared_at, true) : ""}`)),
      ),
    );
    $("h-cleared").hidden = s.recently_cleared.length === 0;

    $("protection-lost").replaceChildren(
      ...s.protection_lost.map((r) =>
        el(
          "li",
          { "data-circuit": r.circuit },
          tierBadge(r.tier),
          " ",
          el("b", {}, r.circuit),
          ` ${r.customer_name || r.customer} · ${r.maintenance_level}`,
          el("span", { class: "what" }, `down: ${r.paths_down.join(", ") || "one path"} since ${fmtTime(r.since, true)} · ${r.incident}`),
        ),
      ),
    );
    $("no-risk").hidden = s.protection_lost.length > 0;

    const byCircuit = new Map();
    for (const f of s.diversity_violations) {
      if (!byCircuit.has(f.circuit)) byCircuit.set(f.circuit, []);
      byCircuit.get(f.circuit).push(f);
    }
    $("diversity").replaceChildren(
      ...[...byCircuit.entries()].map(([circuit, found]) =>
        el(
          "li",
          { "data-circuit": circuit },
          tierBadge(found[0].tier),
          " ",
          el("b", {}, circuit),
          ` ${found[0].customer} · ${found[0].maintenance_level}`,
          ...found.map((f) =>
            el(
              "span",
              { class: "what", "data-rule": f.rule, title: f.detail },
              el("span", { class: "rule-tag" }, f.rule.replace("_", " ")),
              `${f.element.kind} ${f.element.id}`,
            ),
          ),
        ),
      ),
    );

    setFigure("incidents", String(s.incidents.length), s.incidents.length ? "alert" : "good");
    setFigure("impacted", String(s.impacted), s.impacted ? "alert" : "good");
    setFigure("protection-lost", String(s.protection_lost.length), s.protection_lost.length ? "warn" : "good");
    if (s.availability) {
      const a = s.availability;
      setFigure("availability", `${a.availability_percent.toFixed(3)}%`, a.below_target.length ? "warn" : "good");
    } else setFigure("availability", "n/a");
    if (s.timeliness && s.timeliness.rate_percent !== null) {
      const t = s.timeliness;
      setFigure("timeliness", `${t.rate_percent.toFixed(1)}%`, t.rate_percent < t.target_percent ? "alert" : "good");
    } else setFigure("timeliness", s.timeliness ? "–" : "n/a");
    if (s.timeliness) {
      const t = s.timeliness;
      const month = t.month_rate_percent === null ? "–" : `${t.month_rate_percent.toFixed(1)}%`;
      $("timeliness-more").textContent = `month ${month} · target ${t.target_percent}% · ${t.open} open, ${t.breached} late`;
    }
    if (s.availability) {
      const a = s.availability;
      $("availability-more").textContent = a.below_target.length
        ? `below target: ${a.below_target.join(", ")}`
        : `${a.circuits} circuits, ${a.circuits_with_outage} with outage`;
    }
    setFigure("diversity", String(byCircuit.size), byCircuit.size ? "warn" : "good");

    $("updated").textContent = `updated ${fmtTime(s.now, true)} (${s.timezone})`;
    $("notes").textContent = s.notes.join(" · ");
    tick();
  }

  // -- every second -------------------------------------------------------------------------------

  function tick() {
    const now = serverNow();
    $("clock").textContent = fmtTime(new Date(now).toISOString(), false);
    for (const node of document.querySelectorAll(".countdown[data-due]")) {
      const due = Date.parse(node.dataset.due);
      const warn = Date.parse(node.dataset.warn);
      const left = due - now;
      node.textContent = left >= 0 ? fmtDuration(left) : `+${fmtDuration(left)} overdue`;
      const cls = now >= due ? "breached" : now >= warn ? "at_risk" : "running";
      node.classList.remove("running", "at_risk", "breached");
      node.classList.add(cls);
    }
    for (const node of document.querySelectorAll("[data-since]")) node.textContent = age(node.dataset.since);
  }

  // -- loading and live updates -------------------------------------------------------------------

  async function refresh() {
    if (state.loading) {
      schedule();
      return;
    }
    state.loading = true;
    try {
      render(await api("/api/v1/noc"));
    } catch (e) {
      if (e instanceof Unauthorized) {
        stopLive();
        askToken("The token was refused: give a valid read-only token.");
      } else {
        $("notes").textContent = `cannot load: ${e.message}`;
      }
    } finally {
      state.loading = false;
    }
  }

  function schedule() {
    if (state.pending) return;
    state.pending = setTimeout(() => {
      state.pending = null;
      refresh();
    }, DEBOUNCE_MS);
  }

  function setLive(cls, text) {
    const node = $("live");
    node.className = `live ${cls}`;
    node.textContent = text;
  }

  function startLive() {
    stopLive();
    const url = state.token ? `/api/v1/events?access_token=${encodeURIComponent(state.token)}` : "/api/v1/events";
    const source = new EventSource(url);
    state.source = source;
    source.addEventListener("hello", (ev) => {
      setLive("on", "live");
      try {
        state.offsetMs = Date.parse(JSON.parse(ev.data).now) - Date.now();
      } catch (e) { /* keep the last offset */ }
      schedule();
    });
    for (const kind of ["incident", "ticket", "planned_work", "resync"]) source.addEventListener(kind, schedule);
    source.onerror = async () => {
      setLive("off", "reconnecting");
      try {
        await api("/api/v1/whoami");
      } catch (e) {
        if (e instanceof Unauthorized) {
          stopLive();
          setLive("down", "no token");
          askToken("The token was refused: give a valid read-only token.");
        }
      }
    };
  }

  function stopLive() {
    if (state.source) state.source.close();
    state.source = null;
  }

  async function start() {
    refresh();
    startLive();
    try {
      const info = await api("/api/v1/info");
      $("server-name").textContent = info.name;
    } catch (e) { /* the name is a nicety */ }
  }

  async function boot() {
    setInterval(tick, 1000);
    setInterval(() => { if (state.source) refresh(); }, REFRESH_MS);
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const token = $("token-input").value.trim();
      if (token) useToken(token);
    });
    $("token-button").addEventListener("click", forgetToken);
    if (state.token) {
      useToken(state.token);
      return;
    }
    try {
      const me = await api("/api/v1/whoami");
      state.anonymous = me.name === "anonymous";
      start();
    } catch (e) {
      if (e instanceof Unauthorized) askToken("");
      else $("notes").textContent = `cannot reach the API: ${e.message}`;
    }
  }

  document.addEventListener("DOMContentLoaded", boot);
})();
