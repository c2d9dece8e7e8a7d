"""OpenID Connect sign-in for staff against a real provider on loopback (tests/oidc_idp.py):
code flow with PKCE, state and nonce, an RS256 ID token verified against the provider's JWKS,
roles and teams from claims. Over real HTTP; nothing here follows a redirect by itself, so
every hop is checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from joserfc.jwk import RSAKey

from tests.oidc_idp import TestIdP, demo_idp, sso_settings
from tests.staff.helpers import ADMIN, AGENT, audit_of, new_workspace
from tests.support import Api, LiveServer


@pytest.fixture(scope="module")
def idp() -> Iterator[TestIdP]:
    provider = demo_idp()
    yield provider
    provider.stop()


@pytest.fixture
def sso(server: LiveServer, api: Api, idp: TestIdP) -> Iterator[TestIdP]:
    idp.reset()
    admin = api.login(*ADMIN)
    r = api.staff(admin, "PUT", "/api/v1/sso", json=settings(idp))
    assert r.status_code == 200, r.text
    yield idp


settings = sso_settings


def to_provider(api: Api, return_to: str = "/supervisor", **params: str) -> httpx.Response:
    r = api.http.get("/api/v1/auth/oidc/start", params={"return_to": return_to, **params})
    assert r.status_code == 302, r.text
    return r


def round_trip(api: Api, idp: TestIdP, user: str) -> httpx.Response:
    """Start, let the provider approve ``user``, and hand its answer to the callback."""
    idp.auto_user = user
    start = to_provider(api)
    with httpx.Client() as browser:
        answer = browser.get(start.headers["location"])
    assert answer.status_code == 302, answer.text
    callback = answer.headers["location"]
    assert callback.startswith(api.base_url + "/api/v1/auth/oidc/callback?")
    return api.http.get(callback)


def code_of(r: httpx.Response) -> str:
    """The one-time code the callback sends the page (never the token itself)."""
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    path, _, fragment = location.partition("#")
    assert path == "/supervisor"
    assert "sso_token" not in fragment
    return parse_qs(fragment)["sso_code"][0]


def token_of(api: Api, r: httpx.Response) -> str:
    """Trade the redirect's one-time code for the staff token, as the page does."""
    got = api.http.post("/api/v1/auth/oidc/exchange", json={"code": code_of(r)})
    assert got.status_code == 200, got.text
    return str(got.json()["access_token"])


def test_sign_in_with_pkce_state_and_nonce_maps_role_and_teams(
    server: LiveServer, api: Api, sso: TestIdP
) -> None:
    start = to_provider(api)
    auth = urlparse(start.headers["location"])
    assert f"{auth.scheme}://{auth.netloc}" == sso.issuer and auth.path == "/authorize"
    q = {k: v[0] for k, v in parse_qs(auth.query).items()}
    assert q["response_type"] == "code" and q["client_id"] == sso.client_id
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert q["redirect_uri"] == f"{api.base_url}/api/v1/auth/oidc/callback"
    assert q["scope"] == "openid email profile" and q["state"] and q["nonce"]

    token = token_of(api, round_trip(api, sso, "u-sam"))
    me = api.staff(token, "GET", "/api/v1/agents/me").json()
    assert (me["email"], me["name"], me["role"], me["teams"], me["sso"]) == (
        "sam@corp.example",
        "Sam Super",
        "supervisor",  # the highest of the mapped groups
        ["red"],
        True,
    )
    # The provider got the PKCE verifier of the challenge, and the client's secret.
    [(_, _, form)] = [r for r in sso.requests if r[:2] == ("POST", "/token")]
    assert form["code_verifier"][0] and "client_secret" not in form  # sent as HTTP Basic
    admin = api.login(*ADMIN)
    [created] = audit_of(api, admin, "staff.created", me["id"])
    assert created["actor_type"] == "sso" and created["details"]["role"] == "supervisor"
    [login] = audit_of(api, admin, "auth.login", me["id"])
    assert login["details"]["sso"] == sso.issuer

    # The next sign-in is the same account; a changed group moves the role (audited).
    sso.users["u-sam"].groups = ["cx-agents"]
    try:
        again = token_of(api, round_trip(api, sso, "u-sam"))
    finally:
        sso.users["u-sam"].groups = ["cx-supervisors", "cx-agents"]
    me2 = api.staff(again, "GET", "/api/v1/agents/me").json()
    assert me2["id"] == me["id"] and me2["role"] == "agent"
    assert audit_of(api, admin, "staff.access_changed", me["id"])


def test_an_existing_password_account_is_linked_by_its_verified_email(
    server: LiveServer, api: Api, sso: TestIdP
) -> None:
    password_id = api.staff(api.login(*AGENT), "GET", "/api/v1/agents/me").json()["id"]
    token = token_of(api, round_trip(api, sso, "u-ann"))
    me = api.staff(token, "GET", "/api/v1/agents/me").json()
    assert me["id"] == password_id and me["teams"] == ["green"] and me["sso"] is True
    r = round_trip(api, sso, "u-unverified")
    assert r.status_code == 403 and "verified" in r.json()["detail"]


def test_state_is_one_time_and_must_be_known(server: LiveServer, api: Api, sso: TestIdP) -> None:
    sso.auto_user = "u-dana"
    start = to_provider(api)
    with httpx.Client() as browser:
        callback = browser.get(start.headers["location"]).headers["location"]
    assert api.http.get(callback).status_code == 302
    replay = api.http.get(callback)
    assert replay.status_code == 400 and "already used" in replay.json()["detail"]
    forged = callback.replace("state=", "state=x")
    assert api.http.get(forged).status_code == 400
    r = api.http.get("/api/v1/auth/oidc/callback", params={"code": "abc"})
    assert r.status_code == 400 and "state" in r.json()["detail"]


@pytest.mark.parametrize(
    ("misbehaviour", "needle"),
    [
        ({"sign_with": "other key"}, "signature"),
        ({"claims_override": {"nonce": "not-the-nonce"}}, "nonce"),
        ({"claims_override": {"aud": "another-client"}}, "aud"),
        ({"claims_override": {"iss": "https://evil.example"}}, "iss"),
        ({"claims_override": {"exp": 1_000_000_000}}, "exp"),
    ],
)
def test_an_id_token_that_is_not_right_is_refused(
    server: LiveServer, api: Api, sso: TestIdP, misbehaviour: dict[str, Any], needle: str
) -> None:
    if "sign_with" in misbehaviour:
        sso.sign_with = RSAKey.generate_key(2048, parameters={"kid": "idp-key-1"})
    sso.claims_override = misbehaviour.get("claims_override", {})
    r = round_trip(api, sso, "u-dana")
    assert r.status_code == 400, r.text
    assert needle in r.json()["detail"]
    assert "sso_" not in r.headers.get("location", "")


def test_who_may_sign_in(server: LiveServer, api: Api, sso: TestIdP) -> None:
    # No mapped group and no default role: refused.
    r = round_trip(api, sso, "u-nobody")
    assert r.status_code == 403 and "no role" in r.json()["detail"]
    # A deactivated account is refused.
    token = token_of(api, round_trip(api, sso, "u-dana"))
    dana = api.staff(token, "GET", "/api/v1/agents/me").json()["id"]
    admin = api.login(*ADMIN)
    assert api.staff(admin, "POST", f"/api/v1/agents/{dana}/deactivate").status_code == 200
    r = round_trip(api, sso, "u-dana")
    assert r.status_code == 403 and "deactivated" in r.json()["detail"]
    # Without auto-creation only existing accounts get in.
    r = api.staff(admin, "PUT", "/api/v1/sso", json=settings(sso, auto_create=False))
    assert r.status_code == 200
    r = round_trip(api, sso, "u-sam")
    assert r.status_code == 403 and "no staff account" in r.json()["detail"]


def test_settings_are_admin_only_checked_and_per_workspace(
    server: LiveServer, api: Api, sso: TestIdP
) -> None:
    admin, agent = api.login(*ADMIN), api.login(*AGENT)
    assert api.staff(agent, "PUT", "/api/v1/sso", json=settings(sso)).status_code == 403
    assert api.staff(agent, "GET", "/api/v1/sso").status_code == 403
    body = api.staff(admin, "GET", "/api/v1/sso").json()
    assert body["client_secret_set"] is True and sso.client_secret not in str(body)
    for bad, status, needle in [
        ({"issuer": "http://idp.example.com"}, 422, "https"),
        ({"issuer": "http://127.0.0.1:9"}, 502, "did not answer"),
        ({"scopes": "email"}, 422, "openid"),
        ({"role_map": {"x": "king"}}, 422, "roles must be one of"),
        ({"default_role": "king"}, 422, "default_role"),
    ]:
        r = api.staff(admin, "PUT", "/api/v1/sso", json=settings(sso, **bad))
        assert r.status_code == status, (bad, r.text)
        assert needle in r.json()["detail"], (bad, r.text)
    assert sso.client_secret not in str(audit_of(api, admin, "sso.", ""))
    for bad_return in ("https://evil.example/", "//evil.example/x", "desk"):
        r = api.http.get("/api/v1/auth/oidc/start", params={"return_to": bad_return})
        assert r.status_code == 422, r.text
    new_workspace(server, "no-sso-co")
    assert api.http.get("/api/v1/auth/oidc/status?workspace=no-sso-co").json() == {"sso": False}
    assert api.http.get("/api/v1/auth/oidc/status").json() == {"sso": True}
    r = api.http.get("/api/v1/auth/oidc/start", params={"workspace": "no-sso-co"})
    assert r.status_code == 404
    assert api.staff(admin, "DELETE", "/api/v1/sso").status_code == 200
    assert api.http.get("/api/v1/auth/oidc/status").json() == {"sso": False}
    assert api.staff(admin, "DELETE", "/api/v1/sso").status_code == 404


def test_the_token_never_travels_in_the_url_only_a_one_time_code(
    server: LiveServer, api: Api, sso: TestIdP
) -> None:
    """Issue 19: the callback's redirect carries a one-time code, traded by POST for the token;
    the code works once, not after a minute, and not for a deactivated account."""
    from datetime import timedelta

    from sqlalchemy import update

    from hybridcx.kit.ids import utcnow
    from hybridcx.models import SsoHandoff

    r = round_trip(api, sso, "u-sam")
    code = code_of(r)
    admin = api.login(*ADMIN)
    got = api.http.post("/api/v1/auth/oidc/exchange", json={"code": code})
    assert got.status_code == 200, got.text
    token = got.json()["access_token"]
    assert token not in r.headers["location"] and got.json()["token_type"] == "bearer"
    me = api.staff(token, "GET", "/api/v1/agents/me").json()
    assert me["email"] == "sam@corp.example"
    [login] = audit_of(api, admin, "auth.login", me["id"])  # at the trade, once
    assert login["details"]["sso"] == sso.issuer
    # Once only; a made-up code or no code is a clear 4xx.
    again = api.http.post("/api/v1/auth/oidc/exchange", json={"code": code})
    assert again.status_code == 400 and "already used" in again.json()["detail"]
    made_up = api.http.post("/api/v1/auth/oidc/exchange", json={"code": "x" * 43})
    assert made_up.status_code == 400
    assert api.http.post("/api/v1/auth/oidc/exchange", json={}).status_code == 422
    # Not after its minute (the stored expiry moved back, not the clock).
    late = code_of(round_trip(api, sso, "u-sam"))

    async def expire() -> None:
        async with server.runtime.sessions() as session:
            await session.execute(
                update(SsoHandoff).values(expires_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()

    server.call(expire())
    r = api.http.post("/api/v1/auth/oidc/exchange", json={"code": late})
    assert r.status_code == 400 and "expired" in r.json()["detail"]
    # An account deactivated between the redirect and the trade gets no token.
    pending = code_of(round_trip(api, sso, "u-sam"))
    assert api.staff(admin, "POST", f"/api/v1/agents/{me['id']}/deactivate").status_code == 200
    r = api.http.post("/api/v1/auth/oidc/exchange", json={"code": pending})
    assert r.status_code == 403 and "deactivated" in r.json()["detail"]
