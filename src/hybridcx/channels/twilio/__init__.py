"""Twilio: SMS (``sms.py``) and Voice (``voice.py``) webhooks and outbound, signed and validated
with the official SDK (``webhooks.py``, ``client.py``)."""
