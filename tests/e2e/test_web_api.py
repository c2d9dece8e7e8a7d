"""The endpoints behind the web pages: survey, customer 360, dashboard, help search, pages."""

from __future__ import annotations

from tests.support import Api


def resolved_conversation(api: Api) -> tuple[dict, str]:
    conv = api.start("alex@example.com", "Alex")
    api.say(conv, "agent")
    token = api.login("agent@example.com", "demo-agent")
    assert api.staff(token, "POST", f"/api/v1/conversations/{conv['id']}/accept").is_success
    return conv, token


def survey(api: Api, conv: dict, token: str | None = None, **body: object) -> int:
    r = api.http.post(
        f"/api/v1/conversations/{conv['id']}/survey",
        json=body,
        headers={"Authorization": f"Bearer {token or conv['customer_token']}"},
    )
    return r.status_code


def test_survey_once_per_resolved_conversation_by_its_customer(api: Api) -> None:
    conv, staff = resolved_conversation(api)
    assert survey(api, conv, rating=5) == 409  # not resolved yet
    assert api.staff(staff, "POST", f"/api/v1/conversations/{conv['id']}/resolve").is_success
    other = api.start("jordan.reed@example.com", "Jordan")
    assert survey(api, conv, other["customer_token"], rating=5) == 403
    assert survey(api, conv, staff, rating=5) == 403
    assert survey(api, conv, rating=6) == 422
    assert survey(api, conv, rating=4, comment="Helpful") == 201
    assert survey(api, conv, rating=1) == 409
    events = api.staff(staff, "GET", f"/api/v1/conversations/{conv['id']}").json()["events"]
    answer = next(e for e in events if e["type"] == "survey.submitted")
    assert answer["data"]["rating"] == 4 and answer["data"]["comment"] == "Helpful"
    supervisor = api.login("supervisor@example.com", "demo-supervisor")
    dash = api.staff(supervisor, "GET", "/api/v1/dashboard").json()
    assert dash["csat"] == {"count": 1, "average": 4.0}


def test_customer_overview_for_staff_of_the_workspace(api: Api) -> None:
    conv, staff = resolved_conversation(api)
    customer_id = api.staff(staff, "GET", f"/api/v1/conversations/{conv['id']}").json()["customer"][
        "id"
    ]
    body = api.staff(staff, "GET", f"/api/v1/customers/{customer_id}/overview").json()
    assert body["customer"]["email"] == "alex@example.com"
    assert [o["number"] for o in body["orders"]] == ["1001"]
    assert [c["id"] for c in body["conversations"]] == [conv["id"]]
    assert api.staff(staff, "GET", "/api/v1/customers/nope/overview").status_code == 404
    r = api.http.get(
        f"/api/v1/customers/{customer_id}/overview",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 401


def test_dashboard_numbers_for_supervisors_only(api: Api) -> None:
    contained = api.start("priya.patel@example.com", "Priya")
    api.say(contained, "What are your opening hours?")
    api.say(api.start("alex@example.com", "Alex"), "agent")
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "GET", "/api/v1/dashboard").status_code == 403
    supervisor = api.login("supervisor@example.com", "demo-supervisor")
    dash = api.staff(supervisor, "GET", "/api/v1/dashboard").json()
    assert dash["started"] == 2 and dash["contained"] == 1 and dash["containment"] == 0.5
    assert dash["volume"]["by_channel"] == {"webchat": 2}
    assert dash["escalation_reasons"] == {"customer_request": 1}
    assert dash["queue"]["length"] == 1
    assert dash["agents"]["offline"] == 6


def help_search(api: Api, q: str) -> dict:
    r = api.http.get("/api/v1/help/articles", params={"q": q})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_help_search_is_hybrid_marked_and_public_only(api: Api) -> None:
    found = help_search(api, "REFUND")
    assert found["items"][0]["slug"] == "returns-policy"
    assert found["answer"]["answered"] is True
    assert found["answer"]["sources"] == [
        {"title": "Returns policy", "url": "/help/articles/returns-policy"}
    ]
    top = found["items"][0]
    assert "".join(s["text"] for s in top["segments"]) == top["text"]
    assert [s["text"] for s in top["segments"] if s["mark"]] == ["refund", "refunds"]

    # A paraphrase with no shared title word still finds the article, and marks what matched.
    paraphrase = help_search(api, "can I send back an item?")
    first = paraphrase["items"][0]
    assert first["slug"] == "returns-policy"
    assert {s["text"].lower() for s in first["segments"] if s["mark"]} == {"items", "item"}

    # The internal article is the best match for these words, and still never shows.
    for q in ("refund authority for agents supervisor approval", "Refund authority for agents"):
        body = help_search(api, q)
        assert all(i["slug"] != "agent-refund-authority" for i in body["items"])
        assert all("Agents may refund" not in i["text"] for i in body["items"])
        assert "Agents may refund" not in (body["answer"]["text"] or "")
    everything = help_search(api, "")
    assert everything["answer"] is None
    assert "agent-refund-authority" not in [a["slug"] for a in everything["items"]]
    assert "opening-hours" in [a["slug"] for a in everything["items"]]

    nothing = help_search(api, "100%_")
    assert nothing["items"] == [] and nothing["answer"]["answered"] is False
    markup = help_search(api, "<b>refund</b>")
    assert markup["items"][0]["slug"] == "returns-policy"

    article = api.http.get("/api/v1/help/articles/opening-hours").json()
    assert "Monday to Friday" in article["body"]
    assert api.http.get("/api/v1/help/articles/agent-refund-authority").status_code == 404
    assert api.http.get("/api/v1/help/articles", params={"inbox": "nope"}).status_code == 404
    assert api.http.get("/api/v1/help/articles", params={"q": "x" * 201}).status_code == 422


def test_pages_and_assets_are_served_with_a_strict_policy(api: Api) -> None:
    for path in ("/chat", "/desk", "/supervisor", "/help", "/help/articles/opening-hours"):
        r = api.http.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in api.http.get("/desk").headers["content-security-policy"]
    assert "frame-ancestors *" in api.http.get("/chat").headers["content-security-policy"]
    js = api.http.get("/widget.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert api.http.get("/web/static/chat.js").status_code == 200
    for bad in ("/web/static/../api.py", "/web/static/%2e%2e/api.py", "/web/static/nope.js"):
        assert api.http.get(bad).status_code == 404


def test_wait_estimate_from_recent_pickups(api: Api) -> None:
    conv, staff = resolved_conversation(api)  # one pickup: queued, then accepted
    waiting = api.start("jordan.reed@example.com", "Jordan")
    api.say(waiting, "agent")
    r = api.http.get(
        f"/api/v1/conversations/{waiting['id']}/wait",
        headers={"Authorization": f"Bearer {waiting['customer_token']}"},
    )
    body = r.json()
    assert body["queue_position"] == 1 and body["based_on"] == 1
    assert isinstance(body["expected_wait_seconds"], int)
    assert api.staff(staff, "GET", f"/api/v1/conversations/{waiting['id']}/wait").status_code == 403
    r = api.http.get(
        f"/api/v1/conversations/{waiting['id']}/wait",
        headers={"Authorization": f"Bearer {conv['customer_token']}"},
    )
    assert r.status_code == 403
