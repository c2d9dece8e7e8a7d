// The supervisor console: every open conversation (AI-handled ones too), take over or whisper,
// and a live dashboard refreshed from the workspace's WebSocket events.
import { api, clear, duration, h, humanize, secondsSince } from "./common.js";
import { mountLearning } from "./learning.js";
import { ConversationView, sentimentText, signIn, staffSocket } from "./staff.js";
import { experimentsPanel } from "./experiments.js";
import { mountOutreach } from "./outreach.js"; // proactive outreach
import { ApprovalsPanel } from "./approvals.js";
import { mountStaffAdmin } from "./staff-admin.js";
import { AutomationNotices, mountMacroAdmin, mountRulesAdmin } from "./macros.js";
import { mountScriptAdmin } from "./scripting-console.js"; // agent scripts
import { mountBusinessHours, mountSlaReport } from "./hours.js"; // business hours, SLA
import { mountSlaPolicies, mountTagKpis, mountTeamHours } from "./console-sla.js";
import { mountDeadLetters } from "./dead-letters.js"; // the CRM dead-letter list

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

const { token, me } = await signIn({ requireRole: ["supervisor", "admin"] });
$("console").hidden = false;
mountLearning($("learning"), { token, me }); // learning from human resolutions
mountOutreach($("outreach"), { token, me }); // proactive outreach
mountStaffAdmin($("staff-admin"), { token, me }); // staff administration (admins)
mountMacroAdmin($("macros"), { token, me }); // the workspace's macros
mountScriptAdmin($("scripts"), { token, me }); // agent scripts
mountRulesAdmin($("rules"), { token, me }); // automation rules
mountBusinessHours($("business-hours"), { token, me }); // business hours
mountSlaReport($("sla-report"), { token, me }); // SLA attainment
mountSlaPolicies($("sla-policies"), { token, me }); // SLA policies, editable
mountTeamHours($("team-hours"), { token, me }); // each team's own hours
mountDeadLetters($("dead-letters"), { token, me }); // CRM syncs that failed (admins)
const view = new ConversationView($("workspace"), { token, me, onChange: () => schedule() });
const approvals = new ApprovalsPanel($("approvals-box"), $("approvals"), { token, me, onOpen: (id) => view.open(id) });
const notices = new AutomationNotices($("automation-box"), { onOpen: (id) => view.open(id) });

let timer = null;
function schedule() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 250);
}

staffSocket(token, (event) => {
  view.onEvent(event);
  approvals.onEvent(event);
  notices.onEvent(event);
  if (event.type !== "pong") {
    schedule();
    kpisSoon();
  }
});

// The window for the dashboard and the KPIs: the last 24 hours or the last 7 days.
const windowSelect = $("window");
const hours = () => Number(windowSelect.value);
windowSelect.addEventListener("change", () => {
  $("dash-title").textContent = windowSelect.selectedOptions[0].textContent;
  refresh();
  loadKpis();
  tagKpis?.reload(); // KPIs by tag
});

async function refresh() {
  const [bot, queued, assigned, queue, dash, team] = await Promise.all([
    api("/api/v1/conversations?status=bot", { token }),
    api("/api/v1/conversations?status=queued", { token }),
    api("/api/v1/conversations?status=assigned", { token }),
    api("/api/v1/queue", { token }),
    api(`/api/v1/dashboard?hours=${hours()}`, { token }),
    api("/api/v1/agents", { token }),
  ]);
  const waits = new Map(queue.items.map((i) => [i.conversation_id, i.waiting_seconds]));
  const names = new Map(team.items.map((a) => [a.id, a.name]));
  renderLive([...queued.items, ...assigned.items, ...bot.items], waits, names);
  renderDashboard(dash);
  approvals.refresh();
}

function renderLive(items, waits, names) {
  const rows = clear($("live-rows"));
  if (!items.length) rows.append(h("tr", {}, h("td", { colspan: 8, text: "No open conversations." })));
  const now = Date.now();
  for (const c of items) {
    const wait = waits.get(c.id);
    const sentiment = c.routing.sentiment;
    const nameId = `live-${c.id}`;
    const mine = c.assigned_agent_id === me.id;
    rows.append(
      h(
        "tr",
        { "data-id": c.id, "data-status": c.status },
        h("td", {}, h("span", { id: nameId, text: c.customer.name || c.customer.email || c.customer.phone }), c.customer.vip ? [" ", h("span", { class: "badge vip", text: "VIP" })] : null),
        h("td", {}, h("span", { class: `badge status-${c.status}`, text: c.status === "bot" ? "AI" : c.status })),
        h("td", { text: String(c.tier) }),
        h("td", { text: c.routing.intent || "—" }),
        h("td", { class: sentiment !== null && sentiment <= -0.3 ? "sentiment-neg" : sentiment >= 0.3 ? "sentiment-pos" : "", text: sentimentText(sentiment) }),
        h("td", wait !== undefined
          ? { class: "tick", "data-wait": wait, "data-at": now, text: duration(wait) }
          : { class: "muted", title: "since the last activity", text: `idle ${duration(secondsSince(c.updated_at))}` }),
        h("td", { text: c.assigned_agent_id ? names.get(c.assigned_agent_id) || "agent" : c.status === "bot" ? "AI assistant" : "—" }),
        h(
          "td",
          {},
          h("button", { type: "button", class: "secondary", text: "Open", "aria-describedby": nameId, onclick: () => view.open(c.id) }),
          " ",
          mine ? null : h("button", { type: "button", class: "primary", text: "Take over", "aria-describedby": nameId, onclick: () => takeOver(c.id) }),
        ),
      ),
    );
  }
}

async function takeOver(id) {
  try {
    await api(`/api/v1/conversations/${encodeURIComponent(id)}/takeover`, { method: "POST", token });
  } catch (err) {
    console.warn("takeover failed", err.message); // the view shows the current owner
  }
  await view.open(id);
  schedule();
}

// ---- dashboard -----------------------------------------------------------------------------
function tile(label, value) {
  return h("div", { class: "tile" }, h("span", { class: "value", text: value }), h("span", { class: "label", text: label }));
}

function bars(title, counts, label = (k) => k) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const list = h("ul", { class: "bars" });
  if (!entries.length) list.append(h("li", { class: "muted", text: "Nothing yet." }));
  for (const [key, n] of entries) {
    const fill = h("div", { class: "fill" });
    fill.style.width = `${(100 * n) / max}%`;
    list.append(
      h("li", { class: "bar" }, h("span", { text: label(key) }), h("div", { class: "track", "aria-hidden": "true" }, fill), h("span", { class: "n", text: String(n) })),
    );
  }
  return h("figure", { class: "chart", "aria-label": title }, h("h3", { text: title }), list);
}

function donut(title, share) {
  const r = 15.9155; // circumference 100, so the dash length is the percentage
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 36 36");
  svg.setAttribute("width", "72");
  svg.setAttribute("height", "72");
  svg.setAttribute("aria-hidden", "true");
  const ring = (color, dash) => {
    const c = document.createElementNS(SVG, "circle");
    for (const [k, v] of Object.entries({ cx: 18, cy: 18, r, fill: "none", stroke: color, "stroke-width": 4, "stroke-dasharray": dash, transform: "rotate(-90 18 18)" })) c.setAttribute(k, String(v));
    return c;
  };
  svg.append(ring("#e9edf3", "100 0"));
  if (share !== null) svg.append(ring("#1b5e8c", `${(share * 100).toFixed(1)} ${(100 - share * 100).toFixed(1)}`));
  const pct = share === null ? "—" : `${Math.round(share * 100)}%`;
  return h("figure", { class: "chart" }, h("h3", { text: title }), h("div", { class: "donut" }, svg, h("span", { text: `${pct} of conversations handled by the AI without a person` })));
}

function renderDashboard(d) {
  const open = (d.by_status.bot || 0) + (d.by_status.queued || 0) + (d.by_status.assigned || 0);
  clear($("tiles")).append(
    tile("Conversations started", String(d.started)),
    tile("Open now", String(open)),
    tile("AI containment", d.containment === null ? "—" : `${Math.round(d.containment * 100)}%`),
    tile("In queue", String(d.queue.length)),
    tile("Longest wait", duration(d.queue.longest_wait_seconds)),
    tile("Agents available / away / offline", `${d.agents.available} / ${d.agents.away} / ${d.agents.offline}`),
    tile("CSAT", d.csat.average === null ? "—" : `${d.csat.average} / 5 (${d.csat.count})`),
  );
  clear($("charts")).append(
    bars("Volume by channel", d.volume.by_channel),
    bars("Volume by tier", d.volume.by_tier, (k) => `Tier ${k}`),
    donut("AI containment", d.containment),
    bars("Escalation reasons", d.escalation_reasons, humanize),
  );
}

// ---- KPIs from the analytics API: every 30 s, and after live events at most every 5 s ---------
const KPI_MIN_GAP = 5000;
let kpiAt = 0;
let kpiTimer = null;
let kpiSeq = 0;

function kpisSoon() {
  if (kpiTimer) return; // one pending refresh covers a burst of events
  kpiTimer = setTimeout(() => {
    kpiTimer = null;
    loadKpis();
  }, Math.max(300, KPI_MIN_GAP - (Date.now() - kpiAt)));
}

async function loadKpis() {
  const seq = ++kpiSeq;
  kpiAt = Date.now();
  const from = new Date(Date.now() - hours() * 3600 * 1000).toISOString();
  try {
    const k = await api(`/api/v1/analytics/kpis?from=${encodeURIComponent(from)}`, { token });
    if (seq === kpiSeq) renderKpis(k);
  } catch (err) {
    if (seq === kpiSeq) $("kpi-updated").textContent = `(${err.message})`;
  }
}

const pct = (rate) => (rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)}%`);

function money(value, currency) {
  if (value === null || value === undefined) return "—";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(value);
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}

function kpiTile(kpi, label, value, sub = "") {
  return h(
    "div",
    { class: "tile", "data-kpi": kpi },
    h("span", { class: "value", text: value }),
    h("span", { class: "label", text: label }),
    sub ? h("span", { class: "sub", text: sub }) : null,
  );
}

function renderKpis(k) {
  const cx = k.customer_experience;
  const ops = k.operations;
  const cost = ops.cost;
  const queue = ops.queue;
  const csat = cx.csat;
  const aht = cx.average_handle_time;
  const fcr = cx.first_contact_resolution;
  const savings = cost.savings_vs_baseline;
  const reasons = Object.entries(cx.escalation.reasons).slice(0, 3).map(([r, n]) => `${humanize(r)} (${n})`).join(", ");
  clear($("kpi-tiles")).append(
    kpiTile("containment", "AI containment", pct(ops.ai_containment.rate), `${ops.ai_containment.contained} of ${k.volume.conversations} conversations`),
    kpiTile("csat", "CSAT", csat.average === null ? "—" : `${csat.average} / 5`, csat.responses ? `${csat.responses} response${csat.responses === 1 ? "" : "s"} · ${pct(csat.satisfied_share)} satisfied` : "no survey answers yet"),
    kpiTile("nps", "NPS", cx.nps.score === null ? "—" : `${cx.nps.score > 0 ? "+" : ""}${cx.nps.score}`, cx.nps.responses ? `${cx.nps.promoters} promoters · ${cx.nps.detractors} detractors of ${cx.nps.responses}` : "no answers yet"),
    kpiTile("fcr", "First contact resolution", pct(fcr.rate), `${fcr.finished} finished · no return about it within ${fcr.window_days} days`),
    kpiTile("aht", "Average handle time", aht.seconds === null ? "—" : duration(aht.seconds), `${aht.conversations} handled by people`),
    kpiTile("escalation", "Escalation rate", pct(cx.escalation.rate), `${cx.escalation.escalated} handed to people${reasons ? `: ${reasons}` : ""}`),
    kpiTile(
      "cost",
      "Blended cost per contact",
      money(cost.blended_per_contact, cost.currency),
      `vs ${money(cost.all_human_baseline_per_contact, cost.currency)} all-human${savings === null ? "" : ` · ${savings >= 0 ? "saves" : "costs"} ${pct(Math.abs(savings))}`}`,
    ),
    kpiTile("service-level", "Queue service level", pct(queue.service_level), `picked up within ${queue.target_seconds}s · ${queue.queued} queued`),
    kpiTile("revenue", "Revenue per sales conversation", money(k.business.revenue.revenue_per_sales_conversation, k.business.revenue.currency), `${k.business.revenue.sales_conversations} sales conversations · ${k.business.revenue.orders} orders`),
    ...(ops.sla ? [kpiTile("sla", "SLA attainment", pct(ops.sla.overall.attainment), `${ops.sla.overall.met} of ${ops.sla.overall.responses} responses in time · ${ops.sla.overall.breaches} breaches`)] : []),
    kpiTile("asa", "Average speed of answer", queue.average_speed_of_answer_seconds === null ? "—" : duration(queue.average_speed_of_answer_seconds), `${queue.answered} answered · ${queue.unanswered} waiting or gone`),
  );
  $("kpi-updated").textContent = `· updated ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}`;
}

setInterval(loadKpis, 30000);
loadKpis();
// KPIs by tag, with SLA attainment by tier, channel and team
const tagKpis = mountTagKpis($("tag-kpis"), { token, me, from: () => new Date(Date.now() - hours() * 3600 * 1000).toISOString() });

setInterval(() => {
  for (const el of document.querySelectorAll(".tick[data-wait]")) {
    el.textContent = duration(Number(el.dataset.wait) + (Date.now() - Number(el.dataset.at)) / 1000);
  }
}, 1000);
setInterval(refresh, 30000);
refresh();
experimentsPanel($("experiment-list"), token);
