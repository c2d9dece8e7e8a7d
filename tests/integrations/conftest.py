"""The fakes of the company's systems (started for a test, stopped after it: the CRMs, the
shop, the company's own API) and the admin who connects them, shared by the integration
tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.channels.test_email_tls import Pki, pki  # noqa: F401  (fixture: a throwaway CA)
from tests.integrations.fakes import (
    FakeServer,
    HubSpotState,
    SalesforceState,
    company_api,
    fake_hubspot,
    fake_salesforce,
    fake_shopify,
)
from tests.support import Api


@pytest.fixture
def hubspot() -> Iterator[tuple[FakeServer, HubSpotState]]:
    fake, state = fake_hubspot()
    fake.start()
    yield fake, state
    fake.stop()


@pytest.fixture
def salesforce(pki: Pki) -> Iterator[tuple[FakeServer, SalesforceState]]:  # noqa: F811
    fake, state = fake_salesforce(pki.server_context())
    fake.start()
    yield fake, state
    fake.stop()


@pytest.fixture
def admin(api: Api) -> str:
    return api.login("admin@example.com", "demo-admin")


@pytest.fixture
def shop() -> Iterator[FakeServer]:
    fake = fake_shopify().start()
    yield fake
    fake.stop()


@pytest.fixture
def company() -> Iterator[FakeServer]:
    fake = company_api().start()
    yield fake
    fake.stop()
