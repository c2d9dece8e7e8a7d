// Customer search in the desk: email, phone or name words, VIPs only, in pages
// ("Load more", the list's opaque cursor); choosing a customer lists their conversations, each
// opens in the conversation view. Text is set with textContent (h) only.
import { api, clear, h, humanize } from "./common.js";
import { tagChip } from "./tags.js";

export class CustomerSearch {
  constructor(box, { token, onOpen }) {
    this.box = box;
    this.token = token;
    this.onOpen = onOpen;
    this.cursor = null;
    this.q = h("input", { id: "customer-q", type: "search", placeholder: "Email, phone or name", "aria-label": "Find a customer" });
    this.vip = h("input", { id: "customer-vip", type: "checkbox" });
    this.error = h("p", { class: "form-error", role: "alert" });
    this.results = h("ul", { id: "customer-results", class: "search-results", "aria-live": "polite" });
    this.more = h("button", { type: "button", id: "customer-more", class: "secondary", text: "More customers", hidden: true, onclick: () => this.search({ more: true }) });
    const form = h(
      "form",
      { class: "search-form", role: "search", "aria-label": "Customers" },
      h("div", { class: "search-row" }, this.q, h("button", { type: "submit", class: "primary", text: "Find customers" })),
      h("label", { class: "checkbox" }, this.vip, " VIPs only"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search();
    });
    clear(this.box).append(h("h2", { id: "customers-title", text: "Find customers" }), form, this.error, this.results, this.more);
    this.box.hidden = false;
  }

  async search({ more = false } = {}) {
    this.error.textContent = "";
    const p = new URLSearchParams({ limit: "20" });
    if (this.q.value.trim()) p.set("q", this.q.value.trim());
    if (this.vip.checked) p.set("vip", "true");
    if (more && this.cursor) p.set("cursor", this.cursor);
    try {
      const page = await api(`/api/v1/customers?${p}`, { token: this.token });
      if (!more) clear(this.results);
      if (!more && !page.items.length) this.results.append(h("li", { class: "empty", text: "No customer found." }));
      for (const c of page.items) this.results.append(this.item(c));
      this.cursor = page.next_cursor;
      this.more.hidden = !page.next_cursor;
    } catch (err) {
      this.error.textContent = err.message;
    }
  }

  item(c) {
    const convs = h("ul", { class: "customer-conversations" });
    const li = h(
      "li",
      { class: "search-item customer-item", "data-id": c.id },
      h(
        "button",
        { type: "button", "aria-expanded": "false", onclick: (event) => this.toggle(event.currentTarget, c, convs) },
        h("strong", { text: c.name || c.email || c.phone || "Customer" }),
        h("span", { class: "meta", text: ` ${[c.email, c.phone].filter(Boolean).join(" · ")}${c.vip ? " · VIP" : ""}` }),
      ),
      c.tags && c.tags.length ? h("div", { class: "tag-chips" }, c.tags.map((t) => tagChip(t))) : null,
      convs,
    );
    return li;
  }

  async toggle(button, c, convs) {
    if (button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      clear(convs);
      return;
    }
    button.setAttribute("aria-expanded", "true");
    try {
      const p = new URLSearchParams({ customer_id: c.id, limit: "20", sort: "created" });
      const page = await api(`/api/v1/conversations?${p}`, { token: this.token });
      clear(convs);
      if (!page.items.length) convs.append(h("li", { class: "empty", text: "No conversations yet." }));
      for (const conv of page.items) {
        convs.append(
          h(
            "li",
            {},
            h(
              "button",
              { type: "button", class: "link", "data-id": conv.id, onclick: () => Promise.resolve(this.onOpen(conv.id)).catch((err) => (this.error.textContent = err.message)) },
              `${humanize(conv.status)} · ${conv.channel} · Tier ${conv.tier}${conv.created_at ? ` · ${new Date(conv.created_at).toLocaleDateString()}` : ""}`,
            ),
          ),
        );
      }
    } catch (err) {
      this.error.textContent = err.message;
    }
  }
}
