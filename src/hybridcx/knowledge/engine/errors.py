"""Typed failures of the knowledge engine, with messages an operator can act on."""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base class of every expected knowledge-engine failure."""


class ImportFormatError(KnowledgeError):
    """A knowledge file cannot be read: unknown extension, bad JSON, missing columns."""


class IndexFormatError(KnowledgeError):
    """A saved index is missing files, has another version or does not match its vectors."""


class LLMProviderError(KnowledgeError):
    """The configured LLM server failed, timed out or answered in an unexpected shape."""
