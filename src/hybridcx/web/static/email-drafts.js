// Email drafts in the desk: the AI's proposed reply to an email waits here until an agent
// edits and approves it (it then goes out by email as the agent's reply) or discards it.
import { api, clear, h, humanize } from "./common.js";

const OPEN = new Set(["pending", "failed"]);

export class DraftsPanel {
  constructor(conv, { token, onSent = () => {} }) {
    this.conv = conv;
    this.token = token;
    this.onSent = onSent;
    this.drafts = new Map();
    this.boxes = new Map(); // draft id -> textarea, kept across renders so edits survive
    this.el = h("section", { class: "panel drafts", "aria-label": "Email drafts" });
    this.status = h("p", { class: "form-error", role: "alert" });
    this.render();
    this.load();
  }

  path(id = "") {
    const base = `/api/v1/conversations/${encodeURIComponent(this.conv.id)}/drafts`;
    return id ? `${base}/${encodeURIComponent(id)}` : base;
  }

  async load() {
    try {
      const data = await api(this.path(), { token: this.token });
      for (const d of data.items) this.drafts.set(d.id, d);
      this.render();
    } catch (err) {
      this.status.textContent = err.message;
    }
  }

  onDraft(draft) {
    const box = this.boxes.get(draft.id);
    if (box && box.dataset.dirty !== "1") box.value = draft.text;
    this.drafts.set(draft.id, draft);
    this.render();
  }

  render() {
    const open = [...this.drafts.values()].filter((d) => OPEN.has(d.status));
    const done = [...this.drafts.values()].filter((d) => !OPEN.has(d.status));
    clear(this.el).append(h("h3", { text: "Email draft" }), this.status);
    if (!open.length) {
      this.el.append(h("p", { class: "meta", text: "No draft waiting. Replies you send here go out by email." }));
    }
    for (const d of open) this.el.append(this.draftItem(d));
    if (done.length) {
      this.el.append(
        h("p", { class: "meta drafts-history", text: done.map((d) => `${humanize(d.status)} ${d.edited ? "(edited)" : ""}`.trim()).join(" · ") }),
      );
    }
  }

  draftItem(d) {
    const id = `draft-${d.id}`;
    let box = this.boxes.get(d.id);
    if (!box) {
      box = h("textarea", { id, rows: 6, maxlength: 4000, oninput: (e) => (e.target.dataset.dirty = "1") });
      box.value = d.text;
      this.boxes.set(d.id, box);
    }
    const grounding = d.grounded
      ? `Grounded in ${d.sources.map((s) => s.title).join(", ")}`
      : "Not grounded in an article: check before sending.";
    return h(
      "div",
      { class: `draft draft-${d.status}`, "data-draft": d.id },
      h("label", { for: id, text: d.status === "failed" ? "Draft (sending failed: try again)" : "AI draft, waiting for your approval" }),
      box,
      h("p", { class: "meta", text: `${d.intent ? `${humanize(d.intent)} · ` : ""}${grounding}` }),
      h(
        "div",
        { class: "row draft-actions" },
        h("button", { type: "button", class: "primary", text: "Approve & send", onclick: (e) => this.approve(d, e.currentTarget) }),
        h("button", { type: "button", class: "secondary", text: "Save edit", onclick: (e) => this.save(d, e.currentTarget) }),
        h("button", { type: "button", class: "danger", text: "Discard", onclick: (e) => this.discard(d, e.currentTarget) }),
      ),
    );
  }

  async run(button, work) {
    button.disabled = true;
    this.status.textContent = "";
    try {
      await work();
    } catch (err) {
      this.status.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  }

  approve(d, button) {
    return this.run(button, async () => {
      const text = this.boxes.get(d.id).value;
      const out = await api(`${this.path(d.id)}/approve`, { method: "POST", token: this.token, body: { text } });
      this.boxes.delete(d.id);
      this.drafts.set(d.id, out.draft);
      this.onSent(out.message);
      this.render();
      if (out.draft.status === "failed") this.status.textContent = "Saved in the conversation, but the email could not be sent.";
    });
  }

  save(d, button) {
    return this.run(button, async () => {
      const box = this.boxes.get(d.id);
      const saved = await api(this.path(d.id), { method: "PATCH", token: this.token, body: { text: box.value } });
      box.dataset.dirty = "";
      this.onDraft(saved);
    });
  }

  discard(d, button) {
    return this.run(button, async () => {
      const out = await api(`${this.path(d.id)}/discard`, { method: "POST", token: this.token });
      this.boxes.delete(d.id);
      this.onDraft(out);
    });
  }
}

// Attachments of a customer's email, under the message: stored ones download (with the staff
// token, never rendered here), rejected ones say why.
export function attachmentList(msg, conversationId, token) {
  const atts = ((msg.channel_meta || {}).email || {}).attachments || [];
  if (!atts.length) return null;
  return h(
    "ul",
    { class: "attachments", "aria-label": "Attachments" },
    atts.map((a) =>
      h(
        "li",
        {},
        a.status === "stored"
          ? h("button", { type: "button", class: "link", text: `${a.filename} (${size(a.size)})`, onclick: (e) => download(msg, a, conversationId, token, e.currentTarget) })
          : h("span", { class: "meta", text: `${a.filename} (${size(a.size)}): not kept, ${a.reason}` }),
      ),
    ),
  );
}

function size(bytes) {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1000) return `${Math.round(bytes / 1000)} kB`;
  return `${bytes} B`;
}

async function download(msg, att, conversationId, token, button) {
  const path = `/api/v1/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(msg.id)}/attachments/${encodeURIComponent(att.id)}`;
  let response;
  try {
    response = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  } catch {
    response = null;
  }
  if (!response || !response.ok) {
    button.textContent = `${att.filename}: download failed`;
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: att.filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
