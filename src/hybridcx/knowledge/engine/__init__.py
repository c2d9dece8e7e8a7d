"""The knowledge engine: documents, importers, PII masking, hybrid retrieval and answering.

Pure and in-memory: no database, no settings. The server keeps one `KnowledgeIndex` per
workspace, feeds it documents from its tables, and persists it with `save`/`load`.
"""

from hybridcx.knowledge.engine.answer import (
    DEFAULT_THRESHOLD,
    NO_ANSWER_TEXT,
    Answer,
    Answerer,
    ExtractiveAnswerer,
    answer,
    confidence_of,
)
from hybridcx.knowledge.engine.documents import (
    Audience,
    Document,
    Passage,
    Section,
    split_document,
)
from hybridcx.knowledge.engine.errors import (
    ImportFormatError,
    IndexFormatError,
    KnowledgeError,
    LLMProviderError,
)
from hybridcx.knowledge.engine.importers import load_documents
from hybridcx.knowledge.engine.index import Hit, KnowledgeIndex, RetrievalWeights
from hybridcx.knowledge.engine.llm import (
    ChatMessage,
    GenerativeAnswerer,
    LLMProvider,
    build_grounded_messages,
)
from hybridcx.knowledge.engine.openai_compat import OpenAICompatibleProvider
from hybridcx.knowledge.engine.pii import mask_pii
from hybridcx.knowledge.engine.serialization import document_from_dict, document_to_dict

__all__ = [
    "DEFAULT_THRESHOLD",
    "NO_ANSWER_TEXT",
    "Answer",
    "Answerer",
    "Audience",
    "ChatMessage",
    "Document",
    "ExtractiveAnswerer",
    "GenerativeAnswerer",
    "Hit",
    "ImportFormatError",
    "IndexFormatError",
    "KnowledgeError",
    "KnowledgeIndex",
    "LLMProvider",
    "LLMProviderError",
    "OpenAICompatibleProvider",
    "Passage",
    "RetrievalWeights",
    "Section",
    "answer",
    "build_grounded_messages",
    "confidence_of",
    "document_from_dict",
    "document_to_dict",
    "load_documents",
    "mask_pii",
    "split_document",
]
