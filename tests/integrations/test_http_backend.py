"""The no-code HTTP backend: the mapping is validated at load with clear errors, and the demo's
flows answer from a small company REST API over real loopback HTTP."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime
from typing import Any

import pytest
import yaml

from hybridcx.flows.actions import ACTIONS
from hybridcx.flows.backend import BackendUnavailable, NotSupported
from hybridcx.flows.engine import FlowEngine, FlowTurn
from hybridcx.flows.spec import load_flows
from hybridcx.integrations.http_backend import (
    HttpBackend,
    MappingError,
    load_mapping,
    parse_mapping,
)
from hybridcx.integrations.resilience import CircuitBreaker
from tests.integrations.fakes import COMPANY_TOKEN, FakeServer, company_api, company_mapping

NOW = datetime(2026, 12, 8, 10, 30)


def backend(fake: FakeServer, **kw: Any) -> HttpBackend:
    return HttpBackend("acme", parse_mapping(company_mapping(fake)), {"token": COMPANY_TOKEN}, **kw)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def errors_of(mapping: Any) -> list[str]:
    with pytest.raises(MappingError) as caught:
        parse_mapping(mapping)
    return caught.value.errors


# ---- validation at load ------------------------------------------------------------------------


def test_the_example_mapping_loads() -> None:
    loaded = load_mapping(yaml.safe_dump(company_mapping(company_api())))
    assert set(loaded.operations) == {"find_customer", "orders_for", "order"}


def test_an_unknown_operation_and_a_foreign_placeholder_are_named() -> None:
    mapping = {
        "base_url": "http://127.0.0.1:9/api",
        "operations": {
            "track_parcel": {"url": "/x", "result": {}},
            "order": {
                "url": "/orders/{order_id}",
                "result": {"number": "$.id", "status": "$.state", "email": "$.email"},
            },
        },
    }
    errors = errors_of(mapping)
    assert any(e.startswith("operations.track_parcel: unknown operation") for e in errors)
    assert any(
        "operations.order.url: {order_id} is not known here; order has {number}" in e
        for e in errors
    )


def test_missing_result_fields_bad_paths_and_a_missing_list_path_are_named() -> None:
    mapping = {
        "base_url": "http://127.0.0.1:9/api",
        "operations": {
            "order": {"url": "/orders/{number}", "result": {"number": "order.id"}},
            "orders_for": {"url": "/o", "query": {"e": "{email}"}, "result": {"number": "$.a"}},
        },
    }
    errors = errors_of(mapping)
    assert "operations.order.result: 'status' is required (a JSON path into the answer)" in errors
    assert "operations.order.result: 'email' is required (a JSON path into the answer)" in errors
    assert any(e.startswith("operations.order.result.number: JSON path 'order.id'") for e in errors)
    assert any(e.startswith("operations.orders_for.items: required") for e in errors)


def test_bad_yaml_types_and_status_values_are_clear() -> None:
    with pytest.raises(MappingError) as caught:
        load_mapping("base_url: http://x\noperations:\n  order: [unclosed\n")
    assert caught.value.errors[0].startswith("line ")
    errors = errors_of(
        {
            "base_url": "not a url",
            "timeout_seconds": 99,
            "auth": {"type": "header"},
            "operations": {"order": {"url": "/o/{number}", "method": "FETCH"}},
        }
    )
    text = "\n".join(errors)
    assert "base_url" in text and "timeout_seconds" in text
    assert "auth type header needs `name`" in text
    assert "operations.order.method" in text
    bad_status = dict(company_mapping(company_api()))
    bad_status["operations"] = {
        "order": {**bad_status["operations"]["order"], "status_map": {"in_transit": "on its way"}}
    }
    assert any("'on its way' is not one of processing" in e for e in errors_of(bad_status))


# ---- against the company's API over HTTP ---------------------------------------------------------


def test_order_lookup_reads_the_answer_through_the_json_paths(company: FakeServer) -> None:
    found = run(backend(company).order("5001"))
    assert found is not None
    order, owner = found
    assert owner == "alex@example.com"
    assert (order.number, order.status, order.carrier, order.tracking_number) == (
        "5001",
        "shipped",
        "DHL",
        "JD0146",
    )
    assert order.expected_delivery == date(2026, 12, 10)
    assert order.placed_at == datetime(2026, 12, 1, 9, 0) and order.total == 59.90
    assert run(backend(company).order("9999")) is None  # the API's 404
    method, path, headers = company.requests[0]
    assert (method, path) == ("GET", "/api/orders/5001")
    assert headers["authorization"] == f"Bearer {COMPANY_TOKEN}"


def test_placeholders_are_escaped_in_the_path(company: FakeServer) -> None:
    assert run(backend(company).order("../customers?email=x")) is None
    assert company.requests[-1][1] == "/api/orders/..%2Fcustomers%3Femail%3Dx"


def test_orders_for_a_customer_newest_first_and_a_customer_lookup(company: FakeServer) -> None:
    orders = run(backend(company).orders_for(" Alex@Example.com "))
    assert [o.number for o in orders] == ["5001"]
    sam = run(backend(company).orders_for("sam@example.com"))
    assert [(o.number, o.status) for o in sam] == [("5002", "processing")]
    assert run(backend(company).find_customer("alex@example.com")) == {
        "email": "alex@example.com",
        "name": "Alex Acme",
    }


def test_an_unmapped_operation_is_not_supported(company: FakeServer) -> None:
    with pytest.raises(NotSupported):
        run(backend(company).account_for("alex@example.com"))


def test_a_wrong_token_is_unavailable_and_the_token_is_not_in_the_error(
    company: FakeServer,
) -> None:
    b = HttpBackend("acme", parse_mapping(company_mapping(company)), {"token": "wrong-secret"})
    with pytest.raises(BackendUnavailable) as caught:
        run(b.order("5001"))
    assert "HTTP 401" in str(caught.value) and "wrong-secret" not in str(caught.value)


def test_a_slow_api_times_out(company: FakeServer) -> None:
    mapping = company_mapping(company)
    mapping["operations"] = {
        **mapping["operations"],
        "order": {**mapping["operations"]["order"], "timeout_seconds": 0.3},
    }
    company.delay = 1.0
    b = HttpBackend("acme", parse_mapping(mapping), {"token": COMPANY_TOKEN})
    with pytest.raises(BackendUnavailable) as caught:
        run(b.order("5001"))
    assert "timed out" in caught.value.detail


def test_the_circuit_opens_after_repeated_failures_and_closes_when_the_api_is_back(
    company: FakeServer,
) -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, reset_seconds=10, clock=lambda: now[0])
    b = backend(company, breaker=breaker)
    company.stop()
    for _ in range(2):
        with pytest.raises(BackendUnavailable, match="could not connect"):
            run(b.order("5001"))
    assert breaker.state == "open"
    company.start()  # back, but the circuit is still open: no request is made
    seen = len(company.requests)
    with pytest.raises(BackendUnavailable, match="circuit open"):
        run(b.order("5001"))
    assert len(company.requests) == seen
    now[0] = 11.0  # half-open: one trial call goes through and closes the circuit
    assert run(b.order("5001")) is not None
    assert breaker.state == "closed"


# ---- the demo's flows, unchanged, against the company's API -------------------------------------


def turn(text: str, *, verified: bool = False, **entities: list[Any]) -> FlowTurn:
    return FlowTurn(
        text=text,
        entities=entities,
        email="alex@example.com",
        name="Alex",
        verified=verified,
        now=NOW,
    )


def test_order_tracking_flow_answers_from_the_company_api(company: FakeServer) -> None:
    engine = FlowEngine(load_flows(), ACTIONS, backend(company))
    out = run(engine.start("order_status", turn("where is my order?")))
    assert "order number" in out.replies[-1]
    assert out.state is not None
    done = run(engine.reply(out.state, turn("5001", order_number=["5001"])))
    assert done.completed
    assert done.replies[-1].startswith(
        "Order 5001 is shipped with DHL (tracking number JD0146). "
        "Expected delivery: Thursday 10 December."
    )
    # someone else's order number is refused, as with the demo backend
    out = run(engine.start("order_status", turn("where is my order?")))
    assert out.state is not None
    other = run(engine.reply(out.state, turn("5002", order_number=["5002"])))
    assert "couldn't find order 5002 for alex@example.com" in other.replies[0]


def test_a_verified_customer_with_one_open_order_gets_it_at_once(company: FakeServer) -> None:
    engine = FlowEngine(load_flows(), ACTIONS, backend(company))
    out = run(engine.start("order_status", turn("where is my order?", verified=True)))
    assert out.completed and "Order 5001 is shipped with DHL" in out.replies[0]


def test_neither_the_api_key_nor_the_customer_email_reaches_the_logs(
    company: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    from hybridcx.kit.logging import configure_logging

    configure_logging("info")
    caplog.set_level(
        logging.INFO
    )  # as a server's root logger (pytest's handlers keep basicConfig out)
    mapping = company_mapping(company)
    mapping["auth"] = {"type": "query", "name": "api_key"}
    b = HttpBackend("acme", parse_mapping(mapping), {"value": "query-secret-42"})
    with pytest.raises(BackendUnavailable):  # 401 from the fake: the key is not its token
        run(b.orders_for("alex@example.com"))
    assert "api_key=query-secret-42" in company.requests[-1][1]  # it was sent…
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "query-secret-42" not in logged and "alex@example.com" not in logged  # …not logged
