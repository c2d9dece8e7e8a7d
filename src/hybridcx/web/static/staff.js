// Pieces shared by the desk and the supervisor console: sign-in and the conversation view.
import { ApiError, api, clear, clock, duration, h, humanize, liveSocket, wsUrl } from "./common.js";
import { DraftsPanel, attachmentList } from "./email-drafts.js";
import { intentPanel } from "./intent.js";
import { MacroPicker, automationPanel } from "./macros.js"; // macros, automation
import { tagsPanel } from "./tags.js"; // tags and custom fields
import { deskFilePicker, fileList } from "./attachments.js"; // files in web chat
import { slaPanel } from "./hours.js"; // SLA

const TOKEN_KEY = "hybridcx.staff.token";

export async function signIn({ requireRole = null } = {}) {
  const form = document.getElementById("sign-in");
  const error = document.getElementById("signin-error");
  // Back from the company's identity provider (SSO): a one-time code is in the
  // fragment (never the token); take it out of the address bar and history, and trade it for
  // the token by POST.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("sso_code")) {
    history.replaceState(null, "", location.pathname + location.search);
    try {
      const traded = await api("/api/v1/auth/oidc/exchange", { method: "POST", body: { code: fragment.get("sso_code") } });
      sessionStorage.setItem(TOKEN_KEY, traded.access_token);
    } catch (err) {
      error.textContent = err.message;
    }
  }
  const stored = sessionStorage.getItem(TOKEN_KEY);
  if (stored) {
    try {
      const me = await api("/api/v1/agents/me", { token: stored });
      if (!requireRole || requireRole.includes(me.role)) return finish(stored, me);
      error.textContent = `This console is for ${requireRole.join(" and ")}s; you are signed in as ${me.role}.`;
    } catch {
      /* expired or revoked: sign in again */
    }
    sessionStorage.removeItem(TOKEN_KEY);
  }
  form.hidden = false;
  form.email.focus();
  ssoButton(form);
  return new Promise((resolve) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      try {
        const step = await api("/api/v1/auth/token", {
          method: "POST",
          body: { email: form.email.value.trim(), password: form.password.value },
        });
        form.password.value = "";
        const token = step.mfa_required ? await secondFactor(form, step) : step.access_token;
        const me = await api("/api/v1/agents/me", { token });
        if (requireRole && !requireRole.includes(me.role)) {
          form.hidden = false;
          error.textContent = `This console is for ${requireRole.join(" and ")}s; you are signed in as ${me.role}.`;
          return;
        }
        sessionStorage.setItem(TOKEN_KEY, token);
        resolve(finish(token, me));
      } catch (err) {
        form.hidden = false;
        error.textContent = err.message;
      } finally {
        submit.disabled = false;
      }
    });
  });

  function finish(token, me) {
    form.hidden = true;
    document.getElementById("me").hidden = false;
    document.getElementById("me-name").textContent = `${me.name} (${me.role})`;
    document.getElementById("sign-out").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      location.reload();
    });
    return { token, me };
  }
}

// "Company sign-in (SSO)" under the password form, when the workspace has an identity provider.
async function ssoButton(form) {
  try {
    const { sso } = await api("/api/v1/auth/oidc/status");
    if (!sso) return;
  } catch {
    return;
  }
  const start = `/api/v1/auth/oidc/start?return_to=${encodeURIComponent(location.pathname)}`;
  form.append(
    h("p", { class: "sso-or", text: "or" }),
    h("a", { class: "button sso", href: start, id: "sso-sign-in" }, "Company sign-in (SSO)"),
  );
}

// The second step of a password sign-in: a TOTP code (or a recovery code); where the workspace
// requires a factor the account has not set up, enrol first (QR code + secret). Resolves with
// the staff token.
function secondFactor(form, step) {
  form.hidden = true;
  const box = h("form", { class: "sign-in mfa", id: "mfa-step", "aria-label": "Second factor", novalidate: true });
  form.after(box);
  const error = h("p", { class: "form-error", role: "alert" });
  const code = h("input", { id: "mfa-code", name: "code", autocomplete: "one-time-code", inputmode: "numeric", required: true });
  const verify = h("button", { type: "submit", class: "primary" }, "Verify code");
  return new Promise((resolve) => {
    const show = (...intro) => {
      clear(box).append(
        h("h2", { text: "Second factor" }),
        ...intro,
        h("label", { for: "mfa-code", text: "Code from your authenticator app" }),
        code,
        error,
        verify,
      );
      code.focus();
    };
    if (step.mfa_enrolled === false) {
      api("/api/v1/auth/mfa/enroll", { method: "POST", body: { mfa_token: step.mfa_token } })
        .then((enrolment) => {
          const qr = `data:image/svg+xml;base64,${btoa(enrolment.qr_svg)}`;
          show(
            h("p", { text: step.message }),
            h("img", { class: "mfa-qr", src: qr, alt: "QR code to scan with an authenticator app" }),
            h("p", { class: "meta" }, "Or type this key: ", h("code", { id: "mfa-secret", text: enrolment.secret })),
          );
        })
        .catch((err) => show(h("p", { class: "form-error", text: err.message })));
    } else {
      show(h("p", { text: step.message }));
    }
    box.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      verify.disabled = true;
      try {
        const done = await api("/api/v1/auth/mfa/verify", {
          method: "POST",
          body: { mfa_token: step.mfa_token, code: code.value.trim() },
        });
        if (!done.recovery_codes) {
          box.remove();
          return resolve(done.access_token);
        }
        const next = h("button", { type: "button", class: "primary", id: "mfa-continue" }, "I have saved them: continue");
        next.addEventListener("click", () => {
          box.remove();
          resolve(done.access_token);
        });
        clear(box).append(
          h("h2", { text: "Recovery codes" }),
          h("p", { text: "Each works once if you lose your phone. They are shown only now: keep them somewhere safe." }),
          h("ul", { class: "recovery-codes" }, done.recovery_codes.map((c) => h("li", {}, h("code", { text: c })))),
          next,
        );
      } catch (err) {
        error.textContent = err.message;
      } finally {
        verify.disabled = false;
      }
    });
  });
}

export function staffSocket(token, onEvent) {
  const connection = document.getElementById("connection");
  return liveSocket(() => wsUrl(`/ws/agent?token=${encodeURIComponent(token)}`), {
    onEvent,
    onState: (s) => {
      connection.textContent = s === "open" ? "Live" : s === "refused" ? "Signed out" : "Reconnecting…";
      document.body.dataset.socket = s;
      if (s === "refused") {
        sessionStorage.removeItem(TOKEN_KEY);
        location.reload();
      }
    },
  });
}

function authorLabel(msg) {
  return baseLabel(msg) + deliveryLabel(msg);
}

function baseLabel(msg) {
  if (msg.author === "agent") return `${msg.agent_name || "Agent"}${msg.internal ? " · internal note" : ""}`;
  return { ai: "AI assistant", customer: "Customer", system: "System" }[msg.author] || msg.author;
}

// Channels (SMS, phone, email): how the message went out, or why it did not.
function deliveryLabel(msg) {
  const d = (msg.channel_meta || {}).delivery;
  if (!d) return (msg.channel_meta || {}).source === "transcript" ? " · live transcript" : "";
  if (d.status === "held") return ` · not sent: ${d.reason || "held"}`; // email: waits for an agent
  return d.status === "failed" ? ` · not delivered: ${d.error || "error"}` : " · sent";
}

export function messageItem(msg) {
  const classes = `msg msg-${msg.author}${msg.internal ? " msg-note" : ""}`;
  return h(
    "li",
    { class: classes, "data-id": msg.id },
    h("span", { class: "msg-author", text: authorLabel(msg) }),
    h("p", { class: "msg-text", text: msg.text }),
    h("time", { class: "msg-time", datetime: msg.created_at, text: clock(msg.created_at) }),
  );
}

function sentimentText(value) {
  if (value === null || value === undefined) return "—";
  const label = value <= -0.3 ? "negative" : value >= 0.3 ? "positive" : "neutral";
  return `${label} (${value.toFixed(2)})`;
}

// One open conversation: transcript, reply box, actions, handoff and customer 360.
export class ConversationView {
  constructor(container, { token, me, onChange = () => {} }) {
    this.container = container;
    this.token = token;
    this.me = me;
    this.onChange = onChange;
    this.conv = null;
    this.seen = new Set();
    this.assistSeq = 0;
  }

  async open(id) {
    this.conv = await api(`/api/v1/conversations/${encodeURIComponent(id)}`, { token: this.token });
    this.seen.clear();
    this.render();
    this.container.hidden = false;
    this.container.focus();
  }

  close() {
    this.conv = null;
    clear(this.container).append(h("p", { class: "empty", text: "Pick a conversation from the queue." }));
  }

  get id() {
    return this.conv ? this.conv.id : null;
  }

  onEvent(event) {
    if (!this.conv) return;
    if (event.type === "message.created" && event.conversation_id === this.conv.id) {
      this.addMessage(event.message);
      // The server pushes assist only for conversations an agent has; one still waiting in the
      // queue (a preview) asks for it when the customer writes, once for a burst of messages.
      if (event.message.author === "customer" && this.conv.status === "queued") this.refreshAssistSoon();
    } else if (event.type === "message.updated" && event.conversation_id === this.conv.id) {
      this.updateMessage(event.message); // channels: a delivery outcome arrived
    } else if (event.type === "email.draft" && event.conversation_id === this.conv.id) {
      if (this.drafts) this.drafts.onDraft(event.draft);
    } else if (event.type === "assist.updated" && event.conversation_id === this.conv.id) {
      this.assistSeq += 1; // a push is newer than any fetch still in flight
      this.renderAssist(event.assist);
    } else if (event.conversation && event.conversation.id === this.conv.id) {
      const c = event.conversation;
      Object.assign(this.conv, { status: c.status, tier: c.tier, agent: c.agent, routing: c.routing });
      this.renderHead();
    }
  }

  addMessage(msg) {
    if (this.seen.has(msg.id)) return;
    this.seen.add(msg.id);
    const item = messageItem(msg);
    if (this.conv.channel === "email") item.append(attachmentList(msg, this.conv.id, this.token) || "");
    item.append(fileList(msg, this.token) || "");
    this.transcript.append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  updateMessage(msg) {
    const old = this.transcript && this.transcript.querySelector(`li[data-id="${CSS.escape(msg.id)}"]`);
    if (!old) return this.addMessage(msg);
    const item = messageItem(msg);
    if (this.conv.channel === "email") item.append(attachmentList(msg, this.conv.id, this.token) || "");
    item.append(fileList(msg, this.token) || "");
    old.replaceWith(item);
  }

  render() {
    const c = this.conv;
    this.head = h("div", { class: "conv-head" });
    this.transcript = h("ol", { class: "transcript", "aria-label": "Transcript", "aria-live": "polite" });
    this.error = h("p", { class: "form-error", role: "alert" });
    this.transferBox = h("div", { hidden: true });
    this.askBox = h("div", { hidden: true });
    const side = h("aside", { class: "conv-side", "aria-label": "Customer and handoff" });
    clear(this.container).append(
      h(
        "div",
        { class: "conv-layout" },
        h("div", { class: "conv-main" }, this.head, this.error, this.transferBox, this.askBox, this.transcript, this.emailDrafts(), this.replyForm(), deskFilePicker(this)),
        side,
      ),
    );
    for (const m of c.messages) this.addMessage(m);
    this.renderHead();
    if (c.handoff) side.append(this.handoffPanel(c.handoff));
    side.append(intentPanel(c, { token: this.token })); // correct the AI's intent
    side.append(...[automationPanel(c)].filter(Boolean)); // macro actions, rules fired
    side.append(tagsPanel(c, { token: this.token })); // tags and custom fields
    side.append(slaPanel(c, { token: this.token })); // the SLA clock
    this.assistPanel = h("section", { class: "panel assist", "aria-label": "AI assist" }, h("h3", { text: "AI assist" }));
    side.append(this.assistPanel, this.customerPanel());
    this.loadAssist();
  }

  // ---- email: the AI's drafts wait for approval above the reply box (email-drafts.js) ----------
  emailDrafts() {
    this.drafts = null;
    if (this.conv.channel !== "email") return null;
    this.drafts = new DraftsPanel(this.conv, { token: this.token, onSent: (msg) => this.addMessage(msg) });
    return this.drafts.el;
  }

  // ---- AI assist: knowledge, similar cases, a draft to insert, next-best actions, summary ----
  refreshAssistSoon() {
    if (this.assistTimer) return;
    this.assistTimer = setTimeout(() => {
      this.assistTimer = null;
      if (this.conv && this.assistPanel) this.loadAssist();
    }, 400);
  }

  async loadAssist() {
    const seq = ++this.assistSeq;
    const id = this.conv.id;
    try {
      const data = await api(`/api/v1/conversations/${encodeURIComponent(id)}/assist`, { token: this.token });
      if (seq === this.assistSeq && this.conv && this.conv.id === id) this.renderAssist(data);
    } catch (err) {
      if (seq === this.assistSeq) clear(this.assistPanel).append(h("h3", { text: "AI assist" }), h("p", { class: "form-error", text: err.message }));
    }
  }

  renderAssist(data) {
    if (!this.assistPanel || !data) return;
    const panel = clear(this.assistPanel);
    panel.append(h("h3", { text: "AI assist" }));
    panel.append(
      h("h4", { text: "Summary" }),
      h("p", { class: "assist-summary", text: data.summary || "—" }),
      data.category ? h("p", { class: "meta", text: `Category: ${data.category}` }) : null,
    );
    const draft = data.draft;
    if (draft && draft.text) {
      panel.append(
        h("h4", { text: "Suggested reply" }),
        h(
          "div",
          { class: `assist-draft ${draft.grounded ? "grounded" : "ungrounded"}` },
          h("p", { class: "draft-text", text: draft.text }),
          h(
            "p",
            { class: "meta draft-grounding" },
            draft.grounded
              ? ["Grounded in ", draft.sources.map((s, i) => [i ? ", " : "", sourceLink(s)])]
              : "Not grounded in an article: check before sending.",
          ),
          h("button", { type: "button", class: "secondary", text: "Insert draft", onclick: () => this.insertDraft(draft.text) }),
        ),
      );
    }
    const actions = data.next_best_actions || [];
    if (actions.length && this.conv.status !== "resolved") {
      const result = h("p", { class: "assist-result", role: "status" });
      panel.append(
        h("h4", { text: "Next best actions" }),
        h(
          "div",
          { class: "assist-actions" },
          actions.map((a) => h("button", { type: "button", class: "secondary", text: a.label, onclick: (e) => this.runAction(a, e.currentTarget, result) })),
        ),
        result,
      );
    }
    panel.append(h("h4", { text: "Suggested knowledge" }));
    panel.append(
      data.knowledge && data.knowledge.length
        ? h(
            "ul",
            { class: "assist-knowledge" },
            data.knowledge.map((k) =>
              h(
                "li",
                {},
                k.url ? h("a", { href: k.url, target: "_blank", rel: "noopener", text: k.title }) : h("strong", { text: k.title }),
                k.heading ? h("span", { class: "meta", text: ` · ${k.heading}` }) : null,
                h("p", { class: "snippet", text: snippetOf(k.text) }),
              ),
            ),
          )
        : h("p", { class: "meta", text: "Nothing yet: suggestions follow the customer's question." }),
    );
    if (data.similar_cases && data.similar_cases.length) {
      panel.append(
        h("h4", { text: "Similar past cases" }),
        h(
          "ul",
          { class: "assist-cases" },
          data.similar_cases.map((c) => h("li", {}, h("span", { class: "case-q", text: c.question }), " → ", h("span", { class: "case-r", text: c.resolution }))),
        ),
      );
    }
  }

  insertDraft(text) {
    const box = this.replyText;
    box.value = box.value.trim() ? `${box.value}\n${text}` : text;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  async runAction(action, button, result) {
    button.disabled = true;
    result.textContent = `${action.label}…`;
    try {
      const out = await api(`/api/v1/conversations/${encodeURIComponent(this.conv.id)}/assist/actions`, {
        method: "POST",
        token: this.token,
        body: { action: action.action },
      });
      result.textContent = out.sent_to_customer ? `${out.result} The customer was told.` : out.result;
    } catch (err) {
      result.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  }

  renderHead() {
    const c = this.conv;
    const customer = c.customer || {};
    const mine = c.agent && c.agent.id === this.me.id;
    const canAct = c.status !== "resolved" && (mine || ["supervisor", "admin"].includes(this.me.role));
    const actions = h("div", { class: "conv-actions" });
    if (["supervisor", "admin"].includes(this.me.role) && c.status !== "resolved" && !mine) {
      actions.append(h("button", { type: "button", class: "primary", text: "Take over", onclick: () => this.act("takeover") }));
    }
    if (canAct && c.status === "assigned") {
      actions.append(
        h("button", { type: "button", class: "secondary", text: "Transfer", "aria-expanded": "false", onclick: (e) => this.toggleTransfer(e.currentTarget) }),
        h("button", { type: "button", class: "danger", text: "Resolve", onclick: () => this.act("resolve") }),
      );
    }
    if (c.status !== "resolved") {
      actions.append(
        h("button", { type: "button", class: "secondary", text: "Ask for help", "aria-expanded": String(!this.askBox.hidden), onclick: (e) => this.toggleAsk(e.currentTarget) }),
      );
    }
    clear(this.head).append(
      h(
        "div",
        {},
        h("h2", { text: customer.name || customer.email || customer.phone || "Customer" }),
        h(
          "div",
          { class: "meta" },
          customer.vip ? h("span", { class: "badge vip", text: "VIP" }) : null,
          " ",
          h("span", { class: `badge tier-${c.tier}`, text: `Tier ${c.tier}` }),
          " ",
          h("span", { class: `badge status-${c.status}`, text: c.status }),
          " ",
          h("span", { text: `${c.channel} · ${c.agent ? `with ${c.agent.name}` : "no agent yet"}` }),
        ),
      ),
      actions,
    );
    if (this.noteBox) {
      const whisper = c.agent && !mine;
      this.noteLabel.textContent = whisper ? `Internal note (whisper to ${c.agent.name})` : "Internal note";
      if (whisper && !this.noteBox.dataset.touched) this.noteBox.checked = true;
    }
  }

  replyForm() {
    const id = `reply-${Math.random().toString(36).slice(2)}`;
    const text = h("textarea", { id, name: "text", rows: 3, maxlength: 4000 });
    this.replyText = text;
    this.noteBox = h("input", { type: "checkbox", id: `${id}-note`, onchange: (e) => (e.target.dataset.touched = "1") });
    this.noteLabel = h("span", { text: "Internal note" });
    const macros = new MacroPicker(this, text, `${id}-macro`);
    const form = h(
      "form",
      { class: "reply-form", novalidate: true },
      h("label", { for: id, text: "Reply" }),
      text,
      h(
        "div",
        { class: "reply-row" },
        h("label", { for: `${id}-note` }, this.noteBox, this.noteLabel),
        macros.element,
        h("button", { type: "submit", class: "primary", text: "Send" }),
      ),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!text.value.trim() && !macros.pending) return;
      try {
        if (macros.pending) return await macros.send(text.value, this.noteBox.checked); // re-renders
        const msg = await api(`/api/v1/conversations/${encodeURIComponent(this.conv.id)}/replies`, {
          method: "POST",
          token: this.token,
          body: { text: text.value, internal: this.noteBox.checked },
        });
        this.addMessage(msg);
        text.value = "";
        this.error.textContent = "";
      } catch (err) {
        this.error.textContent = err.message;
      }
    });
    text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) form.requestSubmit();
    });
    return form;
  }

  async act(action, body) {
    try {
      const state = await api(`/api/v1/conversations/${encodeURIComponent(this.conv.id)}/${action}`, {
        method: "POST",
        token: this.token,
        body,
      });
      Object.assign(this.conv, state);
      this.error.textContent = "";
      this.transferBox.hidden = true;
      await this.open(this.conv.id);
      this.onChange(action, state);
    } catch (err) {
      this.error.textContent = err.message;
    }
  }

  async toggleTransfer(button) {
    const open = this.transferBox.hidden;
    button.setAttribute("aria-expanded", String(open));
    this.transferBox.hidden = !open;
    if (!open) return;
    let agents = [];
    try {
      agents = (await api("/api/v1/agents", { token: this.token })).items.filter(
        (a) => a.online && a.id !== this.me.id,
      );
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
    const target = h(
      "select",
      { id: "transfer-target" },
      h("option", { value: "queue", text: "Back to the queue" }),
      h("option", { value: "tier3", text: "Senior team (tier 3)" }),
      agents.map((a) => h("option", { value: `agent:${a.id}`, text: `${a.name} (${a.status})` })),
    );
    const note = h("textarea", { id: "transfer-note", rows: 2, maxlength: 2000 });
    const form = h(
      "form",
      { class: "transfer-form", novalidate: true },
      h("label", { for: "transfer-target", text: "Transfer to" }),
      target,
      h("label", { for: "transfer-note", text: "Note for the next person" }),
      note,
      h("div", { class: "row" }, h("button", { type: "submit", class: "primary", text: "Confirm transfer" })),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = { note: note.value.trim() || null };
      if (target.value === "tier3") body.tier = 3;
      else if (target.value.startsWith("agent:")) body.agent_id = target.value.slice(6);
      this.act("transfer", body);
    });
    clear(this.transferBox).append(form);
    target.focus();
  }

  // ---- collaboration: ask a supervisor or a teammate with the needed skill --------------------
  async toggleAsk(button) {
    const open = this.askBox.hidden;
    button.setAttribute("aria-expanded", String(open));
    this.askBox.hidden = !open;
    if (!open) return;
    let team = [];
    try {
      team = (await api("/api/v1/agents", { token: this.token })).items.filter((a) => a.id !== this.me.id);
    } catch (err) {
      this.error.textContent = err.message;
      return;
    }
    const lead = (a) => ["supervisor", "admin"].includes(a.role);
    // Online first, then supervisors, then by name.
    team.sort((a, b) => Number(b.online) - Number(a.online) || Number(lead(b)) - Number(lead(a)) || a.name.localeCompare(b.name));
    const skills = [...new Set(team.flatMap((a) => a.skills))].sort();
    const skill = h(
      "select",
      { id: "ask-skill" },
      h("option", { value: "", text: "Any" }),
      skills.map((s) => h("option", { value: s, text: humanize(s) })),
    );
    const who = h("select", { id: "ask-to" });
    const fill = () => {
      const wanted = skill.value;
      const previous = who.value;
      clear(who);
      for (const a of team.filter((x) => !wanted || lead(x) || x.skills.includes(wanted))) {
        const state = a.online ? `${a.status}, ${a.load}/${a.capacity}` : "offline";
        who.append(h("option", { value: a.id, text: `${a.name} · ${a.role} · ${state}` }));
      }
      if ([...who.options].some((o) => o.value === previous)) who.value = previous;
    };
    skill.addEventListener("change", fill);
    fill();
    const text = h("textarea", { id: "ask-text", rows: 2, maxlength: 2000 });
    const status = h("p", { class: "task-done", role: "status" });
    const form = h(
      "form",
      { class: "ask-form", novalidate: true, "aria-label": "Ask for help" },
      h("label", { for: "ask-skill", text: "Needed skill" }),
      skill,
      h("label", { for: "ask-to", text: "Ask" }),
      who,
      h("label", { for: "ask-text", text: "Question" }),
      text,
      h("div", { class: "row" }, h("button", { type: "submit", class: "primary", text: "Send question" })),
      status,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      status.textContent = "";
      if (!who.value) {
        this.error.textContent = "Nobody on the team has that skill.";
        return;
      }
      if (!text.value.trim()) {
        this.error.textContent = "Write your question first.";
        text.focus();
        return;
      }
      try {
        const res = await api(`/api/v1/conversations/${encodeURIComponent(this.conv.id)}/ask`, {
          method: "POST",
          token: this.token,
          body: { to_agent_id: who.value, text: text.value },
        });
        this.addMessage(res.message);
        text.value = "";
        this.error.textContent = "";
        status.textContent = `Sent to ${res.question.to_agent.name}. Their answer appears here as an internal note.`;
      } catch (err) {
        this.error.textContent = err.message;
      }
    });
    clear(this.askBox).append(form);
    who.focus();
  }

  handoffPanel(handoff) {
    return h(
      "section",
      { class: "panel handoff", "aria-label": "Handoff" },
      h("h3", { text: "Handoff" }),
      h("p", { text: handoff.summary || "" }),
      h(
        "dl",
        {},
        h("dt", { text: "Why" }),
        h("dd", { text: (handoff.reasons || []).map(humanize).join(", ") || "—" }),
        h("dt", { text: "Intent" }),
        h("dd", { text: handoff.intent || "—" }),
        h("dt", { text: "Sentiment" }),
        h("dd", { text: sentimentText(handoff.sentiment) }),
        handoff.emotion ? [h("dt", { text: "Emotion" }), h("dd", { class: "handoff-emotion", text: handoff.emotion })] : null,
        handoff.transfer_note ? [h("dt", { text: "Transfer note" }), h("dd", { text: handoff.transfer_note })] : null,
      ),
    );
  }

  customerPanel() {
    const panel = h("section", { class: "panel customer-360", "aria-label": "Customer 360" }, h("h3", { text: "Customer 360" }));
    const customer = this.conv.customer;
    if (!customer) return panel;
    api(`/api/v1/customers/${encodeURIComponent(customer.id)}/overview`, { token: this.token })
      .then((data) => fillCustomer(panel, data, this.conv.id))
      .then(() => api(`/api/v1/customers/${encodeURIComponent(customer.id)}`, { token: this.token }))
      .then((profile) => fillProfile(panel, profile))
      .catch((err) => panel.append(h("p", { class: "form-error", text: err.message })));
    return panel;
  }
}

function snippetOf(text, max = 220) {
  return text.length > max ? `${text.slice(0, max).trimEnd()}…` : text;
}

function sourceLink(source) {
  return source.url ? h("a", { href: source.url, target: "_blank", rel: "noopener", text: source.title }) : source.title;
}

function fillCustomer(panel, data, currentId) {
  const c = data.customer;
  const money = (n) => `$${Number(n || 0).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  panel.append(
    h(
      "dl",
      {},
      h("dt", { text: "Name" }), h("dd", { text: c.name || "—" }),
      h("dt", { text: "Email" }), h("dd", { text: c.email || "—" }),
      h("dt", { text: "Phone" }), h("dd", { text: c.phone || "—" }),
      h("dt", { text: "Value" }), h("dd", { text: `${money(c.lifetime_value)} lifetime${c.vip ? " · VIP" : ""}` }),
      h("dt", { text: "AI" }), h("dd", { text: c.human_only ? "Opted out (people only)" : "Allowed" }),
    ),
    h("h3", { text: "Orders" }),
    data.orders.length
      ? h("ul", {}, data.orders.map((o) => h("li", { text: `#${o.number} · ${o.status} · ${money(o.total)}${o.carrier ? ` · ${o.carrier}` : ""}${o.expected_delivery ? ` · due ${o.expected_delivery}` : ""}` })))
      : h("p", { text: "No orders." }),
    h("h3", { text: "Appointments" }),
    data.appointments.length
      ? h("ul", {}, data.appointments.map((a) => h("li", { text: `${new Date(a.starts_at).toLocaleString()} · ${a.location}` })))
      : h("p", { text: "None booked." }),
    h("h3", { text: "Previous conversations" }),
    h(
      "ul",
      {},
      data.conversations
        .filter((x) => x.id !== currentId)
        .map((x) => h("li", { text: `${new Date(x.created_at).toLocaleDateString()} · ${x.channel} · ${x.status}${x.reasons.length ? ` · ${x.reasons.map(humanize).join(", ")}` : ""}` })),
    ),
  );
}

const DAY_NAMES = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

function contactHoursText(hours) {
  if (!hours) return "Any time";
  return `${hours.days.map((d) => DAY_NAMES[d] || d).join(", ")} · ${hours.start}–${hours.end} (${hours.timezone})`;
}

// Preferences, consents and segment from GET /api/v1/customers/{id}; all text via textContent.
function fillProfile(panel, profile) {
  const prefs = profile.preferences || {};
  const seg = profile.segments || { profile: {}, attributes: {} };
  const attrs = Object.entries(seg.attributes || {});
  panel.append(
    h("h3", { text: "Preferences" }),
    h(
      "dl",
      { class: "customer-preferences" },
      h("dt", { text: "Channel" }), h("dd", { text: prefs.channel || "No preference" }),
      h("dt", { text: "Language" }), h("dd", { text: prefs.language || "—" }),
      h("dt", { text: "Contact hours" }), h("dd", { text: contactHoursText(prefs.contact_hours) }),
    ),
    h("h3", { text: "Consents" }),
    h(
      "ul",
      { class: "customer-consents" },
      (profile.consents || []).map((c) =>
        h("li", { "data-purpose": c.purpose, text: `${humanize(c.purpose)}: ${c.granted ? "granted" : "not granted"}${c.at ? ` (${new Date(c.at).toLocaleDateString()})` : ""}` }),
      ),
    ),
    h("h3", { text: "Segment" }),
    h(
      "p",
      { class: "customer-segment" },
      h("strong", { text: seg.profile.name || "standard" }),
      seg.profile.tone ? h("span", { class: "meta", text: ` · ${seg.profile.tone}` }) : null,
    ),
    attrs.length ? h("ul", { class: "customer-attributes" }, attrs.map(([k, v]) => h("li", { text: `${k}: ${v}` }))) : null,
  );
}

export { duration, sentimentText };
