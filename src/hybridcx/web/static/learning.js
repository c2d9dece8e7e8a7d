// Learning from human resolutions in the supervisor console: intent discovery
// clusters to accept or reject, candidate training examples, and the model registry.
// Everything customers wrote is rendered as text (textContent through h()).
import { api, clear, h, humanize } from "./common.js";

export function mountLearning(section, { token, me }) {
  const isAdmin = me.role === "admin";
  const status = h("p", { class: "meta", role: "status" });
  const clusters = h("div", { class: "learning-clusters" });
  const examples = h("div", { class: "learning-examples" });
  const models = h("div", { class: "learning-models" });
  const discover = h("button", { type: "button", class: "primary", text: "Find new intents" });
  const retrain = h("button", { type: "button", class: "secondary", text: "Retrain model", hidden: !isAdmin });
  const rollback = h("button", { type: "button", class: "secondary", text: "Roll back model", hidden: !isAdmin });
  clear(section).append(
    h("h2", { id: "learning-title", text: "Learning from resolutions" }),
    h("p", { class: "meta", text: isAdmin ? "" : "An admin accepts or rejects suggestions and runs retraining." }),
    h("div", { class: "learning-actions" }, discover, retrain, rollback),
    status,
    h("h3", { text: "Messages the AI could not handle, grouped" }),
    clusters,
    h("h3", { text: "Candidate training examples" }),
    examples,
    h("h3", { text: "Models" }),
    models,
  );

  async function run(button, work) {
    button.disabled = true;
    status.textContent = `${button.textContent}…`;
    try {
      status.textContent = (await work()) || "";
    } catch (err) {
      status.textContent = err.message;
    } finally {
      button.disabled = false;
      load();
    }
  }
  discover.addEventListener("click", () =>
    run(discover, async () => {
      const out = await api("/api/v1/improvement/discover", { method: "POST", token });
      return `${out.items.length} cluster(s) found.`;
    }),
  );
  retrain.addEventListener("click", () =>
    run(retrain, async () => {
      const out = await api("/api/v1/improvement/retrain", { method: "POST", token });
      if (out.skipped) return `Not retrained: ${out.skipped}`;
      return `${out.version.id} ${out.promoted ? "promoted: now active" : "refused by the quality gate"}.`;
    }),
  );
  rollback.addEventListener("click", () =>
    run(rollback, async () => {
      const out = await api("/api/v1/improvement/models/rollback", { method: "POST", token, body: {} });
      return `Rolled back: ${out.to} is active again (was ${out.from}).`;
    }),
  );

  function clusterItem(c) {
    const name = h("input", { type: "text", value: c.label, "aria-label": "Intent name", class: "intent-name" });
    const advice =
      c.suggestion === "existing_intent"
        ? `Suggestion: more examples for ${humanize(c.nearest_intent)}`
        : `Suggestion: a new intent (nearest: ${humanize(c.nearest_intent || "none")}, similarity ${c.similarity.toFixed(2)})`;
    const decide = (accept) =>
      run(accept ? acceptBtn : rejectBtn, async () => {
        const path = `/api/v1/improvement/clusters/${encodeURIComponent(c.id)}/${accept ? "accept" : "reject"}`;
        await api(path, { method: "POST", token, body: accept ? { intent: name.value.trim() } : undefined });
        return accept ? `Added ${c.size} example(s) to ${name.value.trim()}.` : "Rejected.";
      });
    const acceptBtn = h("button", { type: "button", class: "primary", text: "Accept", hidden: !isAdmin, onclick: () => decide(true) });
    const rejectBtn = h("button", { type: "button", class: "secondary", text: "Reject", hidden: !isAdmin, onclick: () => decide(false) });
    return h(
      "li",
      { class: "cluster", "data-cluster": c.id },
      h("div", { class: "who", text: `${c.size} messages · ${c.keywords.join(", ")}` }),
      h("p", { class: "meta", text: advice }),
      h("ul", { class: "cluster-examples" }, c.examples.slice(0, 5).map((e) => h("li", { text: e.text }))),
      h("div", { class: "cluster-actions" }, name, acceptBtn, rejectBtn),
    );
  }

  function exampleRow(e) {
    const review = (accept) =>
      run(accept ? ok : no, async () => {
        await api(`/api/v1/improvement/examples/${encodeURIComponent(e.id)}/${accept ? "accept" : "reject"}`, { method: "POST", token });
        return accept ? "Example accepted." : "Example rejected.";
      });
    const ok = h("button", { type: "button", class: "secondary", text: "Accept", hidden: !isAdmin, onclick: () => review(true) });
    const no = h("button", { type: "button", class: "secondary", text: "Reject", hidden: !isAdmin, onclick: () => review(false) });
    return h(
      "tr",
      { "data-example": e.id },
      h("td", { text: e.text }),
      h("td", { text: humanize(e.intent) }),
      h("td", { text: e.intent_source === "ai" ? "AI" : humanize(e.intent_source) }),
      h("td", {}, ok, " ", no),
    );
  }

  function modelRow(v, serving) {
    const f = (v.metrics && v.metrics.frozen) || {};
    const num = (x) => (typeof x === "number" ? x.toFixed(3) : "—");
    return h(
      "tr",
      { "data-version": v.id },
      h("td", { text: v.id === serving ? `${v.id} (serving)` : v.id }),
      h("td", { text: v.status }),
      h("td", { text: v.created_at.slice(0, 16).replace("T", " ") }),
      h("td", { text: String(v.n_examples) }),
      h("td", { text: num(f.accuracy) }),
      h("td", { text: num(f.oos_recall) }),
      h("td", { text: num(f.ece) }),
    );
  }

  function table(head, rows, empty) {
    if (!rows.length) return h("p", { class: "empty", text: empty });
    return h(
      "div",
      { class: "table-wrap" },
      h("table", {}, h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col", text: t })))), h("tbody", {}, rows)),
    );
  }

  async function load() {
    try {
      const [cl, ex, md] = await Promise.all([
        api("/api/v1/improvement/clusters?status=suggested", { token }),
        api("/api/v1/improvement/examples?status=candidate&limit=20", { token }),
        api("/api/v1/improvement/models", { token }),
      ]);
      clear(clusters).append(
        cl.items.length ? h("ul", { class: "clusters" }, cl.items.map(clusterItem)) : h("p", { class: "empty", text: "No open suggestions. Find new intents to group recent unhandled messages." }),
      );
      clear(examples).append(table(["Customer's request", "Intent", "Labelled by", ""], ex.items.map(exampleRow), "No candidates: resolved conversations add them."));
      clear(models).append(
        table(["Version", "Status", "Created", "Examples", "Accuracy", "OOS recall", "ECE"], md.items.map((v) => modelRow(v, md.serving)), `Serving the base model (${md.serving || "none"}); the registry is empty until the first retrain.`),
      );
    } catch (err) {
      status.textContent = err.message;
    }
  }
  load();
}
