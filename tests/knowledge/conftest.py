from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from hybridcx.knowledge.engine import Document
from hybridcx.nlu.embeddings import SharedEncoder, shared_embedder


class HashingEmbedder:
    """A fast, deterministic bag-of-words embedder that counts what it is asked to embed."""

    model_id = "test-hashing"
    dim = 64

    def __init__(self) -> None:
        self.calls: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.clip(norms, 1e-9, None)


@pytest.fixture
def hashing() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def minilm() -> SharedEncoder:
    return shared_embedder()


HELP_CENTRE = [
    Document(
        "returns",
        "Returns and refunds",
        "# Returns\nYou can return any item within 30 days of delivery for a full refund. "
        "Start a return from the Orders page and print the prepaid label.\n\n"
        "## Damaged items\nIf an item arrived broken or damaged, send us a photo and we ship "
        "a replacement at no cost; you do not need to send the broken item back.",
        url="https://help.example.com/returns",
    ),
    Document(
        "password",
        "Resetting your password",
        "Forgot your password? Click 'Forgot password' on the sign-in page and we email you a "
        "link to choose a new one. The link expires after one hour.",
        url="https://help.example.com/password",
    ),
    Document(
        "xr2000",
        "XR-2000 blender: error E42",
        "Error E42 on the XR-2000 means the jug is not locked. Twist the jug clockwise until it "
        "clicks, then press start again.",
        url="https://help.example.com/xr2000",
    ),
    Document(
        "shipping",
        "Shipping times",
        "Standard delivery takes 3 to 5 working days. Express delivery arrives the next working "
        "day when you order before 2 pm.",
        url="https://help.example.com/shipping",
    ),
    Document(
        "fraud-playbook",
        "Chargeback playbook (staff only)",
        "When a customer disputes a charge, freeze the account and escalate to the payments "
        "team. Never promise a refund before the review.",
        audience="internal",
    ),
]


@pytest.fixture
def help_centre() -> list[Document]:
    return list(HELP_CENTRE)
