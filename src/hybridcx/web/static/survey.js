// The survey page behind the link in a resolved conversation's email.
import { ApiError, api } from "./common.js";

const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.pathname.split("/").pop() || "");
const path = `/api/v1/surveys/${encodeURIComponent(token)}`;
const form = $("survey");
const status = $("survey-status");
const error = $("survey-error");
const thanks = $("survey-thanks");

function done(text) {
  form.hidden = true;
  thanks.hidden = false;
  if (text) thanks.textContent = text;
}

async function load() {
  try {
    const s = await api(path);
    if (s.status === "answered") done("Thanks, we already have your feedback for this conversation.");
    else if (s.status === "closed") status.textContent = s.detail || "This survey has closed.";
    else form.hidden = false;
  } catch (err) {
    status.textContent = err.message;
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const rating = form.querySelector("input[name=rating]:checked");
  const nps = form.querySelector("input[name=nps]:checked");
  if (!rating) {
    error.textContent = "Choose a rating from 1 to 5.";
    form.querySelector("input[name=rating]").focus();
    return;
  }
  try {
    await api(path, {
      method: "POST",
      body: { rating: Number(rating.value), nps: nps ? Number(nps.value) : null, comment: form.comment.value },
    });
    done();
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) done(err.message);
    else error.textContent = err.message;
  }
});

form.addEventListener("change", () => (error.textContent = ""));

load();
