// The dead-letter list, in the supervisor console for admins: what could not be sent
// to a CRM after every attempt (HubSpot tickets, Salesforce Cases), with Retry (send again) and
// Discard (take it off the list without sending). Everything goes through the API, which
// audits it; every text is set with textContent.
import { api, clear, h } from "./common.js";

const CRM_KINDS = new Set(["hubspot", "salesforce"]);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");

export function mountDeadLetters(container, { token, me }) {
  if (!container || me.role !== "admin") return;
  container.hidden = false;
  const status = h("p", { class: "meta", role: "status", id: "dead-letters-status" });
  const rows = h("tbody", { id: "dead-letter-rows" });
  const reload = h("button", { type: "button", class: "secondary", text: "Refresh" });
  reload.addEventListener("click", () => load());
  clear(container).append(
    h("h2", { id: "dead-letters-title", text: "Dead letters" }),
    h("p", { class: "meta", text: "What could not be sent to a connected CRM after every attempt." }),
    reload,
    status,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "live-table dead-letter-table" },
        h("thead", {}, h("tr", {}, ["Connector", "Conversation", "Attempts", "Last error", "Failed", "Actions"].map((t) => h("th", { scope: "col", text: t })))),
        rows,
      ),
    ),
  );

  function say(text) {
    status.textContent = text;
  }

  async function load() {
    try {
      const { items } = await api("/api/v1/integrations", { token });
      const crms = items.filter((c) => CRM_KINDS.has(c.kind));
      const lists = await Promise.all(
        crms.map((c) => api(`/api/v1/integrations/${encodeURIComponent(c.name)}/syncs?status=dead`, { token }).then((page) => page.items.map((s) => ({ ...s, connector: c.name })))),
      );
      const dead = lists.flat();
      clear(rows).append(...(dead.length ? dead.map(row) : [h("tr", {}, h("td", { colspan: 6, class: "empty", text: "Nothing in the dead-letter list." }))]));
      say(dead.length ? `${dead.length} failed sync${dead.length === 1 ? "" : "s"}.` : "");
    } catch (err) {
      say(err.message);
    }
  }

  function row(s) {
    const base = `/api/v1/integrations/${encodeURIComponent(s.connector)}/syncs/${encodeURIComponent(s.id)}`;
    // A ticket names its conversation; a customer push or an erasure names no conversation.
    const what = s.conversation_id ? `conversation ${s.conversation_id.slice(0, 8)}` : `${s.action} ${s.id.slice(0, 8)}`;
    const act = (verb, label, done) => {
      const button = h("button", { type: "button", class: verb === "discard" ? "secondary" : "", text: label, "aria-label": `${label} the sync of ${what}` });
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await api(`${base}/${verb}`, { method: "POST", token });
          await load();
          say(done); // after the reload, which would otherwise overwrite it with the count
        } catch (err) {
          button.disabled = false;
          say(err.message);
        }
      });
      return button;
    };
    return h(
      "tr",
      { "data-sync": s.id },
      h("td", { text: s.connector }),
      h("td", {}, s.conversation_id ? h("a", { href: `/desk?conversation=${encodeURIComponent(s.conversation_id)}`, text: s.conversation_id.slice(0, 8) }) : h("span", { text: what })),
      h("td", { text: String(s.attempts) }),
      h("td", { text: s.last_error || "—" }),
      h("td", { text: when(s.updated_at) }),
      h("td", {}, act("retry", "Retry", "Sent back to the queue: it goes out on the next round."), " ", act("discard", "Discard", "Discarded: it will not be sent.")),
    );
  }

  load();
}
