// The customer chat: /chat full page, and /chat?embed=1 inside the widget's iframe.
import { ApiError, api, clear, clock, h, liveSocket, newKey, signedIdentity, suggestionsFor } from "./common.js";
import { filePicker, fileList } from "./attachments.js"; // files in web chat
import { AfterHoursChoice } from "./hours.js"; // the after-hours choice

const params = new URLSearchParams(location.search);
const inbox = params.get("inbox") || null;
// "Track your recent order" on /help links here with the question to ask once the chat starts.
let ask = (params.get("ask") || "").slice(0, 500);
const identity = signedIdentity();
const storageKey = `hybridcx.chat.${inbox || "default"}`;
const embedded = params.get("embed") === "1";
if (embedded) document.body.classList.add("embedded");

const $ = (id) => document.getElementById(id);
const ui = {
  startForm: $("start-form"),
  startError: $("start-error"),
  conversation: $("conversation"),
  status: $("chat-status"),
  aiBanner: $("ai-banner"),
  messages: $("messages"),
  typing: $("typing"),
  quickReplies: $("quick-replies"),
  composer: $("composer"),
  input: $("message-input"),
  talk: $("talk-to-person"),
  newChat: $("new-chat"),
  sendError: $("send-error"),
  survey: $("survey"),
  surveyError: $("survey-error"),
  surveyThanks: $("survey-thanks"),
};

const state = {
  id: null,
  token: null,
  status: null,
  agent: null,
  queuePosition: null,
  expectedWait: null,
  lastId: null,
  pending: 0,
  seen: new Set(),
  socket: null,
};

const afterHours = new AfterHoursChoice($("after-hours"), { conversation: () => ({ id: state.id, token: state.token }) });
const AUTHOR_LABEL = { ai: "AI assistant", customer: "You", system: "" };

function saved() {
  try {
    return JSON.parse(sessionStorage.getItem(storageKey) || "null");
  } catch {
    return null;
  }
}

function save(extra = {}) {
  const previous = saved() || {};
  sessionStorage.setItem(
    storageKey,
    JSON.stringify({ ...previous, id: state.id, token: state.token, ...extra }),
  );
}

function addMessage(msg) {
  if (!msg || state.seen.has(msg.id) || msg.internal) return;
  state.seen.add(msg.id);
  state.lastId = msg.id;
  const who = msg.author === "agent" ? msg.agent_name || "Agent" : AUTHOR_LABEL[msg.author];
  const item = h(
    "li",
    { class: `msg msg-${msg.author}`, "data-id": msg.id },
    who ? h("span", { class: "msg-author", text: who }) : null,
    h("p", { class: "msg-text" }, msg.author === "customer" ? msg.text : withArticleLinks(msg.text)),
    h("time", { class: "msg-time", datetime: msg.created_at, text: clock(msg.created_at) }),
  );
  item.append(fileList(msg, state.token) || "");
  ui.messages.append(item);
  if (msg.author !== "customer") showQuickReplies(msg.buttons || []);
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

// The AI cites help articles as "/help/articles/<slug>"; only that exact shape becomes a link.
function withArticleLinks(text) {
  return text.split(/(\/help\/articles\/[a-z0-9-]+)/).map((part, i) =>
    i % 2 ? h("a", { href: part, target: "_blank", rel: "noopener", text: part }) : part,
  );
}

function showQuickReplies(buttons) {
  clear(ui.quickReplies);
  if (state.status === "resolved") return;
  for (const label of buttons) {
    ui.quickReplies.append(
      h("button", { type: "button", class: "quick-reply", text: label, onclick: () => send(label) }),
    );
  }
}

function applyState(conv) {
  if (!conv) return;
  state.status = conv.status;
  state.agent = conv.agent || null;
  state.queuePosition = conv.queue_position ?? null;
  const resolved = conv.status === "resolved";
  ui.aiBanner.hidden = conv.status !== "bot";
  ui.talk.hidden = conv.status !== "bot";
  ui.composer.hidden = resolved;
  ui.newChat.hidden = !resolved;
  if (resolved) {
    clear(ui.quickReplies);
    const done = (saved() || {}).survey_done;
    ui.survey.hidden = Boolean(done);
    ui.surveyThanks.hidden = !done;
  }
  ui.status.textContent = statusLine();
  updateTyping();
  afterHours.update({ ...conv, id: state.id });
  if (conv.status === "queued") estimateWait();
  else state.expectedWait = null;
}

let waitTimer = null;
function estimateWait() {
  clearTimeout(waitTimer);
  waitTimer = setTimeout(async () => {
    try {
      const est = await api(`/api/v1/conversations/${encodeURIComponent(state.id)}/wait`, {
        token: state.token,
      });
      if (state.status !== "queued") return;
      state.expectedWait = est.expected_wait_seconds;
      state.queuePosition = est.queue_position ?? state.queuePosition;
      ui.status.textContent = statusLine();
    } catch {
      // the estimate is a nicety: the place in line from the live events still shows
    }
  }, 200);
}

function statusLine() {
  switch (state.status) {
    case "bot":
      return "You're chatting with our AI assistant.";
    case "queued":
      return (
        (state.queuePosition
          ? `Waiting for a person: you are number ${state.queuePosition} in line.`
          : "Waiting for a person to join.") +
        (state.expectedWait != null ? ` Expected wait: ${waitText(state.expectedWait)}.` : "")
      );
    case "assigned":
      return state.agent ? `You're chatting with ${state.agent.name}.` : "A person is with you.";
    case "resolved":
      return "This conversation is resolved.";
    default:
      return "";
  }
}

function waitText(seconds) {
  return seconds < 60 ? "under a minute" : `about ${Math.round(seconds / 60)} min`;
}

function updateTyping() {
  const waitingForAi = state.pending > 0 && state.status === "bot";
  ui.typing.hidden = !waitingForAi;
}

function onEvent(event) {
  if (event.type === "message.created") addMessage(event.message);
  else if (event.type === "conversation.updated") applyState(event.conversation);
}

function connect() {
  if (state.socket) state.socket.close();
  let opened = false;
  state.socket = liveSocket(
    () => {
      const after = state.lastId ? `&after=${encodeURIComponent(state.lastId)}` : "";
      return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws/conversations/${encodeURIComponent(state.id)}?token=${encodeURIComponent(state.token)}${after}`;
    },
    {
      onEvent,
      onState: (s) => {
        document.body.dataset.socket = s;
        if (s === "open" && opened) refresh(); // missed status changes after a drop
        if (s === "open") opened = true;
        if (s === "refused") forget();
      },
    },
  );
  window.hybridcxChat = { drop: () => state.socket.drop() };
}

async function refresh() {
  try {
    const conv = await api(`/api/v1/conversations/${encodeURIComponent(state.id)}`, {
      token: state.token,
    });
    for (const m of conv.messages) addMessage(m);
    applyState(conv);
    return true;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) forget();
    return false;
  }
}

function showConversation() {
  ui.startForm.hidden = true;
  ui.conversation.hidden = false;
  ui.input.focus();
}

function forget() {
  if (state.socket) state.socket.close();
  sessionStorage.removeItem(storageKey);
  Object.assign(state, { id: null, token: null, status: null, lastId: null, socket: null });
  state.seen.clear();
  clear(ui.messages);
  clear(ui.quickReplies);
  ui.conversation.hidden = true;
  ui.survey.hidden = true;
  ui.surveyThanks.hidden = true;
  ui.startForm.hidden = false;
  ui.status.textContent = "";
}

async function start(event) {
  event.preventDefault();
  const form = ui.startForm;
  const email = form.email.value.trim();
  ui.startError.textContent = "";
  if (!email || !form.email.checkValidity()) {
    ui.startError.textContent = "Enter a valid email address.";
    form.email.focus();
    return;
  }
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    const body = { channel: "webchat", customer: { email, name: form.name.value.trim() } };
    if (inbox) body.inbox = inbox;
    if (identity && identity.email.toLowerCase() === email.toLowerCase()) body.identity_hash = identity.identity_hash;
    // No Idempotency-Key here: only a 503 (turned away before anything was stored) is retried.
    const conv = await retrying(() => api("/api/v1/conversations", { method: "POST", body }), [503], 4);
    state.id = conv.id;
    state.token = conv.customer_token;
    save({ survey_done: false });
    showConversation();
    for (const m of conv.messages) addMessage(m);
    applyState({ status: conv.status, queue_position: null, agent: null });
    connect();
    refresh();
    if (ask) {
      const question = ask;
      ask = "";
      send(question);
    } else {
      offerSuggestions();
    }
  } catch (err) {
    ui.startError.textContent =
      err.status === 503 ? "We're very busy right now. Please try again in a moment." : err.message;
  } finally {
    submit.disabled = false;
  }
}

// A verified customer with an order in transit gets a one-click "Track your recent order".
async function offerSuggestions() {
  const box = $("chat-suggestions");
  const items = await suggestionsFor({ conversation_id: state.id, customer_token: state.token });
  clear(box);
  for (const s of items) {
    box.append(
      h("button", { type: "button", class: "quick-reply suggestion", text: s.label, onclick: () => {
        clear(box);
        send(s.message);
      } }),
    );
  }
}

async function send(text) {
  text = text.trim();
  if (!text || !state.id) return;
  clear($("chat-suggestions"));
  ui.sendError.textContent = "";
  clear(ui.quickReplies);
  state.pending += 1;
  updateTyping();
  const key = newKey();
  try {
    const turn = await postWithRetry(text, key);
    for (const m of turn.messages) addMessage(m);
    applyState(turn.conversation);
  } catch (err) {
    ui.sendError.textContent =
      err.status === 503 ? "We're very busy right now and your message was not sent. Please try again in a moment." : err.message;
    if (err.status !== 0 && err.status !== 503) return;
    ui.input.value = ui.input.value || text; // keep what could not be sent
  } finally {
    state.pending -= 1;
    updateTyping();
  }
}

// The same Idempotency-Key makes a retry after a network blip store the message only once; a
// 503 means the server was too busy to take it and stored nothing.
function postWithRetry(text, key) {
  const post = () =>
    api(`/api/v1/conversations/${encodeURIComponent(state.id)}/messages`, {
      method: "POST",
      token: state.token,
      body: { text },
      headers: { "Idempotency-Key": key },
    });
  return retrying(post, [0, 503], 4);
}

async function retrying(call, statuses, attempts) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof ApiError) || !statuses.includes(err.status) || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
    }
  }
}

async function submitSurvey(event) {
  event.preventDefault();
  const rating = ui.survey.querySelector("input[name=rating]:checked");
  const nps = ui.survey.querySelector("input[name=nps]:checked");
  ui.surveyError.textContent = "";
  if (!rating) {
    ui.surveyError.textContent = "Choose a rating from 1 to 5.";
    ui.survey.querySelector("input[name=rating]").focus();
    return;
  }
  try {
    await api(`/api/v1/conversations/${encodeURIComponent(state.id)}/survey`, {
      method: "POST",
      token: state.token,
      body: {
        rating: Number(rating.value),
        nps: nps ? Number(nps.value) : null,
        comment: ui.survey.comment.value,
      },
    });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 409) {
      ui.surveyError.textContent = err.message;
      return;
    }
  }
  save({ survey_done: true });
  ui.survey.hidden = true;
  ui.surveyThanks.hidden = false;
  ui.surveyThanks.focus?.();
}

ui.startForm.addEventListener("submit", start);
ui.composer.addEventListener("submit", (e) => {
  e.preventDefault();
  const text = ui.input.value;
  ui.input.value = "";
  send(text);
});
ui.input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    ui.composer.requestSubmit();
  }
});
ui.talk.addEventListener("click", () => send("agent"));
ui.newChat.addEventListener("click", () => {
  forget();
  ui.startForm.email.focus();
});
ui.survey.addEventListener("submit", submitSurvey);
ui.composer.append(
  filePicker({
    target: () => (state.id ? { id: state.id, token: state.token } : null),
    onSent: addMessage,
    onError: (text) => (ui.sendError.textContent = text),
  }),
);
// Inside the widget, Escape closes the chat; the host page hears it from this origin only.
if (embedded && window.parent !== window) {
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") window.parent.postMessage({ type: "hybridcx:close" }, "*");
  });
}
window.addEventListener("online", () => state.socket && state.socket.drop());

if (identity) {
  ui.startForm.email.value = identity.email;
  ui.startForm.name.value = ui.startForm.name.value || identity.name || "";
}

const previous = saved();
if (previous && previous.id && previous.token) {
  state.id = previous.id;
  state.token = previous.token;
  showConversation();
  refresh().then((ok) => ok && connect());
}
