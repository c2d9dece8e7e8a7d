// Proactive outreach: the supervisor console's section. Campaigns (add, run now,
// approve a held send) and their results (sent, replies, contacts avoided against the control
// group). Text is set with textContent (h) only.
import { api, clear, h } from "./common.js";

const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);

export function mountOutreach(container, { token, me }) {
  if (!["supervisor", "admin"].includes(me.role)) return;
  container.hidden = false;
  const status = h("p", { class: "meta", role: "status", id: "outreach-status" });

  const load = async () => {
    try {
      const [campaigns, signals, stats] = await Promise.all([
        api("/api/v1/outreach/campaigns", { token }),
        api("/api/v1/outreach/signals", { token }),
        api("/api/v1/outreach/stats", { token }),
      ]);
      render(campaigns.items, signals.items, stats);
    } catch (err) {
      clear(container).append(h("h2", { id: "outreach-title", text: "Proactive outreach" }), h("p", { class: "form-error", text: err.message }));
    }
  };

  const act = async (path, body, done) => {
    status.textContent = "";
    try {
      const result = await api(path, { method: "POST", token, body });
      status.textContent = done(result);
      await load();
    } catch (err) {
      status.textContent = err.message;
    }
  };

  const runText = (r) => {
    const [item] = r.items || [];
    if (!item) return "Nothing to run.";
    if (item.status === "awaiting_approval") return `${item.name}: ${item.recipients} recipients, waiting for a second approval.`;
    if (item.status === "dry_run") return `${item.name}: would notify ${item.recipients} customers (${item.held_out || 0} held out).`;
    return `${item.name}: ${item.sent} sent, ${item.failed} failed.`;
  };

  const render = (campaigns, signals, stats) => {
    const bySend = {};
    for (const row of stats.items) (bySend[row.campaign_id] ||= []).push(row);
    const avoided = {};
    for (const p of stats.prevention || []) avoided[p.campaign_id] = p;
    const rows = campaigns.map((c) => {
      const sent = (bySend[c.id] || []).map((r) => `${r.channel} ${r.sent} sent, ${pct(r.response_rate)} replied`).join("; ") || "—";
      const p = avoided[c.id];
      const prevention = p ? `${p.contacts_avoided ?? "—"} (control ${pct(p.control_contact_rate)} vs ${pct(p.notified_contact_rate)})` : "—";
      const buttons = [
        h("button", { type: "button", class: "link", text: "Preview", onclick: () => act("/api/v1/outreach/run", { campaign_id: c.id, dry_run: true }, runText) }),
        h("button", { type: "button", class: "link", text: "Run now", onclick: () => act("/api/v1/outreach/run", { campaign_id: c.id }, runText) }),
      ];
      if (c.status === "awaiting_approval") {
        buttons.push(h("button", { type: "button", class: "link", text: `Approve ${c.pending_size}`, onclick: () => act(`/api/v1/outreach/campaigns/${encodeURIComponent(c.id)}/approve`, undefined, () => `${c.name}: approved.`) }));
      }
      return h(
        "tr",
        { "data-campaign": c.id },
        h("th", { scope: "row", text: c.name }),
        h("td", { text: c.signal.replaceAll("_", " ") }),
        h("td", { text: c.channels.join(", ") }),
        h("td", { text: c.status.replaceAll("_", " ") }),
        h("td", { text: sent }),
        h("td", { text: prevention }),
        h("td", {}, ...buttons),
      );
    });
    const name = h("input", { id: "outreach-name", required: true, maxlength: 80, placeholder: "Late shipments" });
    const signal = h("select", { id: "outreach-signal" }, signals.map((s) => h("option", { value: s.name, text: s.name.replaceAll("_", " "), title: s.description })));
    const sms = h("input", { type: "checkbox", id: "outreach-sms", checked: true });
    const email = h("input", { type: "checkbox", id: "outreach-email", checked: true });
    const from = h("input", { id: "outreach-from", placeholder: "+15557654321 (SMS from)", maxlength: 40 });
    const holdout = h("input", { id: "outreach-holdout", type: "number", min: 0, max: 0.5, step: 0.05, value: 0.1 });
    const form = h(
      "form",
      {
        class: "outreach-form",
        onsubmit: (event) => {
          event.preventDefault();
          const channels = [sms.checked ? "sms" : null, email.checked ? "email" : null].filter(Boolean);
          const templates = from.value.trim() ? { sms_from: from.value.trim() } : {};
          act("/api/v1/outreach/campaigns", { name: name.value.trim(), signal: signal.value, channels, templates, holdout: Number(holdout.value) || 0 }, (c) => `Campaign ${c.name} added.`);
        },
      },
      h("label", { for: "outreach-name", text: "Name " }), name,
      h("label", { for: "outreach-signal", text: " Signal " }), signal,
      h("label", {}, sms, " SMS"),
      h("label", {}, email, " Email"),
      h("label", { for: "outreach-from", text: " " }), from,
      h("label", { for: "outreach-holdout", text: " Control group " }), holdout,
      h("button", { type: "submit", class: "primary", text: "Add campaign" }),
    );
    clear(container).append(
      h("h2", { id: "outreach-title", text: "Proactive outreach" }),
      h("p", { class: "meta", text: `Sent ${stats.sent}, replied ${stats.replied} (${pct(stats.response_rate)}); contacts avoided ${stats.contacts_avoided}.` }),
      campaigns.length
        ? h(
            "table",
            { class: "live-table outreach-table", "aria-label": "Outreach campaigns" },
            h("thead", {}, h("tr", {}, ["Campaign", "Signal", "Channels", "Status", "Sent", "Contacts avoided", ""].map((t) => h("th", { scope: "col", text: t })))),
            h("tbody", {}, rows),
          )
        : h("p", { class: "meta", text: "No campaigns yet." }),
      form,
      status,
    );
  };
  load();
}
