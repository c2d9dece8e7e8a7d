"""Personal data: PII redaction, encryption at rest, consent, export, erasure and retention.

Import the pieces from their modules (``hybridcx.privacy.pii``, ``.fields``, ``.keys``,
``.erasure``...); this package imports nothing on its own so the ORM models can use its column
types without import cycles.
"""
