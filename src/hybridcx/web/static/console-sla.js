// Supervisor console: edit the SLA policies (PUT /api/v1/sla/policies), each team's
// own business hours (PUT/DELETE /api/v1/business-hours/teams/{team}), and the KPIs by tag with
// SLA attainment by tier, channel and team (GET /api/v1/analytics/kpis?tag=). All text is set
// with textContent (h) and input values only.
import { api, clear, h } from "./common.js";
import { mountSlaReport } from "./hours.js";
import { workspaceTags } from "./tags.js";

const CHANNELS = ["webchat", "sms", "voice", "email"];
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES = { mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday" };
const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);

function select(label, options, value) {
  const el = h("select", { "aria-label": label });
  for (const [v, t] of options) el.append(h("option", { value: v, text: t }));
  el.value = value;
  return el;
}

// ---- SLA policies --------------------------------------------------------------------------------

export function mountSlaPolicies(container, { token, me }) {
  if (!["supervisor", "admin"].includes(me.role)) return;
  container.hidden = false;
  const status = h("p", { class: "meta", role: "status", id: "sla-policies-status" });
  const body = h("tbody", {});
  const rows = [];

  function addRow(p = {}) {
    const n = rows.length + 1;
    const row = {
      name: h("input", { value: p.name || "", maxlength: 100, "aria-label": `Policy ${n}` }),
      tier: select(`Policy ${n} tier`, [["", "Any tier"], ["1", "Tier 1"], ["2", "Tier 2"], ["3", "Tier 3"]], p.tier ? String(p.tier) : ""),
      channel: select(`Policy ${n} channel`, [["", "Any channel"], ...CHANNELS.map((c) => [c, c])], p.channel || ""),
      vip: select(`Policy ${n} VIP`, [["", "VIP or not"], ["true", "VIP"], ["false", "Not VIP"]], p.vip === true ? "true" : p.vip === false ? "false" : ""),
      first: h("input", { type: "number", min: 1, step: "any", value: p.first_response_minutes ?? 60, "aria-label": `Policy ${n} first response minutes` }),
      next: h("input", { type: "number", min: 1, step: "any", value: p.next_response_minutes ?? "", "aria-label": `Policy ${n} next response minutes` }),
      warn: h("input", { type: "number", min: 0, step: "any", value: p.warn_before_minutes ?? 5, "aria-label": `Policy ${n} warn before minutes` }),
      hours: h("input", { type: "checkbox", "aria-label": `Policy ${n} counts business hours only` }),
    };
    row.hours.checked = p.business_hours ?? true;
    const tr = h(
      "tr",
      {},
      [row.name, row.tier, row.channel, row.vip, row.first, row.next, row.warn, row.hours].map((el) => h("td", {}, el)),
      h("td", {}, h("button", { type: "button", class: "link", text: "Remove", "aria-label": `Remove policy ${n}`, onclick: () => { tr.remove(); rows.splice(rows.indexOf(row), 1); } })),
    );
    row.tr = tr;
    rows.push(row);
    body.append(tr);
  }

  function show(items) {
    clear(body);
    rows.length = 0;
    for (const p of items) addRow(p);
  }

  async function save() {
    status.textContent = "";
    const policies = rows.map((r) => ({
      name: r.name.value.trim(),
      tier: r.tier.value ? Number(r.tier.value) : null,
      channel: r.channel.value || null,
      vip: r.vip.value === "" ? null : r.vip.value === "true",
      first_response_minutes: Number(r.first.value),
      next_response_minutes: r.next.value ? Number(r.next.value) : null,
      warn_before_minutes: r.warn.value ? Number(r.warn.value) : 0,
      business_hours: r.hours.checked,
    }));
    try {
      const saved = await api("/api/v1/sla/policies", { method: "PUT", token, body: { policies } });
      show(saved.items);
      status.textContent = "SLA policies saved.";
      const report = document.getElementById("sla-report");
      if (report) mountSlaReport(report, { token, me }); // the attainment section lists them
    } catch (err) {
      status.textContent = err.message;
    }
  }

  const form = h(
    "form",
    { class: "sla-policy-form", novalidate: true, onsubmit: (event) => { event.preventDefault(); save(); } },
    h("p", { class: "meta", text: "The first policy that matches a conversation applies (tier, channel, VIP). Minutes." }),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "live-table sla-policy-table", "aria-label": "SLA policies" },
        h("thead", {}, h("tr", {}, ["Name", "Tier", "Channel", "VIP", "First response", "Next response", "Warn before", "Business hours", ""].map((t) => h("th", { scope: "col", text: t })))),
        body,
      ),
    ),
    h("button", { type: "button", class: "secondary", id: "sla-policy-add", text: "Add policy", onclick: () => addRow({ name: "" }) }),
    h("button", { type: "submit", class: "primary", id: "sla-policies-save", text: "Save SLA policies" }),
  );
  clear(container).append(h("h2", { id: "sla-policies-title", text: "SLA policies" }), status);
  api("/api/v1/sla/policies", { token })
    .then((data) => {
      show(data.items);
      container.insertBefore(form, status); // editable once the saved policies are in
    })
    .catch((err) => (status.textContent = err.message));
}

// ---- team business hours ---------------------------------------------------------------------------

export function mountTeamHours(container, { token, me }) {
  if (!["supervisor", "admin"].includes(me.role)) return;
  container.hidden = false;
  const status = h("p", { class: "meta", role: "status", id: "team-hours-status" });
  const list = h("ul", { class: "team-hours-list", id: "team-hours-list" });
  const team = h("input", { id: "team-hours-team", maxlength: 64, placeholder: "premium" });
  const tz = h("input", { id: "team-hours-timezone", value: "UTC", maxlength: 64 });
  const rows = {};
  const table = h(
    "table",
    { class: "live-table hours-table", "aria-label": "Team weekly hours" },
    h("thead", {}, h("tr", {}, ["Day", "Open", "Close", "Closed"].map((t) => h("th", { scope: "col", text: t })))),
    h(
      "tbody",
      {},
      DAYS.map((d) => {
        rows[d] = {
          open: h("input", { type: "time", value: "09:00", "aria-label": `Team ${DAY_NAMES[d]} opens` }),
          close: h("input", { type: "time", value: "17:00", "aria-label": `Team ${DAY_NAMES[d]} closes` }),
          closed: h("input", { type: "checkbox", "aria-label": `Team ${DAY_NAMES[d]} closed` }),
        };
        return h("tr", {}, h("th", { scope: "row", text: DAY_NAMES[d] }), h("td", {}, rows[d].open), h("td", {}, rows[d].close), h("td", {}, rows[d].closed));
      }),
    ),
  );

  function edit(t) {
    team.value = t.team;
    tz.value = t.timezone;
    for (const d of DAYS) {
      const spans = t.weekly[d] || [];
      rows[d].closed.checked = !spans.length;
      if (spans.length) {
        rows[d].open.value = spans[0].open;
        rows[d].close.value = spans[0].close === "24:00" ? "23:59" : spans[0].close;
      }
    }
  }

  function show(teams) {
    clear(list);
    if (!teams.length) list.append(h("li", { class: "meta", text: "No team has hours of its own: every team follows the workspace's hours." }));
    for (const t of teams) {
      const days = DAYS.filter((d) => (t.weekly[d] || []).length).map((d) => `${DAY_NAMES[d].slice(0, 3)} ${t.weekly[d][0].open}–${t.weekly[d][0].close}`);
      list.append(
        h(
          "li",
          { "data-team": t.team },
          h("strong", { text: t.team }),
          h("span", { class: "meta", text: ` (${t.timezone}) ${days.join(", ") || "closed every day"}` }),
          " ",
          h("button", { type: "button", class: "link", text: "Edit", "aria-label": `Edit ${t.team} hours`, onclick: () => edit(t) }),
          h("button", { type: "button", class: "link", text: "Remove", "aria-label": `Remove ${t.team} hours`, onclick: () => remove(t.team) }),
        ),
      );
    }
  }

  async function load() {
    const data = await api("/api/v1/business-hours", { token });
    show(data.teams);
  }

  async function remove(name) {
    status.textContent = "";
    try {
      await api(`/api/v1/business-hours/teams/${encodeURIComponent(name)}`, { method: "DELETE", token });
      status.textContent = `Team ${name} follows the workspace's hours again.`;
      await load();
    } catch (err) {
      status.textContent = err.message;
    }
  }

  async function store() {
    status.textContent = "";
    const name = team.value.trim();
    if (!name) {
      status.textContent = "Name the team.";
      return;
    }
    const weekly = {};
    for (const d of DAYS) {
      if (!rows[d].closed.checked) weekly[d] = [{ open: rows[d].open.value, close: rows[d].close.value }];
    }
    try {
      await api(`/api/v1/business-hours/teams/${encodeURIComponent(name)}`, { method: "PUT", token, body: { timezone: tz.value.trim(), weekly, exceptions: [] } });
      status.textContent = `Team ${name} hours saved.`;
      await load();
    } catch (err) {
      status.textContent = err.message;
    }
  }

  const form = h(
    "form",
    { class: "hours-form", novalidate: true, onsubmit: (event) => { event.preventDefault(); store(); } },
    h("label", { for: "team-hours-team", text: "Team" }),
    team,
    h("label", { for: "team-hours-timezone", text: "Team time zone" }),
    tz,
    h("div", { class: "table-wrap" }, table),
    h("button", { type: "submit", class: "primary", id: "team-hours-save", text: "Save team hours" }),
  );
  clear(container).append(h("h2", { id: "team-hours-title", text: "Hours per team" }), list, status);
  load()
    .then(() => container.insertBefore(form, status))
    .catch((err) => (status.textContent = err.message));
}

// ---- KPIs by tag, with SLA attainment by tier, channel and team ----------------------------------------

export function slaTables(sla) {
  const table = (title, rows) =>
    h(
      "table",
      { class: "live-table sla-table", "aria-label": `SLA by ${title.toLowerCase()}` },
      h("thead", {}, h("tr", {}, [title, "Responses", "Within target", "Attainment", "Breaches"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, Object.entries(rows).map(([key, b]) => h("tr", {}, h("th", { scope: "row", text: key }), h("td", { text: b.responses }), h("td", { text: b.met }), h("td", { text: pct(b.attainment) }), h("td", { text: b.breaches })))),
    );
  return [table("Tier", sla.by_tier), table("Channel", sla.by_channel), table("Team", sla.by_team)];
}

export function mountTagKpis(container, { token, me, from }) {
  if (!["supervisor", "admin"].includes(me.role)) return;
  container.hidden = false;
  const status = h("p", { class: "meta", role: "status", id: "tag-kpis-status" });
  const tag = h("select", { id: "tag-kpis-tag" }, h("option", { value: "", text: "All conversations" }));
  const out = h("div", { id: "tag-kpis-result" });

  async function load() {
    status.textContent = "";
    const p = new URLSearchParams({ from: from() });
    if (tag.value) p.set("tag", tag.value);
    try {
      const k = await api(`/api/v1/analytics/kpis?${p}`, { token });
      const cx = k.customer_experience;
      const ops = k.operations;
      const sla = ops.sla;
      const tile = (kpi, label, value, sub) => h("div", { class: "tile", "data-kpi": kpi }, h("span", { class: "value", text: value }), h("span", { class: "label", text: label }), h("span", { class: "sub", text: sub }));
      clear(out).append(
        h(
          "div",
          { class: "tiles" },
          tile("tag-volume", "Conversations", String(k.volume.conversations), tag.value ? `tagged ${tag.value}` : "all tags"),
          tile("tag-csat", "CSAT", cx.csat.average === null ? "—" : `${cx.csat.average} / 5`, `${cx.csat.responses} responses`),
          tile("tag-containment", "AI containment", pct(ops.ai_containment.rate), `${ops.ai_containment.contained} contained`),
          tile("tag-escalation", "Escalation rate", pct(cx.escalation.rate), `${cx.escalation.escalated} handed to people`),
          tile("tag-sla", "SLA attainment", pct(sla.overall.attainment), `${sla.overall.met} of ${sla.overall.responses} responses in time · ${sla.overall.breaches} breaches`),
        ),
        ...slaTables(sla),
      );
    } catch (err) {
      status.textContent = err.message;
    }
  }

  tag.addEventListener("change", load);
  clear(container).append(
    h("h2", { id: "tag-kpis-title", text: "Report by tag" }),
    h("label", { for: "tag-kpis-tag", text: "Tag" }),
    tag,
    status,
    out,
  );
  workspaceTags(token, { fresh: true })
    .then((names) => {
      for (const name of names) tag.append(h("option", { value: name, text: name }));
    })
    .catch((err) => (status.textContent = err.message));
  load();
  return { reload: load };
}
