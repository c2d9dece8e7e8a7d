from __future__ import annotations

from hybridcx.knowledge.engine import Document, split_document
from hybridcx.knowledge.engine.documents import MAX_WORDS


def _sentences(n: int, word: str) -> str:
    return " ".join(f"The {word} sentence number {i} has some words in it." for i in range(n))


def test_long_sections_are_cut_into_bounded_passages_keeping_the_heading_path() -> None:
    body = (
        "# Returns\nShort intro.\n\n"
        f"## Damaged items\n{_sentences(60, 'damaged')}\n\n{_sentences(20, 'photo')}\n\n"
        "## Refund timing\nRefunds take 5 days."
    )
    passages = split_document(Document("returns", "Returns", body))
    headings = [p.heading for p in passages]
    assert headings[0] == "Returns" and headings[-1] == "Returns > Refund timing"
    damaged = [p for p in passages if p.heading == "Returns > Damaged items"]
    assert len(damaged) >= 3
    assert all(len(p.text.split()) <= MAX_WORDS for p in passages)
    assert all(len(p.text.split()) >= 80 for p in damaged)
    assert len({p.id for p in passages}) == len(passages)


def test_heading_levels_pop_correctly() -> None:
    body = "# A\na\n### C\nc\n## B\nb\n# D\nd"
    paths = [p.heading_path for p in split_document(Document("x", "X", body))]
    assert paths == [("A",), ("A", "C"), ("A", "B"), ("D",)]


def test_code_fences_do_not_start_headings() -> None:
    body = "# Setup\n```\n# not a heading\n```\nDone."
    [passage] = split_document(Document("x", "X", body))
    assert passage.heading == "Setup" and "# not a heading" in passage.text


def test_title_only_document_is_still_a_passage() -> None:
    [passage] = split_document(Document("x", "Opening hours", ""))
    assert passage.text == "Opening hours"
