"""TOTP second factor over real HTTP: enrolment (otpauth URI, QR), sign-in with a code or a
recovery code, no replay, throttled wrong codes, a workspace that requires it, admin reset.
Codes are computed with pyotp from the enrolled secret on the test's frozen clock."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp

from hybridcx.kit.db import transaction
from hybridcx.models import Workspace
from tests.staff.helpers import ADMIN, AGENT, PASSWORD, audit_of, new_staff
from tests.support import Api, LiveServer


def password_step(api: Api, email: str, password: str = PASSWORD) -> dict[str, Any]:
    r = api.http.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def code_for(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def enrol(api: Api, token: str) -> str:
    r = api.staff(token, "POST", "/api/v1/auth/mfa/enroll", json={})
    assert r.status_code == 200, r.text
    secret: str = r.json()["secret"]
    r2 = api.staff(token, "POST", "/api/v1/auth/mfa/confirm", json={"code": code_for(secret)})
    assert r2.status_code == 200, r2.text
    return secret


def test_enrol_then_sign_in_needs_a_code_once_per_step(server: LiveServer, api: Api) -> None:
    who = new_staff(server, "mfa.user@example.com")
    token = api.login("mfa.user@example.com", PASSWORD)
    r = api.staff(token, "POST", "/api/v1/auth/mfa/enroll", json={})
    assert r.status_code == 200, r.text
    enrolment = r.json()
    uri = urlparse(enrolment["otpauth_uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert parse_qs(uri.query)["secret"] == [enrolment["secret"]]
    assert "mfa.user%40example.com" in uri.path or "mfa.user@example.com" in uri.path
    assert enrolment["qr_svg"].startswith("<svg") and "</svg>" in enrolment["qr_svg"]
    # Not on until a code confirms it: a password still signs in.
    assert "access_token" in password_step(api, "mfa.user@example.com")
    wrong = api.staff(token, "POST", "/api/v1/auth/mfa/confirm", json={"code": "000000"})
    assert wrong.status_code == 401 and "Wrong code" in wrong.json()["detail"]
    secret = enrolment["secret"]
    first = code_for(secret)
    r = api.staff(token, "POST", "/api/v1/auth/mfa/confirm", json={"code": first})
    assert r.status_code == 200, r.text
    recovery = r.json()["recovery_codes"]
    assert len(recovery) == 10 and len(set(recovery)) == 10
    status = api.staff(token, "GET", "/api/v1/auth/mfa").json()
    assert status == {
        "enabled": True,
        "pending": False,
        "required_by_workspace": False,
        "recovery_codes_left": 10,
    }

    step = password_step(api, "mfa.user@example.com")
    assert step["mfa_required"] is True and step["mfa_enrolled"] is True
    assert "access_token" not in step and "authenticator" in step["message"]
    verify = {"mfa_token": step["mfa_token"]}
    # The code that confirmed the enrolment was used: it cannot be replayed.
    r = api.http.post("/api/v1/auth/mfa/verify", json={**verify, "code": first})
    assert r.status_code == 401
    r = api.http.post("/api/v1/auth/mfa/verify", json={**verify, "code": code_for(secret, 1)})
    assert r.status_code == 200, r.text
    assert api.staff(r.json()["access_token"], "GET", "/api/v1/agents/me").status_code == 200
    # The mfa_token is spent.
    r = api.http.post("/api/v1/auth/mfa/verify", json={**verify, "code": code_for(secret, 1)})
    assert r.status_code == 401 and "expired" in r.json()["detail"]

    # A recovery code works once.
    step = password_step(api, "mfa.user@example.com")
    body = {"mfa_token": step["mfa_token"], "code": recovery[0].upper().replace("-", " ")}
    assert api.http.post("/api/v1/auth/mfa/verify", json=body).status_code == 200
    step = password_step(api, "mfa.user@example.com")
    body = {"mfa_token": step["mfa_token"], "code": recovery[0]}
    assert api.http.post("/api/v1/auth/mfa/verify", json=body).status_code == 401

    admin = api.login(*ADMIN)
    logins = audit_of(api, admin, "auth.login", who)
    assert {e["details"].get("mfa") for e in logins} >= {"totp", "recovery_code"}
    assert audit_of(api, admin, "auth.mfa_enabled", who)
    assert audit_of(api, admin, "auth.mfa_failed", who)
    assert secret not in str(audit_of(api, admin, "auth.", who))


def test_wrong_codes_are_throttled_like_passwords(server: LiveServer, api: Api) -> None:
    new_staff(server, "guessed@example.com")
    token = api.login("guessed@example.com", PASSWORD)
    secret = enrol(api, token)
    step = password_step(api, "guessed@example.com")
    codes = []
    for guess in range(5):
        r = api.http.post(
            "/api/v1/auth/mfa/verify",
            json={"mfa_token": step["mfa_token"], "code": f"{guess:06d}"},
        )
        codes.append(r.status_code)
    assert codes == [401] * 5
    r = api.http.post(
        "/api/v1/auth/mfa/verify",
        json={"mfa_token": step["mfa_token"], "code": code_for(secret, 1)},
    )
    assert r.status_code == 429 and r.json()["code"] == "login_throttled"
    assert int(r.headers["retry-after"]) > 0


def test_bad_mfa_input_is_4xx(server: LiveServer, api: Api) -> None:
    for body in ({}, {"mfa_token": "x"}, {"mfa_token": "x", "code": ""}, {"code": "123456"}):
        r = api.http.post("/api/v1/auth/mfa/verify", json=body)
        assert 400 <= r.status_code < 500, r.text
    r = api.http.post("/api/v1/auth/mfa/verify", json={"mfa_token": "nope", "code": "123456"})
    assert r.status_code == 401 and "sign in" in r.json()["detail"]
    assert api.http.post("/api/v1/auth/mfa/enroll", json={}).status_code == 401
    token = api.login(*AGENT)
    r = api.staff(token, "POST", "/api/v1/auth/mfa/confirm", json={"code": "123456"})
    assert r.status_code == 409 and "enroll" in r.json()["detail"]


def _require(server: LiveServer, required: bool) -> None:
    async def go() -> None:
        from sqlalchemy import update

        async with transaction(server.runtime.sessions) as session:
            await session.execute(update(Workspace).values(mfa_required=required))

    server.call(go())


def test_a_workspace_that_requires_mfa_has_everyone_enrol_at_next_sign_in(
    server: LiveServer, api: Api
) -> None:
    admin = api.login(*ADMIN)
    agent = api.login(*AGENT)
    r = api.staff(agent, "PUT", "/api/v1/auth/mfa/policy", json={"required": True})
    assert r.status_code == 403
    r = api.staff(admin, "PUT", "/api/v1/auth/mfa/policy", json={"required": True})
    assert r.status_code == 200, r.text
    try:
        step = password_step(api, *AGENT)
        assert step["mfa_required"] is True and step["mfa_enrolled"] is False
        assert "requires a second factor" in step["message"]
        r = api.http.post(
            "/api/v1/auth/mfa/verify", json={"mfa_token": step["mfa_token"], "code": "123456"}
        )
        assert r.status_code == 409 and "enroll" in r.json()["detail"]
        r = api.http.post("/api/v1/auth/mfa/enroll", json={"mfa_token": step["mfa_token"]})
        assert r.status_code == 200, r.text
        secret = r.json()["secret"]
        r = api.http.post(
            "/api/v1/auth/mfa/verify",
            json={"mfa_token": step["mfa_token"], "code": code_for(secret)},
        )
        assert r.status_code == 200, r.text
        assert len(r.json()["recovery_codes"]) == 10
        token = r.json()["access_token"]
        # Required: it cannot be turned off by its owner...
        r = api.staff(token, "DELETE", "/api/v1/auth/mfa", json={"code": code_for(secret, 1)})
        assert r.status_code == 409 and "requires" in r.json()["detail"]
        # ...but an admin can reset it (a lost phone); the next sign-in enrols again.
        me = api.staff(token, "GET", "/api/v1/agents/me").json()
        assert me["mfa_enabled"] is True
        r = api.staff(admin, "DELETE", f"/api/v1/agents/{me['id']}/mfa")
        assert r.status_code == 200 and r.json()["mfa_enabled"] is False
        assert api.staff(token, "GET", "/api/v1/agents/me").status_code == 401
        assert password_step(api, *AGENT)["mfa_enrolled"] is False
        assert audit_of(api, admin, "staff.mfa_reset", me["id"])
        # The admin's own next sign-in is asked too.
        assert password_step(api, *ADMIN)["mfa_required"] is True
    finally:
        _require(server, False)


def test_turning_mfa_off_needs_a_code(server: LiveServer, api: Api) -> None:
    new_staff(server, "off@example.com")
    token = api.login("off@example.com", PASSWORD)
    secret = enrol(api, token)
    r = api.staff(token, "DELETE", "/api/v1/auth/mfa", json={"code": "000000"})
    assert r.status_code == 401
    r = api.staff(token, "DELETE", "/api/v1/auth/mfa", json={"code": code_for(secret, 1)})
    assert r.status_code == 200
    assert "access_token" in password_step(api, "off@example.com")
