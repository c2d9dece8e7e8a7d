"""Channels beyond web chat: every inbound contact goes through ``ingest.ingest_inbound`` (the
same pipeline, queue and customer record as web chat); replies go out through the channel's
``OutboundAdapter`` (``base.py``). Providers live in their own subpackages (``twilio/``, ``email/``).
"""
