// Business hours: the after-hours badge in the desk queue, the customer's
// after-hours choice in web chat, and the business-hours section of the supervisor console.
// Text is set with textContent (h) only.
import { api, clear, h } from "./common.js";

const WHEN = { dateStyle: "medium", timeStyle: "short" };
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES = { mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday" };

function localTime(iso, timeZone) {
  if (!iso) return "";
  const at = new Date(iso.endsWith("Z") || iso.includes("+") ? iso : `${iso}Z`);
  try {
    return at.toLocaleString(undefined, { ...WHEN, timeZone });
  } catch {
    return at.toLocaleString(undefined, WHEN);
  }
}

// ---- desk: the queue item's after-hours badge -------------------------------------------------

export function afterHoursBadge(item) {
  const flag = item.after_hours;
  if (!flag) return null;
  let text = "After hours";
  if (flag.choice === "callback") text += ` · callback ${localTime(flag.callback_at, flag.timezone)}`;
  else if (flag.choice === "message") text += ` · follow up by ${flag.contact === "sms" ? "SMS" : flag.contact}`;
  return h("span", { class: "badge after-hours", title: `Queued while closed; next opening ${localTime(flag.next_open, flag.timezone)}`, text });
}

// ---- web chat: the customer's choice while the team is away --------------------------------------

export class AfterHoursChoice {
  constructor(container, { conversation }) {
    this.container = container;
    this.conversation = conversation; // () => ({ id, token })
    this.shownFor = null;
  }

  update(state) {
    const flag = state && state.after_hours;
    if (!flag || state.status !== "queued" || flag.choice) {
      this.container.hidden = true;
      clear(this.container);
      this.shownFor = null;
      return;
    }
    if (this.shownFor === state.id) return;
    this.shownFor = state.id;
    this.render(flag);
  }

  render(flag) {
    const status = h("p", { class: "form-error", role: "alert", id: "after-hours-error" });
    const when = h("input", { type: "datetime-local", id: "callback-at", required: true });
    const phone = h("input", { type: "tel", id: "callback-phone", autocomplete: "tel", placeholder: "+1 415 555 0132" });
    if (flag.next_open) {
      const next = new Date(flag.next_open.endsWith("Z") ? flag.next_open : `${flag.next_open}Z`);
      next.setMinutes(next.getMinutes() + 60 - next.getTimezoneOffset());
      when.value = next.toISOString().slice(0, 16);
    }
    const send = async (body) => {
      status.textContent = "";
      const { id, token } = this.conversation();
      try {
        await api(`/api/v1/conversations/${encodeURIComponent(id)}/after-hours`, { method: "POST", token, body });
        this.container.hidden = true;
      } catch (err) {
        status.textContent = err.message;
      }
    };
    clear(this.container).append(
      h("p", { class: "after-hours-title", text: `Our team is away. Next opening: ${localTime(flag.next_open, flag.timezone) || "not set yet"}.` }),
      h("button", { type: "button", class: "primary", id: "leave-message", text: "Leave a message", onclick: () => send({ choice: "message" }) }),
      h(
        "form",
        {
          class: "callback-form",
          novalidate: true,
          onsubmit: (event) => {
            event.preventDefault();
            if (!when.value) {
              status.textContent = "Choose when we should call you.";
              return;
            }
            send({ choice: "callback", callback_at: new Date(when.value).toISOString(), phone: phone.value.trim() || null });
          },
        },
        h("label", { for: "callback-at", text: "Call me back at" }),
        when,
        h("label", { for: "callback-phone", text: "Phone number" }),
        phone,
        h("button", { type: "submit", id: "request-callback", text: "Request a callback" }),
      ),
      status,
    );
    this.container.hidden = false;
  }
}

// ---- supervisor console: business hours ------------------------------------------------------------

export function mountBusinessHours(container, { token, me }) {
  if (!["supervisor", "admin"].includes(me.role)) return;
  container.hidden = false;
  const status = h("p", { class: "meta", role: "status", id: "hours-status" });
  const tz = h("input", { id: "hours-timezone", value: "UTC", maxlength: 64 });
  const idle = h("input", { id: "hours-idle", type: "number", min: 5 });
  const holidays = h("textarea", { id: "hours-holidays", rows: 3 });
  const state = h("p", { class: "meta", id: "hours-now" });
  const rows = {};
  const table = h(
    "table",
    { class: "live-table hours-table" },
    h("thead", {}, h("tr", {}, ["Day", "Open", "Close", "Closed"].map((t) => h("th", { scope: "col", text: t })))),
    h(
      "tbody",
      {},
      DAYS.map((d) => {
        rows[d] = {
          open: h("input", { type: "time", value: "09:00", "aria-label": `${DAY_NAMES[d]} opens` }),
          close: h("input", { type: "time", value: "17:00", "aria-label": `${DAY_NAMES[d]} closes` }),
          closed: h("input", { type: "checkbox", "aria-label": `${DAY_NAMES[d]} closed` }),
        };
        return h("tr", {}, h("th", { scope: "row", text: DAY_NAMES[d] }), h("td", {}, rows[d].open), h("td", {}, rows[d].close), h("td", {}, rows[d].closed));
      }),
    ),
  );
  const save = h("button", { type: "submit", class: "primary", id: "hours-save", text: "Save business hours" });
  const form = h(
    "form",
    { class: "hours-form", novalidate: true, onsubmit: (event) => { event.preventDefault(); store(); } },
    h("label", { for: "hours-timezone", text: "Time zone (IANA name, e.g. Europe/Berlin)" }),
    tz,
    h("div", { class: "table-wrap" }, table),
    h("label", { for: "hours-holidays", text: "Holidays and exceptions (one a line: YYYY-MM-DD name)" }),
    holidays,
    h("label", { for: "hours-idle", text: "Close conversations waiting on the customer after (minutes; empty: never)" }),
    idle,
    save,
  );
  clear(container).append(h("h2", { id: "hours-title", text: "Business hours" }), state, form, status);

  function show(ws) {
    tz.value = ws.timezone;
    for (const d of DAYS) {
      const spans = ws.weekly[d] || [];
      rows[d].closed.checked = ws.configured && !spans.length;
      if (spans.length) {
        rows[d].open.value = spans[0].open;
        rows[d].close.value = spans[0].close === "24:00" ? "23:59" : spans[0].close;
      }
    }
    holidays.value = ws.exceptions.map((e) => `${e.date} ${e.name || ""}`.trim()).join("\n");
    idle.value = ws.idle_close_minutes ?? "";
    state.textContent = ws.always_open
      ? "No hours set: the team counts as open around the clock."
      : ws.open_now
        ? `Open now (${ws.timezone}).`
        : `Closed now; next opening ${localTime(ws.next_open, ws.timezone)}.`;
  }

  async function load() {
    const data = await api("/api/v1/business-hours", { token });
    show(data.workspace);
  }

  async function store() {
    const weekly = {};
    for (const d of DAYS) {
      if (!rows[d].closed.checked) weekly[d] = [{ open: rows[d].open.value, close: rows[d].close.value }];
    }
    const exceptions = holidays.value
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean)
      .map((line) => {
        const [date, ...name] = line.split(/\s+/);
        return { date, name: name.join(" "), hours: [] };
      });
    const body = { timezone: tz.value.trim(), weekly, exceptions, idle_close_minutes: idle.value ? Number(idle.value) : null };
    try {
      const saved = await api("/api/v1/business-hours", { method: "PUT", token, body });
      show(saved);
      status.textContent = "Business hours saved.";
    } catch (err) {
      status.textContent = err.message;
    }
  }

  load().catch((err) => (status.textContent = err.message));
}

// ---- SLA timers: the desk queue and the conversation view ---------------------------------------

const KIND = { first: "First response", next: "Next response" };

function minutesText(ms) {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 90 ? `${m}m ${String(s % 60).padStart(2, "0")}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

// Time left comes from the server's clock (remaining_seconds when fetched), counted down here.
function tick(el) {
  const elapsed = (Date.now() - Number(el.dataset.at)) / 1000;
  const left = Number(el.dataset.left) - elapsed;
  const warnIn = el.dataset.warnIn === "" ? null : Number(el.dataset.warnIn) - elapsed;
  const kind = KIND[el.dataset.kind] || "Response";
  const breached = left <= 0 || el.dataset.breached === "true";
  el.classList.toggle("breached", breached);
  el.classList.toggle("warning", !breached && warnIn !== null && warnIn <= 0);
  if (!breached) el.textContent = `${kind} due in ${minutesText(left * 1000)}`;
  else el.textContent = left < 0 ? `SLA breached: ${kind.toLowerCase()} overdue by ${minutesText(left * 1000)}` : `SLA breached: ${kind.toLowerCase()}`;
}

setInterval(() => document.querySelectorAll(".sla-timer[data-left]").forEach(tick), 1000);

export function slaTimer(clock) {
  if (!clock || !["running", "paused"].includes(clock.state)) return null;
  if (clock.state === "paused") return h("span", { class: "badge sla-timer paused", text: "SLA paused: waiting on the customer" });
  if (clock.remaining_seconds === null || clock.remaining_seconds === undefined) return null;
  const el = h("span", {
    class: "badge sla-timer",
    role: "timer",
    "data-left": clock.remaining_seconds,
    "data-warn-in": clock.warn_in_seconds ?? "",
    "data-at": Date.now(),
    "data-breached": String(Boolean(clock.breached)),
    "data-kind": clock.kind,
    title: `SLA policy: ${clock.policy}`,
  });
  tick(el);
  return el;
}

export function slaPanel(conv, { token }) {
  const panel = h("section", { class: "panel sla", "aria-label": "SLA" }, h("h3", { text: "SLA" }));
  api(`/api/v1/sla/conversations/${encodeURIComponent(conv.id)}`, { token })
    .then((data) => {
      const clock = data.sla;
      if (!clock) panel.append(h("p", { class: "meta", text: "No SLA policy applies." }));
      else panel.append(h("p", { class: "meta", text: `Policy: ${clock.policy}` }), slaTimer(clock) || h("p", { class: "meta", text: clock.breached ? "Breached" : "Stopped" }));
    })
    .catch((err) => panel.append(h("p", { class: "form-error", text: err.message })));
  return panel;
}

// ---- supervisor console: SLA policies and attainment (read-only; PUT /api/v1/sla/policies) -------

export function mountSlaReport(container, { token, me }) {
  if (!["supervisor", "admin"].includes(me.role)) return;
  container.hidden = false;
  const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);
  const table = (title, rows) =>
    h(
      "table",
      { class: "live-table sla-table", "aria-label": title },
      h("thead", {}, h("tr", {}, [title, "Responses", "Within target", "Attainment", "Breaches"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", {}, Object.entries(rows).map(([key, b]) => h("tr", {}, h("th", { scope: "row", text: key }), h("td", { text: b.responses }), h("td", { text: b.met }), h("td", { text: pct(b.attainment) }), h("td", { text: b.breaches })))),
    );
  Promise.all([api("/api/v1/sla/policies", { token }), api("/api/v1/sla/attainment", { token })])
    .then(([policies, report]) => {
      const list = policies.items.length
        ? h(
            "ul",
            { class: "sla-policies" },
            policies.items.map((p) => {
              const scope = [p.tier ? `tier ${p.tier}` : null, p.channel, p.vip === true ? "VIP" : p.vip === false ? "not VIP" : null].filter(Boolean).join(", ") || "all conversations";
              const next = p.next_response_minutes ? `, next response ${p.next_response_minutes} min` : "";
              return h("li", { text: `${p.name} (${scope}): first response ${p.first_response_minutes} min${next}${p.business_hours ? ", business hours" : ""}` });
            }),
          )
        : h("p", { class: "meta", text: "No SLA policies yet (PUT /api/v1/sla/policies)." });
      clear(container).append(
        h("h2", { id: "sla-title", text: "SLA attainment (last 7 days)" }),
        list,
        table("Overall", { All: report.overall }),
        table("Tier", report.by_tier),
        table("Channel", report.by_channel),
        table("Team", report.by_team),
      );
    })
    .catch((err) => clear(container).append(h("h2", { id: "sla-title", text: "SLA attainment" }), h("p", { class: "form-error", text: err.message })));
}
