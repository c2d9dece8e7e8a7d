// Files in web chat, for the customer chat and the desk. A file is fetched with the
// viewer's token and shown from its bytes: images inline (as a data: URL, which the pages'
// CSP allows), anything else as a download. Names and types are set as text, never markup.
import { h } from "./common.js";

const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
const WEB_CHANNELS = new Set(["webchat", "portal"]);

export function filesOf(msg) {
  const list = (msg.channel_meta || {}).attachments;
  return Array.isArray(list) ? list.filter((a) => a && a.status === "stored" && a.url) : [];
}

export function size(bytes) {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1000) return `${Math.round(bytes / 1000)} kB`;
  return `${bytes} B`;
}

async function fetchBlob(att, token) {
  const response = await fetch(att.url, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`download failed (${response.status})`);
  return response.blob();
}

function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

async function download(att, token, button) {
  try {
    const blob = await fetchBlob(att, token);
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: att.filename, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch {
    button.textContent = `${att.filename}: download failed`;
  }
}

// The files a message carries, or null: images inline, each with a download button.
export function fileList(msg, token) {
  const files = filesOf(msg);
  if (!files.length) return null;
  return h(
    "ul",
    { class: "chat-files", "aria-label": "Files" },
    files.map((att) => {
      const item = h("li", { class: "chat-file", "data-type": att.content_type });
      if (IMAGE_TYPES.has(att.content_type)) {
        const img = h("img", { class: "chat-file-image", alt: att.filename, hidden: true });
        item.append(img);
        fetchBlob(att, token)
          .then(dataUrl)
          .then((src) => {
            img.src = src;
            img.hidden = false;
          })
          .catch(() => item.prepend(h("span", { class: "meta", text: "The image could not be loaded." })));
      }
      item.append(
        h("button", {
          type: "button",
          class: "link",
          text: `${att.filename} (${size(att.size)})`,
          onclick: (e) => download(att, token, e.currentTarget),
        }),
      );
      return item;
    }),
  );
}

export async function sendFile(conversationId, token, file) {
  const params = new URLSearchParams({ filename: file.name || "file" });
  let response;
  try {
    response = await fetch(`/api/v1/conversations/${encodeURIComponent(conversationId)}/attachments?${params}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream" },
      body: file,
    });
  } catch {
    throw new Error("Can't reach the server. Check your connection and try again.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail || `The file was not sent (${response.status}).`);
  return data;
}

// "Attach a file": a button and a hidden file input. ``target()`` returns {id, token} of the
// conversation or null; ``onSent(msg)`` shows the message; ``onError(text)`` says why not.
export function filePicker({ target, onSent, onError, label = "Attach a file" }) {
  const input = h("input", { type: "file", class: "visually-hidden", "aria-label": label, "data-role": "attach-input" });
  const button = h("button", { type: "button", class: "secondary attach-button", text: "Attach file", title: label, onclick: () => input.click() });
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    const conv = target();
    input.value = "";
    if (!file || !conv) return;
    button.disabled = true;
    onError("");
    try {
      onSent(await sendFile(conv.id, conv.token, file));
    } catch (err) {
      onError(err.message);
    } finally {
      button.disabled = false;
    }
  });
  return h("span", { class: "attach" }, button, input);
}

// The desk: the picker under the reply box of a web chat the agent handles.
export function deskFilePicker(view) {
  if (!view.conv || !WEB_CHANNELS.has(view.conv.channel)) return null;
  return h(
    "div",
    { class: "reply-files" },
    filePicker({
      target: () => (view.conv ? { id: view.conv.id, token: view.token } : null),
      onSent: (msg) => view.addMessage(msg),
      onError: (text) => (view.error.textContent = text),
      label: "Send a file to the customer",
    }),
  );
}
