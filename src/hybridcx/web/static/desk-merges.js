// Merge proposals in the desk (supervisors and admins): customers who look like one person
// (the same phone number, an email nobody proved) side by side, with Merge and "Not the same
// person"; a merge done here can be undone here (Unmerge). Text is set with textContent (h) only.
import { api, clear, h, humanize } from "./common.js";

const DECIDERS = new Set(["supervisor", "admin"]);
const REASONS = { same_phone: "Same phone number", same_email: "Same email address", same_external: "Same external id", same_crm: "Same CRM record" };

const who = (c) => c.name || c.email || c.phone || "Customer";

export class MergePanel {
  constructor(box, { token, me }) {
    this.box = box;
    this.token = token;
    this.enabled = DECIDERS.has(me.role);
    this.status = h("p", { class: "form-error", role: "alert" });
    this.done = h("p", { class: "merge-done", role: "status", "aria-live": "polite" });
    this.list = h("ul", { id: "merge-proposals", class: "merge-proposals", "aria-live": "polite" });
    this.undo = h("ul", { class: "merge-undo" });
  }

  async refresh() {
    if (!this.enabled) return;
    try {
      const page = await api("/api/v1/customers/merge-proposals", { token: this.token });
      this.render(page.items);
    } catch (err) {
      this.status.textContent = err.message;
    }
  }

  render(items) {
    const heading = h("h2", { id: "merges-title" }, "Possible duplicates ", h("span", { class: "count", text: String(items.length) }));
    clear(this.box).append(heading, this.status, this.done, this.list, this.undo);
    clear(this.list);
    if (!items.length) this.list.append(h("li", { class: "empty", text: "No customers to merge." }));
    for (const p of items) this.list.append(this.item(p));
    this.box.hidden = false;
  }

  item(p) {
    const [survivor, absorbed] = [p.survivor_id, p.merged_id].map((id) => p.customers.find((c) => c.id === id) || { id });
    const card = (c, role) =>
      h(
        "div",
        { class: "merge-customer", "data-role": role },
        h("strong", { text: who(c) }),
        h("span", { class: "meta", text: [c.email, c.phone].filter(Boolean).join(" · ") || "no contact details" }),
        c.since ? h("span", { class: "meta", text: `since ${new Date(c.since).toLocaleDateString()}` }) : null,
      );
    const merge = h("button", { type: "button", class: "primary", text: "Merge" });
    const dismiss = h("button", { type: "button", class: "secondary", text: "Not the same person" });
    const li = h(
      "li",
      { class: "merge-item", "data-proposal": p.id, "aria-label": `${who(survivor)} and ${who(absorbed)}` },
      h("p", { class: "merge-reason", text: REASONS[p.reason] || humanize(p.reason || "possible duplicate") }),
      h("div", { class: "merge-pair" }, card(survivor, "keeps"), card(absorbed, "joins")),
      h("div", { class: "merge-actions" }, merge, " ", dismiss),
    );
    merge.addEventListener("click", () =>
      this.act(li, async () => {
        const row = await api(`/api/v1/customers/${encodeURIComponent(p.survivor_id)}/merge`, { method: "POST", token: this.token, body: { proposal_id: p.id } });
        this.say(`Merged ${who(absorbed)} into ${who(survivor)}: ${row.conversations_moved} conversation${row.conversations_moved === 1 ? "" : "s"} moved.`);
        this.offerUndo(row, survivor, absorbed);
      }),
    );
    dismiss.addEventListener("click", () =>
      this.act(li, async () => {
        await api(`/api/v1/customers/merge-proposals/${encodeURIComponent(p.id)}/dismiss`, { method: "POST", token: this.token, body: {} });
        this.say(`Kept apart: ${who(survivor)} and ${who(absorbed)} will not be proposed again.`);
      }),
    );
    return li;
  }

  offerUndo(row, survivor, absorbed) {
    const button = h("button", { type: "button", class: "secondary", text: "Unmerge", "aria-label": `Unmerge ${who(absorbed)} from ${who(survivor)}` });
    const li = h("li", { class: "merge-undo-item", "data-merge": row.id }, h("span", { text: `${who(absorbed)} → ${who(survivor)} ` }), button);
    button.addEventListener("click", () =>
      this.act(li, async () => {
        await api(`/api/v1/customers/${encodeURIComponent(row.merged_id)}/unmerge`, { method: "POST", token: this.token, body: { merge_id: row.id } });
        this.say(`Unmerged: ${who(absorbed)} is a customer of their own again.`);
        li.remove();
      }),
    );
    this.undo.append(li);
  }

  async act(li, fn) {
    this.status.textContent = "";
    for (const b of li.querySelectorAll("button")) b.disabled = true;
    try {
      await fn();
      await this.refresh();
    } catch (err) {
      for (const b of li.querySelectorAll("button")) b.disabled = false;
      this.status.textContent = err.message;
    }
  }

  say(text) {
    this.done.textContent = text;
  }
}
