"""Staff identity in the browser: signing in through the company's identity
provider (a real OIDC provider on loopback), a second factor the workspace requires (enrolment
with the QR code, then the recovery codes), and the admins' staff page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in
from tests.oidc_idp import TestIdP, demo_idp, sso_settings
from tests.staff.helpers import ADMIN, PASSWORD, new_staff
from tests.support import Api, LiveServer


@pytest.fixture(scope="module")
def idp() -> Iterator[TestIdP]:
    provider = demo_idp()
    yield provider
    provider.stop()


def test_a_supervisor_signs_in_with_the_company_identity_provider(
    server: LiveServer, api: Api, idp: TestIdP, open_tab: Callable[..., Tab]
) -> None:
    idp.reset()
    admin = api.login(*ADMIN)
    assert api.staff(admin, "PUT", "/api/v1/sso", json=sso_settings(idp)).status_code == 200

    tab = open_tab("/supervisor")
    page = tab.page
    sso = page.get_by_role("link", name="Company sign-in (SSO)")
    expect(sso).to_be_visible()
    tab.shot("sign-in-with-sso")
    sso.click()
    # The provider's own page, on its own origin.
    expect(page.get_by_role("heading", name="Example Corp identity")).to_be_visible()
    assert page.url.startswith(idp.issuer + "/authorize?")
    page.get_by_label("Account").select_option("u-sam")
    tab.shot("sso-provider-page")
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.locator("#me-name")).to_have_text("Sam Super (supervisor)")
    assert "sso_" not in page.url and page.url.endswith("/supervisor")
    tab.shot("supervisor-sso-signed-in")
    # Reloading keeps the session (the token went to sessionStorage, not the address).
    page.reload()
    expect(page.locator("#me-name")).to_have_text("Sam Super (supervisor)")


def test_a_workspace_that_requires_a_second_factor_enrols_at_sign_in(
    server: LiveServer, api: Api, open_tab: Callable[..., Tab]
) -> None:
    admin = api.login(*ADMIN)
    new_staff(server, "new.hire@example.com")
    r = api.staff(admin, "PUT", "/api/v1/auth/mfa/policy", json={"required": True})
    assert r.status_code == 200
    try:
        tab = open_tab("/desk")
        page = tab.page
        page.get_by_label("Email").fill("new.hire@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        step = page.get_by_role("form", name="Second factor")
        expect(step).to_contain_text("Your workspace requires a second factor")
        qr = step.get_by_role("img", name=re.compile("QR code"))
        expect(qr).to_be_visible()
        assert qr.evaluate("img => img.complete && img.naturalWidth") > 0  # the SVG decodes
        secret = step.locator("#mfa-secret").inner_text()
        tab.shot("mfa-enrolment")
        step.get_by_label("Code from your authenticator app").fill("000000")
        step.get_by_role("button", name="Verify code").click()
        expect(step.get_by_role("alert")).to_contain_text("Wrong code")
        step.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
        step.get_by_role("button", name="Verify code").click()
        expect(page.locator(".recovery-codes li")).to_have_count(10)
        page.get_by_role("button", name="I have saved them: continue").click()
        expect(page.locator("#connection")).to_have_text("Live")
        expect(page.locator("#me-name")).to_have_text("New.Hire (agent)")
    finally:
        api.staff(admin, "PUT", "/api/v1/auth/mfa/policy", json={"required": False})


def test_an_admin_edits_and_deactivates_staff_on_the_console(
    server: LiveServer, api: Api, open_tab: Callable[..., Tab]
) -> None:
    who = new_staff(server, "leaving.soon@example.com")
    victim = api.login("leaving.soon@example.com", PASSWORD)
    tab = open_tab("/supervisor")
    sign_in(tab, *ADMIN)
    page = tab.page
    section = page.get_by_role("region", name="Staff")
    row = section.locator(f'tr[data-id="{who}"]')
    expect(row).to_be_visible()
    row.get_by_label("Name of Leaving.Soon").fill("Lee <i>Soon</i>")
    row.get_by_label("Role of Leaving.Soon").select_option("supervisor")
    row.get_by_label("Teams of Leaving.Soon").fill("blue, red")
    row.get_by_role("button", name="Save").click()
    expect(section.get_by_role("status")).to_have_text("Saved Lee <i>Soon</i>.")
    row.get_by_role("button", name="Deactivate").click()
    expect(section.get_by_role("status")).to_contain_text(
        "Lee <i>Soon</i> is deactivated and signed out everywhere."
    )
    expect(row.locator(".account")).to_have_text("deactivated")
    expect(row.get_by_role("button", name="Reactivate")).to_be_visible()
    tab.shot("supervisor-staff-admin")
    assert api.staff(victim, "GET", "/api/v1/agents/me").status_code == 401
    me = api.staff(api.login(*ADMIN), "GET", "/api/v1/agents?include_inactive=true").json()
    [lee] = [a for a in me["items"] if a["id"] == who]
    assert (lee["name"], lee["role"], lee["teams"], lee["active"]) == (
        "Lee <i>Soon</i>",
        "supervisor",
        ["blue", "red"],
        False,
    )
