"""Read knowledge files into Documents: Markdown, HTML, plain text, FAQ JSONL and FAQ CSV.

Markdown may start with a YAML front matter block (`title`, `id`, `tags`, `audience`, `url`,
`version`); other formats take their title from the content and their id from the file name.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from hybridcx.knowledge.engine.documents import Document, Section, markdown_sections
from hybridcx.knowledge.engine.errors import ImportFormatError

SUPPORTED_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt", ".jsonl", ".csv")


def load_documents(path: Path | str) -> list[Document]:
    """Documents from one file, or from every supported file under a directory (sorted)."""
    path = Path(path)
    if path.is_dir():
        docs: list[Document] = []
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            if file.suffix.lower() in SUPPORTED_SUFFIXES:
                docs.extend(_load_file(file, doc_id=_slug(file.relative_to(path))))
        return docs
    if not path.is_file():
        raise ImportFormatError(f"No such file or directory: {path}")
    return _load_file(path, doc_id=_slug(Path(path.name)))


def _load_file(path: Path, *, doc_id: str) -> list[Document]:
    suffix = path.suffix.lower()
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path} is not UTF-8 text: {exc}") from exc
    if suffix in (".md", ".markdown"):
        return [parse_markdown(text, doc_id=doc_id)]
    if suffix in (".html", ".htm"):
        return [parse_html(text, doc_id=doc_id)]
    if suffix == ".txt":
        return [parse_text(text, doc_id=doc_id)]
    if suffix == ".jsonl":
        return parse_faq_jsonl(text, prefix=doc_id, source=str(path))
    if suffix == ".csv":
        return parse_faq_csv(text, prefix=doc_id, source=str(path))
    raise ImportFormatError(
        f"{path}: unsupported file type {suffix!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
    )


def _slug(relative: Path) -> str:
    stem = relative.with_suffix("").as_posix().lower()
    return re.sub(r"[^a-z0-9/]+", "-", stem).strip("-") or "document"


# -- Markdown ------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def parse_markdown(text: str, *, doc_id: str) -> Document:
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        loaded = yaml.safe_load(match.group(1))
        if not isinstance(loaded, dict):
            raise ImportFormatError(f"{doc_id}: front matter must be a mapping")
        meta, text = loaded, text[match.end() :]
    sections = tuple(
        Section(s.heading_path, _strip_markdown(s.text)) for s in markdown_sections(text)
    )
    first_heading = next((s.heading_path[0] for s in sections if s.heading_path), None)
    title = str(meta.get("title") or first_heading or _first_line(text) or doc_id)
    return _with_meta(meta, doc_id=doc_id, title=title, body=text.strip(), sections=sections)


def _strip_markdown(text: str) -> str:
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    return re.sub(r"^\s{0,3}(?:[-*+]|\d+\.|>)\s+", "", text, flags=re.MULTILINE)


def _with_meta(
    meta: dict[str, Any], *, doc_id: str, title: str, body: str, sections: tuple[Section, ...]
) -> Document:
    tags = meta.get("tags") or ()
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    try:
        return Document(
            id=str(meta.get("id") or doc_id),
            title=title,
            body=body,
            tags=tuple(str(t) for t in tags),
            audience=str(meta.get("audience") or "public"),  # type: ignore[arg-type]
            url=str(meta["url"]) if meta.get("url") else None,
            version=int(meta.get("version") or 1),
            sections=sections,
        )
    except ValueError as exc:
        raise ImportFormatError(f"{doc_id}: {exc}") from exc


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line
    return ""


# -- HTML ----------------------------------------------------------------------------------

_SKIP_TAGS = {"script", "style", "template", "noscript", "head", "svg", "iframe", "nav", "footer"}
_BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "br", "tr", "table", "section", "article", "blockquote",
    "pre", "dd", "dt", "hr", "main", "header", "aside", "form",
}  # fmt: skip
_HEADINGS = {f"h{i}": i for i in range(1, 7)}


class _HTMLSections(HTMLParser):
    """Text of an HTML page grouped under its h1-h6 headings; scripts and styles dropped.

    Only text nodes are kept (never attributes), so markup or scripts in an article cannot reach
    the answer text that a customer sees.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.sections: list[Section] = []
        self._stack: list[tuple[int, str]] = []
        self._buffer: list[str] = []
        self._heading: list[str] | None = None
        self._heading_level = 0
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
        elif tag == "title":
            self._in_title = True
        elif tag in _HEADINGS:
            self._flush()
            self._heading, self._heading_level = [], _HEADINGS[tag]
        elif tag in _BLOCK_TAGS:
            self._buffer.append("\n\n" if tag in ("p", "div", "section", "table") else "\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self._buffer.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in _HEADINGS and self._heading is not None:
            heading = " ".join("".join(self._heading).split())
            while self._stack and self._stack[-1][0] >= self._heading_level:
                self._stack.pop()
            if heading:
                self._stack.append((self._heading_level, heading))
            self._heading = None
        elif tag in _BLOCK_TAGS:
            self._buffer.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif self._skip_depth:
            return
        elif self._heading is not None:
            self._heading.append(data)
        else:
            self._buffer.append(data)

    def _flush(self) -> None:
        raw = "".join(self._buffer)
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", raw)]
        text = "\n\n".join(p for p in paragraphs if p)
        if text:
            self.sections.append(Section(tuple(h for _, h in self._stack), text))
        self._buffer.clear()

    def close(self) -> None:
        super().close()
        self._flush()


def parse_html(text: str, *, doc_id: str) -> Document:
    parser = _HTMLSections()
    parser.feed(text)
    parser.close()
    sections = tuple(parser.sections)
    first_heading = next((s.heading_path[0] for s in sections if s.heading_path), None)
    title = " ".join(parser.title.split()) or first_heading or doc_id
    body = "\n\n".join(s.text for s in sections)
    return Document(id=doc_id, title=title, body=body, sections=sections)


# -- plain text ----------------------------------------------------------------------------


def parse_text(text: str, *, doc_id: str) -> Document:
    """The first line is the title when it is short (a heading), else the file name is."""
    lines = text.strip().splitlines()
    first = lines[0].strip() if lines else ""
    if first and len(first.split()) <= 15 and len(lines) > 1:
        title, body = first, "\n".join(lines[1:]).strip()
    else:
        title, body = doc_id.rsplit("/", 1)[-1].replace("-", " ").capitalize(), text.strip()
    return Document(id=doc_id, title=title, body=body, sections=(Section((), body),))


# -- FAQ files -----------------------------------------------------------------------------


def _faq_document(
    question: str, answers: list[str], *, doc_id: str, extra: dict[str, Any] | None = None
) -> Document:
    answers = [a.strip() for a in answers if a and a.strip()]
    sections = tuple(Section((), a) for a in answers)
    return _with_meta(
        extra or {}, doc_id=doc_id, title=question.strip(), body="\n\n".join(answers),
        sections=sections,
    )  # fmt: skip


def parse_faq_jsonl(text: str, *, prefix: str, source: str = "FAQ file") -> list[Document]:
    """One FAQ per line: {"question", "answers" (str or list)} and optional id / faq_id."""
    docs: list[Document] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFormatError(f"{source}:{lineno}: invalid JSON: {exc.msg}") from exc
        if not isinstance(row, dict) or not row.get("question"):
            raise ImportFormatError(f"{source}:{lineno}: expected an object with a 'question'")
        answers = row.get("answers", row.get("answer"))
        if isinstance(answers, str):
            answers = [answers]
        if not isinstance(answers, list) or not answers:
            raise ImportFormatError(f"{source}:{lineno}: 'answers' must be a string or a list")
        doc_id = str(row.get("id") or row.get("faq_id") or f"{prefix}-{lineno}")
        meta = {k: row[k] for k in ("tags", "audience", "url", "version") if k in row}
        docs.append(
            _faq_document(
                str(row["question"]), [str(a) for a in answers], doc_id=doc_id, extra=meta
            )
        )
    return docs


def parse_faq_csv(text: str, *, prefix: str, source: str = "FAQ file") -> list[Document]:
    """Rows of question,answer[,id] (a header row is optional); rows sharing an id merge."""
    rows = list(csv.reader(io.StringIO(text)))
    has_header = bool(rows) and [c.strip().lower() for c in rows[0][:2]] == ["question", "answer"]
    header = [c.strip().lower() for c in rows[0]] if has_header else ["question", "answer", "id"]
    rows = rows[1:] if has_header else rows
    merged: dict[str, tuple[str, list[str]]] = {}
    for lineno, row in enumerate(rows, start=2 if has_header else 1):
        if not any(c.strip() for c in row):
            continue
        record = dict(zip(header, row, strict=False))
        question, answer = record.get("question", "").strip(), record.get("answer", "").strip()
        if not question or not answer:
            raise ImportFormatError(f"{source}:{lineno}: a row needs a question and an answer")
        doc_id = record.get("id", "").strip() or f"{prefix}-{len(merged) + 1}"
        merged.setdefault(doc_id, (question, []))[1].append(answer)
    return [_faq_document(q, answers, doc_id=i) for i, (q, answers) in merged.items()]
