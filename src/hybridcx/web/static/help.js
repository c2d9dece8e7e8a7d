// The help portal: search public articles, read one. The chat is the widget in the corner.
import { api, clear, h, marked } from "./common.js";

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
}
