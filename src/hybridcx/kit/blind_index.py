"""The keyed blind index of words.

Message text is sealed at rest, so SQL cannot search it. Each word of a stored customer or
agent message is normalised (Unicode NFKC, case-folded, accents removed) and stored as
HMAC-SHA256 under a per-workspace key derived from the keyring's blind-index key, truncated
to 128 bits. A search hashes its words the same way and looks the hashes up by equality.

What it leaks to someone who reads the database (but holds no key): which conversations share
a word, and how often a word occurs, never the word itself; equal words in two workspaces get
different hashes, so the index cannot be correlated across tenants. Whole words only: a
search finds "refund", never "fund" inside it. Pure functions, no database.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import unicodedata

from hybridcx.kit.keys import Keyring

#: Words shorter than this are not indexed (and ignored in a query).
MIN_LEN = 2
MAX_LEN = 40
#: A message indexes at most this many distinct words (a pasted log is not a search target).
MAX_TOKENS = 300
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_LABEL = b"hybridcx-search/v1:"
_keys: dict[tuple[bytes, str], bytes] = {}


def words(text: str | None) -> list[str]:
    """The distinct normalised words of ``text``, in first-seen order."""
    if not text:
        return []
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    seen: dict[str, None] = {}
    for m in _WORD.finditer(plain):
        w = m.group(0)
        if MIN_LEN <= len(w) <= MAX_LEN:
            seen.setdefault(w, None)
            if len(seen) >= MAX_TOKENS:
                break
    return list(seen)


def workspace_key(ring: Keyring, workspace_id: str) -> bytes:
    """HMAC(blind-index key, label + workspace id): one search key per workspace."""
    index_key = ring.keyset.index_key
    cached = _keys.get((index_key, workspace_id))
    if cached is None:
        cached = hmac.new(index_key, _LABEL + workspace_id.encode(), hashlib.sha256).digest()
        _keys[(index_key, workspace_id)] = cached
    return cached


@functools.lru_cache(maxsize=65_536)
def token(key: bytes, word: str) -> str:
    """The blind-index token of ``word`` under a workspace key (cached: a turn indexes the same
    everyday words again and again; the keys are per workspace, so the cache is too)."""
    return hmac.digest(key, word.encode(), "sha256").hex()[:32]


def tokens(ring: Keyring, workspace_id: str, text: str | None) -> list[str]:
    key = workspace_key(ring, workspace_id)
    return [token(key, w) for w in words(text)]


def query_tokens(ring: Keyring, workspace_id: str, query: str) -> list[str]:
    """The hashes a search for ``query`` looks up (every word must match)."""
    return tokens(ring, workspace_id, query)


def rows(
    ring: Keyring,
    workspace_id: str,
    text: str | None,
    *,
    conversation_id: str | None = None,
    customer_id: str | None = None,
) -> list[dict[str, str | None]]:
    return [
        {
            "workspace_id": workspace_id,
            "conversation_id": conversation_id,
            "customer_id": customer_id,
            "token": t,
        }
        for t in tokens(ring, workspace_id, text)
    ]


#: What people wrote: the AI's and the system's lines are the same few sentences everywhere
#: and would only make every search match.
INDEXED_AUTHORS = frozenset({"customer", "agent"})
