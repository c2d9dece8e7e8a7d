// The agent desk: presence, the live queue, my conversations, and the conversation view.
import { api, clear, duration, h, humanize } from "./common.js";
import { ConversationView, signIn, staffSocket } from "./staff.js";
import { ApprovalsPanel } from "./approvals.js";
import { SearchPanel } from "./desk-search.js"; // search, tag chips
import { CustomerSearch } from "./desk-customers.js"; // customer search
import { MergePanel } from "./desk-merges.js"; // merge proposals (supervisors)
import { tagChip } from "./tags.js";
import { afterHoursBadge, slaTimer } from "./hours.js"; // business hours, SLA

const $ = (id) => document.getElementById(id);
const QUEUE_EVENTS = new Set([
  "queue.updated", "conversation.queued", "conversation.assigned",
  "conversation.transferred", "conversation.resolved",
]);

const { token, me } = await signIn();
$("desk").hidden = false;

const view = new ConversationView($("workspace"), { token, me, onChange: () => refresh() });
const approvals = new ApprovalsPanel($("approvals-box"), $("approvals"), { token, me, onOpen: (id) => view.open(id) });
const searchPanel = new SearchPanel($("search-box"), { token, onOpen: (id) => view.open(id), onTagsChange: () => refresh() });
new CustomerSearch($("customers-box"), { token, onOpen: (id) => view.open(id) });
const merges = new MergePanel($("merges-box"), { token, me });
merges.refresh(); // on load, not on every queue change: proposals are not live events
let queue = [];
let unseen = 0;
const baseTitle = document.title;

const socket = staffSocket(token, (event) => {
  view.onEvent(event);
  approvals.onEvent(event);
  if (event.type === "collaboration.asked" && event.to_agent_id === me.id) {
    addQuestion(event.question);
    announce();
  }
  if (event.type === "message.created" && event.message.internal && event.message.agent_name === me.name) {
    markAnswered(event.conversation_id);
  }
  if (event.type === "status") showStatus(event.status);
  if (event.type === "conversation.queued") announce();
  if (event.type === "conversation.assigned" && event.agent && event.agent.id === me.id && event.via === "auto") announce();
  if (QUEUE_EVENTS.has(event.type) || event.type === "ready") scheduleRefresh();
});

// ---- presence --------------------------------------------------------------------------------
const presence = $("presence");
function showStatus(status) {
  presence.checked = status === "available";
  $("presence-label").textContent = status === "available" ? "Available" : "Away";
}
showStatus(me.status);
presence.addEventListener("change", async () => {
  const status = presence.checked ? "available" : "away";
  if (document.body.dataset.socket === "open") socket.send({ type: "status", status });
  else showStatus((await api("/api/v1/agents/me/status", { method: "PUT", token, body: { status } })).status);
});

// ---- new conversation alert: a short tone and a count in the tab title ----------------------
let audio = null;
function announce() {
  unseen += 1;
  document.title = `(${unseen}) ${baseTitle}`;
  try {
    audio = audio || new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.05;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.15);
  } catch {
    // no sound available: the title badge still tells
  }
}
function seen() {
  unseen = 0;
  document.title = baseTitle;
}
window.addEventListener("focus", seen);
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && seen());

// ---- queue and my conversations -------------------------------------------------------------
let timer = null;
function scheduleRefresh() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 150);
}

async function refresh() {
  const [q, mine, team, asked] = await Promise.all([
    api(`/api/v1/queue${searchPanel.queueQuery()}`, { token }), // by tag
    api("/api/v1/conversations?status=assigned", { token }),
    api("/api/v1/agents", { token }),
    api("/api/v1/questions", { token }),
  ]);
  questions = asked.items;
  renderQuestions();
  queue = q.items.map((item) => ({ ...item, seenAt: Date.now() }));
  renderQueue();
  renderMine(mine.items.filter((c) => c.assigned_agent_id === me.id));
  renderTeam(team.items);
  await approvals.refresh();
}

function renderQueue() {
  $("queue-count").textContent = queue.length ? String(queue.length) : "";
  const list = clear($("queue"));
  if (!queue.length) list.append(h("li", { class: "empty", text: "Nobody is waiting." }));
  for (const item of queue) {
    const c = item.customer;
    const nameId = `q-${item.conversation_id}`;
    list.append(
      h(
        "li",
        { class: "queue-item", "data-id": item.conversation_id },
        h("div", { class: "who", id: nameId }, c.name || c.email || c.phone, c.vip ? [" ", h("span", { class: "badge vip", text: "VIP" })] : null),
        h(
          "div",
          { class: "meta" },
          h("span", { class: `badge tier-${item.tier}`, text: `Tier ${item.tier}` }),
          afterHoursBadge(item),
          slaTimer(item.sla),
          h("span", { text: item.channel }),
          h("span", { class: "wait", "data-wait": item.waiting_seconds, "data-at": item.seenAt, text: `waiting ${duration(item.waiting_seconds)}` }),
        ),
        h("div", { class: "meta", text: item.reasons.map(humanize).join(", ") || "—" }),
        item.tags && item.tags.length ? h("div", { class: "tag-chips" }, item.tags.map((t) => tagChip(t))) : null,
        h("button", { type: "button", class: "primary", text: "Accept", "aria-describedby": nameId, onclick: () => accept(item.conversation_id) }),
      ),
    );
  }
}

function renderMine(items) {
  const list = clear($("mine"));
  if (!items.length) list.append(h("li", { class: "empty", text: "None yet." }));
  for (const c of items) {
    list.append(
      h(
        "li",
        { class: "mine-item" },
        h(
          "button",
          { type: "button", "aria-current": String(view.id === c.id), onclick: () => view.open(c.id).then(refresh) },
          h("strong", { text: c.customer.name || c.customer.email || c.customer.phone }),
          c.customer.vip ? [" ", h("span", { class: "badge vip", text: "VIP" })] : null,
          h("span", { class: "meta", text: ` Tier ${c.tier} · ${c.channel}` }),
        ),
      ),
    );
  }
}

function renderTeam(agents) {
  const list = clear($("team"));
  const online = agents.filter((x) => x.online);
  if (!online.length) list.append(h("li", { class: "empty", text: "Nobody else is online." }));
  for (const a of online) {
    list.append(
      h(
        "li",
        { "data-agent": a.id, title: `Skills: ${a.skills.map(humanize).join(", ")}` },
        h("span", { class: `dot ${a.status}`, "aria-hidden": "true" }),
        h("span", { class: "team-name", text: a.id === me.id ? `${a.name} (you)` : a.name }),
        ["supervisor", "admin"].includes(a.role) ? [" ", h("span", { class: "badge role", text: a.role })] : null,
        h("span", { class: "meta", text: ` · ${a.status} · ${a.load}/${a.capacity} chats` }),
      ),
    );
  }
  const away = agents.length - online.length;
  if (away) list.append(h("li", { class: "meta", text: `${away} offline` }));
}

// ---- questions teammates asked me (collaboration.asked, addressed to me) --------------------
let questions = [];
function addQuestion(q) {
  if (questions.some((x) => x.message_id === q.message_id)) return;
  questions = [q, ...questions];
  renderQuestions();
}
function markAnswered(conversationId) {
  let changed = false;
  for (const q of questions) {
    if (q.conversation_id === conversationId && !q.answered) changed = q.answered = true;
  }
  if (changed) renderQuestions();
}
function renderQuestions() {
  const open = questions.filter((q) => !q.answered).length;
  $("questions-box").hidden = !questions.length;
  $("questions-count").textContent = open ? String(open) : "";
  const list = clear($("questions"));
  for (const q of questions) {
    const label = `q-${q.message_id}`;
    list.append(
      h(
        "li",
        { class: `question${q.answered ? " answered" : ""}`, "data-conversation": q.conversation_id },
        h("div", { class: "who", id: label, text: `${q.from_agent.name} asks about ${q.customer.name || q.customer.email || q.customer.phone}` }),
        h("p", { class: "question-text", text: q.text }),
        h(
          "div",
          { class: "meta" },
          q.answered ? "Answered · " : null,
          h("button", { type: "button", class: q.answered ? "secondary" : "primary", text: "Open conversation", "aria-describedby": label, onclick: () => openQuestion(q) }),
        ),
      ),
    );
  }
}
async function openQuestion(q) {
  seen();
  try {
    await view.open(q.conversation_id);
    view.replyText.focus();
  } catch (err) {
    clear($("workspace")).append(h("p", { class: "form-error", role: "alert", text: err.message }));
  }
}

async function accept(id) {
  seen();
  try {
    await api(`/api/v1/conversations/${encodeURIComponent(id)}/accept`, { method: "POST", token });
    await view.open(id);
  } catch (err) {
    clear($("workspace")).append(h("p", { class: "form-error", role: "alert", text: err.message }));
  }
  refresh();
}

// Waiting times tick between refreshes.
setInterval(() => {
  for (const el of document.querySelectorAll(".wait[data-wait]")) {
    const secs = Number(el.dataset.wait) + (Date.now() - Number(el.dataset.at)) / 1000;
    el.textContent = `waiting ${duration(secs)}`;
  }
}, 1000);
setInterval(refresh, 30000);
refresh();
