"""Personal data: PII redaction, consent, export, erasure and retention.

Import the pieces from their modules (``hybridcx.privacy.pii``, ``.erasure``...). The
foundations the ORM models and the kit need live in ``hybridcx.kit``: the key ring
(``kit.keys``), the sealed column types (``kit.sealed``), the redaction patterns
(``kit.redaction``, ``kit.log_redaction``) and email/phone normalisation (``kit.normalize``).
"""
