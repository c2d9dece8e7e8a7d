// Agent scripts in the desk. A panel beside the conversation shows the script for
// its intent: each step ticked off when the transcript shows it done (the server decides: the
// agent said the wording, the customer gave the order number, the backend action ran), the next
// step with its wording filled in and a button that puts it in the reply box. The panel
// refreshes as messages and events arrive, so it follows an intent change. Resolve is checked
// on the server (409 naming the missing steps, shown in the conversation's error line). Loaded
// by desk.html; it wraps ConversationView's render and onEvent, leaving staff.js as it is.
// All text is set with textContent.
import { api, clear, h } from "./common.js";
import { ConversationView } from "./staff.js";

const MARK = { done: "✓", todo: "○", skipped: "–" };

class ScriptPanel {
  constructor(view) {
    this.view = view;
    this.seq = 0;
    this.timer = null;
    this.element = h("section", { class: "script-panel", "aria-label": "Script", "data-testid": "script-panel" });
  }

  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 150);
  }

  async refresh() {
    const conv = this.view.conv;
    if (!conv) return;
    const seq = ++this.seq;
    try {
      const data = await api(`/api/v1/scripts/conversations/${encodeURIComponent(conv.id)}`, { token: this.view.token });
      if (seq === this.seq && this.view.conv && this.view.conv.id === conv.id) this.render(data);
    } catch (err) {
      clear(this.element).append(h("p", { class: "meta", text: `Script unavailable: ${err.message}` }));
    }
  }

  render(data) {
    const s = data.script;
    clear(this.element);
    if (!s) {
      this.element.append(h("h3", { text: "Script" }), h("p", { class: "meta", text: "No script for this conversation's topic." }));
      return;
    }
    const items = s.steps.map((step) =>
      h(
        "li",
        { class: `script-step ${step.status}`, "data-step": step.id, "data-status": step.status },
        h("span", { class: "script-mark", "aria-hidden": "true", text: MARK[step.status] || "" }),
        " ",
        h("span", { class: "script-kind", text: step.kind }),
        step.required ? h("span", { class: "script-required", text: " required" }) : null,
        " ",
        h("span", { class: "script-text", text: step.text || (step.kind === "action" ? "backend action" : "") }),
        h("span", { class: "visually-hidden", text: ` (${step.status})` }),
      ),
    );
    const next = s.next;
    this.element.append(
      h("h3", { text: `Script: ${s.name}` }),
      h("p", { class: "meta", text: `Intent ${data.intent || "?"} · segment ${data.segment} · ${data.enforcement === "block" ? "required steps block resolve" : "required steps warn"}` }),
      h("ol", { class: "script-steps" }, items),
      s.missing_required.length
        ? h("p", { class: "script-missing", role: "status", text: `Still required: ${s.missing_required.join(", ")}` })
        : h("p", { class: "script-missing ok", role: "status", text: "All required steps done." }),
    );
    if (next) {
      const use = h("button", {
        type: "button",
        class: "secondary",
        text: "Use suggested wording",
        disabled: !next.text,
        onclick: () => {
          if (this.view.replyText) {
            this.view.replyText.value = next.text;
            this.view.replyText.focus();
          }
        },
      });
      this.element.append(
        h("div", { class: "script-next" }, h("strong", { text: "Next: " }), h("span", { class: "script-next-text", text: next.text || `${next.kind} ${next.id}` }), " ", use),
      );
    }
  }
}

const render = ConversationView.prototype.render;
ConversationView.prototype.render = function (...args) {
  const out = render.apply(this, args);
  this.scriptPanel = new ScriptPanel(this);
  const side = this.container.querySelector(".conv-side");
  (side || this.container).prepend(this.scriptPanel.element);
  this.scriptPanel.refresh();
  return out;
};

const onEvent = ConversationView.prototype.onEvent;
ConversationView.prototype.onEvent = function (event) {
  onEvent.call(this, event);
  if (!this.conv || !this.scriptPanel) return;
  const id = event.conversation_id || (event.conversation && event.conversation.id);
  if (id === this.conv.id) this.scriptPanel.refreshSoon();
};
