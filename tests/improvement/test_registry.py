"""Retraining with a quality gate, the model registry and rollback, against a live server that
follows the registry: a worse candidate is refused, a better one promoted and answered with at
once, and one command rolls back to the previous version."""

from __future__ import annotations

import csv
import io
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hybridcx.cli import app as cli_app
from hybridcx.improvement.datasets import FROZEN_EVAL_SHA256, fingerprint, frozen_eval_set
from hybridcx.improvement.registry import ModelRegistry
from hybridcx.improvement.retrain import retrain
from hybridcx.nlu.data import DEMO_INTENTS_PATH, load_examples
from tests.support import Api, LiveServer, settings_for

MISSING = "gift_cards"  # the baseline never saw it; the better candidate does
QUESTION = "Do you sell gift cards?"


@pytest.fixture(scope="module")
def learning_server(
    tmp_path_factory: pytest.TempPathFactory, nlu_model_dir: Path
) -> Iterator[LiveServer]:
    """A server with a registry of its own (the shared test server's must stay empty)."""
    data_dir = tmp_path_factory.mktemp("learning")
    settings = settings_for(
        "sqlite", data_dir, nlu_model_dir=nlu_model_dir, nlu_reload_check_seconds=0
    )
    live = LiveServer(settings).start()
    yield live
    live.stop()


@pytest.fixture
def learning_api(learning_server: LiveServer) -> Iterator[Api]:
    learning_server.reset()
    client = Api(learning_server.url, learning_server.ws_url)
    yield client
    client.close()


async def _withdraw_training_consent(sessions: Any, email: str) -> None:
    from sqlalchemy import select, update

    from hybridcx.customers.repository import find_customer_by_email
    from hybridcx.demo.seed import DEMO_WORKSPACE_SLUG
    from hybridcx.kit.db import transaction
    from hybridcx.models import Customer, Workspace

    async with transaction(sessions) as session:
        ws = (
            await session.execute(select(Workspace).where(Workspace.slug == DEMO_WORKSPACE_SLUG))
        ).scalar_one()
        # Email is sealed at rest: found through its blind index, never compared in SQL.
        customer = await find_customer_by_email(session, ws.id, email)
        assert customer is not None
        await session.execute(
            update(Customer).where(Customer.id == customer.id).values(consents={"training": False})
        )


def _answered_intent(api: Api, text: str) -> Any:
    conv = api.start("alex@example.com", "Alex")
    r = api.say(conv, text)
    assert r.status_code == 200, r.text
    return r.json()["conversation"]["routing"]["intent"]


def test_frozen_evaluation_set_is_fixed_and_held_out() -> None:
    frozen = frozen_eval_set()
    assert fingerprint(frozen) == FROZEN_EVAL_SHA256
    assert {"oos", MISSING} <= {label for _, label in frozen}


@pytest.mark.slow  # three trainings of the demo model (about 10 s of CPU)
def test_gate_refuses_worse_promotes_better_and_rollback_restores(
    learning_server: LiveServer, learning_api: Api
) -> None:
    registry = ModelRegistry(learning_server.settings.effective_nlu_registry_dir)
    base = load_examples(DEMO_INTENTS_PATH)
    # The registry starts from a baseline that lacks an intent (empty registry -> baseline).
    first = retrain(registry, base=[e for e in base if e[1] != MISSING])
    assert first.bootstrapped is not None and first.skipped
    baseline = first.bootstrapped.id
    assert registry.active_id() == baseline
    assert _answered_intent(learning_api, QUESTION) != MISSING

    # Worse: the same texts with shuffled labels. Refused; the baseline stays active.
    labels = [label for _, label in base]
    random.Random(7).shuffle(labels)
    worse = retrain(registry, base=[(t, lbl) for (t, _), lbl in zip(base, labels, strict=True)])
    assert worse.version is not None and not worse.promoted
    assert worse.version.status == "refused" and worse.version.parent == baseline
    accuracy = next(c for c in worse.version.gate["checks"] if c["metric"] == "accuracy")
    assert not accuracy["ok"] and accuracy["candidate"] < accuracy["active"]
    assert registry.active_id() == baseline
    assert _answered_intent(learning_api, QUESTION) != MISSING

    # Better: adds the examples of the intent the baseline fails on. Promoted, served at once.
    better = retrain(registry, base=base)
    assert better.promoted and better.version is not None
    assert all(c["ok"] for c in better.version.gate["checks"])
    assert better.version.fingerprint == fingerprint(
        [e for e in base if e not in frozen_eval_set()]
    )
    assert registry.active_id() == better.version.id
    assert _answered_intent(learning_api, QUESTION) == MISSING

    statuses = {v.id: v.status for v in registry.versions()}
    assert statuses == {
        baseline: "retired",
        worse.version.id: "refused",
        better.version.id: "active",
    }

    # One command restores the previous version; the server answers with it again.
    env = {"HYBRIDCX_NLU_REGISTRY_DIR": str(registry.root)}
    result = CliRunner().invoke(cli_app, ["nlu", "rollback"], env=env)
    assert result.exit_code == 0, result.output
    assert f"{baseline} is active again" in result.output
    assert registry.active_id() == baseline
    assert _answered_intent(learning_api, QUESTION) != MISSING
    # A refused model cannot be rolled "back" to; a named good one can.
    result = CliRunner().invoke(cli_app, ["nlu", "rollback", worse.version.id], env=env)
    assert result.exit_code == 2 and "refused" in result.output
    result = CliRunner().invoke(cli_app, ["nlu", "rollback", better.version.id], env=env)
    assert result.exit_code == 0 and registry.active_id() == better.version.id
    listing = CliRunner().invoke(cli_app, ["nlu", "models"], env=env)
    assert listing.exit_code == 0
    assert [line.split()[:2] for line in listing.output.splitlines()[1:]] == [
        [better.version.id, "active"],
        [worse.version.id, "refused"],
        [baseline, "retired"],
    ]


def test_retrain_over_http_trains_on_accepted_examples(
    learning_server: LiveServer, learning_api: Api
) -> None:
    api = learning_api
    admin = api.login("admin@example.com", "demo-admin")
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "POST", "/api/v1/improvement/retrain").status_code == 403
    texts = ["Can I rent a kayak for the weekend, call me on 555-201-4477", "Do you rent tents?"]
    for text in texts:
        conv = api.start("alex@example.com", "Alex")
        api.say(conv, text)
        api.say(conv, "agent")
        cid = conv["id"]
        assert api.staff(agent, "POST", f"/api/v1/conversations/{cid}/accept").status_code == 200
        body = {"intent": "product_availability"}
        assert api.staff(agent, "PUT", f"/api/v1/conversations/{cid}/intent", json=body).is_success
        assert api.staff(agent, "POST", f"/api/v1/conversations/{cid}/resolve").status_code == 200
    # A third customer consents, is labelled, accepted, then withdraws consent before retraining.
    conv = api.start("jordan.reed@example.com", "Jordan")
    api.say(conv, "Can I hire a canoe for my scout group?")
    api.say(conv, "agent")
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").is_success
    # Labelled too: the demo model now reads rentals as out of scope, so no intent of its own.
    body = {"intent": "product_availability"}
    assert api.staff(
        agent, "PUT", f"/api/v1/conversations/{conv['id']}/intent", json=body
    ).is_success
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/resolve").is_success
    examples = api.staff(admin, "GET", "/api/v1/improvement/examples").json()["items"]
    assert len(examples) == 3
    for e in examples:
        assert api.staff(admin, "POST", f"/api/v1/improvement/examples/{e['id']}/accept").is_success
    learning_server.call(
        _withdraw_training_consent(learning_server.runtime.sessions, "jordan.reed@example.com")
    )

    r = api.staff(admin, "POST", "/api/v1/improvement/retrain")
    assert r.status_code == 200, r.text
    outcome = r.json()
    version = outcome["version"]
    assert version is not None and "2 accepted example(s)" in version["note"]
    assert version["status"] == ("active" if outcome["promoted"] else "refused")
    assert {c["metric"] for c in version["gate"]["checks"]} >= {"accuracy", "oos_recall", "ece"}
    # What it was trained on is stored with it, PII already removed.
    registry = ModelRegistry(learning_server.settings.effective_nlu_registry_dir)
    csv_text = (registry.path_of(version["id"]) / "training_data.csv").read_text()
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert [
        "Can I rent a kayak for the weekend, call me on [PHONE]",
        "product_availability",
    ] in rows
    assert "555-201-4477" not in csv_text
    assert "canoe" not in csv_text  # consent withdrawn: left out
    statuses = {
        e["status"] for e in api.staff(admin, "GET", "/api/v1/improvement/examples").json()["items"]
    }
    assert statuses == ({"used", "accepted"} if outcome["promoted"] else {"accepted"})
    models = api.staff(admin, "GET", "/api/v1/improvement/models").json()
    assert models["items"][0]["id"] == version["id"]
    assert models["serving"] == models["active"] == registry.active_id()


def test_empty_registry_commands_explain_themselves(tmp_path: Path) -> None:
    env = {"HYBRIDCX_NLU_REGISTRY_DIR": str(tmp_path / "registry")}
    result = CliRunner().invoke(cli_app, ["nlu", "models"], env=env)
    assert result.exit_code == 0 and "is empty: run `hybridcx nlu retrain`" in result.output
    result = CliRunner().invoke(cli_app, ["nlu", "rollback"], env=env)
    assert result.exit_code == 2 and "no active model yet" in result.output


@pytest.mark.slow  # a server of its own and one training
def test_scheduled_retrain_runs_in_the_server(
    tmp_path_factory: pytest.TempPathFactory, nlu_model_dir: Path
) -> None:
    settings = settings_for(
        "sqlite",
        tmp_path_factory.mktemp("scheduled"),
        nlu_model_dir=nlu_model_dir,
        nlu_reload_check_seconds=0,
        nlu_retrain_interval_hours=1 / 3600,  # every second
    )
    live = LiveServer(settings).start()
    try:
        live.reset()  # the demo workspace the job learns for
        registry = ModelRegistry(settings.effective_nlu_registry_dir)
        deadline = time.monotonic() + 90
        while registry.active_id() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        active = registry.active()
        assert active is not None and active.note.startswith("baseline")
        assert live.runtime.live_model.refresh(force=True) is not None
        assert live.runtime.live_model.version == active.id
    finally:
        live.stop()
