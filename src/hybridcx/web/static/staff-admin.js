// Staff administration for admins: edit name, role, teams, skills and capacity;
// deactivate / reactivate; reset a password or a second factor; require a second factor for
// the workspace. Everything goes through the API (which audits it); text is set with
// textContent and input values only.
import { api, clear, h } from "./common.js";

const ROLES = ["agent", "supervisor", "admin", "auditor"];
const list = (value) => value.split(",").map((s) => s.trim()).filter(Boolean);

export function mountStaffAdmin(container, { token, me }) {
  if (me.role !== "admin") return;
  container.hidden = false;
  const status = h("p", { class: "meta", role: "status", id: "staff-status" });
  const rows = h("tbody", { id: "staff-rows" });
  const policy = h("input", { type: "checkbox", id: "mfa-required" });
  policy.addEventListener("change", async () => {
    try {
      await api("/api/v1/auth/mfa/policy", { method: "PUT", token, body: { required: policy.checked } });
      say(policy.checked ? "A second factor is now required for password sign-ins." : "A second factor is now optional.");
    } catch (err) {
      policy.checked = !policy.checked;
      say(err.message);
    }
  });
  clear(container).append(
    h("h2", { id: "staff-title", text: "Staff" }),
    h("label", { class: "policy" }, policy, " Require a second factor (authenticator app) for password sign-ins"),
    status,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "live-table staff-table" },
        h("thead", {}, h("tr", {}, ["Name", "Email", "Role", "Teams", "Skills", "Capacity", "Account", "Actions"].map((t) => h("th", { scope: "col", text: t })))),
        rows,
      ),
    ),
  );

  function say(text) {
    status.textContent = text;
  }

  async function load() {
    const [team, mine] = await Promise.all([
      api("/api/v1/agents?include_inactive=true", { token }),
      api("/api/v1/auth/mfa", { token }),
    ]);
    policy.checked = mine.required_by_workspace;
    clear(rows).append(...team.items.map(row));
  }

  function row(a) {
    const label = (field) => `${field} of ${a.name}`;
    const name = h("input", { value: a.name, "aria-label": label("Name"), maxlength: 200 });
    const role = h("select", { "aria-label": label("Role") }, ROLES.map((r) => h("option", { value: r, text: r, selected: r === a.role })));
    const teams = h("input", { value: a.teams.join(", "), "aria-label": label("Teams") });
    const skills = h("input", { value: a.skills.join(", "), "aria-label": label("Skills") });
    const capacity = h("input", { type: "number", min: 0, max: 50, value: a.capacity, "aria-label": label("Capacity") });
    const badges = [a.active ? "active" : "deactivated", a.mfa_enabled ? "2FA" : null, a.sso ? "SSO" : null].filter(Boolean).join(" · ");
    const act = (text, fn) => h("button", { type: "button", class: "link", onclick: () => run(fn) }, text);
    const self = a.id === me.id;
    return h(
      "tr",
      { "data-id": a.id, class: a.active ? "" : "inactive" },
      h("td", {}, name),
      h("td", { text: a.email }),
      h("td", {}, role),
      h("td", {}, teams),
      h("td", {}, skills),
      h("td", {}, capacity),
      h("td", { class: "account", text: badges }),
      h(
        "td",
        { class: "actions" },
        act("Save", async () => {
          const body = { name: name.value, teams: list(teams.value), skills: list(skills.value), capacity: Number(capacity.value) };
          if (!self) body.role = role.value;
          const r = await api(`/api/v1/agents/${encodeURIComponent(a.id)}`, { method: "PATCH", token, body });
          return `Saved ${r.name}.`;
        }),
        self
          ? null
          : a.active
            ? act("Deactivate", async () => {
                const r = await api(`/api/v1/agents/${encodeURIComponent(a.id)}/deactivate`, { method: "POST", token });
                const open = r.open_conversations ? ` ${r.open_conversations} conversation(s) are still assigned to them: transfer them.` : r.requeued && r.requeued.length ? ` ${r.requeued.length} open conversation(s) went back to the queue.` : "";
                return `${r.name} is deactivated and signed out everywhere.${open}`;
              })
            : act("Reactivate", async () => {
                const r = await api(`/api/v1/agents/${encodeURIComponent(a.id)}/reactivate`, { method: "POST", token });
                return `${r.name} can sign in again.`;
              }),
        act("Reset password", async () => {
          const r = await api(`/api/v1/agents/${encodeURIComponent(a.id)}/password`, { method: "POST", token, body: {} });
          return `Temporary password for ${a.name} (shown once): ${r.temporary_password}`;
        }),
        a.mfa_enabled
          ? act("Reset 2FA", async () => {
              await api(`/api/v1/agents/${encodeURIComponent(a.id)}/mfa`, { method: "DELETE", token });
              return `${a.name}'s second factor is removed.`;
            })
          : null,
      ),
    );
  }

  // The table is drawn again before the outcome is said, so what is on screen is current.
  async function run(fn) {
    try {
      const outcome = await fn();
      await load();
      say(outcome);
    } catch (err) {
      say(err.message);
    }
  }

  load().catch((err) => say(err.message));
}
