// Tags and custom fields in the conversation view: the conversation's tags as chips
// (remove with ×, add from the workspace's tags) and its custom fields, edited in place.
// Every text from the server goes in with textContent (h() never parses HTML).
import { api, clear, h, humanize } from "./common.js";

let tagsPromise = null;
export function workspaceTags(token, { fresh = false } = {}) {
  if (fresh) tagsPromise = null;
  tagsPromise = tagsPromise || api("/api/v1/tags", { token }).then((r) => r.items.map((t) => t.name));
  tagsPromise.catch(() => (tagsPromise = null));
  return tagsPromise;
}

export function tagChip(name, { onRemove = null, label = null } = {}) {
  return h(
    "span",
    { class: "tag-chip", "data-tag": name },
    h("span", { class: "tag-name", text: name }),
    onRemove ? h("button", { type: "button", class: "chip-x", "aria-label": label || `Remove tag ${name}`, text: "×", onclick: onRemove }) : null,
  );
}

export function tagsPanel(conv, { token }) {
  const status = h("p", { class: "form-error", role: "alert" });
  const panel = h("section", { class: "panel tags", "aria-label": "Tags and fields" }, h("h3", { text: "Tags" }));
  const base = `/api/v1/conversations/${encodeURIComponent(conv.id)}`;
  panel.append(tagEditor(base, { token, status, what: "conversation" }), status);
  const fieldsBox = h("div", { class: "custom-fields" });
  panel.append(fieldsBox);
  api(`${base}/fields`, { token })
    .then((r) => renderFields(fieldsBox, r.items, `${base}/fields`, token, "Fields"))
    .catch((err) => (status.textContent = err.message));
  // The customer's own tags and fields, under the conversation's.
  const customer = conv.customer && conv.customer.id;
  if (customer) {
    const cbase = `/api/v1/customers/${encodeURIComponent(customer)}`;
    const cfields = h("div", { class: "custom-fields" });
    panel.append(h("h3", { text: "Customer tags" }), tagEditor(cbase, { token, status, what: "customer" }), cfields);
    api(`${cbase}/fields`, { token })
      .then((r) => renderFields(cfields, r.items, `${cbase}/fields`, token, "Customer fields"))
      .catch((err) => (status.textContent = err.message));
  }
  return panel;
}

function tagEditor(base, { token, status, what }) {
  const chips = h("div", { class: "tag-chips", "aria-live": "polite", "data-for": what });
  const select = h("select", { "aria-label": what === "customer" ? "Customer tag to add" : "Tag to add" });
  const add = h("button", { type: "button", class: "secondary", text: what === "customer" ? "Add customer tag" : "Add tag" });
  let current = [];

  function render() {
    clear(chips);
    if (!current.length) chips.append(h("span", { class: "meta", text: "No tags yet." }));
    const label = (name) => (what === "customer" ? `Remove customer tag ${name}` : `Remove tag ${name}`);
    for (const name of current) chips.append(tagChip(name, { onRemove: () => change(name, "DELETE"), label: label(name) }));
    workspaceTags(token).then((all) => {
      clear(select).append(h("option", { value: "", text: "Pick a tag" }));
      for (const name of all.filter((t) => !current.includes(t))) select.append(h("option", { value: name, text: name }));
    });
  }

  async function change(name, method) {
    status.textContent = "";
    try {
      current = (await api(`${base}/tags/${encodeURIComponent(name)}`, { method, token })).tags;
      render();
    } catch (err) {
      status.textContent = err.message;
    }
  }

  add.addEventListener("click", () => select.value && change(select.value, "PUT"));
  api(`${base}/tags`, { token })
    .then((r) => {
      current = r.tags;
      render();
    })
    .catch((err) => (status.textContent = err.message));
  return h("div", { class: "tag-editor" }, chips, h("div", { class: "intent-row" }, select, add));
}

function fieldInput(f, id) {
  if (f.type === "boolean") return h("input", { id, type: "checkbox", checked: f.value === true });
  if (f.type === "select") {
    const s = h("select", { id }, h("option", { value: "", text: "—" }));
    for (const o of f.options) s.append(h("option", { value: o, text: o, selected: o === f.value }));
    return s;
  }
  const type = f.type === "number" ? "number" : f.type === "date" ? "date" : "text";
  return h("input", { id, type, value: f.value === null || f.value === undefined ? "" : String(f.value), step: type === "number" ? "any" : null });
}

function valueOf(f, input) {
  if (f.type === "boolean") return input.checked;
  if (input.value === "") return null;
  return f.type === "number" ? Number(input.value) : input.value;
}

function renderFields(box, fields, path, token, title) {
  clear(box);
  if (!fields.length) return;
  const status = h("p", { class: "meta", role: "status" });
  const inputs = new Map();
  const form = h("form", { class: "fields-form", "aria-label": title }, h("h3", { text: title }));
  const prefix = title === "Fields" ? "field" : "customer-field";
  for (const f of fields) {
    const id = `${prefix}-${f.key}`;
    const input = fieldInput(f, id);
    inputs.set(f.key, input);
    form.append(h("label", { for: id, text: f.label || humanize(f.key) }), input);
  }
  form.append(h("button", { type: "submit", class: "secondary", text: `Save ${title.toLowerCase()}` }), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const f of fields) {
      const v = valueOf(f, inputs.get(f.key));
      if (v !== f.value && !(v === false && f.value === null)) values[f.key] = v;
    }
    try {
      const out = await api(path, { method: "PATCH", token, body: { values } });
      fields.splice(0, fields.length, ...out.items);
      status.textContent = "Saved.";
    } catch (err) {
      status.textContent = err.message;
    }
  });
  box.append(form);
}
