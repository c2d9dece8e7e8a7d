"""Knowledge retrieval benchmark on StackFAQ (same as `hybridcx kb eval`, plus a BM25-only row).

    .venv/bin/python bench/kb_eval.py [--data ../shared/data/stackfaq] [--split dev]

Prints the hybrid engine's metrics and the answer-or-escalate curve, and the lexical-only
anchor (the engine's own BM25 with the dense weights set to zero).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hybridcx.knowledge.engine import KnowledgeIndex, RetrievalWeights, load_documents
from hybridcx.knowledge.engine.evaluation import evaluate, load_queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path("../shared/data/stackfaq"))
    parser.add_argument("--split", default="dev")
    args = parser.parse_args()
    docs = load_documents(args.data / "faqs.jsonl")
    queries = load_queries(args.data / f"queries_{args.split}.csv")
    hybrid = KnowledgeIndex()
    hybrid.add(docs)
    rows = {"hybrid": evaluate(hybrid, queries).to_dict()}
    lexical = KnowledgeIndex(hybrid.embedder, weights=RetrievalWeights(0.0, 0.0, 1.0))
    lexical._vectors = dict(hybrid._vectors)  # same vectors, no second embedding pass
    lexical.add(docs)
    rows["bm25_only"] = evaluate(lexical, queries).to_dict()
    for name, row in rows.items():
        print(
            f"{name:10s} top1 {row['top1']:.3f}  mrr_at_10 {row['mrr_at_10']:.3f}  "
            f"recall_at_5 {row['recall_at_5']:.3f}  p50 {row['latency_p50_ms']:.1f} ms  "
            f"p99 {row['latency_p99_ms']:.1f} ms"
        )
    print(json.dumps(rows["hybrid"]["curve"], indent=1))


if __name__ == "__main__":
    main()
