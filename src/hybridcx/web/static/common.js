// Shared helpers. Every piece of data reaches the page through textContent or attributes set
// one by one: there is no innerHTML anywhere, so customer text can never become markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else if (key === "class") el.className = value;
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "hidden" || key === "disabled") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export class ApiError extends Error {
  constructor(status, detail, code) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

export async function api(path, { method = "GET", token, body, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "Can't reach the server. Check your connection and try again.", "offline");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(response.status, data.detail || `Request failed (${response.status}).`, data.code);
  }
  return data;
}

export function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

export function secondsSince(iso) {
  return iso ? (Date.now() - Date.parse(iso)) / 1000 : 0;
}

export function clock(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function humanize(code) {
  const known = {
    customer_request: "asked for a person",
    vip: "VIP",
    human_only: "opted out of AI",
    legal_compliance: "legal / compliance",
    transfer: "transfer",
    negative_sentiment: "negative sentiment",
    ai_failure: "AI could not help",
    supervisor_takeover: "supervisor takeover",
  };
  return known[code] || String(code).replaceAll("_", " ");
}

export function wsUrl(path) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}`;
}

// A WebSocket that comes back after a drop, with growing pauses; ``url()`` is asked anew each
// time so the caller can add ``after=<last message id>``. Live events carry an ``event_id``:
// the socket reconnects with ``since=<last one seen>`` and the server first replays what was
// missed (then says ``replayed``); events already seen (a replay overlaps) are dropped here.
// Event ids are "<row>-<index>": compared as numbers, part by part.
function eventIdAfter(a, b) {
  const [ra, ia] = a.split("-").map(Number);
  const [rb, ib] = b.split("-").map(Number);
  return ra > rb || (ra === rb && ia > ib);
}

export function liveSocket(url, { onEvent, onState = () => {} }) {
  let ws = null;
  let closed = false;
  let delay = 500;
  let timer = null;
  let lastEventId = null;
  const seen = new Set();
  const seenOrder = [];
  const fresh = (id) => {
    if (seen.has(id)) return false;
    seen.add(id);
    seenOrder.push(id);
    if (seenOrder.length > 2000) seen.delete(seenOrder.shift());
    return true;
  };
  const open = () => {
    const base = url();
    const since = lastEventId ? `${base.includes("?") ? "&" : "?"}since=${encodeURIComponent(lastEventId)}` : "";
    ws = new WebSocket(base + since);
    ws.addEventListener("open", () => {
      delay = 500;
      onState("open");
    });
    ws.addEventListener("message", (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      if (data.type === "resync" && typeof data.since === "string") {
        lastEventId = data.since; // live events were interrupted after this one: resume here
        return;
      }
      if (typeof data.event_id === "string") {
        if (!fresh(data.event_id)) return;
        if (!lastEventId || eventIdAfter(data.event_id, lastEventId)) lastEventId = data.event_id;
      }
      onEvent(data);
    });
    ws.addEventListener("close", (e) => {
      if (closed) return;
      if (e.code === 4401 || e.code === 4403) {
        onState("refused");
        return;
      }
      onState("reconnecting");
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    });
  };
  open();
  return {
    send(obj) {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
    },
    close() {
      closed = true;
      clearTimeout(timer);
      if (ws) ws.close();
    },
    // For tests and for the browser's own "offline" event: drop now and reconnect.
    drop() {
      if (ws) ws.close();
    },
  };
}

// Server-marked text: runs of {text, mark}; marked runs become <mark> elements, built with
// textContent like everything else.
export function marked(segments) {
  return (segments || []).map((s) => (s.mark ? h("mark", { text: s.text }) : s.text));
}

// A signed identity from the company's own site: ?email=...&identity_hash=... (the HMAC of the
// email with the inbox secret). Kept for this tab only, and taken out of the address bar.
const IDENTITY_KEY = "hybridcx.identity";
export function signedIdentity() {
  const params = new URLSearchParams(location.search);
  const email = params.get("email");
  const hash = params.get("identity_hash");
  if (email && hash) {
    sessionStorage.setItem(IDENTITY_KEY, JSON.stringify({ email, identity_hash: hash, name: params.get("name") || "" }));
    params.delete("identity_hash");
    params.delete("email");
    params.delete("name");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : ""));
  }
  try {
    return JSON.parse(sessionStorage.getItem(IDENTITY_KEY) || "null");
  } catch {
    return null;
  }
}

// Proactive suggestions: only a verified identity gets any (see hybridcx.web.selfservice).
export async function suggestionsFor(body) {
  try {
    return (await api("/api/v1/help/suggestions", { method: "POST", body })).suggestions;
  } catch {
    return [];
  }
}
