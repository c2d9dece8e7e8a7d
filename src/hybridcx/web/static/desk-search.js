// Search in the desk: words, status, channel and tier, tags as filter chips, and
// "Load more" pages (the list's opaque cursor). The chosen tags filter the queue as well.
import { api, clear, h, humanize } from "./common.js";
import { tagChip, workspaceTags } from "./tags.js";

export class SearchPanel {
  constructor(box, { token, onOpen, onTagsChange = () => {} }) {
    this.box = box;
    this.token = token;
    this.onOpen = onOpen;
    this.onTagsChange = onTagsChange;
    this.tags = new Set();
    this.cursor = null;
    this.render();
    this.loadTags();
  }

  render() {
    this.q = h("input", { id: "search-q", type: "search", placeholder: "Words, e.g. refund blender", "aria-label": "Search words" });
    this.status = h("select", { id: "search-status", "aria-label": "Status" });
    for (const [v, t] of [["", "Any status"], ["bot", "With the AI"], ["queued", "Queued"], ["assigned", "Assigned"], ["resolved", "Resolved"]]) this.status.append(h("option", { value: v, text: t }));
    this.channel = h("select", { id: "search-channel", "aria-label": "Channel" });
    for (const [v, t] of [["", "Any channel"], ["webchat", "Web chat"], ["email", "Email"], ["sms", "SMS"], ["voice", "Voice"]]) this.channel.append(h("option", { value: v, text: t }));
    this.tier = h("select", { id: "search-tier", "aria-label": "Tier" });
    for (const [v, t] of [["", "Any tier"], ["1", "Tier 1"], ["2", "Tier 2"], ["3", "Tier 3"]]) this.tier.append(h("option", { value: v, text: t }));
    this.chips = h("div", { class: "tag-chips filter-chips", role: "group", "aria-label": "Filter by tag" });
    this.error = h("p", { class: "form-error", role: "alert" });
    this.results = h("ul", { id: "search-results", class: "search-results", "aria-live": "polite" });
    this.more = h("button", { type: "button", id: "search-more", class: "secondary", text: "Load more", hidden: true, onclick: () => this.search({ more: true }) });
    const form = h(
      "form",
      { class: "search-form", role: "search" },
      h("div", { class: "search-row" }, this.q, h("button", { type: "submit", class: "primary", text: "Search" })),
      h("div", { class: "search-row" }, this.status, this.channel, this.tier),
      this.chips,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search();
    });
    clear(this.box).append(h("h2", { id: "search-title", text: "Find conversations" }), form, this.error, this.results, this.more);
    this.box.hidden = false;
  }

  async loadTags() {
    try {
      const names = await workspaceTags(this.token, { fresh: true });
      clear(this.chips);
      for (const name of names) {
        const chip = h("button", { type: "button", class: "chip-toggle", "aria-pressed": "false", "data-tag": name, text: name });
        chip.addEventListener("click", () => {
          if (this.tags.has(name)) this.tags.delete(name);
          else this.tags.add(name);
          chip.setAttribute("aria-pressed", String(this.tags.has(name)));
          this.onTagsChange([...this.tags]);
          this.search();
        });
        this.chips.append(chip);
      }
    } catch (err) {
      this.error.textContent = err.message;
    }
  }

  /** The query string for the queue: the chosen tags. */
  queueQuery() {
    const p = new URLSearchParams();
    for (const t of this.tags) p.append("tag", t);
    const s = p.toString();
    return s ? `?${s}` : "";
  }

  params() {
    const p = new URLSearchParams({ limit: "20", sort: "created" });
    if (this.q.value.trim()) p.set("q", this.q.value.trim());
    if (this.status.value) p.set("status", this.status.value);
    if (this.channel.value) p.set("channel", this.channel.value);
    if (this.tier.value) p.set("tier", this.tier.value);
    for (const t of this.tags) p.append("tag", t);
    return p;
  }

  async search({ more = false } = {}) {
    this.error.textContent = "";
    const p = this.params();
    if (more && this.cursor) p.set("cursor", this.cursor);
    try {
      const page = await api(`/api/v1/conversations?${p}`, { token: this.token });
      if (!more) clear(this.results);
      if (!more && !page.items.length) this.results.append(h("li", { class: "empty", text: "Nothing found." }));
      for (const c of page.items) this.results.append(this.item(c));
      this.cursor = page.next_cursor;
      this.more.hidden = !page.next_cursor;
    } catch (err) {
      this.error.textContent = err.message;
    }
  }

  item(c) {
    const who = c.customer.name || c.customer.email || c.customer.phone || "Customer";
    return h(
      "li",
      { class: "search-item", "data-id": c.id },
      h(
        "button",
        { type: "button", onclick: () => Promise.resolve(this.onOpen(c.id)).catch((err) => (this.error.textContent = err.message)) },
        h("strong", { text: who }),
        h("span", { class: "meta", text: ` ${humanize(c.status)} · Tier ${c.tier} · ${c.channel}` }),
      ),
      c.tags.length ? h("div", { class: "tag-chips" }, c.tags.map((t) => tagChip(t))) : null,
    );
  }
}
