"""Fixtures for the privacy tests: the email channel's live server, for its personal data."""

from tests.channels.email_fixtures import email_server, mail_sink  # noqa: F401  (email channel)
