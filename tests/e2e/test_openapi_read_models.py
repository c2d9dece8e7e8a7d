"""Every route of the typed domains declares its response model: the OpenAPI document served
over HTTP names a schema with properties for each, not an open ``object``."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from hybridcx.kit.schemas import Number, ReadModel
from tests.support import Api

TYPED: list[tuple[str, str]] = [
    # analytics
    ("get", "/api/v1/analytics/kpis"),
    ("post", "/api/v1/conversations/{conversation_id}/orders"),
    # quality
    ("get", "/api/v1/quality/conversations/{conversation_id}"),
    ("get", "/api/v1/quality/agents"),
    # knowledge
    ("get", "/api/v1/articles"),
    ("post", "/api/v1/articles"),
    ("get", "/api/v1/articles/{article_id}"),
    ("put", "/api/v1/articles/{article_id}"),
    # agents
    ("get", "/api/v1/agents/me"),
    ("put", "/api/v1/agents/me/status"),
    ("put", "/api/v1/agents/me/phone"),
    ("get", "/api/v1/agents"),
    ("patch", "/api/v1/agents/{agent_id}"),
    ("post", "/api/v1/agents/{agent_id}/deactivate"),
    ("post", "/api/v1/agents/{agent_id}/reactivate"),
    ("post", "/api/v1/agents/{agent_id}/password"),
    ("delete", "/api/v1/agents/{agent_id}/mfa"),
    # customers
    ("post", "/api/v1/customers"),
    # tags and custom fields
    ("get", "/api/v1/tags"),
    ("post", "/api/v1/tags"),
    ("get", "/api/v1/custom-fields"),
    ("post", "/api/v1/custom-fields"),
    ("get", "/api/v1/conversations/{conversation_id}/tags"),
    ("put", "/api/v1/conversations/{conversation_id}/tags/{tag}"),
    ("delete", "/api/v1/conversations/{conversation_id}/tags/{tag}"),
    ("get", "/api/v1/conversations/{conversation_id}/fields"),
    ("patch", "/api/v1/conversations/{conversation_id}/fields"),
    ("get", "/api/v1/customers/{customer_id}/tags"),
    ("put", "/api/v1/customers/{customer_id}/tags/{tag}"),
    ("delete", "/api/v1/customers/{customer_id}/tags/{tag}"),
    ("get", "/api/v1/customers/{customer_id}/fields"),
    ("patch", "/api/v1/customers/{customer_id}/fields"),
    # experiments
    ("get", "/api/v1/experiments"),
    ("post", "/api/v1/experiments"),
    ("get", "/api/v1/experiments/{experiment_id}"),
    ("get", "/api/v1/experiments/{experiment_id}/kpis"),
    ("post", "/api/v1/experiments/{experiment_id}/stop"),
    ("post", "/api/v1/experiments/{experiment_id}/rollback"),
    # business hours and SLA
    ("get", "/api/v1/business-hours"),
    ("put", "/api/v1/business-hours"),
    ("put", "/api/v1/business-hours/teams/{team}"),
    ("post", "/api/v1/conversations/{conversation_id}/after-hours"),
    ("get", "/api/v1/sla/policies"),
    ("put", "/api/v1/sla/policies"),
    ("get", "/api/v1/sla/attainment"),
    ("get", "/api/v1/sla/conversations/{conversation_id}"),
    # webhooks (typed before)
    ("post", "/api/v1/webhooks"),
    ("get", "/api/v1/webhooks"),
    ("get", "/api/v1/webhooks/{webhook_id}/deliveries"),
    # surveys
    ("get", "/api/v1/surveys/{token}"),
    ("post", "/api/v1/surveys/{token}"),
    # outreach
    ("get", "/api/v1/outreach/signals"),
    ("get", "/api/v1/outreach/campaigns"),
    ("post", "/api/v1/outreach/campaigns"),
    ("get", "/api/v1/outreach/campaigns/{campaign_id}"),
    ("post", "/api/v1/outreach/campaigns/{campaign_id}/approve"),
    ("post", "/api/v1/outreach/run"),
    ("get", "/api/v1/outreach/stats"),
    # search
    ("get", "/api/v1/customers"),
    # profiles
    ("get", "/api/v1/customers/merge-proposals"),
    ("post", "/api/v1/customers/merge-proposals/{proposal_id}/dismiss"),
    ("get", "/api/v1/customers/{customer_id}"),
    ("get", "/api/v1/customers/{customer_id}/preferences"),
    ("put", "/api/v1/customers/{customer_id}/preferences"),
    ("post", "/api/v1/customers/{customer_id}/identities"),
    ("post", "/api/v1/customers/{customer_id}/merge"),
    ("post", "/api/v1/customers/{customer_id}/unmerge"),
    # compliance
    ("get", "/api/v1/compliance/conversations/{conversation_id}"),
    ("get", "/api/v1/compliance/records"),
    # fairness
    ("get", "/api/v1/analytics/fairness"),
    # audit (typed before)
    ("get", "/api/v1/audit"),
    # approvals
    ("get", "/api/v1/approvals"),
    ("get", "/api/v1/approvals/{approval_id}"),
    ("post", "/api/v1/approvals/{approval_id}/approve"),
    ("post", "/api/v1/approvals/{approval_id}/reject"),
    # attachments
    ("post", "/api/v1/conversations/{conversation_id}/attachments"),
    # scripts
    ("get", "/api/v1/scripts"),
    ("post", "/api/v1/scripts"),
    ("put", "/api/v1/scripts/policy"),
    ("get", "/api/v1/scripts/adherence"),
    ("get", "/api/v1/scripts/conversations/{conversation_id}"),
    ("put", "/api/v1/scripts/{script_id}"),
]


def _component(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("type") == "array":
        schema = schema["items"]
    ref = schema.get("$ref", "")
    assert ref.startswith("#/components/schemas/"), schema
    return dict(spec["components"]["schemas"][ref.rsplit("/", 1)[1]])


def test_typed_routes_publish_their_response_schema(api: Api) -> None:
    resp = api.http.get("/openapi.json")
    assert resp.status_code == 200
    spec = resp.json()
    missing = []
    for method, path in TYPED:
        op = spec["paths"][path][method]
        code = next(c for c in op["responses"] if c.startswith("2"))
        schema = op["responses"][code].get("content", {}).get("application/json", {}).get("schema")
        if not schema:
            missing.append(f"{method.upper()} {path}")
            continue
        component = _component(spec, schema)
        # a declared shape: named properties, not an open object
        assert component.get("properties"), f"{method.upper()} {path}: {component}"
    assert not missing, missing


def test_kpi_report_schema_names_its_sections(api: Api) -> None:
    spec = api.http.get("/openapi.json").json()
    op = spec["paths"]["/api/v1/analytics/kpis"]["get"]
    report = _component(spec, op["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(report["required"]) >= {
        "query",
        "volume",
        "customer_experience",
        "operations",
        "business",
        "source",
        "generated_at",
    }
    # the window's bounds are published under their wire names
    query = _component(spec, report["properties"]["query"])
    assert "from" in query["properties"] and "from_" not in query["properties"]


class _Sample(ReadModel):
    count: int
    share: Number


def test_read_models_refuse_what_they_do_not_declare() -> None:
    # an undeclared key is an error, not a key silently dropped from the response
    with pytest.raises(ValidationError):
        _Sample.model_validate({"count": 1, "share": 0.5, "extra": 1})
    # no coercion: a string is not turned into a number, nor True into 1
    with pytest.raises(ValidationError):
        _Sample.model_validate({"count": "1", "share": 0.5})
    with pytest.raises(ValidationError):
        _Sample.model_validate({"count": True, "share": 0.5})
    # an int stays an int where a number may be either (5 is not sent as 5.0)
    assert _Sample.model_validate({"count": 1, "share": 5}).model_dump_json() == (
        '{"count":1,"share":5}'
    )


def test_keys_that_are_sometimes_absent_stay_absent(api: Api) -> None:
    """Routes whose dicts leave a key out (rather than null) keep doing so through their model."""
    sup = api.login("supervisor@example.com", "demo-supervisor")
    # a script's optional keys that were not written are not sent as null
    steps = [
        {"id": "hello", "kind": "say", "text": "Hello"},
        {"id": "order", "kind": "ask", "text": "Your order number?", "entity": "order_number"},
    ]
    body = {"spec": {"name": "typed", "intents": ["privacy_policy"], "steps": steps}}
    r = api.staff(sup, "POST", "/api/v1/scripts", json=body)
    assert r.status_code == 201, r.text
    script = r.json()
    assert not {"segment", "channel", "compliance_rule"} & set(script)
    hello, order = script["steps"]
    assert "entity" not in hello and order["entity"] == "order_number"
    # a paused campaign's run has no audience counts
    campaign = {
        "name": "Paused",
        "signal": "late_shipment",
        "channels": ["email"],
        "paused": True,
    }
    r = api.staff(sup, "POST", "/api/v1/outreach/campaigns", json=campaign)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "paused"
    r = api.staff(sup, "POST", "/api/v1/outreach/run", json={"campaign_id": r.json()["id"]})
    assert r.status_code == 200, r.text
    [result] = r.json()["items"]
    assert set(result) == {"campaign_id", "name", "status", "sent", "failed"}
    assert result["status"] == "paused"
