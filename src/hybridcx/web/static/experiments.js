// The supervisor console's experiments panel: status, arms, metrics per arm, significance,
// guardrails and a stop button. Data from /api/v1/experiments; text only (no innerHTML).
import { api, clear, duration, h, humanize } from "./common.js";

const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
const num = (v, digits = 2) => (v === null || v === undefined ? "—" : Number(v).toFixed(digits));
const METRICS = [
  ["containment", "Containment", pct],
  ["escalation_rate", "Escalation", pct],
  ["resolution", "Resolution (FCR)", pct],
  ["csat", "CSAT", (v) => num(v)],
  ["handle_seconds", "Handle time", (v) => (v === null || v === undefined ? "—" : duration(v))],
];

function armsTable(exp) {
  const ev = exp.evaluation;
  const arms = exp.arms.map((a) => a.name);
  const head = h("tr", {}, h("th", { scope: "col", text: "Metric" }),
    arms.map((a) => h("th", { scope: "col", text: `${a} (${Math.round(exp.arms.find((x) => x.name === a).share * 100)}%)` })),
    h("th", { scope: "col", text: "Difference · p (fixed) · p (sequential)" }));
  const rows = [h("tr", { class: "exp-n" }, h("th", { scope: "row", text: "Conversations" }),
    arms.map((a) => h("td", { text: ev ? String(ev.arms[a]?.conversations ?? 0) : "—" })), h("td"))];
  for (const [key, label, fmt] of METRICS) {
    const tests = ev ? Object.values(ev.comparisons).map((c) => c[key]).filter(Boolean) : [];
    const sig = tests.map((t) => `${t.difference === null ? "—" : num(t.difference, 3)} · ${num(t.p_value, 3)} · ${num(t.sequential_p_value, 3)}`).join("; ");
    rows.push(h("tr", { "data-metric": key }, h("th", { scope: "row", text: label }),
      arms.map((a) => h("td", { text: ev ? fmt(ev.arms[a]?.metrics?.[key]) : "—" })),
      h("td", { class: "meta", text: sig || "—" })));
  }
  return h("table", { class: "exp-table" }, h("thead", {}, head), h("tbody", {}, rows));
}

function guardrails(exp) {
  const checks = exp.evaluation?.guardrails ?? [];
  if (!exp.guardrails.length) return h("p", { class: "meta", text: "No guardrails." });
  return h("ul", { class: "exp-guardrails" }, exp.guardrails.map((g) => {
    const bound = g.max_increase !== undefined ? `rise ≤ ${g.max_increase}` : `drop ≤ ${g.max_decrease}`;
    const check = checks.find((c) => c.metric === g.metric);
    const state = check ? (check.breached ? `BREACHED (p=${num(check.p_value, 4)})` : check.status) : "not checked yet";
    return h("li", { class: check?.breached ? "breached" : "", text: `${humanize(g.metric)}: ${bound} — ${state}` });
  }));
}

function card(exp, { token, reload }) {
  const share = exp.treatment_share === null ? "" : ` · treatment ${Math.round(exp.treatment_share * 100)}%`;
  const stop = exp.status === "running"
    ? h("button", {
        type: "button", class: "danger", "data-action": "stop", text: "Stop",
        onclick: async (e) => {
          e.target.disabled = true;
          try {
            await api(`/api/v1/experiments/${exp.id}/stop`, { method: "POST", token, body: { reason: "stopped from the console" } });
          } finally {
            reload();
          }
        },
      })
    : null;
  return h("article", { class: `experiment status-${exp.status}`, "data-experiment": exp.name },
    h("header", {}, h("strong", { text: exp.name }),
      h("span", { class: "meta", text: ` ${exp.kind === "rollout" ? "rollout" : "A/B"} · ` }),
      h("span", { class: "exp-status", text: exp.status }), h("span", { class: "meta", text: share }), stop),
    exp.stop_reason ? h("p", { class: "meta exp-reason", text: exp.stop_reason }) : null,
    armsTable(exp), guardrails(exp));
}

export function experimentsPanel(el, token) {
  async function reload() {
    try {
      const { items } = await api("/api/v1/experiments", { token });
      // Reading a running experiment evaluates it (guardrails, rollout steps).
      const fresh = await Promise.all(items.map((e) => (e.status === "running" ? api(`/api/v1/experiments/${e.id}`, { token }) : e)));
      clear(el).append(...(fresh.length ? fresh.map((e) => card(e, { token, reload })) : [h("p", { class: "meta", text: "No experiments yet: start one with hybridcx experiments or POST /api/v1/experiments." })]));
    } catch (err) {
      clear(el).append(h("p", { class: "form-error", text: err.message }));
    }
  }
  reload();
  setInterval(reload, 30000);
  return reload;
}
