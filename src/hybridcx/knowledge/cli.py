"""`hybridcx kb`: import knowledge files into an index, search it, and benchmark retrieval.

Only typer is imported at module level so `hybridcx --help` stays fast; the engine (numpy,
onnxruntime) loads inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

kb_app = typer.Typer(help="Knowledge base: import, search, evaluate.", no_args_is_help=True)


@kb_app.command("import")
def import_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A knowledge file or a folder of them.")],
    workspace: Annotated[str, typer.Option(help="Workspace slug to import into.")] = "default",
    index_out: Annotated[
        Path | None,
        typer.Option(help="Also save an offline search index here (for `kb search --index`)."),
    ] = None,
) -> None:
    """Import Markdown, HTML, text and FAQ (JSONL/CSV) files as articles of a workspace.

    Articles are matched by slug: new ones are created, changed ones get a new version, and
    the running server re-indexes only what changed."""
    import asyncio

    from hybridcx.kit.cli import cli_settings
    from hybridcx.knowledge.engine import KnowledgeError, KnowledgeIndex, load_documents

    try:
        docs = load_documents(path)
    except KnowledgeError as exc:
        raise typer.BadParameter(str(exc)) from exc
    database_url = cli_settings(ctx).effective_database_url
    created, updated, unchanged = asyncio.run(_import_into_db(database_url, docs, workspace))
    typer.echo(
        f"Imported {len(docs)} documents into workspace {workspace!r}: "
        f"{created} new, {updated} updated, {unchanged} unchanged."
    )
    if index_out is not None:
        index = (
            KnowledgeIndex.load(index_out)
            if (index_out / "index.json").is_file()
            else KnowledgeIndex()
        )
        index.add(docs)
        index.save(index_out)
        typer.echo(f"Offline index saved to {index_out} ({len(index)} documents).")


async def _import_into_db(
    database_url: str, docs: list[Any], workspace: str
) -> tuple[int, int, int]:
    from sqlalchemy import select

    from hybridcx.kit.db import create_engine, session_factory, transaction, upgrade
    from hybridcx.kit.ids import new_id, utcnow
    from hybridcx.knowledge.schemas import slugify
    from hybridcx.models import Article, Workspace

    engine = create_engine(database_url)
    counts = [0, 0, 0]
    try:
        await upgrade(engine)
        async with transaction(session_factory(engine)) as session:
            ws = (
                await session.execute(select(Workspace).where(Workspace.slug == workspace))
            ).scalar_one_or_none()
            if ws is None:
                raise typer.BadParameter(
                    f"No workspace {workspace!r} (create it with `hybridcx workspace create`)."
                )
            for doc in docs:
                slug = slugify(doc.id)
                body = _body_of(doc)
                found = (
                    await session.execute(
                        select(Article).where(Article.workspace_id == ws.id, Article.slug == slug)
                    )
                ).scalar_one_or_none()
                if found is None:
                    session.add(
                        Article(
                            id=new_id(),
                            workspace_id=ws.id,
                            slug=slug,
                            title=doc.title,
                            body=body,
                            tags=list(doc.tags),
                            audience=doc.audience,
                            version=1,
                        )
                    )
                    counts[0] += 1
                elif (found.title, found.body, found.audience, list(found.tags or [])) != (
                    doc.title,
                    body,
                    doc.audience,
                    list(doc.tags),
                ):
                    found.title, found.body, found.audience, found.tags = (
                        doc.title,
                        body,
                        doc.audience,
                        list(doc.tags),
                    )
                    found.version += 1
                    found.updated_at = utcnow()
                    counts[1] += 1
                else:
                    counts[2] += 1
    finally:
        await engine.dispose()
    return counts[0], counts[1], counts[2]


def _body_of(doc: Any) -> str:
    """The document as Markdown, so structured imports (HTML) keep their heading paths."""
    if not doc.sections:
        return str(doc.body)
    parts = []
    for section in doc.sections:
        if section.heading_path:
            parts.append("#" * len(section.heading_path) + " " + section.heading_path[-1])
        parts.append(section.text)
    return "\n\n".join(parts)


@kb_app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="What a customer or agent asks.")],
    index_dir: Annotated[Path, typer.Option("--index", help="Index folder from `kb import`.")],
    k: Annotated[int, typer.Option(help="How many passages.")] = 5,
    internal: Annotated[bool, typer.Option(help="Include internal documents.")] = False,
) -> None:
    """Show the best passages and the answer the engine would give."""
    from hybridcx.knowledge.engine import KnowledgeIndex, answer
    from hybridcx.knowledge.engine.index import SearchAudience

    index = KnowledgeIndex.load(index_dir)
    audience: SearchAudience = "all" if internal else "public"
    for hit in index.search(query, k, audience=audience):
        where = f" > {hit.heading}" if hit.heading else ""
        typer.echo(f"{hit.score:6.3f}  {hit.title}{where}  [{hit.doc_id}]")
    result = answer(query, index, audience=audience)
    verdict = "answer" if result.answered else "escalate"
    typer.echo(f"\n{verdict} (confidence {result.confidence:.2f}): {result.text}")


@kb_app.command("eval")
def eval_command(
    kb: Annotated[Path, typer.Option(help="FAQ file (JSONL or CSV) used as the knowledge base.")],
    queries: Annotated[Path, typer.Option(help="CSV of text,label (label = FAQ id).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    cache: Annotated[
        Path | None, typer.Option(help="Index folder to reuse across runs (skips embedding).")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="Search through the server's knowledge service on this database instead of an "
            "in-memory index (on PostgreSQL with pgvector: the shared vector store). The FAQ "
            "goes into a scratch workspace, deleted afterwards."
        ),
    ] = None,
) -> None:
    """Index an FAQ file and score labelled queries: top1, MRR@10, recall@5, latency, curve."""
    from hybridcx.kit.db_url import normalize_database_url
    from hybridcx.knowledge.engine import KnowledgeError, KnowledgeIndex, load_documents
    from hybridcx.knowledge.engine.evaluation import evaluate, load_queries

    try:
        docs = load_documents(kb)
        labeled = load_queries(queries)
        index = KnowledgeIndex.load(cache) if cache and (cache / "index.json").is_file() else None
    except KnowledgeError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if database_url:
        import structlog

        from hybridcx.kit.logging import stderr_logger_factory
        from hybridcx.knowledge.store_eval import StoreSearcher

        # The service logs which store it chose: on stderr, stdout is the report (JSON).
        structlog.configure(logger_factory=stderr_logger_factory())
        searcher = StoreSearcher.open(normalize_database_url(database_url), docs)
        try:
            typer.echo(f"store: {searcher.store}", err=True)
            result = evaluate(searcher, labeled)
        finally:
            searcher.close()
    else:
        index = index or KnowledgeIndex()
        index.add(docs)
        if cache:
            index.save(cache)
        result = evaluate(index, labeled)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    typer.echo(f"{result.queries} queries over {result.documents} documents")
    typer.echo(
        f"top1 {result.top1:.3f}  mrr_at_10 {result.mrr_at_10:.3f}  "
        f"recall_at_5 {result.recall_at_5:.3f}"
    )
    typer.echo(f"latency p50 {result.latency_p50_ms:.1f} ms  p99 {result.latency_p99_ms:.1f} ms")
    typer.echo("answer-or-escalate: threshold  coverage  accuracy  false answers (FAQ removed)")
    for p in result.curve:
        typer.echo(
            f"  {p.threshold:>27.2f}  {p.coverage:8.3f}  {p.accuracy:8.3f}  {p.false_answer_rate:8.3f}"
        )
