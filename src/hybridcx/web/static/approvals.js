// Approvals panel (desk and supervisor console): consequential AI actions held for a person.
// Approve runs the action and tells the customer; reject tells the customer nothing changed.
import { api, clear, h } from "./common.js";

const APPROVERS = new Set(["supervisor", "admin"]);

export class ApprovalsPanel {
  constructor(box, list, { token, me, onOpen = () => {} }) {
    this.box = box;
    this.list = list;
    this.token = token;
    this.me = me;
    this.onOpen = onOpen;
    this.items = [];
  }

  onEvent(event) {
    if (event.type === "approval.requested" || event.type === "approval.decided") this.refresh();
  }

  async refresh() {
    this.items = await api("/api/v1/approvals?status=pending", { token: this.token });
    this.render();
  }

  render() {
    this.box.hidden = this.items.length === 0;
    const list = clear(this.list);
    const canDecide = APPROVERS.has(this.me.role);
    for (const item of this.items) {
      const status = h("p", { class: "form-error", role: "alert" });
      const decide = (verb) => async () => {
        status.textContent = "";
        try {
          await api(`/api/v1/approvals/${encodeURIComponent(item.id)}/${verb}`, { method: "POST", token: this.token, body: {} });
          await this.refresh();
        } catch (err) {
          status.textContent = err.message;
        }
      };
      list.append(
        h(
          "li",
          { class: "approval-item", "data-id": item.id },
          h("div", { class: "who", text: item.summary }),
          h("div", { class: "meta", text: item.amount !== null ? `$${Number(item.amount).toFixed(2)} · ${item.action}` : item.action }),
          h("button", { type: "button", class: "link", text: "Open conversation", onclick: () => this.onOpen(item.conversation_id) }),
          canDecide
            ? h(
                "div",
                { class: "approval-actions" },
                h("button", { type: "button", class: "primary", text: "Approve", onclick: decide("approve") }),
                h("button", { type: "button", text: "Reject", onclick: decide("reject") }),
              )
            : h("div", { class: "meta", text: "Waiting for a supervisor." }),
          status,
        ),
      );
    }
  }
}
