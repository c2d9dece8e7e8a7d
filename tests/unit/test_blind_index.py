"""The search index's words and keyed hashes, without a database."""

from __future__ import annotations

from hybridcx.kit.blind_index import MAX_TOKENS, query_tokens, tokens, words
from hybridcx.kit.keys import Keyring, generate_keyset


def test_words_are_normalised_whole_and_distinct() -> None:
    assert words("Café CAFÉ cafe, the REFUND-request; 2x I") == [
        "cafe",
        "the",
        "refund",
        "request",
        "2x",
    ]
    assert words("") == [] and words(None) == []
    assert words("ﬁle") == ["file"]  # NFKC: the ligature is two letters
    assert words("a_b") == []  # single letters are not words worth indexing
    assert len(words(" ".join(f"w{i}" for i in range(1000)))) == MAX_TOKENS


def test_tokens_are_keyed_per_workspace_and_reveal_no_word() -> None:
    ring = Keyring(generate_keyset())
    a = tokens(ring, "ws-a", "Refund please")
    assert a == query_tokens(ring, "ws-a", "REFUND Please")
    assert all(len(t) == 32 and "refund" not in t for t in a)
    assert tokens(ring, "ws-b", "Refund please") != a  # not comparable across workspaces
    other = Keyring(generate_keyset())
    assert tokens(other, "ws-a", "Refund please") != a  # another key, other hashes
    assert tokens(ring, "ws-a", "refunds") != tokens(ring, "ws-a", "refund")
