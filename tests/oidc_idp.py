"""A small OpenID Connect provider on loopback, for the SSO tests: real HTTP endpoints
(discovery, authorize, token, JWKS) and real RS256 ID tokens signed with joserfc.

It checks what a real provider checks: the client and its secret (client_secret_basic or
_post), the redirect URI, the one-time code and the PKCE verifier against the S256 challenge.
``authorize`` shows a sign-in form (for the browser test) or, with ``auto_user`` set, answers
at once as that user. Knobs make it misbehave the ways the relying party must catch:
``sign_with`` (a key not in the JWKS), ``claims_override`` (wrong nonce, audience, issuer,
expiry). Every request is recorded in ``requests``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey


@dataclass
class User:
    sub: str
    email: str
    name: str
    groups: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    email_verified: bool = True


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    challenge: str | None
    method: str | None
    user: User
    used: bool = False


class TestIdP:
    __test__ = False  # not a pytest class

    def __init__(
        self, *, client_id: str = "hybridcx-desk", client_secret: str = "s3cret-idp"
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "idp-key-1", "use": "sig"})
        self.users: dict[str, User] = {}
        self.grants: dict[str, Grant] = {}
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.auto_user: str | None = None
        self.sign_with: RSAKey | None = None
        self.claims_override: dict[str, Any] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def issuer(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> TestIdP:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        self.grants.clear()
        self.requests.clear()
        self.auto_user = None
        self.sign_with = None
        self.claims_override = {}

    def add_user(self, user: User) -> User:
        self.users[user.sub] = user
        return user

    # ---- the protocol ----------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def jwks(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "alg": "RS256"}]}

    def issue_code(self, params: dict[str, str], user: User) -> str:
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(
            client_id=params.get("client_id", ""),
            redirect_uri=params.get("redirect_uri", ""),
            nonce=params.get("nonce"),
            challenge=params.get("code_challenge"),
            method=params.get("code_challenge_method"),
            user=user,
        )
        return code

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        user = grant.user
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user.sub,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "email": user.email,
            "email_verified": user.email_verified,
            "name": user.name,
            "groups": user.groups,
            "teams": user.teams,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update(self.claims_override)
        key = self.sign_with or self.key
        return jwt.encode({"alg": "RS256", "kid": "idp-key-1"}, claims, key)

    def token(self, form: dict[str, str], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            raw = base64.b64decode(auth[6:]).decode()
            cid, _, sec = raw.partition(":")
            client_id, secret = unquote(cid), unquote(sec)
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.used or grant.client_id != client_id:
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        grant.used = True
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"}
        if grant.challenge is not None:
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if grant.method != "S256" or expected != grant.challenge:
                return 400, {"error": "invalid_grant", "error_description": "PKCE check failed"}
        return 200, {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant),
        }

    # ---- HTTP ------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _send(self, status: int, body: Any, ctype: str = "application/json") -> None:
                data = (json.dumps(body) if ctype == "application/json" else body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _approve(self, params: dict[str, str], user: User) -> None:
                code = idp.issue_code(params, user)
                query = urlencode({"code": code, "state": params.get("state", "")})
                self._redirect(f"{params['redirect_uri']}?{query}")

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                query = parse_qs(url.query)
                idp.requests.append(("GET", url.path, query))
                params = {k: v[0] for k, v in query.items()}
                if url.path == "/.well-known/openid-configuration":
                    self._send(200, idp.discovery())
                elif url.path == "/jwks":
                    self._send(200, idp.jwks())
                elif url.path == "/authorize":
                    if params.get("client_id") != idp.client_id or "redirect_uri" not in params:
                        self._send(400, "<p>Unknown client</p>", "text/html")
                    elif idp.auto_user is not None:
                        self._approve(params, idp.users[idp.auto_user])
                    else:
                        self._send(200, _login_page(params, idp.users), "text/html")
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                length = int(self.headers.get("content-length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                idp.requests.append(("POST", url.path, {k: [v] for k, v in form.items()}))
                if url.path == "/token":
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    status, body = idp.token(form, headers)
                    self._send(status, body)
                elif url.path == "/authorize":
                    user = idp.users.get(form.get("user", ""))
                    if user is None:
                        self._send(400, "<p>Unknown user</p>", "text/html")
                    else:
                        self._approve(form, user)
                else:
                    self._send(404, {"error": "not_found"})

        return Handler


def _login_page(params: dict[str, str], users: dict[str, User]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )
    options = "".join(
        f'<option value="{html.escape(u.sub)}">{html.escape(u.name)} ({html.escape(u.email)})</option>'
        for u in users.values()
    )
    return f"""<!doctype html><html><head><title>Example Corp sign-in</title>
<style>body{{font-family:sans-serif;background:#eef2f7;display:grid;place-items:center;
height:100vh;margin:0}}form{{background:#fff;padding:2rem 2.5rem;border-radius:10px;
box-shadow:0 2px 12px #0002;display:grid;gap:.8rem;min-width:320px}}h1{{font-size:1.2rem;
margin:0}}button{{padding:.6rem;background:#1f4fd1;color:#fff;border:0;border-radius:6px;
font-size:1rem}}select{{padding:.5rem}}</style></head><body>
<form method="post" action="/authorize"><h1>Example Corp identity</h1>
<p>hybridcx asks you to sign in.</p>{hidden}
<label>Account <select name="user">{options}</select></label>
<button type="submit">Sign in</button></form></body></html>"""


def demo_idp() -> TestIdP:
    """A started provider with the people the SSO tests sign in as."""
    provider = TestIdP().start()
    provider.add_user(User("u-dana", "dana@corp.example", "Dana Diaz", ["cx-agents"], ["blue"]))
    provider.add_user(
        User("u-sam", "sam@corp.example", "Sam Super", ["cx-supervisors", "cx-agents"], ["red"])
    )
    provider.add_user(User("u-ann", "agent@example.com", "Alice Agent", ["cx-agents"], ["green"]))
    provider.add_user(User("u-nobody", "nobody@corp.example", "No Role", ["sales"]))
    provider.add_user(
        User("u-unverified", "unverified@corp.example", "Unverified", ["cx-agents"], [], False)
    )
    return provider


ROLE_MAP = {"cx-admins": "admin", "cx-supervisors": "supervisor", "cx-agents": "agent"}


def sso_settings(idp: TestIdP, **extra: Any) -> dict[str, Any]:
    """The workspace settings (PUT /api/v1/sso) for this provider: roles from ``groups``,
    teams from ``teams``, nobody without a mapped group."""
    return {
        "issuer": idp.issuer,
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "role_claim": "groups",
        "role_map": ROLE_MAP,
        "default_role": None,
        "teams_claim": "teams",
        **extra,
    }
