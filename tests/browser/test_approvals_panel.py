"""The desk's approvals panel in a real browser: a held refund is approved by a supervisor."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in
from tests.compliance.test_approvals_e2e import AI_CANCELS, request_refund
from tests.compliance.test_compliance_e2e import verified
from tests.support import Api, LiveServer


def test_supervisor_approves_a_held_refund_in_the_desk(
    api: Api, server: LiveServer, open_tab: Callable[..., Tab]
) -> None:
    policy = server.settings.policy_dir / "default.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text(AI_CANCELS)
    stamp = time.time() + 5000
    os.utime(policy, (stamp, stamp))
    try:
        conv = verified(api)
        request_refund(api, conv, with_code=False)
        desk = open_tab("/desk")
        sign_in(desk, "supervisor@example.com", "demo-supervisor")
        item = desk.page.locator(".approval-item")
        expect(item).to_contain_text("cancel order 1001 and refund $113.50")
        expect(item).to_contain_text("$113.50 · cancel_and_refund")
        desk.shot("desk-approvals")
        item.get_by_role("button", name="Approve").click()
        expect(desk.page.locator("#approvals-box")).to_be_hidden()
        read = api.http.get(
            f"/api/v1/conversations/{conv['id']}",
            headers={"Authorization": f"Bearer {conv['customer_token']}"},
        ).json()
        assert "your request was approved" in read["messages"][-1]["text"]
    finally:
        policy.unlink(missing_ok=True)


def test_an_agent_sees_held_actions_but_cannot_decide(
    api: Api, server: LiveServer, open_tab: Callable[..., Tab]
) -> None:
    policy = server.settings.policy_dir / "default.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text(AI_CANCELS)
    stamp = time.time() + 6000
    os.utime(policy, (stamp, stamp))
    try:
        request_refund(api, verified(api), with_code=False)
        desk = open_tab("/desk")
        sign_in(desk, "agent@example.com", "demo-agent")
        item = desk.page.locator(".approval-item")
        expect(item).to_contain_text("Waiting for a supervisor.")
        expect(item.get_by_role("button", name="Approve")).to_have_count(0)
    finally:
        policy.unlink(missing_ok=True)


def test_supervisor_console_rejects_a_held_refund(
    api: Api, server: LiveServer, open_tab: Callable[..., Tab]
) -> None:
    policy = server.settings.policy_dir / "default.yaml"
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text(AI_CANCELS)
    stamp = time.time() + 7000
    os.utime(policy, (stamp, stamp))
    try:
        conv = verified(api)
        console = open_tab("/supervisor")
        sign_in(console, "supervisor@example.com", "demo-supervisor")
        expect(console.page.locator("#approvals-box")).to_be_hidden()
        request_refund(api, conv, with_code=False)  # arrives live over the WebSocket
        item = console.page.locator(".approval-item")
        expect(item).to_contain_text("cancel order 1001 and refund $113.50")
        console.shot("supervisor-approvals")
        item.get_by_role("button", name="Reject").click()
        expect(console.page.locator("#approvals-box")).to_be_hidden()
        read = api.http.get(
            f"/api/v1/conversations/{conv['id']}",
            headers={"Authorization": f"Bearer {conv['customer_token']}"},
        ).json()
        assert "could not approve it" in read["messages"][-1]["text"]
    finally:
        policy.unlink(missing_ok=True)
