"""Intent discovery: group messages the AI could not handle and say what each group looks like.

MiniLM sentence vectors, agglomerative clustering with average linkage under a cosine distance
threshold (no number of clusters to guess; small groups are dropped), top TF-IDF keywords as a
suggested label, and the nearest existing intent by cosine similarity of the cluster's centroid
to each intent's centroid. Pure: vectors and intent centroids are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

_PLACEHOLDER = re.compile(r"\[[A-Z]+\]")


@dataclass(frozen=True)
class Cluster:
    members: list[int]  # indexes into the texts given
    keywords: list[str]
    label: str
    nearest_intent: str | None
    similarity: float
    suggestion: str  # "new_intent" | "existing_intent"


def cluster_indexes(vectors: np.ndarray, *, distance: float, min_size: int) -> list[list[int]]:
    """Groups of at least `min_size` rows whose average cosine distance stays under `distance`,
    largest first."""
    if len(vectors) < max(2, min_size):
        return []
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    ).fit_predict(vectors)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    found = [g for g in groups.values() if len(g) >= min_size]
    return sorted(found, key=lambda g: (-len(g), g[0]))


def keywords(texts: Sequence[str], members: Sequence[int], top: int = 3) -> list[str]:
    """Words that set this cluster apart: mean TF-IDF in the cluster (stop words removed)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [_PLACEHOLDER.sub(" ", t) for t in texts]
    try:
        tfidf = TfidfVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z]{3,}\b")
        matrix = tfidf.fit_transform(docs)
    except ValueError:  # only stop words
        return []
    scores = np.asarray(matrix[list(members)].mean(axis=0)).ravel()
    vocab = tfidf.get_feature_names_out()
    order = np.argsort(-scores)
    return [str(vocab[i]) for i in order[:top] if scores[i] > 0]


def intent_centroids(vectors: np.ndarray, labels: Sequence[str]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for label in sorted(set(labels)):
        rows = vectors[[i for i, lbl in enumerate(labels) if lbl == label]].astype(np.float32)
        centroid = rows.mean(axis=0)
        out[label] = centroid / (np.linalg.norm(centroid) or 1.0)
    return out


def discover(
    texts: Sequence[str],
    vectors: np.ndarray,
    centroids: Mapping[str, np.ndarray],
    *,
    distance: float,
    min_size: int,
    existing_similarity: float,
    oos_label: str = "oos",
) -> list[Cluster]:
    clusters = []
    known = {k: v for k, v in centroids.items() if k != oos_label}
    for members in cluster_indexes(vectors, distance=distance, min_size=min_size):
        words = keywords(texts, members)
        centroid = vectors[members].mean(axis=0)
        centroid = centroid / (np.linalg.norm(centroid) or 1.0)
        nearest, similarity = None, 0.0
        for intent, vec in known.items():
            sim = float(centroid @ vec)
            if sim > similarity:
                nearest, similarity = intent, sim
        existing = nearest is not None and similarity >= existing_similarity
        clusters.append(
            Cluster(
                members=members,
                keywords=words,
                label=nearest if existing and nearest else "_".join(words[:2]) or "new_intent",
                nearest_intent=nearest,
                similarity=round(similarity, 4),
                suggestion="existing_intent" if existing else "new_intent",
            )
        )
    return clusters
