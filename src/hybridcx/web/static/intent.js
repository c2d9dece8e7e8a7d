// The conversation's intent in the desk: what the AI understood, and a small picker of
// the workspace's intents to correct or confirm it in one click. Corrections train the AI later.
import { api, h, humanize } from "./common.js";

let intentsPromise = null;
function workspaceIntents(token) {
  intentsPromise = intentsPromise || api("/api/v1/improvement/intents", { token }).then((r) => r.items);
  intentsPromise.catch(() => (intentsPromise = null));
  return intentsPromise;
}

function intentsOf(conv) {
  const corrected = [...(conv.events || [])].reverse().find((e) => e.type === "intent.corrected");
  const ai = corrected ? corrected.data.from : (conv.handoff && conv.handoff.intent) || (conv.routing && conv.routing.intent) || null;
  return { ai, current: corrected ? corrected.data.to : ai, byAgent: Boolean(corrected) };
}

export function intentPanel(conv, { token }) {
  const { ai, current, byAgent } = intentsOf(conv);
  const status = h("p", { class: "meta intent-status", role: "status" });
  const select = h("select", { id: "intent-picker", "aria-describedby": "intent-ai" });
  const aiLine = h("p", { class: "meta", id: "intent-ai", text: `AI understood: ${ai ? humanize(ai) : "not sure"}` });
  const confirm = h("button", { type: "button", class: "secondary", text: "Confirm", hidden: !ai || byAgent });
  const panel = h(
    "section",
    { class: "panel intent", "aria-label": "Intent" },
    h("h3", { text: "Intent" }),
    aiLine,
    h("label", { for: "intent-picker", text: "Intent of this conversation" }),
    h("div", { class: "intent-row" }, select, confirm),
    status,
  );
  status.textContent = byAgent ? `Set by an agent: ${humanize(current)}` : "";

  async function save(intent) {
    select.disabled = confirm.disabled = true;
    try {
      const out = await api(`/api/v1/conversations/${encodeURIComponent(conv.id)}/intent`, { method: "PUT", token, body: { intent } });
      status.textContent = out.source === "agent_confirmed" ? `Confirmed: ${humanize(out.intent)}` : `Corrected to ${humanize(out.intent)}`;
      confirm.hidden = true;
    } catch (err) {
      status.textContent = err.message;
    } finally {
      select.disabled = confirm.disabled = false;
    }
  }

  confirm.addEventListener("click", () => save(ai));
  select.addEventListener("change", () => select.value && save(select.value));
  workspaceIntents(token)
    .then((items) => {
      select.append(h("option", { value: "", text: current ? "" : "Pick an intent" }));
      for (const name of items) select.append(h("option", { value: name, text: humanize(name), selected: name === current }));
    })
    .catch((err) => (status.textContent = err.message));
  return panel;
}
