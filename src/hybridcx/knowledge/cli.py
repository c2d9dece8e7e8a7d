"""`hybridcx kb`: import knowledge files into an index, search it, and benchmark retrieval.

Only typer is imported at module level so `hybridcx --help` stays fast; the engine (numpy,
onnxruntime) loads inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

kb_app = typer.Typer(help="Knowledge base: import, search, evaluate.", no_args_is_help=True)


@kb_app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="A knowledge file or a folder of them.")],
    out: Annotated[
        Path | None, typer.Option(help="Index folder (default: <data dir>/knowledge-index).")
    ] = None,
) -> None:
    """Load Markdown, HTML, text and FAQ (JSONL/CSV) files and build a saved search index."""
    from hybridcx.knowledge.engine import KnowledgeError, KnowledgeIndex, load_documents

    if out is None:
        from hybridcx.config import Settings

        out = Settings().data_dir / "knowledge-index"
    try:
        docs = load_documents(path)
        index = KnowledgeIndex.load(out) if (out / "index.json").is_file() else KnowledgeIndex()
    except KnowledgeError as exc:
        raise typer.BadParameter(str(exc)) from exc
    embedded = index.add(docs)
    index.save(out)
    passages = sum(len(index.passages(d.id)) for d in docs)
    typer.echo(
        f"Imported {len(docs)} documents ({passages} passages, {embedded} texts embedded) "
        f"into {out}; the index holds {len(index)} documents."
    )


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
) -> None:
    """Index an FAQ file and score labelled queries: top1, MRR@10, recall@5, latency, curve."""
    from hybridcx.knowledge.engine import KnowledgeError, KnowledgeIndex, load_documents
    from hybridcx.knowledge.engine.evaluation import evaluate, load_queries

    try:
        docs = load_documents(kb)
        labeled = load_queries(queries)
        index = KnowledgeIndex.load(cache) if cache and (cache / "index.json").is_file() else None
    except KnowledgeError as exc:
        raise typer.BadParameter(str(exc)) from exc
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
