// Agent scripts in the supervisor console: the workspace's scripts (the shipped
// defaults and its own, which replace a default of the same name), what a required step left
// undone does at resolve (block or warn), an editor for a script as JSON (checked by the
// server: its message is shown as it is), and adherence per agent and team. All text is set
// with textContent and input values only.
import { api, clear, h } from "./common.js";

const EXAMPLE = {
  name: "my_script",
  intents: ["refund_status"],
  steps: [
    { id: "order", kind: "ask", text: "Could you give me the order number?", entity: "order_number", required: true },
    { id: "disclosure", kind: "disclosure", text: "Refunds take 5 to 10 business days." },
  ],
};

function specOf(s) {
  const out = {};
  for (const key of ["name", "description", "intents", "segment", "channel", "compliance_rule", "steps"]) {
    if (s[key] !== undefined && s[key] !== null && s[key] !== "") out[key] = s[key];
  }
  return out;
}

export function mountScriptAdmin(container, { token }) {
  container.hidden = false;
  const status = h("p", { class: "meta", role: "status", id: "script-status" });
  const list = h("ul", { class: "macro-list", id: "script-list" });
  const policy = h(
    "select",
    { id: "script-enforcement", onchange: (e) => setPolicy(e.target.value) },
    h("option", { value: "block", text: "Block resolve" }),
    h("option", { value: "warn", text: "Warn only" }),
  );
  const editor = h("textarea", { id: "script-spec", rows: 12, spellcheck: "false" });
  editor.value = JSON.stringify(EXAMPLE, null, 2);
  const help = h("p", { class: "meta", id: "script-help" });
  const adherence = h("div", { id: "script-adherence", class: "meta" });
  let editing = null;
  const submit = h("button", { type: "submit", class: "primary", text: "Save script" });
  const fresh = h("button", { type: "button", class: "secondary", text: "New script", onclick: () => edit(null) });
  const form = h(
    "form",
    { class: "macro-form", novalidate: true },
    h("label", { for: "script-spec", text: "Script (JSON)" }),
    editor,
    help,
    h("div", { class: "reply-row" }, fresh, submit),
  );
  clear(container).append(
    h("h2", { id: "scripts-title", text: "Agent scripts" }),
    h("p", {}, h("label", { for: "script-enforcement", class: "inline", text: "Required steps not done: " }), policy),
    status,
    list,
    form,
    h("h3", { text: "Adherence" }),
    adherence,
  );

  const say = (msg) => (status.textContent = msg);

  function edit(s, { copy = false } = {}) {
    editing = s && !copy ? s : null;
    editor.value = JSON.stringify(s ? specOf(s) : EXAMPLE, null, 2);
    submit.textContent = editing ? `Save “${s.name}”` : "Save script";
    editor.focus();
  }

  async function setPolicy(value) {
    try {
      await api("/api/v1/scripts/policy", { method: "PUT", token, body: { enforcement: value } });
      say(value === "block" ? "Required steps now block resolve." : "Required steps now only warn.");
    } catch (err) {
      say(err.message);
    }
  }

  async function load() {
    const r = await api("/api/v1/scripts", { token });
    policy.value = r.enforcement;
    help.textContent = `Step kinds: ${Object.entries(r.step_kinds).map(([k, v]) => `${k}: ${v}`).join(" ")}`;
    clear(list).append(
      ...r.items.map((s) =>
        h(
          "li",
          { "data-name": s.name },
          h("strong", { text: s.name }),
          " ",
          h("span", { class: "meta", text: `${s.source === "default" ? "shipped default" : "this workspace"} · intents ${s.intents.join(", ")} · ${s.steps.length} steps` }),
          h("p", { text: s.steps.map((st) => `${st.id} (${st.kind}${st.required || st.kind === "disclosure" ? ", required" : ""})`).join(" → ") }),
          s.source === "default"
            ? h("button", { type: "button", class: "link", text: "Customise", onclick: () => edit(s, { copy: true }) })
            : [
                h("button", { type: "button", class: "link", text: "Edit", onclick: () => edit(s) }),
                " ",
                h("button", { type: "button", class: "link", text: "Delete", onclick: () => remove(s) }),
              ],
        ),
      ),
    );
    const a = await api("/api/v1/scripts/adherence", { token }).catch(() => null);
    clear(adherence);
    if (a && a.overall.conversations) {
      adherence.append(
        h("p", { text: `Overall ${Math.round(a.overall.adherence * 100)}% over ${a.overall.conversations} conversations.` }),
        h("ul", {}, ...a.agents.map((x) => h("li", { text: `${x.name || "unassigned"}: ${Math.round(x.adherence * 100)}% (${x.conversations})` }))),
        h("ul", {}, ...a.teams.map((x) => h("li", { text: `Team ${x.team}: ${Math.round(x.adherence * 100)}% (${x.conversations})` }))),
      );
    } else {
      adherence.append(h("p", { text: "No scripted conversations resolved in this period." }));
    }
  }

  async function remove(s) {
    try {
      await api(`/api/v1/scripts/${encodeURIComponent(s.id)}`, { method: "DELETE", token });
      say(`Deleted “${s.name}”.`);
      if (editing && editing.id === s.id) edit(null);
      await load();
    } catch (err) {
      say(err.message);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let spec;
    try {
      spec = JSON.parse(editor.value);
    } catch {
      say("The script is not valid JSON.");
      return;
    }
    try {
      const saved = editing
        ? await api(`/api/v1/scripts/${encodeURIComponent(editing.id)}`, { method: "PUT", token, body: { spec } })
        : await api("/api/v1/scripts", { method: "POST", token, body: { spec } });
      say(`Saved “${saved.name}”.`);
      edit(null);
      await load();
    } catch (err) {
      say(err.message);
    }
  });
  load().catch((err) => say(err.message));
}
