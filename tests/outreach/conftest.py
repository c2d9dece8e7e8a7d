from collections.abc import Iterator

import pytest

from tests.channels.email_fixtures import MailSink, email_server, mail_sink  # noqa: F401  (email channel)
from tests.support import Api, LiveServer


@pytest.fixture
def mail(email_server: LiveServer, mail_sink: MailSink) -> Iterator[Api]:  # noqa: F811
    email_server.reset()
    mail_sink.clear()
    client = Api(email_server.url, email_server.ws_url)
    yield client
    client.close()
