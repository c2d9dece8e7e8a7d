"""The input contract, over real HTTP: every bad request gets a clear JSON error (never a 500),
and a rejected request changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support import Api

LIMIT = 4000
STAFF_PASSWORDS = {
    "admin@example.com": "demo-admin",
    "supervisor@example.com": "demo-supervisor",
    "agent@example.com": "demo-agent",
}


def assert_error(r: httpx.Response, *statuses: int) -> dict[str, Any]:
    """A client error with a JSON body whose "detail" is a readable string."""
    assert r.status_code < 500, f"server error {r.status_code}: {r.text}"
    assert r.status_code in statuses, f"expected {statuses}, got {r.status_code}: {r.text}"
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    body = r.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    return body  # type: ignore[no-any-return]


def post_raw(api: Api, path: str, content: bytes | str, token: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return api.http.post(path, content=content, headers=headers)


def customer_get(api: Api, conv: dict[str, Any]) -> dict[str, Any]:
    r = api.http.get(
        f"/api/v1/conversations/{conv['id']}",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def customer_texts(read: dict[str, Any]) -> list[str]:
    return [m["text"] for m in read["messages"] if m["author"] == "customer"]


def post_message(api: Api, conv: dict[str, Any], body: Any) -> httpx.Response:
    return api.http.post(
        f"/api/v1/conversations/{conv['id']}/messages",
        json=body,
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )


# ---- message text ----------------------------------------------------------------------------


def test_message_over_the_limit_is_rejected_with_a_clear_detail(api: Api) -> None:
    conv = api.start()
    before = customer_get(api, conv)

    body = assert_error(api.say(conv, "x" * (LIMIT + 1)), 413, 422)
    assert "4000" in body["detail"] or "4,000" in body["detail"], body
    assert "limit" in body["detail"].lower(), body

    # Far over the limit too, and over the limit counted in characters, not bytes.
    assert_error(api.say(conv, "x" * 50_000), 413, 422)
    assert_error(api.say(conv, "\N{GRINNING FACE}" * (LIMIT + 1)), 413, 422)

    after = customer_get(api, conv)
    assert customer_texts(after) == []
    assert [m["id"] for m in after["messages"]] == [m["id"] for m in before["messages"]]


def test_message_of_exactly_the_limit_is_accepted_and_stored_whole(api: Api) -> None:
    conv = api.start()
    text = "y" * LIMIT
    r = api.say(conv, text)
    assert r.status_code == 200, r.text
    [mine] = [m for m in r.json()["messages"] if m["author"] == "customer"]
    assert mine["text"] == text

    # The limit counts characters: 4,000 four-byte characters are fine as well.
    emoji = "\N{GRINNING FACE}" * LIMIT
    r = api.say(conv, emoji)
    assert r.status_code == 200, r.text

    assert customer_texts(customer_get(api, conv)) == [text, emoji]


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   "},
        {"text": " \n\t  \r\n"},
        {},
        {"text": None},
        {"text": 123},
        {"text": ["hi"]},
        {"message": "hi"},
        {"text": "hi", "unexpected": True},
        [],
        "hi",
    ],
    ids=[
        "empty",
        "spaces",
        "whitespace",
        "missing",
        "null",
        "number",
        "list",
        "wrong-field",
        "extra-field",
        "array-body",
        "string-body",
    ],
)
def test_invalid_message_bodies_are_422_and_store_nothing(api: Api, body: Any) -> None:
    conv = api.start()
    assert_error(post_message(api, conv, body), 422)
    assert customer_texts(customer_get(api, conv)) == []


@pytest.mark.parametrize(
    "text",
    ["before\u0000after", "\ud800 lone surrogate", "tail \udfff", "ok \u200b zero-width \u0007"],
    ids=["nul", "lone-high-surrogate", "lone-low-surrogate", "zero-width-and-bell"],
)
def test_odd_characters_in_a_message_never_cause_a_server_error(api: Api, text: str) -> None:
    """JSON can carry a NUL or a lone surrogate; the API must refuse or store them, not crash."""
    conv = api.start()
    r = api.http.post(
        f"/api/v1/conversations/{conv['id']}/messages",
        content=_json_with_escapes({"text": text}),
        headers={
            "Authorization": f"Bearer {conv['customer_token']}",
            "Content-Type": "application/json",
        },
    )
    assert r.status_code < 500, f"{text!r}: server error {r.status_code}: {r.text}"
    if r.status_code == 200:
        [stored] = customer_texts(customer_get(api, conv))
        assert stored == r.json()["messages"][0]["text"]
    else:
        assert_error(r, 422)
        assert customer_texts(customer_get(api, conv)) == []


@pytest.mark.parametrize(
    "name", ["Nu\u0000ll", "Lone \ud800 Surrogate"], ids=["nul", "lone-surrogate"]
)
def test_odd_characters_in_a_name_never_cause_a_server_error(api: Api, name: str) -> None:
    r = api.http.post(
        "/api/v1/conversations",
        content=_json_with_escapes(
            {"channel": "webchat", "customer": {"email": "odd.name@example.org", "name": name}}
        ),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code < 500, f"{name!r}: server error {r.status_code}: {r.text}"
    if r.status_code != 201:
        assert_error(r, 422)


def _json_with_escapes(value: Any) -> str:
    """JSON with every non-ASCII or control character \\u-escaped (so lone surrogates survive)."""
    if isinstance(value, dict):
        items = ", ".join(
            f"{_json_with_escapes(k)}: {_json_with_escapes(v)}" for k, v in value.items()
        )
        return "{" + items + "}"
    out = []
    for ch in value:
        code = ord(ch)
        if code < 0x20 or code > 0x7E or ch in '"\\':
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def test_body_over_one_megabyte_is_413(api: Api) -> None:
    conv = api.start()
    body = assert_error(api.say(conv, "z" * 1_100_000), 413)
    assert "bytes" in body["detail"] or "limit" in body["detail"].lower(), body
    assert customer_texts(customer_get(api, conv)) == []


def test_rejected_messages_are_not_stored_and_accepted_ones_are_visible_at_once(
    api: Api,
) -> None:
    conv = api.start()

    first = api.say(conv, "first message")
    assert first.status_code == 200, first.text
    first_id = first.json()["messages"][0]["id"]
    # Visible in the very next GET.
    read = customer_get(api, conv)
    assert customer_texts(read) == ["first message"]
    assert first_id in [m["id"] for m in read["messages"]]

    assert_error(api.say(conv, "x" * (LIMIT + 1)), 413, 422)
    assert_error(api.say(conv, ""), 422)
    assert_error(api.say(conv, "   "), 422)
    assert_error(post_message(api, conv, {"text": "sneaky", "internal": True}), 422)
    assert_error(
        post_raw(
            api,
            f"/api/v1/conversations/{conv['id']}/messages",
            '{"text": "half',
            conv["customer_token"],
        ),
        422,
    )

    second = api.say(conv, "second message")
    assert second.status_code == 200, second.text
    second_id = second.json()["messages"][0]["id"]

    read = customer_get(api, conv)
    assert customer_texts(read) == ["first message", "second message"]
    ids = [m["id"] for m in read["messages"] if m["author"] == "customer"]
    assert ids == [first_id, second_id]
    # Every message in each accepted turn's response is in the transcript.
    all_ids = {m["id"] for m in read["messages"]}
    for r in (first, second):
        assert {m["id"] for m in r.json()["messages"]} <= all_ids


# ---- unknown conversations, authentication -----------------------------------------------------


@pytest.mark.parametrize(
    "conversation_id", [str(uuid.uuid4()), "not-a-uuid", "x" * 100, "1", "%20"]
)
def test_unknown_conversation_is_404(api: Api, conversation_id: str) -> None:
    conv = api.start()
    auth = {"Authorization": f"Bearer {conv['customer_token']}"}
    path = f"/api/v1/conversations/{conversation_id}"

    body = assert_error(api.http.get(path, headers=auth), 404)
    assert "not found" in body["detail"].lower()
    assert_error(api.http.post(f"{path}/messages", json={"text": "hi"}, headers=auth), 404)

    staff = api.login("agent@example.com", "demo-agent")
    assert_error(api.staff(staff, "GET", path), 404)
    assert_error(api.staff(staff, "POST", f"{path}/accept"), 404)
    assert_error(api.staff(staff, "POST", f"{path}/replies", json={"text": "hello"}), 404)
    assert_error(api.staff(staff, "POST", f"{path}/resolve"), 404)
    assert_error(api.staff(staff, "POST", f"{path}/transfer", json={}), 404)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
        {"Authorization": "Token abc"},
    ],
    ids=["none", "empty", "scheme-only", "basic", "other-scheme"],
)
def test_missing_authorization_is_401(api: Api, headers: dict[str, str]) -> None:
    conv = api.start()
    path = f"/api/v1/conversations/{conv['id']}"
    body = assert_error(api.http.get(path, headers=headers), 401)
    assert "bearer" in body["detail"].lower()
    assert_error(api.http.post(f"{path}/messages", json={"text": "hi"}, headers=headers), 401)
    assert customer_texts(customer_get(api, conv)) == []


def test_wrong_token_is_refused(api: Api) -> None:
    conv = api.start()
    path = f"/api/v1/conversations/{conv['id']}"
    for token in ("wrong-token", conv["customer_token"] + "x", conv["customer_token"][:-1]):
        auth = {"Authorization": f"Bearer {token}"}
        assert_error(api.http.get(path, headers=auth), 403, 401)
        assert_error(api.http.post(f"{path}/messages", json={"text": "hi"}, headers=auth), 403, 401)
    assert customer_texts(customer_get(api, conv)) == []


# ---- starting a conversation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    ["{", '{"channel": "webchat",}', "not json", '{"customer": {"email": "a@example.com"}'],
    ids=["brace", "trailing-comma", "text", "unclosed"],
)
def test_malformed_json_is_422(api: Api, content: str) -> None:
    body = assert_error(post_raw(api, "/api/v1/conversations", content), 422)
    assert "json" in body["detail"].lower(), body

    conv = api.start()
    path = f"/api/v1/conversations/{conv['id']}/messages"
    body = assert_error(post_raw(api, path, content, conv["customer_token"]), 422)
    assert "json" in body["detail"].lower(), body
    assert customer_texts(customer_get(api, conv)) == []


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "webchat", "customer": {"email": "not-an-email", "name": "A"}},
        {"channel": "webchat", "customer": {"email": "", "name": "A"}},
        {"channel": "webchat", "customer": {"email": "a@", "name": "A"}},
        {"channel": "webchat", "customer": {"email": None}},
        {"channel": "webchat", "customer": {"name": "No Email"}},
        {"channel": "webchat"},
        {"channel": "webchat", "customer": "alex@example.com"},
    ],
    ids=["no-at", "empty", "no-domain", "null", "missing-email", "missing-customer", "string"],
)
def test_invalid_customer_is_422(api: Api, body: dict[str, Any]) -> None:
    r = api.http.post("/api/v1/conversations", json=body)
    detail = assert_error(r, 422)["detail"]
    assert "customer" in detail.lower() or "email" in detail.lower(), detail


@pytest.mark.parametrize("channel", ["sms", "", "WEBCHAT", 1, None])
def test_unknown_channel_is_422(api: Api, channel: Any) -> None:
    r = api.http.post(
        "/api/v1/conversations",
        json={"channel": channel, "customer": {"email": "alex@example.com", "name": "Alex"}},
    )
    assert "channel" in assert_error(r, 422)["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"customer": {"email": "alex@example.com"}, "priority": "high"},
        {"customer": {"email": "alex@example.com", "vip": True}},
        {"customer": {"email": "alex@example.com", "human_only": True}},
        {"customer": {"email": "alex@example.com"}, "identity_verified": True},
    ],
    ids=["top-level", "vip-claim", "human-only-claim", "verified-claim"],
)
def test_unknown_fields_are_422(api: Api, body: dict[str, Any]) -> None:
    assert_error(api.http.post("/api/v1/conversations", json=body), 422)


def test_unknown_inbox_key_is_404(api: Api) -> None:
    r = api.http.post(
        "/api/v1/conversations",
        json={"customer": {"email": "alex@example.com"}, "inbox": "no-such-inbox"},
    )
    assert "no-such-inbox" in assert_error(r, 404)["detail"]


def test_overlong_strings_when_starting_are_422(api: Api) -> None:
    base = {"customer": {"email": "alex@example.com", "name": "Alex"}}
    for body in (
        {**base, "inbox": "k" * 65},
        {**base, "identity_hash": "a" * 129},
        {"customer": {"email": "alex@example.com", "name": "N" * 201}},
    ):
        assert_error(api.http.post("/api/v1/conversations", json=body), 422)


# ---- staff sign-in and staff-only endpoints ----------------------------------------------------


def test_wrong_password_is_401(api: Api) -> None:
    for body in (
        {"email": "agent@example.com", "password": "wrong"},
        {"email": "agent@example.com", "password": ""},
        {"email": "nobody@example.com", "password": "demo-agent"},
        {"email": "agent@example.com", "password": "demo-admin"},
    ):
        r = api.http.post("/api/v1/auth/token", json=body)
        detail = assert_error(r, 401)["detail"]
        assert "password" in detail.lower(), detail
    assert_error(post_raw(api, "/api/v1/auth/token", '{"email": '), 422)
    assert_error(api.http.post("/api/v1/auth/token", json={"email": "agent@example.com"}), 422)


def _queued_conversation(api: Api) -> dict[str, Any]:
    conv = api.start()
    r = api.say(conv, "agent")
    assert r.status_code == 200, r.text
    assert r.json()["conversation"]["status"] == "queued", r.text
    return conv


def _staff_calls(conv_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    base = f"/api/v1/conversations/{conv_id}"
    return [
        ("GET", "/api/v1/queue", None),
        ("GET", "/api/v1/conversations", None),
        ("POST", f"{base}/accept", None),
        ("POST", f"{base}/takeover", None),
        ("POST", f"{base}/replies", {"text": "hello from nobody"}),
        ("POST", f"{base}/replies", {"text": "a note", "internal": True}),
        ("POST", f"{base}/transfer", {}),
        ("POST", f"{base}/resolve", None),
        ("POST", "/api/v1/customers", {"email": "mallory@example.com", "vip": True}),
    ]


@pytest.mark.parametrize("who", ["no-token", "customer-token", "bogus-token"])
def test_staff_endpoints_refuse_customers_and_anonymous_callers(api: Api, who: str) -> None:
    conv = _queued_conversation(api)
    headers = {
        "no-token": {},
        "customer-token": {"Authorization": f"Bearer {conv['customer_token']}"},
        "bogus-token": {"Authorization": "Bearer not-a-staff-token"},
    }[who]
    for method, path, body in _staff_calls(conv["id"]):
        r = api.http.request(method, path, json=body, headers=headers)
        assert_error(r, 401)

    # Nothing happened: still queued, no agent messages, no new customer record.
    admin = api.login("admin@example.com", "demo-admin")
    read = api.staff(admin, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert read["status"] == "queued"
    assert read["agent"] is None
    assert [m for m in read["messages"] if m["author"] == "agent"] == []
    created = api.staff(admin, "POST", "/api/v1/customers", json={"email": "mallory@example.com"})
    assert created.status_code == 201, created.text  # 201: it did not exist before
    assert created.json()["vip"] is False


@pytest.mark.parametrize("login", ["agent@example.com", "supervisor@example.com"])
def test_creating_customers_needs_the_admin_role(api: Api, login: str) -> None:
    token = api.login(login, STAFF_PASSWORDS[login])
    r = api.staff(token, "POST", "/api/v1/customers", json={"email": "new.one@example.com"})
    detail = assert_error(r, 403)["detail"]
    assert "admin" in detail.lower(), detail
    r = api.staff(
        token, "POST", "/api/v1/customers", json={"email": "alex@example.com", "vip": True}
    )
    assert_error(r, 403)

    admin = api.login("admin@example.com", "demo-admin")
    r = api.staff(admin, "POST", "/api/v1/customers", json={"email": "new.one@example.com"})
    assert r.status_code == 201, r.text
    r = api.staff(admin, "POST", "/api/v1/customers", json={"email": "alex@example.com"})
    assert r.status_code == 200, r.text
    assert r.json()["vip"] is False  # the refused upsert changed nothing


def test_invalid_customer_upserts_are_422(api: Api) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    for body in (
        {"email": "not-an-email"},
        {},
        {"email": "a@example.com", "lifetime_value": -1},
        {"email": "a@example.com", "unknown": 1},
    ):
        assert_error(api.staff(admin, "POST", "/api/v1/customers", json=body), 422)


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   "},
        {},
        {"text": None},
        {"text": "hi", "internal": "maybe"},
        {"text": "hi", "author": "ai"},
    ],
    ids=["empty", "whitespace", "missing", "null", "bad-internal", "extra-field"],
)
def test_invalid_replies_are_422(api: Api, body: dict[str, Any]) -> None:
    conv = _queued_conversation(api)
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200
    r = api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/replies", json=body)
    assert_error(r, 422)
    read = api.staff(agent, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert [m for m in read["messages"] if m["author"] == "agent"] == []


def test_reply_over_the_limit_is_rejected(api: Api) -> None:
    conv = _queued_conversation(api)
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200
    path = f"/api/v1/conversations/{conv['id']}/replies"
    body = assert_error(api.staff(agent, "POST", path, json={"text": "r" * (LIMIT + 1)}), 413, 422)
    assert "4000" in body["detail"] or "4,000" in body["detail"], body
    ok = api.staff(agent, "POST", path, json={"text": "r" * LIMIT})
    assert ok.status_code == 200, ok.text
    read = api.staff(agent, "GET", f"/api/v1/conversations/{conv['id']}").json()
    assert [m["text"] for m in read["messages"] if m["author"] == "agent"] == ["r" * LIMIT]


@pytest.mark.parametrize(
    "text", ["nul \u0000 here", "lone \ud800 surrogate"], ids=["nul", "lone-surrogate"]
)
def test_odd_characters_in_a_reply_never_cause_a_server_error(api: Api, text: str) -> None:
    conv = _queued_conversation(api)
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").status_code == 200
    r = api.http.post(
        f"/api/v1/conversations/{conv['id']}/replies",
        content=_json_with_escapes({"text": text}),
        headers={"Authorization": f"Bearer {agent}", "Content-Type": "application/json"},
    )
    assert r.status_code < 500, f"{text!r}: server error {r.status_code}: {r.text}"
    if r.status_code != 200:
        assert_error(r, 422)


def test_invalid_transfers_and_filters_are_rejected(api: Api) -> None:
    conv = _queued_conversation(api)
    agent = api.login("agent@example.com", "demo-agent")
    base = f"/api/v1/conversations/{conv['id']}"
    assert api.staff(agent, "POST", f"{base}/accept").status_code == 200
    assert_error(api.staff(agent, "POST", f"{base}/transfer", json={"tier": 7}), 422)
    assert_error(api.staff(agent, "POST", f"{base}/transfer", json={"team": "x"}), 422)
    assert_error(
        api.staff(agent, "POST", f"{base}/transfer", json={"agent_id": str(uuid.uuid4())}), 404
    )
    assert_error(api.staff(agent, "GET", "/api/v1/conversations?status=bogus"), 422)
    # Still with the agent after all the refused transfers.
    read = api.staff(agent, "GET", base).json()
    assert read["status"] == "assigned"
    assert read["agent"]["name"] == "Alice Agent"


def test_staff_cannot_post_as_the_customer(api: Api) -> None:
    conv = api.start()
    agent = api.login("agent@example.com", "demo-agent")
    r = api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/messages", json={"text": "x"})
    assert_error(r, 403)
    assert customer_texts(customer_get(api, conv)) == []
