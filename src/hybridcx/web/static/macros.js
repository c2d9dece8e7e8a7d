// Macros. In the desk: a picker next to the reply box that fills it with the macro's
// text for this conversation (the agent edits it), and on send applies the macro: the reply goes
// out and its actions run on the server, each recorded as an event. In the supervisor console:
// the workspace's macros, to write, change and delete. All text is set with textContent and
// input values only.
import { api, clear, h } from "./common.js";

const ACTION_TEXT = {
  set_tier: (a) => `set tier ${a.tier}`,
  transfer: (a) => `transfer${a.team ? ` to team ${a.team}` : ""}${a.skill ? ` (${a.skill})` : ""}`,
  resolve: () => "resolve",
  note: () => "add a note",
  backend: (a) => `run ${a.action.replaceAll("_", " ")}`,
  tag: (a) => `tag ${a.tag}`,
};

export function describeActions(actions) {
  return actions.map((a) => (ACTION_TEXT[a.type] ? ACTION_TEXT[a.type](a) : a.type)).join(", ");
}

// One per reply form: `element` goes in the form; `pending` is the macro whose actions run on
// send; `send(text, internal)` applies it and returns the sent message (or null).
export class MacroPicker {
  constructor(view, textarea, id) {
    this.view = view;
    this.text = textarea;
    this.pending = null;
    this.select = h(
      "select",
      { id, onchange: (e) => this.choose(e.target.value) },
      h("option", { value: "", text: "Insert…" }),
    );
    this.status = h("span", { class: "macro-status meta", role: "status" });
    this.element = h(
      "span",
      { class: "macro-picker" },
      h("label", { for: id, class: "inline", text: "Macros" }),
      " ",
      this.select,
      " ",
      this.status,
    );
    this.load();
  }

  async load() {
    try {
      const { items } = await api("/api/v1/macros", { token: this.view.token });
      this.macros = new Map(items.map((m) => [m.id, m]));
      this.select.append(...items.map((m) => h("option", { value: m.id, text: m.name })));
    } catch (err) {
      this.status.textContent = `Macros unavailable: ${err.message}`;
    }
  }

  async choose(macroId) {
    this.select.value = "";
    if (!macroId || !this.view.conv) return;
    try {
      const conv = encodeURIComponent(this.view.conv.id);
      const r = await api(`/api/v1/macros/${encodeURIComponent(macroId)}/render?conversation_id=${conv}`, { token: this.view.token });
      if (r.text) this.text.value = this.text.value ? `${this.text.value}\n${r.text}` : r.text;
      this.setPending(r.macro, r.missing);
      this.text.focus();
    } catch (err) {
      this.status.textContent = err.message;
    }
  }

  setPending(macro, missing = []) {
    this.pending = macro.actions.length ? macro : null;
    clear(this.status);
    const parts = [];
    if (this.pending) parts.push(`On send: ${describeActions(macro.actions)}.`);
    if (missing.length) parts.push(`Fill in: ${missing.map((m) => `{{${m}}}`).join(", ")}.`);
    if (!parts.length) return;
    this.status.append(parts.join(" "));
    if (this.pending) {
      this.status.append(" ", h("button", { type: "button", class: "link", text: "Don't run", onclick: () => this.setPending({ actions: [] }) }));
    }
  }

  async send(text, internal) {
    const macro = this.pending;
    const r = await api(`/api/v1/macros/${encodeURIComponent(macro.id)}/apply`, {
      method: "POST",
      token: this.view.token,
      body: { conversation_id: this.view.conv.id, text, internal },
    });
    this.setPending({ actions: [] });
    const failed = r.actions.filter((a) => a.status === "failed" || (a.result && a.result.ok === false));
    const note = failed.length
      ? `${macro.name}: ${failed.map((a) => `${a.type} failed (${a.error || a.result.reason})`).join("; ")}`
      : `${macro.name}: ${describeActions(macro.actions)} done.`;
    await this.view.open(this.view.conv.id); // the actions may have changed its state
    this.view.onChange("macro", this.view.conv);
    this.view.error.textContent = failed.length ? note : "";
    return r.message;
  }
}

// ---- the conversation's timeline of macro actions and automation rules fired ----------------

const STATUS_TEXT = { done: "done", pending: "sent for approval", failed: "failed", executed: "done", skipped: "skipped" };

export function automationPanel(conv) {
  const items = (conv.events || []).filter((e) => e.type === "macro.action" || e.type === "automation.fired");
  if (!items.length) return null;
  const time = (e) => new Date(e.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return h(
    "section",
    { class: "panel automation", "aria-label": "Automation" },
    h("h3", { text: "Automation" }),
    h(
      "ol",
      { class: "automation-log" },
      items.map((e) => {
        const d = e.data || {};
        const text =
          e.type === "macro.action"
            ? `Macro “${d.macro}”: ${d.action.replaceAll("_", " ")} ${STATUS_TEXT[d.status] || d.status}` +
              (d.result && d.result.reason ? ` (${d.result.reason})` : "")
            : `Rule “${d.rule}” fired on ${String(d.trigger || "").replaceAll("_", " ")}: ` +
              (d.actions || []).map((a) => `${a.type.replaceAll("_", " ")} ${STATUS_TEXT[a.status] || a.status}`).join(", ");
        return h("li", {}, h("span", { class: "meta", text: `${time(e)} ` }), text);
      }),
    ),
  );
}

// ---- the supervisor console: the workspace's macros -------------------------------------------

export function mountMacroAdmin(container, { token }) {
  container.hidden = false;
  const status = h("p", { class: "meta", role: "status", id: "macro-status" });
  const list = h("ul", { class: "macro-list", id: "macro-list" });
  const name = h("input", { id: "macro-name", maxlength: 80, required: true });
  const text = h("textarea", { id: "macro-text", rows: 3, maxlength: 4000 });
  const actions = h("textarea", { id: "macro-actions", rows: 3, spellcheck: "false" });
  actions.value = "[]";
  const help = h("p", { class: "meta", id: "macro-help" });
  let editing = null;
  const submit = h("button", { type: "submit", class: "primary", text: "Save macro" });
  const cancel = h("button", { type: "button", class: "secondary", text: "New macro", onclick: () => edit(null) });
  const form = h(
    "form",
    { class: "macro-form", novalidate: true },
    h("label", { for: "macro-name", text: "Name" }),
    name,
    h("label", { for: "macro-text", text: "Macro text" }),
    text,
    h("label", { for: "macro-actions", text: "Macro actions (JSON list)" }),
    actions,
    help,
    h("div", { class: "reply-row" }, cancel, submit),
  );
  clear(container).append(h("h2", { id: "macros-title", text: "Macros" }), status, list, form);

  function say(msg) {
    status.textContent = msg;
  }

  function edit(m) {
    editing = m;
    name.value = m ? m.name : "";
    text.value = m ? m.text : "";
    actions.value = JSON.stringify(m ? m.actions : []);
    submit.textContent = m ? `Save “${m.name}”` : "Save macro";
    name.focus();
  }

  async function load() {
    const r = await api("/api/v1/macros", { token });
    help.textContent =
      `Placeholders: ${Object.keys(r.placeholders).map((p) => `{{${p}}}`).join(", ")}. ` +
      `Action types: ${Object.entries(r.action_types).map(([k, v]) => `${k} (${v})`).join("; ")}`;
    clear(list).append(
      ...r.items.map((m) =>
        h(
          "li",
          { "data-id": m.id },
          h("strong", { text: m.name }),
          " ",
          h("span", { class: "meta", text: m.actions.length ? `then ${describeActions(m.actions)}` : "" }),
          h("p", { text: m.text }),
          h("button", { type: "button", class: "link", text: "Edit", onclick: () => edit(m) }),
          " ",
          h("button", { type: "button", class: "link", text: "Delete", onclick: () => remove(m) }),
        ),
      ),
    );
  }

  async function remove(m) {
    try {
      await api(`/api/v1/macros/${encodeURIComponent(m.id)}`, { method: "DELETE", token });
      say(`Deleted “${m.name}”.`);
      if (editing && editing.id === m.id) edit(null);
      await load();
    } catch (err) {
      say(err.message);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let parsed;
    try {
      parsed = JSON.parse(actions.value || "[]");
    } catch {
      say("The actions are not valid JSON: write a list such as [{\"type\": \"resolve\"}].");
      return;
    }
    const body = { name: name.value, text: text.value, actions: parsed };
    try {
      const saved = editing
        ? await api(`/api/v1/macros/${encodeURIComponent(editing.id)}`, { method: "PUT", token, body })
        : await api("/api/v1/macros", { method: "POST", token, body });
      say(`Saved “${saved.name}”.`);
      edit(null);
      await load();
    } catch (err) {
      say(err.message);
    }
  });
  load().catch((err) => say(err.message));
}

// ---- the supervisor console: automation rules, and their live notices -------------------------

const RULE_EXAMPLE = {
  conditions: '{"vip": true}',
  actions: '[{"type": "notify", "text": "A VIP is waiting."}]',
};

export function mountRulesAdmin(container, { token }) {
  container.hidden = false;
  const status = h("p", { class: "meta", role: "status", id: "rule-status" });
  const list = h("ul", { class: "macro-list", id: "rule-list" });
  const name = h("input", { id: "rule-name", maxlength: 80 });
  const trigger = h("select", { id: "rule-trigger" });
  const minutes = h("input", { id: "rule-minutes", type: "number", min: 1, max: 10080 });
  const conditions = h("textarea", { id: "rule-conditions", rows: 2, spellcheck: "false" });
  const actions = h("textarea", { id: "rule-actions", rows: 2, spellcheck: "false" });
  const help = h("p", { class: "meta" });
  conditions.value = RULE_EXAMPLE.conditions;
  actions.value = RULE_EXAMPLE.actions;
  const form = h(
    "form",
    { class: "macro-form", novalidate: true },
    h("label", { for: "rule-name", text: "Rule name" }),
    name,
    h("label", { for: "rule-trigger", text: "When" }),
    trigger,
    h("label", { for: "rule-minutes", text: "Minutes (no agent reply only)" }),
    minutes,
    h("label", { for: "rule-conditions", text: "Conditions (JSON object)" }),
    conditions,
    h("label", { for: "rule-actions", text: "Rule actions (JSON list)" }),
    actions,
    help,
    h("div", { class: "reply-row" }, h("button", { type: "submit", class: "primary", text: "Add rule" })),
  );
  clear(container).append(h("h2", { id: "rules-title", text: "Automation rules" }), status, list, form);
  const say = (msg) => (status.textContent = msg);

  async function load() {
    const r = await api("/api/v1/automation/rules", { token });
    if (!trigger.options.length) trigger.append(...r.triggers.map((t) => h("option", { value: t, text: t.replaceAll("_", " ") })));
    help.textContent =
      `Conditions: ${r.conditions.join(", ")}. ` +
      `Actions: ${Object.entries(r.action_types).map(([k, v]) => `${k} (${v})`).join("; ")}`;
    clear(list).append(...r.items.map(row));
  }

  function row(rule) {
    const when = rule.trigger === "no_agent_reply" ? `no agent reply for ${rule.minutes} min` : rule.trigger.replaceAll("_", " ");
    const conds = Object.entries(rule.conditions).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join("/") : v}`).join(", ");
    return h(
      "li",
      { "data-id": rule.id, class: rule.enabled ? "" : "inactive" },
      h("strong", { text: rule.name }),
      " ",
      h("span", { class: "meta", text: `when ${when}${conds ? ` and ${conds}` : ""}: ${rule.actions.map((a) => a.type.replaceAll("_", " ")).join(", ")}${rule.enabled ? "" : " (off)"}` }),
      " ",
      h("button", { type: "button", class: "link", text: rule.enabled ? "Turn off" : "Turn on", onclick: () => toggle(rule) }),
      " ",
      h("button", { type: "button", class: "link", text: "Delete", onclick: () => remove(rule) }),
    );
  }

  async function toggle(rule) {
    const { id, created_at, updated_at, ...body } = rule;
    try {
      await api(`/api/v1/automation/rules/${encodeURIComponent(id)}`, { method: "PUT", token, body: { ...body, enabled: !rule.enabled } });
      say(`“${rule.name}” is ${rule.enabled ? "off" : "on"}.`);
      await load();
    } catch (err) {
      say(err.message);
    }
  }

  async function remove(rule) {
    try {
      await api(`/api/v1/automation/rules/${encodeURIComponent(rule.id)}`, { method: "DELETE", token });
      say(`Deleted “${rule.name}”.`);
      await load();
    } catch (err) {
      say(err.message);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let body;
    try {
      body = { name: name.value, trigger: trigger.value, conditions: JSON.parse(conditions.value || "{}"), actions: JSON.parse(actions.value || "[]") };
    } catch {
      say("Conditions and actions must be valid JSON.");
      return;
    }
    if (minutes.value) body.minutes = Number(minutes.value);
    try {
      const saved = await api("/api/v1/automation/rules", { method: "POST", token, body });
      say(`Added “${saved.name}”.`);
      name.value = "";
      await load();
    } catch (err) {
      say(err.message);
    }
  });
  load().catch((err) => say(err.message));
}

// Notices from the rules' notify action, as they arrive on the staff WebSocket.
export class AutomationNotices {
  constructor(container, { onOpen }) {
    this.container = container;
    this.onOpen = onOpen;
    this.list = h("ul", { class: "approvals", id: "automation-notices", "aria-live": "polite" });
    clear(container).append(h("h2", { text: "Automation notices" }), this.list);
  }

  onEvent(event) {
    if (event.type !== "automation.notify") return;
    this.container.hidden = false;
    this.list.prepend(
      h(
        "li",
        { class: "approval-item" },
        h("strong", { text: event.rule.name }),
        ": ",
        event.text,
        " ",
        h("button", { type: "button", class: "link", text: "Open", onclick: () => this.onOpen(event.conversation_id) }),
      ),
    );
    while (this.list.children.length > 20) this.list.lastChild.remove();
  }
}
