// The help portal: search public articles, read one. The chat is the widget in the corner.
import { api, clear, h, marked, signedIdentity, suggestionsFor } from "./common.js";

const $ = (id) => document.getElementById(id);
const form = $("search-form");
const input = $("search-input");

async function search(query) {
  const status = $("search-status");
  const list = clear($("results"));
  const answer = clear($("answer"));
  answer.hidden = true;
  try {
    const data = await api(`/api/v1/help/articles?q=${encodeURIComponent(query)}`);
    status.textContent = query
      ? `${data.items.length} article${data.items.length === 1 ? "" : "s"} found for “${query}”.`
      : "Popular articles";
    if (data.answer) showAnswer(answer, data.answer);
    for (const a of data.items) {
      list.append(
        h(
          "li",
          { class: "result" },
          h("h2", {}, h("a", { href: `/help/articles/${encodeURIComponent(a.slug)}` }, marked(a.title_segments))),
          a.heading ? h("p", { class: "result-heading", text: a.heading }) : null,
          h("p", {}, marked(a.segments)),
        ),
      );
    }
    if (query && !data.items.length) {
      list.append(h("li", { class: "result", text: "Nothing found. Try other words, or ask us in the chat." }));
    }
  } catch (err) {
    status.textContent = err.message;
  }
}

function showAnswer(box, answer) {
  box.hidden = false;
  if (!answer.answered) {
    box.className = "answer no-answer";
    box.append(
      h("h2", { text: "Answer" }),
      h("p", {}, "We couldn't find an answer — ", h("a", { href: "/chat", class: "chat-link", text: "chat with us" }), "."),
    );
    return;
  }
  box.className = "answer";
  box.append(
    h("h2", { text: "Answer" }),
    h("p", { class: "answer-text" }, marked(answer.segments)),
    h(
      "p",
      { class: "answer-sources" },
      "Source: ",
      answer.sources.map((s, i) => [i ? ", " : "", h("a", { href: s.url, text: s.title })]),
    ),
    h("p", { class: "hint", text: "Answered by our AI assistant from our help articles." }),
  );
}

async function showArticle(slug) {
  $("search-view").hidden = true;
  $("article-view").hidden = false;
  try {
    const a = await api(`/api/v1/help/articles/${encodeURIComponent(slug)}`);
    document.title = `${a.title} · Help centre`;
    $("article-title").textContent = a.title;
    const body = clear($("article-body"));
    for (const para of a.body.split(/\n\s*\n/)) body.append(h("p", { text: para }));
  } catch (err) {
    $("article-title").textContent = err.status === 404 ? "Article not found" : err.message;
  }
}

// ---- guided forms: the same backend actions as the chat flows --------------------------------
const emailOk = (input) => input.value.trim() && input.checkValidity();

function slotRadios(container, slots, name) {
  clear(container);
  if (!slots.length) container.append(h("p", { text: "No free times in the next week. Please chat with us." }));
  slots.forEach((slot, i) => {
    const id = `${name}-${i}`;
    container.append(
      h("div", { class: "slot" }, h("input", { type: "radio", name, id, value: slot.id }), h("label", { for: id, text: slot.label })),
    );
  });
}

async function loadSlots() {
  const box = $("book-slots");
  try {
    slotRadios(box, (await api("/api/v1/help/appointments/slots")).slots, "book-slot");
  } catch (err) {
    clear(box).append(h("p", { class: "form-error", text: err.message }));
  }
}

function setupBooking() {
  const form = $("book-form");
  const error = $("book-error");
  const done = $("book-done");
  $("book-task").addEventListener("toggle", (e) => e.target.open && !$("book-slots").childElementCount && loadSlots());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    done.textContent = "";
    const picked = form.querySelector("input[name=book-slot]:checked");
    if (!picked) {
      error.textContent = "Choose a time.";
      form.querySelector("input[name=book-slot]")?.focus();
      return;
    }
    if (!emailOk(form.email)) {
      error.textContent = "Enter a valid email address.";
      form.email.focus();
      return;
    }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const res = await api("/api/v1/help/appointments", {
        method: "POST",
        body: { slot_id: picked.value, email: form.email.value.trim(), name: form.name.value.trim() },
      });
      done.textContent = `You're booked for ${res.appointment.label}. See you then!`;
      loadSlots();
    } catch (err) {
      error.textContent = err.message;
      if (err.code === "slot_taken") loadSlots(); // fresh times to pick from
    } finally {
      submit.disabled = false;
    }
  });
}

// ---- one-time code: one self-service session for every task that needs it ------------------
let selfSession = null;
const onVerified = [];

function setupVerification({ form, step, sent, code, button, error }) {
  let email = "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!emailOk(form.email)) {
      error.textContent = "Enter a valid email address.";
      form.email.focus();
      return;
    }
    email = form.email.value.trim();
    try {
      const res = await api("/api/v1/help/verification", { method: "POST", body: { email } });
      sent.textContent = `If ${res.sent_to} has an account with us, we've emailed it a 6-digit code. It is valid for 10 minutes.`;
      step.hidden = false;
      code.focus();
    } catch (err) {
      error.textContent = err.message;
    }
  });
  const verify = async () => {
    error.textContent = "";
    const value = code.value.trim();
    if (!/^\d{6}$/.test(value)) {
      error.textContent = "Enter the 6 digits from the email.";
      code.focus();
      return;
    }
    try {
      selfSession = (await api("/api/v1/help/verification/check", { method: "POST", body: { email, code: value } })).session;
      for (const fn of onVerified) fn();
      showSuggestions({ session: selfSession });
    } catch (err) {
      error.textContent = err.message;
    }
  };
  button.addEventListener("click", verify);
  code.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      verify();
    }
  });
}

function setupManage() {
  const form = $("code-form");
  setupVerification({ form, step: $("code-step"), sent: $("code-sent"), code: $("manage-code"), button: $("verify-code"), error: $("manage-error") });
  onVerified.push(() => {
    form.hidden = true;
    showMine();
  });
  const session = () => selfSession;

  async function showMine(message = "") {
    const box = clear($("my-appointments"));
    box.hidden = false;
    const status = h("p", { class: "task-done", role: "status", text: message });
    const problem = h("p", { class: "form-error", role: "alert" });
    box.append(status, problem);
    let data;
    try {
      data = await api("/api/v1/help/appointments/mine", { token: session() });
    } catch (err) {
      problem.textContent = err.message;
      return;
    }
    box.append(h("h3", { text: `Appointments for ${data.email}` }));
    if (!data.appointments.length) {
      box.append(h("p", { text: "You have no upcoming appointments." }));
      return;
    }
    data.appointments.forEach((appt, i) => {
      const select = h(
        "select",
        { id: `move-${i}` },
        data.slots.map((s) => h("option", { value: s.id, text: s.label })),
      );
      const act = async (path, body, success) => {
        problem.textContent = "";
        try {
          await api(`/api/v1/help/appointments/mine/${encodeURIComponent(appt.id)}/${path}`, { method: "POST", token: session(), body });
          showMine(success);
        } catch (err) {
          if (err.code === "slot_taken") showMine(err.message);
          else problem.textContent = err.message;
        }
      };
      box.append(
        h(
          "div",
          { class: "appointment" },
          h("p", { class: "appointment-label", text: appt.label }),
          h("label", { for: `move-${i}`, text: "Move to" }),
          select,
          h(
            "div",
            { class: "row" },
            h("button", { type: "button", class: "primary", text: "Move appointment", onclick: () => {
              const label = select.selectedOptions[0]?.textContent;
              act("move", { slot_id: select.value }, `Done: your appointment moved to ${label}.`);
            } }),
            h("button", { type: "button", class: "danger", text: "Cancel appointment", onclick: () => act("cancel", undefined, `Cancelled your appointment on ${appt.label}.`) }),
          ),
        ),
      );
    });
  }
}

// ---- contact details: name and phone number of the verified customer -------------------------
function setupContact() {
  const codeForm = $("contact-code-form");
  const form = $("contact-form");
  const error = $("contact-error");
  const done = $("contact-done");
  setupVerification({ form: codeForm, step: $("contact-code-step"), sent: $("contact-code-sent"), code: $("contact-code"), button: $("contact-verify"), error: $("contact-code-error") });
  const show = async () => {
    codeForm.hidden = true;
    form.hidden = false;
    try {
      const me = await api("/api/v1/help/contact", { token: selfSession });
      $("contact-for").textContent = `Contact details for ${me.email}`;
      form.name.value = me.name || "";
      form.phone.value = me.phone || "";
    } catch (err) {
      error.textContent = err.message;
    }
  };
  onVerified.push(show);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    done.textContent = "";
    const name = form.name.value.trim();
    const phone = form.phone.value.trim();
    if (!name) {
      error.textContent = "Enter your name.";
      form.name.focus();
      return;
    }
    if (phone && !/^\+[\d\s().-]{6,}$/.test(phone)) {
      error.textContent = "Enter the phone number with its country code, starting with +, e.g. +1 415 555 0132.";
      form.phone.focus();
      return;
    }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const me = await api("/api/v1/help/contact", { method: "PUT", token: selfSession, body: { name, phone } });
      form.name.value = me.name;
      form.phone.value = me.phone || "";
      done.textContent = me.phone ? `Saved. We'll call you on ${me.phone} if we need to.` : "Saved. We have no phone number for you.";
    } catch (err) {
      error.textContent = err.message;
      form.phone.focus();
    } finally {
      submit.disabled = false;
    }
  });
}

// ---- opt out of the AI assistant (human_only), and back in ---------------------------
function setupAiPreference() {
  const codeForm = $("ai-code-form");
  const form = $("ai-form");
  const error = $("ai-error");
  const done = $("ai-done");
  setupVerification({ form: codeForm, step: $("ai-code-step"), sent: $("ai-code-sent"), code: $("ai-code"), button: $("ai-verify"), error: $("ai-code-error") });
  onVerified.push(async () => {
    codeForm.hidden = true;
    form.hidden = false;
    try {
      const me = await api("/api/v1/help/ai-preference", { token: selfSession });
      $("ai-for").textContent = `Preference for ${me.email}`;
      form.human_only.checked = me.human_only;
    } catch (err) {
      error.textContent = err.message;
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    done.textContent = "";
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const me = await api("/api/v1/help/ai-preference", { method: "PUT", token: selfSession, body: { human_only: form.human_only.checked } });
      form.human_only.checked = me.human_only;
      done.textContent = me.human_only
        ? "Saved. From now on only people will answer you, never the AI assistant."
        : "Saved. Our AI assistant can help you again, and you can still ask for a person at any time.";
    } catch (err) {
      error.textContent = err.message;
    } finally {
      submit.disabled = false;
    }
  });
}

// ---- proactive suggestions (a verified customer with an order in transit) --------------------
async function showSuggestions(body) {
  const items = await suggestionsFor(body);
  const box = clear($("suggestions"));
  box.hidden = !items.length;
  for (const s of items) {
    box.append(
      h(
        "a",
        { class: "button suggestion", href: `/chat?ask=${encodeURIComponent(s.message)}`, text: s.label },
      ),
    );
  }
}

const match = location.pathname.match(/^\/help\/articles\/([^/]+)$/);
if (match) {
  showArticle(decodeURIComponent(match[1]));
} else {
  const q = new URLSearchParams(location.search).get("q") || "";
  input.value = q;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const query = input.value.trim();
    history.replaceState(null, "", query ? `/help?q=${encodeURIComponent(query)}` : "/help");
    search(query);
  });
  search(q);
  setupBooking();
  setupManage();
  setupContact();
  setupAiPreference();
  const identity = signedIdentity();
  if (identity) showSuggestions({ email: identity.email, identity_hash: identity.identity_hash });
}
