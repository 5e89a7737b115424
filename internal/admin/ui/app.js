// esdr status page: polls the read-only admin API every second and redraws.
// No framework, no inline code (the page is served with a strict CSP). It never holds the
// admin token: when esdr has a read token (admin.read_token), the person viewing types it
// (or opens the page at #token=...), and it is kept in this tab's sessionStorage only.
// Every value from the API is written with textContent, never as HTML.
"use strict";

const POLL_MS = 1000;
const KEEP_EVENTS = 200; // rows kept in the timeline
const KEEP_PROBES = 120; // cells per cluster strip: two minutes at a 1s probe interval

const page = {
  seq: 0,            // last event seq seen
  loaded: false,     // initial event backlog read
  events: [],        // newest last
  strips: new Map(), // cluster -> [{at, kind, verdict}]
  lastOK: 0,
};

function $(id) { return document.getElementById(id); }

// The read token: from the address's #token=..., which is then dropped from the address
// bar (a fragment never reaches the server), or from this tab's earlier visits.
const TOKEN_KEY = "esdr-read-token";
const auth = { token: sessionStorage.getItem(TOKEN_KEY) || "" };
if (location.hash.startsWith("#token=")) {
  auth.token = decodeURIComponent(location.hash.slice("#token=".length));
  sessionStorage.setItem(TOKEN_KEY, auth.token);
  history.replaceState(null, "", location.pathname + location.search);
}

function useToken() {
  auth.token = $("token").value.trim();
  $("token").value = "";
  if (auth.token) sessionStorage.setItem(TOKEN_KEY, auth.token); else sessionStorage.removeItem(TOKEN_KEY);
  $("auth").hidden = true;
  $("token-forget").hidden = !auth.token;
}

$("token-use").addEventListener("click", useToken);
$("token").addEventListener("keydown", (e) => { if (e.key === "Enter") useToken(); });
$("token-forget").addEventListener("click", () => { $("token").value = ""; useToken(); });
$("token-forget").hidden = !auth.token;

// askToken shows why the page shows nothing: esdr wants its read token.
function askToken() {
  $("auth").hidden = false;
  $("auth-why").textContent = auth.token
    ? "esdr refused the token this page holds: type its read token (or its admin token)."
    : "This esdr shows its status only to holders of its read token (admin.read_token): type it to see the status.";
}

// el builds an element: el("td", {class: "x"}, "text", child, ...).
function el(tag, attrs, ...kids) {
  const svg = tag === "svg" || tag === "rect" || tag === "title";
  const n = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null && v !== false) n.setAttribute(k, String(v));
  }
  for (const k of kids) {
    if (k === undefined || k === null) continue;
    n.append(typeof k === "string" || typeof k === "number" ? document.createTextNode(String(k)) : k);
  }
  return n;
}

function replace(node, ...kids) { node.replaceChildren(...kids.filter((k) => k !== null && k !== undefined)); }

function isSet(t) { return t && !t.startsWith("0001-01-01"); }

function clock(t) {
  if (!isSet(t)) return "–";
  const d = new Date(t);
  return d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
}

function dateTime(t) {
  if (!isSet(t)) return "–";
  const d = new Date(t);
  return d.toLocaleDateString() + " " + d.toLocaleTimeString([], { hour12: false });
}

function ago(t) {
  if (!isSet(t)) return "";
  let s = Math.max(0, Math.round((Date.now() - new Date(t).getTime()) / 1000));
  const parts = [];
  for (const [unit, n] of [["d", 86400], ["h", 3600], ["m", 60]]) {
    if (s >= n) { parts.push(Math.floor(s / n) + unit); s %= n; }
  }
  if (parts.length < 2) parts.push(s + "s");
  return parts.join(" ") + " ago";
}

async function getJSON(path) {
  const headers = { Accept: "application/json" };
  if (auth.token) headers.Authorization = "Bearer " + auth.token;
  const r = await fetch(path, { cache: "no-store", headers });
  if (!r.ok) {
    let msg = "HTTP " + r.status;
    try { msg += ": " + (await r.json()).error.message; } catch (_) { /* not JSON */ }
    const err = new Error(msg);
    err.status = r.status;
    throw err;
  }
  return r.json();
}

function remember(c) {
  const o = c.observation || {};
  let strip = page.strips.get(c.name);
  if (!strip) { strip = []; page.strips.set(c.name, strip); }
  if (!isSet(o.at)) return strip;
  const last = strip[strip.length - 1];
  if (!last || last.at !== o.at) {
    strip.push({ at: o.at, kind: o.last || "none", verdict: o.verdict });
    if (strip.length > KEEP_PROBES) strip.splice(0, strip.length - KEEP_PROBES);
  }
  return strip;
}

function drawStrip(name, strip) {
  const w = 2;
  const svg = el("svg", { class: "strip", viewBox: `0 0 ${KEEP_PROBES * w} 18`, preserveAspectRatio: "none",
    role: "img", "aria-label": `${name}: last ${strip.length} probes, ` + summarize(strip) });
  const pad = KEEP_PROBES - strip.length;
  for (let i = 0; i < pad; i++) svg.append(el("rect", { x: i * w, y: 0, width: w - 0.3, height: 18, class: "k-none" }));
  strip.forEach((p, i) => {
    const down = p.verdict === "down";
    svg.append(el("rect", { x: (pad + i) * w, y: down ? 6 : 0, width: w - 0.3, height: down ? 12 : 18, class: "k-" + p.kind },
      el("title", {}, `${clock(p.at)} ${p.kind}, verdict ${p.verdict}`)));
  });
  return svg;
}

function summarize(strip) {
  const n = {};
  for (const p of strip) n[p.kind] = (n[p.kind] || 0) + 1;
  return Object.entries(n).map(([k, v]) => `${v} ${k}`).join(", ") || "none yet";
}

function drawStatus(st) {
  const s = st.state || {};
  $("active").textContent = s.active || "none chosen yet";
  $("epoch").textContent = s.epoch ?? "–";
  document.title = `esdr: ${s.active || "?"} (epoch ${s.epoch ?? "?"})`;
  const lt = s.last_transition;
  $("active-since").textContent = isSet(s.active_since)
    ? `since ${dateTime(s.active_since)} (${ago(s.active_since)})` + (lt ? ` by ${lt.kind} from ${lt.from || "–"}: ${lt.reason}` : "")
    : "";

  const flags = [];
  if (s.paused) flags.push(el("span", { class: "flag-warn" }, "paused: observing only"));
  if (st.hold_down_active) flags.push(el("span", { class: "flag-warn" }, `hold-down until ${dateTime(s.hold_down_until)}: run esdr ack to lift`));
  if ((st.pending_fences || []).length) flags.push(el("span", { class: "flag-bad" }, "fences pending"));
  replace($("flags"), ...flags);

  const d = st.last_decision || {};
  replace($("decision"), "Last decision: ", el("strong", {}, d.action || "–"), " ", el("code", {}, d.code || ""), " ", d.reason || "");

  const rows = (st.clusters || []).map((c) => {
    const o = c.observation || {};
    return el("tr", { class: c.active ? "is-active" : "", "data-cluster": c.name },
      el("td", {}, c.name),
      el("td", {}, c.role),
      el("td", {}, el("span", { class: "v-" + (o.verdict || "unknown") }, o.verdict || "unknown"),
        isSet(o.since) ? el("div", { class: "muted" }, "since " + clock(o.since)) : null),
      el("td", {}, o.last || "–", o.detail ? el("div", { class: "muted" }, o.detail) : null,
        o.consecutive_failures ? el("div", { class: "muted" }, `${o.consecutive_failures} failures in a row`) : null),
      el("td", {}, o.latency_seconds ? (o.latency_seconds * 1000).toFixed(1) + " ms" : "–"),
      el("td", {}, drawStrip(c.name, remember(c))));
  });
  replace(document.querySelector("#clusters tbody"), ...rows);

  drawPlan(st.plan);
  const f = st.pending_fences || [];
  $("fences").textContent = f.length ? f.join(", ") + ": to be fenced as soon as esdr can reach them" : "None.";
  drawFleet(st);
}

// live rewrites a live region only when what it says changes, so that a screen reader
// hears a new leader or finding once, not at every poll.
function live(node, key, ...kids) {
  if (node.dataset.key === key) return;
  node.dataset.key = key;
  replace(node, ...kids);
}

// adminLink is a link to another member's status page, when its admin URL is http(s).
function adminLink(url, text) {
  return /^https?:\/\/[^\s]+$/.test(url || "") ? el("a", { href: url.replace(/\/*$/, "/") }, text) : null;
}

// drawFleet shows the fleet section when esdr runs as a fleet member (status.fleet): who
// answered and who leads, every live member's own verdict of each cluster with the age of
// its view (the leader alone reports views and findings), the findings, and how long ago
// etcd confirmed this member's epoch. In the embedded mode the section stays hidden.
function drawFleet(st) {
  const f = st.fleet;
  $("fleet").hidden = !f;
  if (!f) return;
  const members = (f.members || []).slice();
  const byName = new Map(members.map((m) => [m.name, m]));
  const leader = byName.get(f.leader) || {};
  live($("fleet-leader"), [f.member, f.leading, f.leader].join("|"),
    "Leader: ", f.leader ? el("strong", { "data-testid": "fleet-leader" }, f.leader) : el("strong", { class: "v-down" }, "none: nothing is decided until a member leads"),
    ". This page is served by ", el("strong", {}, f.member), ` (vantage ${f.vantage || "–"}), ` + (f.leading ? "the leader." : "a follower."));
  $("fleet-epoch").textContent = !f.epoch_age || f.epoch_age === "-1"
    ? "etcd has not confirmed this member's epoch yet: its proxy fails closed."
    : `etcd confirmed this member's epoch ${f.epoch_age} ago (its proxy fails closed past stale_after).`;

  const views = new Map((f.views || []).map((v) => [v.member, v]));
  const names = (st.clusters || []).map((c) => c.name);
  for (const v of views.values()) {
    for (const c of Object.keys(v.verdicts || {})) if (!names.includes(c)) names.push(c);
    if (!byName.has(v.member)) { const m = { name: v.member, vantage: v.vantage }; members.push(m); byName.set(m.name, m); }
  }
  const findings = f.findings || [];
  const named = new Set(findings.map((x) => x.member).filter(Boolean));
  const active = (st.state || {}).active;
  replace(document.querySelector("#fleet-views thead tr"),
    el("th", { scope: "col" }, "member"), el("th", { scope: "col" }, "vantage"),
    ...names.map((c) => el("th", { scope: "col" }, c, c === active ? el("span", { class: "muted" }, " (active)") : null)),
    el("th", { scope: "col" }, "view taken"));
  replace(document.querySelector("#fleet-views tbody"), ...members.map((m) => {
    const v = views.get(m.name);
    return el("tr", { "data-member": m.name, class: named.has(m.name) ? "has-finding" : "" },
      el("th", { scope: "row" }, m.name,
        m.name === f.leader ? el("span", { class: "badge" }, "leader") : null,
        m.name === f.member ? el("span", { class: "badge muted" }, "this page") : null,
        m.name !== f.member && m.admin ? el("div", { class: "muted" }, adminLink(m.admin, "its status page")) : null),
      el("td", {}, m.vantage || "–"),
      ...names.map((c) => {
        const vd = v && v.verdicts ? v.verdicts[c] : "";
        return el("td", { "data-cluster": c }, vd ? el("span", { class: "v-" + vd }, vd) : "–");
      }),
      el("td", { title: v ? v.at : "" }, v ? `${clock(v.at)} (${ago(v.at)})` : "–"));
  }));
  replace($("fleet-note"), f.leading
    ? "Each member's own verdicts; the leader decides on those a quorum of fresh vantage points agree on."
    : el("span", {}, "The leader alone reports the members' views and findings: ",
      adminLink(leader.admin, "open the leader's page") || "open the leader's page", "."));
  live($("fleet-findings"), JSON.stringify(findings.map((x) => [x.code, x.member, x.message]).concat([f.leading])),
    ...(findings.length ? findings.map((x) => el("li", { "data-code": x.code, "data-member": x.member || "" },
      el("code", {}, x.code), " ", x.message))
      : [el("li", { class: "muted" }, f.leading ? "None." : "Reported by the leader only.")]));
}

function drawPlan(p) {
  if (!p) { $("plan-head").textContent = "No plan yet."; replace($("plan-steps")); return; }
  replace($("plan-head"), `Epoch ${p.epoch}: ${p.action} ${p.from || "–"} → ${p.to} `,
    el("span", { class: "st st-" + p.status }, p.status), " ",
    el("span", { class: "muted" }, `decided ${dateTime(p.at)}` + (isSet(p.finished) ? `, finished ${clock(p.finished)}` : "")),
    p.store_error ? el("span", { class: "muted" }, " · the state store failed; retried from the journal: " + p.store_error) : null);
  replace($("plan-steps"), ...(p.steps || []).map((s) => el("li", {},
    el("span", { class: "st st-" + s.status }, s.status), ` ${s.kind} ${s.name}`,
    s.attempts > 1 ? ` (${s.attempts} attempts)` : "",
    s.error ? el("div", { class: "muted" }, "error: " + s.error) : null,
    s.note ? el("div", { class: "muted" }, s.note) : null)));
}

function drawEvents(fresh) {
  const rows = page.events.slice().reverse().map((e) => el("tr",
    { class: ["ev-" + e.kind, fresh.has(e.seq) ? "fresh" : ""].join(" ").trim(), "data-seq": e.seq },
    el("td", {}, e.seq),
    el("td", { title: e.at }, dateTime(e.at)),
    el("td", {}, e.kind),
    el("td", {}, el("code", {}, e.code || "")),
    el("td", {}, e.epoch),
    el("td", {}, e.message)));
  replace(document.querySelector("#events tbody"), ...rows);
}

async function pollEvents() {
  const fresh = new Set();
  const limit = page.loaded ? 200 : 1000;
  for (let pageNo = 0; pageNo < 50; pageNo++) {
    const { events } = await getJSON(`/v1/events?after=${page.seq}&limit=${limit}`);
    for (const e of events) {
      if (e.seq <= page.seq) continue;
      page.seq = e.seq;
      page.events.push(e);
      if (page.loaded) fresh.add(e.seq);
    }
    if (events.length < limit) break;
  }
  if (page.events.length > KEEP_EVENTS) page.events.splice(0, page.events.length - KEEP_EVENTS);
  if (fresh.size || !page.loaded) drawEvents(fresh);
  page.loaded = true;
}

async function tick() {
  const conn = $("conn");
  try {
    const [st] = await Promise.all([getJSON("/v1/status"), pollEvents()]);
    drawStatus(st);
    page.lastOK = Date.now();
    conn.className = "conn";
    if (conn.textContent !== "live") conn.textContent = "live"; // announced only when it changes
    $("updated").textContent = "updated " + clock(new Date().toISOString());
  } catch (err) {
    conn.className = "conn stale";
    if (err.status === 401) {
      askToken();
      conn.textContent = "waiting for the read token";
    } else {
      conn.textContent = (page.lastOK ? `stale: no answer since ${clock(new Date(page.lastOK).toISOString())}` : "cannot reach esdr") +
        ` (${err.message}); retrying`;
    }
  } finally {
    setTimeout(tick, POLL_MS);
  }
}

tick();
