"""Typed failures of the NLU engine, with messages an operator can act on."""

from __future__ import annotations


class NLUError(Exception):
    """Base class of every expected NLU failure."""


class ModelNotFoundError(NLUError):
    """A model file or trained-model directory is missing."""


class ModelIntegrityError(NLUError):
    """A model file does not have the pinned SHA-256, or a saved model is inconsistent."""


class TrainingDataError(NLUError):
    """Training examples are missing, malformed or too few."""
