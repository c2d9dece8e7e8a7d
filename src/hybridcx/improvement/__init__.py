"""Continuous improvement, part 1: learning from human resolutions.

Resolved conversations become candidate training examples (PII removed, consent respected);
messages the AI could not handle are clustered into suggested intents; `hybridcx nlu retrain`
trains a candidate model and a quality gate decides whether it replaces the active one in a
versioned model registry that the running server follows.
"""
