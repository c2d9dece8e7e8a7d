// The help portal: search public articles, read one. The chat is the widget in the corner.
import { api, clear, h, highlighted } from "./common.js";

const $ = (id) => document.getElementById(id);
const form = $("search-form");
const input = $("search-input");

function snippet(body, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const at = words.length ? Math.max(0, body.toLowerCase().indexOf(words[0])) : 0;
  const start = Math.max(0, at - 60);
  return (start ? "…" : "") + body.slice(start, start + 220) + (body.length > start + 220 ? "…" : "");
}

async function search(query) {
  const status = $("search-status");
  const list = clear($("results"));
  try {
    const data = await api(`/api/v1/help/articles?q=${encodeURIComponent(query)}`);
    status.textContent = query
      ? `${data.items.length} article${data.items.length === 1 ? "" : "s"} found for “${query}”.`
      : "Popular articles";
    for (const a of data.items) {
      list.append(
        h(
          "li",
          { class: "result" },
          h("h2", {}, h("a", { href: `/help/articles/${encodeURIComponent(a.slug)}` }, highlighted(a.title, query))),
          h("p", {}, highlighted(snippet(a.body, query), query)),
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
