from tests.channels.email_fixtures import email_server, mail_sink  # noqa: F401  (email channel)
