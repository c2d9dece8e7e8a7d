"""Documents to and from plain JSON-able dicts (the index file, and the DB layer's payloads)."""

from __future__ import annotations

from typing import Any

from hybridcx.knowledge.engine.documents import Document, Section


def document_to_dict(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "title": doc.title,
        "body": doc.body,
        "tags": list(doc.tags),
        "audience": doc.audience,
        "url": doc.url,
        "version": doc.version,
        "sections": [{"heading_path": list(s.heading_path), "text": s.text} for s in doc.sections],
    }


def document_from_dict(data: dict[str, Any]) -> Document:
    return Document(
        id=str(data["id"]),
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        tags=tuple(str(t) for t in data.get("tags") or ()),
        audience=data.get("audience", "public"),
        url=data.get("url"),
        version=int(data.get("version", 1)),
        sections=tuple(
            Section(tuple(str(h) for h in s["heading_path"]), str(s["text"]))
            for s in data.get("sections") or ()
        ),
    )
