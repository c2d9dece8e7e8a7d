from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from hybridcx.knowledge.engine import Document, IndexFormatError, KnowledgeIndex
from hybridcx.nlu.embeddings import MiniLMEmbedder
from tests.knowledge.conftest import HashingEmbedder


def test_changing_one_document_re_embeds_only_its_changed_passages(
    hashing: HashingEmbedder, help_centre: list[Document]
) -> None:
    index = KnowledgeIndex(hashing)
    first = index.add(help_centre)
    assert first == len(hashing.calls) > 0
    hashing.calls.clear()

    shipping = next(d for d in help_centre if d.id == "shipping")
    edited = replace(shipping, body=shipping.body + " Saturday delivery costs extra.", version=2)
    index.update(edited)
    # One passage text changed; the title vector is reused.
    assert len(hashing.calls) == 1 and "Saturday" in hashing.calls[0]

    hashing.calls.clear()
    index.update(replace(edited, tags=("delivery",), version=3))  # metadata only
    assert hashing.calls == []
    assert index.get("shipping").version == 3  # type: ignore[union-attr]


def test_removing_a_document_removes_its_hits(
    hashing: HashingEmbedder, help_centre: list[Document]
) -> None:
    index = KnowledgeIndex(hashing)
    index.add(help_centre)
    assert index.search("XR-2000 error E42", 1)[0].doc_id == "xr2000"
    assert index.remove("xr2000") and not index.remove("xr2000")
    assert all(h.doc_id != "xr2000" for h in index.search("XR-2000 error E42", 10))
    assert "xr2000" not in index and len(index) == len(help_centre) - 1


def test_internal_documents_are_hidden_from_the_public(
    hashing: HashingEmbedder, help_centre: list[Document]
) -> None:
    index = KnowledgeIndex(hashing)
    index.add(help_centre)
    query = "chargeback playbook disputes freeze the account"
    assert all(h.doc_id != "fraud-playbook" for h in index.search(query, 10))
    assert index.search(query, 1, audience="all")[0].doc_id == "fraud-playbook"


def test_save_and_load_round_trip_skips_embedding(
    tmp_path: Path, hashing: HashingEmbedder, help_centre: list[Document]
) -> None:
    index = KnowledgeIndex(hashing)
    index.add(help_centre)
    before = index.search("how long does delivery take", 3)
    index.save(tmp_path / "ix")

    assert json.loads((tmp_path / "ix" / "index.json").read_text())["format"]
    with np.load(tmp_path / "ix" / "vectors.npz", allow_pickle=False) as npz:
        assert npz["vectors"].dtype == np.float32

    fresh = HashingEmbedder()
    loaded = KnowledgeIndex.load(tmp_path / "ix", fresh)
    after = loaded.search("how long does delivery take", 3)
    assert [(h.passage_id, round(h.score, 5)) for h in after] == [
        (h.passage_id, round(h.score, 5)) for h in before
    ]
    assert [c for c in fresh.calls if c != "how long does delivery take"] == []
    assert loaded.get("returns") == index.get("returns")


def test_loading_a_foreign_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError):
        KnowledgeIndex.load(tmp_path)


def test_hybrid_finds_exact_codes_and_paraphrases(
    minilm: MiniLMEmbedder, help_centre: list[Document]
) -> None:
    index = KnowledgeIndex(minilm)
    index.add(help_centre)
    [code_hit] = index.search("E42", 1)
    assert code_hit.doc_id == "xr2000" and code_hit.lexical_rank == 1
    # No word in common with the article except stop words: only the dense side can find it.
    [para] = index.search("I can't remember how I log in", 1)
    assert para.doc_id == "password" and para.lexical_rank is None
    [damaged] = index.search("the vase came smashed, what now?", 1)
    assert damaged.doc_id == "returns" and damaged.heading == "Returns > Damaged items"
    assert damaged.url == "https://help.example.com/returns"
