"""Intent discovery: a planted group of similar messages clusters together, not with unrelated
ones (real MiniLM vectors); over HTTP, the unhandled ones become a cluster an admin accepts."""

from __future__ import annotations

from typing import Any

import pytest

from hybridcx.improvement.discovery import discover, intent_centroids
from hybridcx.improvement.redact import redact_for_training
from hybridcx.improvement.retrain import learning_embedder
from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples
from hybridcx.pipeline.policy import LearningPolicy
from tests.support import Api

# Something the demo company has no intent for: influencer and affiliate partnerships.
PLANTED = [
    "Do you have an affiliate program for bloggers?",
    "I run an outdoor blog, can we collaborate?",
    "I'm an influencer, do you do sponsored posts?",
    "Do you partner with content creators?",
    "Can I earn commission by promoting your products on my blog?",
    "Do you work with YouTubers on sponsored videos?",
]
# The same theme in words the demo model is unsure about (below the 0.70 threshold), so the AI
# hands them to people: what discovery reads from the event log.
BLOG = [
    "I run an outdoor blog, can we collaborate?",
    "Can I earn commission by promoting your products on my blog?",
    "Could my travel blog partner with Northwind?",
    "I have a camping blog, do you do collaborations?",
    "Would you sponsor my outdoor blog?",
    "Can bloggers get paid to review your gear?",
    "My blog has 50k readers, can we team up?",
]
UNRELATED = [
    "what tog rating is the sleeping bag",
    "My bike chain keeps slipping",
    "What's the weather like tomorrow?",
    "Tell me a joke",
    "my tent pole snapped on the first night",
    "how do I waterproof my boots",
    "Can I bring my dog into the store?",
    "Do you sell bike helmets for kids?",
]


@pytest.fixture(scope="module")
def centroids() -> dict[str, Any]:
    base = load_examples(DEMO_INTENTS_PATH)
    vectors = learning_embedder().encode([t for t, _ in base])
    return intent_centroids(vectors, [label for _, label in base])


def _discover(texts: list[str], centroids: dict[str, Any]) -> list[Any]:
    policy = LearningPolicy()
    return discover(
        texts,
        learning_embedder().encode(texts),
        centroids,
        distance=policy.discovery_distance,
        min_size=policy.discovery_min_size,
        existing_similarity=policy.existing_intent_similarity,
    )


def test_planted_group_clusters_together_and_apart_from_unrelated(centroids: Any) -> None:
    texts = UNRELATED[:4] + PLANTED + UNRELATED[4:]
    planted = {texts.index(t) for t in PLANTED}
    clusters = _discover(texts, centroids)
    [cluster] = [c for c in clusters if planted & set(c.members)]
    assert set(cluster.members) == planted
    assert cluster.suggestion == "new_intent"
    assert cluster.similarity < LearningPolicy().existing_intent_similarity
    assert {"blog", "sponsored", "affiliate"} & set(cluster.keywords)
    for other in clusters:
        if other is not cluster:
            assert not planted & set(other.members)


def test_a_group_like_an_existing_intent_is_suggested_as_more_examples(centroids: Any) -> None:
    texts = [
        "can I buy a voucher for my friend",
        "do you have gift vouchers",
        "how do gift cards work online",
        "can I get a present card for my brother",
        *UNRELATED[:3],
    ]
    [cluster] = [c for c in _discover(texts, centroids) if 0 in c.members]
    assert set(cluster.members) == {0, 1, 2, 3}
    assert cluster.suggestion == "existing_intent"
    assert cluster.nearest_intent == cluster.label == "gift_cards"


def test_discovery_over_http_finds_the_unhandled_messages(api: Api) -> None:
    flagged: list[str] = []
    for text in BLOG + UNRELATED:
        conv = api.start("alex@example.com", "Alex")  # a demo customer: consented to training
        r = api.say(conv, text)
        assert r.status_code == 200, r.text
        if "low_confidence" in r.json()["conversation"]["routing"]["reasons"]:
            flagged.append(text)
    planted = [t for t in flagged if t in BLOG]
    assert len(planted) >= 3, f"the demo model handled too many planted messages: {flagged}"

    agent = api.login("agent@example.com", "demo-agent")
    admin = api.login("admin@example.com", "demo-admin")
    assert api.staff(agent, "POST", "/api/v1/improvement/discover").status_code == 403
    r = api.staff(admin, "POST", "/api/v1/improvement/discover")
    assert r.status_code == 200, r.text
    clusters = r.json()["items"]
    texts_of = [{e["text"] for e in c["examples"]} for c in clusters]
    [cluster] = [c for c, texts in zip(clusters, texts_of, strict=True) if texts & set(planted)]
    # Shown as they will be trained on: personal data (and anything NER takes for a name, such
    # as a brand) redacted.
    # Clustering leaves a message out when it sits too far from the others (noise): most of the
    # planted ones, and nothing else, make the cluster.
    found = {e["text"] for e in cluster["examples"]}
    assert len(found) >= 3 and found <= {redact_for_training(t) for t in planted}, found
    assert cluster["suggestion"] == "new_intent" and cluster["status"] == "suggested"

    # An admin accepts it as a new intent: its messages join the training data.
    path = f"/api/v1/improvement/clusters/{cluster['id']}/accept"
    assert api.staff(admin, "POST", path, json={"intent": "Bad Name"}).status_code == 422
    r = api.staff(admin, "POST", path, json={"intent": "partnerships"})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert api.staff(admin, "POST", path).status_code == 409
    examples = api.staff(admin, "GET", "/api/v1/improvement/examples?status=accepted").json()
    accepted = [e for e in examples["items"] if e["source"] == "discovery"]
    assert {e["text"] for e in accepted} == found
    assert {e["intent"] for e in accepted} == {"partnerships"}
    # Discovering again does not suggest what was already decided.
    again = api.staff(admin, "POST", "/api/v1/improvement/discover").json()["items"]
    assert not any({e["text"] for e in c["examples"]} & found for c in again)


def test_discovery_leaves_out_customers_without_training_consent(api: Api) -> None:
    for i, text in enumerate(BLOG):
        conv = api.start(f"no.consent{i}@example.org", "Someone")
        assert api.say(conv, text).status_code == 200
    admin = api.login("admin@example.com", "demo-admin")
    r = api.staff(admin, "POST", "/api/v1/improvement/discover")
    assert r.status_code == 200 and r.json()["items"] == []
