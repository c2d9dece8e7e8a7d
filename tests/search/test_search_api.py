"""Staff search and paging over real HTTP: words through the keyed blind index,
filters, cursor pages that neither skip nor repeat under inserts, workspace scoping, erasure,
customer search, and bad input as 4xx."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from hybridcx.kit.db import transaction
from hybridcx.kit.ids import new_id
from hybridcx.kit.security import hash_demo_password
from hybridcx.models import Agent, Inbox, SearchToken, Workspace
from tests.support import Api, LiveServer

LIST = "/api/v1/conversations"


@pytest.fixture
def sam(api: Api) -> str:
    return api.login("supervisor@example.com", "demo-supervisor")


def ids(page: dict[str, Any]) -> list[str]:
    return [c["id"] for c in page["items"]]


def search(api: Api, token: str, **params: Any) -> dict[str, Any]:
    r = api.staff(token, "GET", LIST, params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def said(api: Api, email: str, name: str, text: str) -> dict[str, Any]:
    conv = api.start(email, name)
    r = api.say(conv, text)
    assert r.status_code == 200, r.text
    return conv


def test_words_of_messages_are_found_whole_never_as_parts_of_other_words(
    api: Api, sam: str, server: LiveServer
) -> None:
    blender = said(api, "kim@example.org", "Kim Park", "My Blender arrived with a cracked jug")
    refund = said(api, "lee@example.org", "Lee Chan", "I would like a refund for the kettle")
    assert ids(search(api, sam, q="blender")) == [blender["id"]]
    assert ids(search(api, sam, q="BLENDER jug")) == [blender["id"]]  # case, every word
    assert ids(search(api, sam, q="refund kettle")) == [refund["id"]]
    assert ids(search(api, sam, q="blender kettle")) == []  # all words must match
    # Whole words: a part of a word, or a longer word, is another word.
    assert ids(search(api, sam, q="fund")) == []
    assert ids(search(api, sam, q="blend")) == []
    assert ids(search(api, sam, q="refunds")) == []
    # The customer's name is searchable the same way.
    assert ids(search(api, sam, q="park")) == [blender["id"]]

    # The index holds keyed hashes, never the words.
    async def tokens() -> list[str]:
        async with server.runtime.sessions() as s:
            return list((await s.execute(select(SearchToken.token))).scalars())

    stored = server.call(tokens())
    assert stored and all(len(t) == 32 and int(t, 16) >= 0 for t in stored)
    assert not {"blender", "refund", "kettle", "park"} & set(stored)


def test_filters_narrow_the_list(api: Api, sam: str) -> None:
    queued = said(api, "ana@example.org", "Ana", "I want to talk to a person please")
    bot = said(api, "ben@example.org", "Ben", "What are your opening hours?")
    everything = ids(search(api, sam))
    assert set(everything) >= {queued["id"], bot["id"]}
    assert ids(search(api, sam, status="queued")) == [queued["id"]]
    assert ids(search(api, sam, status="bot")) == [bot["id"]]
    assert ids(search(api, sam, channel="webchat", customer="ben@example.org")) == [bot["id"]]
    assert ids(search(api, sam, customer="Ana")) == [queued["id"]]
    assert ids(search(api, sam, intent="opening_hours")) == [bot["id"]]
    first = search(api, sam, customer="ben@example.org")["items"][0]
    assert ids(search(api, sam, customer_id=first["customer"]["id"])) == [bot["id"]]
    assert ids(search(api, sam, tier=1, status="bot")) == [bot["id"]]
    assert ids(search(api, sam, since="2000-01-01T00:00:00Z", until="2000-01-02T00:00:00Z")) == []
    assert set(ids(search(api, sam, since="2000-01-01T00:00:00Z"))) == set(everything)
    admin_id = api.staff(sam, "GET", "/api/v1/agents/me").json()["id"]
    assert ids(search(api, sam, agent_id=admin_id)) == []
    api.staff(sam, "POST", f"{LIST}/{queued['id']}/accept")
    assert ids(search(api, sam, agent_id=admin_id)) == [queued["id"]]


@pytest.mark.parametrize("sort", ["created", "updated"])
def test_cursor_pages_never_skip_or_repeat_under_inserts(api: Api, sam: str, sort: str) -> None:
    original = [api.start(f"p{i}@example.org", f"Page {i}")["id"] for i in range(7)]
    seen: list[str] = []
    page = search(api, sam, sort=sort, limit=3)
    while True:
        seen += ids(page)
        assert len(page["items"]) <= 3
        # Someone starts a conversation between two pages.
        api.start(f"new{len(seen)}@example.org", "Newcomer")
        if not page["next_cursor"]:
            break
        page = search(api, sam, sort=sort, limit=3, cursor=page["next_cursor"])
    assert len(seen) == len(set(seen)), seen  # nothing twice
    assert seen == list(reversed(original))  # everything there was, newest first, once


def test_the_list_keeps_its_old_shape_and_pages_past_200(
    api: Api, sam: str, server: LiveServer
) -> None:
    for i in range(3):
        api.start(f"old{i}@example.org", f"Old {i}")
    body = search(api, sam)
    assert body["next_cursor"] is None and len(body["items"]) == 3
    item = body["items"][0]
    for key in ("id", "status", "tier", "channel", "customer", "assigned_agent_id", "updated_at"):
        assert key in item
    assert item["tags"] == []
    small = search(api, sam, limit=1)
    assert len(small["items"]) == 1 and small["next_cursor"]


def test_bad_search_input_is_a_clear_4xx(api: Api, sam: str) -> None:
    for params in (
        {"limit": 0},
        {"limit": 501},
        {"cursor": "not-a-cursor"},
        {"tier": 9},
        {"since": "yesterday"},
        {"q": "!!"},
        {"since": "2027-01-02T00:00:00Z", "until": "2027-01-01T00:00:00Z"},
        {"q": " ".join(f"w{i}" for i in range(11))},
    ):
        r = api.staff(sam, "GET", LIST, params=params)
        assert 400 <= r.status_code < 500, (params, r.text)
        assert r.json()["detail"], r.text
    # A cursor of one sort order is refused by the other.
    api.start("c1@example.org")
    api.start("c2@example.org")
    cursor = search(api, sam, limit=1, sort="created")["next_cursor"]
    r = api.staff(sam, "GET", LIST, params={"cursor": cursor, "sort": "updated"})
    assert r.status_code == 422 and "cursor" in r.json()["detail"], r.text


async def _second_workspace(server: LiveServer) -> None:
    async with transaction(server.runtime.sessions) as session:
        ws = Workspace(id=new_id(), slug="search-other", name="Other Co", is_default=False)
        session.add(ws)
        await session.flush()
        session.add(
            Inbox(
                id=new_id(),
                workspace_id=ws.id,
                key="search-other-chat",
                channel="webchat",
                name="Other chat",
                hmac_secret="other-secret",
                is_default=True,
            )
        )
        session.add(
            Agent(
                id=new_id(),
                workspace_id=ws.id,
                email="olga@search-other.example",
                name="Olga Other",
                role="admin",
                password_hash=hash_demo_password("other-admin"),
                skills=["general"],
                capacity=3,
                status="away",
            )
        )


def test_another_workspaces_conversations_and_customers_never_appear(
    api: Api, sam: str, server: LiveServer
) -> None:
    server.call(_second_workspace(server))
    olga = api.login("olga@search-other.example", "other-admin")
    ours = said(api, "alex@example.com", "Alex", "my toaster sparks")
    theirs = api.start("alex@example.com", "Alex Elsewhere", inbox="search-other-chat")
    assert api.say(theirs, "my toaster sparks").status_code == 200
    assert ids(search(api, sam, q="toaster")) == [ours["id"]]
    assert ids(search(api, olga, q="toaster")) == [theirs["id"]]
    assert ids(search(api, olga)) == [theirs["id"]]
    assert ids(search(api, olga, customer="alex@example.com")) == [theirs["id"]]
    # A cursor from one workspace reveals nothing in the other.
    api.start("second@example.com")
    cursor = search(api, sam, limit=1)["next_cursor"]
    assert ids(search(api, olga, cursor=cursor)) in ([], [theirs["id"]])
    theirs_customers = api.staff(olga, "GET", "/api/v1/customers").json()["items"]
    assert [c["name"] for c in theirs_customers] == ["Alex Elsewhere"]
    ours_customers = api.staff(sam, "GET", "/api/v1/customers", params={"q": "elsewhere"})
    assert ours_customers.json()["items"] == []


def _wait_done(api: Api, token: str, request_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        req = api.staff(token, "GET", f"/api/v1/privacy/erasures/{request_id}").json()
        if req["status"] != "pending":
            return req  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"erasure still pending: {req}")


def test_erased_conversations_are_not_found(api: Api, sam: str, server: LiveServer) -> None:
    gone = said(api, "gone@example.org", "Gwen Gone", "my umbrella is broken")
    kept = said(api, "kept@example.org", "Kai Kept", "my umbrella is broken too")
    assert set(ids(search(api, sam, q="umbrella"))) == {gone["id"], kept["id"]}
    admin = api.login("admin@example.com", "demo-admin")
    [customer] = api.staff(
        admin, "GET", "/api/v1/customers", params={"q": "gone@example.org"}
    ).json()["items"]
    r = api.staff(admin, "DELETE", f"/api/v1/customers/{customer['id']}")
    assert r.status_code == 202, r.text
    done = _wait_done(api, admin, r.json()["id"])
    assert done["status"] == "completed", done
    assert ids(search(api, sam, q="umbrella")) == [kept["id"]]
    assert ids(search(api, sam, q="gwen")) == []
    assert api.staff(sam, "GET", "/api/v1/customers", params={"q": "gwen"}).json()["items"] == []


def test_customer_search_by_name_email_phone_with_pages(api: Api) -> None:
    admin = api.login("admin@example.com", "demo-admin")
    for i, name in enumerate(["Mia Vantongeren", "Noah Vantongeren", "Mia Klein"]):
        body = {"email": f"c{i}@example.org", "name": name, "phone": f"+1 415 555 010{i}"}
        assert api.staff(admin, "POST", "/api/v1/customers", json=body).status_code == 201

    def names(**params: Any) -> list[str]:
        r = api.staff(admin, "GET", "/api/v1/customers", params=params)
        assert r.status_code == 200, r.text
        return [c["name"] for c in r.json()["items"]]

    assert names(q="vantongeren") == ["Noah Vantongeren", "Mia Vantongeren"]
    assert names(q="mia vantongeren") == ["Mia Vantongeren"]
    assert names(q="C2@Example.org") == ["Mia Klein"]
    assert names(q="+14155550101") == ["Noah Vantongeren"]
    assert names(q="vanton") == []
    # A renamed customer is found by the new name only.
    body = {"email": "c2@example.org", "name": "Mia Weber"}
    assert api.staff(admin, "POST", "/api/v1/customers", json=body).status_code == 200
    assert names(q="klein") == [] and names(q="weber") == ["Mia Weber"]
    first = api.staff(admin, "GET", "/api/v1/customers", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.staff(
        admin, "GET", "/api/v1/customers", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    every = [c["id"] for c in first["items"] + rest["items"]]
    assert len(every) == len(set(every))
    # Agents find the customers of conversations they may see (as the customer overview).
    agent = api.login("agent@example.com", "demo-agent")

    def agent_names(q: str) -> list[str]:
        r = api.staff(agent, "GET", "/api/v1/customers", params={"q": q})
        assert r.status_code == 200, r.text
        return [c["name"] for c in r.json()["items"]]

    assert agent_names("vantongeren") == []
    api.start("c0@example.org", "Someone")  # a chat claims the email; the name stays
    assert agent_names("vantongeren") == ["Mia Vantongeren"]
