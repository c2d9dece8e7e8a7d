"""Predictive routing in the real server: dispatch records every decision (features, each
candidate's prediction and utility) as ``assignment.decided``, follows the model when it has
one, and falls back to longest-idle, saying why, when the model is missing or stale."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hybridcx.kit.ids import utcnow
from hybridcx.models import Agent, Workspace
from hybridcx.routing.model import OutcomeModel
from hybridcx.routing.schedule import retrain_due
from hybridcx.routing.store import FileModelStore
from tests.routing.test_model import outcomes
from tests.support import Api, LiveServer, backend_params, settings_for

# A topic people handle (damaged items became an AI flow in issue 17).
COMPLAINT = "How do I file a formal complaint?"


@pytest.fixture(scope="module", params=backend_params())
def predictive_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, nlu_model_dir: Path
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp(f"predictive-{request.param}")
    settings = settings_for(
        request.param,
        data_dir,
        nlu_model_dir=nlu_model_dir,
        assignment_strategy="predictive",
        experiments_check_seconds=0,
    )
    live = LiveServer(settings).start()
    yield live
    live.stop()


@pytest.fixture
def papi(predictive_server: LiveServer) -> Iterator[Api]:
    predictive_server.reset()
    client = Api(predictive_server.url, predictive_server.ws_url)
    yield client
    client.close()


def ids(server: LiveServer) -> tuple[str, dict[str, str]]:
    async def load() -> tuple[str, dict[str, str]]:
        async with server.runtime.sessions() as session:
            ws = (await session.execute(select(Workspace.id))).scalars().first()
            agents = (await session.execute(select(Agent.email, Agent.id))).all()
            return str(ws), {email: aid for email, aid in agents}

    return server.call(load())


def escalate(api: Api, email: str) -> dict[str, Any]:
    conv = api.start(email, "Sam")
    r = api.say(conv, COMPLAINT)
    assert r.json()["conversation"]["status"] in ("queued", "assigned"), r.text
    return conv


def decision_of(api: Api, token: str, conv: dict[str, Any]) -> dict[str, Any]:
    read = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}").json()
    found = [e for e in read["events"] if e["type"] == "assignment.decided"]
    assert len(found) == 1, read["events"]
    return {**found[0]["data"], "agent": read["agent"]["name"] if read.get("agent") else None}


def save_model(server: LiveServer, workspace_id: str, model: OutcomeModel) -> None:
    FileModelStore(server.settings.effective_routing_model_dir).save(workspace_id, model)


def test_dispatch_follows_the_model_and_records_why(
    papi: Api, predictive_server: LiveServer
) -> None:
    workspace_id, agent_ids = ids(predictive_server)
    alice, bob = agent_ids["agent@example.com"], agent_ids["bob@example.com"]
    tokens = [papi.login(e, "demo-agent") for e in ("agent@example.com", "bob@example.com")]
    desks = [papi.agent_ws(t) for t in tokens]
    try:
        for t in tokens:
            papi.staff(t, "PUT", "/api/v1/agents/me/status", json={"status": "available"})
        sup = papi.login("supervisor@example.com", "demo-supervisor")

        # 1. No model yet: longest-idle assigns it, and the event says why.
        first = escalate(papi, "jordan.reed@example.com")
        d = decision_of(papi, sup, first)
        assert d["strategy"] == "predictive" and d["used"] == "longest_idle"
        assert d["fallback_reason"] == "model_missing" and d["agent"] is not None
        assert d["features"]["intent"] == "complaint" and d["features"]["channel"] == "webchat"

        # 2. A model that has seen Bob resolve complaints and Alice fail at them.
        history = outcomes({(bob, "complaint"): (40, 2), (alice, "complaint"): (5, 40)})
        save_model(
            predictive_server, workspace_id, OutcomeModel.train(history, trained_at=utcnow())
        )
        second = escalate(papi, "priya.patel@example.com")
        d = decision_of(papi, sup, second)
        assert d["used"] == "predictive" and d["fallback_reason"] is None
        assert d["agent"] == "Bob Tech" and d["chosen_agent_id"] == bob
        scores = {c["agent_id"]: c for c in d["candidates"]}
        assert set(scores) == {alice, bob}
        assert scores[bob]["resolution"] > scores[alice]["resolution"]
        assert scores[bob]["utility"] > scores[alice]["utility"]

        # 3. The same model, a month old: stale, so the baseline decides again.
        old = OutcomeModel.train(history, trained_at=utcnow() - timedelta(days=30))
        save_model(predictive_server, workspace_id, old)
        third = escalate(papi, "alex@example.com")
        d = decision_of(papi, sup, third)
        assert d["used"] == "longest_idle" and d["fallback_reason"] == "model_stale"
    finally:
        for desk in desks:
            desk.close()


def test_a_stale_model_alerts_the_supervisor_and_the_scheduled_retrain_replaces_it(
    papi: Api, predictive_server: LiveServer
) -> None:
    workspace_id, agent_ids = ids(predictive_server)
    sup = papi.login("supervisor@example.com", "demo-supervisor")
    store = FileModelStore(predictive_server.settings.effective_routing_model_dir)
    store.path_for(workspace_id).unlink(missing_ok=True)

    def status() -> dict[str, Any]:
        r = papi.staff(sup, "GET", "/api/v1/routing/status")
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    assert status()["model"] is None and status()["alert"].startswith("No routing model")
    history = outcomes({(agent_ids["bob@example.com"], "damaged_item"): (20, 2)})
    save_model(
        predictive_server,
        workspace_id,
        OutcomeModel.train(history, trained_at=utcnow() - timedelta(days=30)),
    )
    before = status()["fallbacks_since_start"].get("model_stale", 0)
    token = papi.login("agent@example.com", "demo-agent")
    desk = papi.agent_ws(token)
    try:
        papi.staff(token, "PUT", "/api/v1/agents/me/status", json={"status": "available"})
        conv = escalate(papi, "jordan.reed@example.com")
        assert decision_of(papi, sup, conv)["fallback_reason"] == "model_stale"
        seen = status()
        assert seen["in_use"] is True and seen["stale"] is True
        assert seen["model"]["age_hours"] >= 30 * 24
        assert seen["fallbacks_24h"] == {"model_stale": 1} and seen["decisions_24h"] == 1
        assert seen["fallbacks_since_start"]["model_stale"] == before + 1
        assert "30 days old (stale)" in seen["alert"]
        # Alice resolves it: something to learn from
        path = f"/api/v1/conversations/{conv['id']}"
        assert papi.staff(token, "POST", f"{path}/resolve").status_code == 200
    finally:
        desk.close()

    # the scheduled job: the stale model is retrained, a fresh one is left alone
    now = utcnow()
    every = timedelta(hours=predictive_server.settings.routing_retrain_hours)
    job = retrain_due(predictive_server.runtime.sessions, store, now=now, every=every)
    [done] = predictive_server.call(job)
    assert done["status"] == "retrained" and done["workspace"] == "default"
    fresh = store.get(workspace_id)
    assert fresh is not None and fresh.trained_at == now and fresh.version == done["version"]
    again = retrain_due(predictive_server.runtime.sessions, store, now=now, every=every)
    assert predictive_server.call(again) == []
    after = status()
    assert after["stale"] is False and after["model"]["version"] == fresh.version
    assert after["alert"] is None  # the fallback was the old model's
    assert after["fallbacks_24h"] == {"model_stale": 1}
