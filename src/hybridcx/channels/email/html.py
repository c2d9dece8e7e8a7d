"""HTML mail bodies as plain text, with the standard library's tokenizer only.

Nothing is rendered or fetched: scripts, styles and the head are dropped, tags become line breaks
where a reader would see one, links keep their target in brackets, and ``<blockquote>`` content
is marked with "> " so the quoted-reply stripper treats it like a plain-text quote.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "svg"})
BLOCK = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "table",
        "tr",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "hr",
        "address",
        "center",
        "form",
        "dl",
        "dt",
        "dd",
    }
)
VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "wbr"})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.quote_depth = 0
        self.pre_depth = 0
        self.link: tuple[str, int] | None = None  # href, index into current when opened

    # ---- line handling ---------------------------------------------------------------------
    def _break(self) -> None:
        line = "".join(self.current)
        line = line if self.pre_depth else re.sub(r"[ \t\r\f\v]+", " ", line).strip()
        self.lines.append(("> " * self.quote_depth + line) if line or self.quote_depth else "")
        self.current = []

    def _soft_break(self) -> None:
        if self.current and "".join(self.current).strip():
            self._break()

    # ---- parser callbacks ------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag == "br":
            self._break()
        elif tag == "blockquote":
            self._soft_break()
            self.quote_depth += 1
        elif tag == "li":
            self._soft_break()
            self.current.append("- ")
        elif tag in BLOCK:
            self._soft_break()
            if tag == "pre":
                self.pre_depth += 1
        elif tag in ("td", "th") and self.current:
            self.current.append(" ")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.link = (href, len(self.current))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.current.append(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if tag == "blockquote":
            self._soft_break()
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag in BLOCK or tag == "li":
            self._soft_break()
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
        elif tag == "a" and self.link is not None:
            href, start = self.link
            self.link = None
            label = "".join(self.current[start:]).strip()
            if href.startswith(("http://", "https://")) and href != label:
                self.current.append(f" ({href})")
            elif href.startswith("mailto:") and href[7:] != label:
                self.current.append(f" ({href[7:]})")

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        data = data.replace("\xa0", " ")
        if self.pre_depth:
            parts = data.split("\n")
            for i, part in enumerate(parts):
                if i:
                    self._break()
                self.current.append(part)
        else:
            self.current.append(data.replace("\n", " "))

    def text(self) -> str:
        self._soft_break()
        out: list[str] = []
        for line in self.lines:
            if not line.strip() and out and not out[-1].strip():
                continue  # one blank line is enough
            out.append(line.rstrip())
        return "\n".join(out).strip()


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body; never executes or loads anything."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return parser.text()
