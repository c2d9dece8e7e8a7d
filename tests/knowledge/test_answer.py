from __future__ import annotations

import pytest

from hybridcx.knowledge.engine import KnowledgeIndex, answer
from hybridcx.knowledge.engine.answer import trim_to_answer
from hybridcx.nlu.embeddings import MiniLMEmbedder


@pytest.fixture(scope="module")
def index(minilm: MiniLMEmbedder) -> KnowledgeIndex:
    from tests.knowledge.conftest import HELP_CENTRE

    built = KnowledgeIndex(minilm)
    built.add(HELP_CENTRE)
    return built


def test_answers_a_policy_question_with_its_source(index: KnowledgeIndex) -> None:
    result = answer("How do I reset my password?", index)
    assert result.answered and result.confidence >= 0.5
    assert "Forgot password" in result.text
    assert [s.doc_id for s in result.sources] == ["password"]
    assert result.sources[0].url == "https://help.example.com/password"


@pytest.mark.parametrize(
    "question", ["What is the capital of Peru?", "Can you recommend a good pizza recipe?"]
)
def test_unanswerable_questions_escalate(index: KnowledgeIndex, question: str) -> None:
    result = answer(question, index)
    assert not result.answered and result.sources == ()
    assert result.confidence < 0.5 and result.candidates


def test_internal_articles_never_answer_customers(index: KnowledgeIndex) -> None:
    question = "What do we do when a customer disputes a charge with a chargeback?"
    public = answer(question, index)
    assert all(h.doc_id != "fraud-playbook" for h in public.candidates + public.sources)
    staff = answer(question, index, audience="all")
    assert staff.answered and staff.sources[0].doc_id == "fraud-playbook"


def test_threshold_is_a_parameter(index: KnowledgeIndex) -> None:
    assert not answer("How do I reset my password?", index, threshold=1.01).answered


def test_trim_keeps_the_sentences_about_the_question() -> None:
    text = (
        "Our store opened in 1999 and has grown a lot since then with many new products. "
        * 4
        + "Refunds are paid to the original card within five working days. "
        "Bank transfers can take two more days to appear on your statement."
    )
    trimmed = trim_to_answer("when will my refund be paid", text, max_words=30)
    assert trimmed.startswith("Refunds are paid") and "Bank transfers" in trimmed
