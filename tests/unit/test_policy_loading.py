"""Loading the routing policy: packaged defaults, workspace overrides, errors, live reload."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hybridcx.pipeline.base import CustomerProfile, TurnContext
from hybridcx.pipeline.policy import PolicyError, RoutingPolicy, load_policy, parse_policy
from hybridcx.workspaces.policy_store import PolicyStore


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ---- defaults ----------------------------------------------------------------------------------


def test_defaults() -> None:
    policy = load_policy()
    assert isinstance(policy, RoutingPolicy)
    assert policy.confidence_threshold == pytest.approx(0.70)
    assert policy.reason_tiers["customer_request"] == 2
    assert policy.reason_tiers["vip"] == 2
    assert policy.reason_tiers["human_only"] == 2
    assert policy.reason_tiers["low_confidence"] == 2
    assert policy.reason_tiers["complex"] == 2
    assert "agent" in policy.customer_request_commands
    assert "talk to a human" in policy.customer_request_phrases
    assert policy.skill_by_tier == {3: "premium"}
    assert policy.queue.tier_weight == {1: 100.0, 2: 200.0, 3: 300.0}
    assert policy.queue.vip_bonus == 100.0
    assert policy.queue.per_waiting_minute == 2.0


def test_missing_workspace_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_policy(tmp_path / "nope.yaml") == load_policy()


def test_empty_workspace_file_gives_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.yaml", "# nothing here\n")
    assert load_policy(path) == load_policy()


# ---- overrides ---------------------------------------------------------------------------------


def test_overriding_only_the_threshold_keeps_everything_else(tmp_path: Path) -> None:
    path = write(tmp_path / "acme.yaml", "confidence_threshold: 0.5\n")
    policy = load_policy(path)
    default = load_policy()
    assert policy.confidence_threshold == 0.5
    assert policy.reason_tiers == default.reason_tiers
    assert policy.customer_request_commands == default.customer_request_commands
    assert policy.customer_request_phrases == default.customer_request_phrases
    assert policy.queue == default.queue


def test_nested_mappings_are_deep_merged(tmp_path: Path) -> None:
    path = write(
        tmp_path / "acme.yaml",
        "reason_tiers:\n  vip: 3\nqueue:\n  vip_bonus: 500\n",
    )
    policy = load_policy(path)
    default = load_policy()
    assert policy.reason_tiers["vip"] == 3
    # the other tiers are still there
    assert policy.reason_tiers["customer_request"] == 2
    assert policy.reason_tiers["complex"] == 2
    assert set(policy.reason_tiers) == set(default.reason_tiers)
    assert policy.queue.vip_bonus == 500
    assert policy.queue.tier_weight == default.queue.tier_weight
    assert policy.queue.per_waiting_minute == default.queue.per_waiting_minute


# ---- errors ------------------------------------------------------------------------------------


def test_invalid_yaml_is_a_policy_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.yaml", "confidence_threshold: [0.5\nreason_tiers: {\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert "broken.yaml" in str(info.value)


def test_unknown_key_is_a_policy_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "typo.yaml", "confidence_treshold: 0.5\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert "typo.yaml" in str(info.value)
    assert "confidence_treshold" in str(info.value)


def test_unknown_nested_key_is_a_policy_error(tmp_path: Path) -> None:
    path = write(tmp_path / "nested.yaml", "queue:\n  vip_bonsu: 10\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert "nested.yaml" in str(info.value)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "list.yaml", text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert "list.yaml" in str(info.value)


@pytest.mark.parametrize("value", ["1.5", "-0.1", "high"])
def test_bad_threshold_values_are_rejected(tmp_path: Path, value: str) -> None:
    path = write(tmp_path / "bad.yaml", f"confidence_threshold: {value}\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert "bad.yaml" in str(info.value)


def test_policy_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_policy("nope: 1\n", source="inline")


def test_parse_policy_uses_the_source_name() -> None:
    with pytest.raises(PolicyError, match="workspace-acme"):
        parse_policy("confidence_threshold: [\n", source="workspace-acme")


# ---- PolicyStore -------------------------------------------------------------------------------


def bump_mtime(path: Path, seconds: float = 10.0) -> None:
    st = path.stat()
    os.utime(path, (st.st_atime + seconds, st.st_mtime + seconds))


def test_store_without_a_file_serves_the_defaults(tmp_path: Path) -> None:
    store = PolicyStore(tmp_path / "policies")
    assert store.policy("acme") == load_policy()
    assert store.path_for("acme") == tmp_path / "policies" / "acme.yaml"


def test_store_reloads_when_the_file_changes(tmp_path: Path) -> None:
    store = PolicyStore(tmp_path)
    path = write(store.path_for("acme"), "confidence_threshold: 0.5\n")
    assert store.policy("acme").confidence_threshold == 0.5

    write(path, "confidence_threshold: 0.9\n")
    bump_mtime(path)
    assert store.policy("acme").confidence_threshold == 0.9


def test_store_pipeline_follows_the_reloaded_policy(tmp_path: Path) -> None:
    customer = CustomerProfile(id="c1", name="Ada", email="ada@example.com")

    def low_confidence(store: PolicyStore) -> bool:
        ctx = TurnContext(text="hm", customer=customer, channel="webchat", status="bot", tier=1)
        ctx.confidence = 0.8
        return "low_confidence" in store.pipeline("acme").run(ctx).decision.reasons

    store = PolicyStore(tmp_path)
    path = write(store.path_for("acme"), "confidence_threshold: 0.5\n")
    assert low_confidence(store) is False

    write(path, "confidence_threshold: 0.9\n")
    bump_mtime(path)
    assert low_confidence(store) is True


def test_store_caches_while_the_file_is_unchanged(tmp_path: Path) -> None:
    store = PolicyStore(tmp_path)
    write(store.path_for("acme"), "confidence_threshold: 0.5\n")
    assert store.pipeline("acme") is store.pipeline("acme")
    assert store.policy("acme") is store.policy("acme")


def test_store_falls_back_to_defaults_when_the_file_is_removed(tmp_path: Path) -> None:
    store = PolicyStore(tmp_path)
    path = write(store.path_for("acme"), "confidence_threshold: 0.5\n")
    assert store.policy("acme").confidence_threshold == 0.5
    path.unlink()
    assert store.policy("acme").confidence_threshold == pytest.approx(0.70)


def test_store_keeps_workspaces_apart(tmp_path: Path) -> None:
    store = PolicyStore(tmp_path)
    write(store.path_for("acme"), "confidence_threshold: 0.5\n")
    write(store.path_for("globex"), "confidence_threshold: 0.9\n")
    assert store.policy("acme").confidence_threshold == 0.5
    assert store.policy("globex").confidence_threshold == 0.9
    assert store.policy("initech").confidence_threshold == pytest.approx(0.70)


def test_store_keeps_the_last_good_policy_when_the_file_breaks(tmp_path: Path) -> None:
    store = PolicyStore(tmp_path)
    path = store.path_for("acme")
    write(path, "confidence_threshold: 0.5\n")
    assert store.policy("acme").confidence_threshold == 0.5
    write(path, "confidence_threshold: 2\n")
    os.utime(path, (time.time() + 10, time.time() + 10))
    assert store.policy("acme").confidence_threshold == 0.5  # last good one, error logged
    write(store.path_for("fresh"), "confidence_threshold: [oops\n")
    assert store.policy("fresh").confidence_threshold == pytest.approx(0.70)  # defaults


def test_null_in_a_workspace_file_removes_a_default_entry(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(
        "human_intents:\n  product_availability: null\n  complaint: 3\nsmalltalk:\n  thanks: null\n"
    )
    policy = load_policy(path)
    assert "product_availability" not in policy.human_intents
    assert (
        policy.human_intents["complaint"] == 3 and "change_delivery_address" in policy.human_intents
    )
    assert "thanks" not in policy.smalltalk and "greeting" in policy.smalltalk
