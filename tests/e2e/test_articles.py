"""Knowledge articles API: staff manage articles; versions; roles; workspace scoping."""

from __future__ import annotations

from tests.support import Api


def test_create_update_delete_an_article(api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    r = api.staff(
        sup,
        "POST",
        "/api/v1/articles",
        json={
            "title": "Bike repairs",
            "body": "We repair bikes in both stores.",
            "tags": ["service"],
        },
    )
    assert r.status_code == 201, r.text
    article = r.json()
    assert (
        article["slug"] == "bike-repairs"
        and article["version"] == 1
        and article["audience"] == "public"
    )
    r = api.staff(
        sup,
        "PUT",
        f"/api/v1/articles/{article['id']}",
        json={"title": "Bike repairs", "body": "We repair bikes in both stores within 48 hours."},
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    dup = api.staff(sup, "POST", "/api/v1/articles", json={"title": "Bike repairs", "body": "x"})
    assert dup.status_code == 409
    assert api.staff(sup, "DELETE", f"/api/v1/articles/{article['id']}").status_code == 204
    assert api.staff(sup, "GET", f"/api/v1/articles/{article['id']}").status_code == 404


def test_agents_read_but_do_not_edit(api: Api) -> None:
    agent = api.login("agent@example.com", "demo-agent")
    items = api.staff(agent, "GET", "/api/v1/articles").json()["items"]
    assert {"opening-hours", "agent-refund-authority"} <= {a["slug"] for a in items}
    internal = api.staff(agent, "GET", "/api/v1/articles", params={"audience": "internal"}).json()[
        "items"
    ]
    assert [a["slug"] for a in internal] == ["agent-refund-authority"]
    r = api.staff(agent, "POST", "/api/v1/articles", json={"title": "x", "body": "y"})
    assert r.status_code == 403


def test_bad_article_input_is_422(api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    for body in (
        {"title": "", "body": "x"},
        {"title": "x"},
        {"title": "x", "body": "y", "slug": "Bad Slug"},
        {"title": "x", "body": "y", "audience": "everyone"},
    ):
        assert api.staff(sup, "POST", "/api/v1/articles", json=body).status_code == 422
    assert api.http.get("/api/v1/articles").status_code == 401


def _ask(api: Api, text: str) -> dict:  # type: ignore[type-arg]
    conv = api.start()
    r = api.say(conv, text)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_new_article_answers_customers_at_once_with_its_source(api: Api) -> None:
    sup = api.login("supervisor@example.com", "demo-supervisor")
    body = (
        "Northwind rents tents, sleeping bags and stoves from both stores. A tent costs $15 per day "
        "and rentals are free for members on their first weekend."
    )
    r = api.staff(
        sup,
        "POST",
        "/api/v1/articles",
        json={"title": "Gear rental", "body": body, "tags": ["rental"]},
    )
    assert r.status_code == 201
    turn = _ask(api, "Can I rent a tent from you?")
    ai = [m["text"] for m in turn["messages"] if m["author"] == "ai"]
    assert turn["conversation"]["status"] == "bot", turn
    assert "$15 per day" in ai[0] and "Gear rental (/help/articles/gear-rental)" in ai[0]
    # Updating the article changes the answer (incremental re-index).
    article_id = r.json()["id"]
    api.staff(
        sup,
        "PUT",
        f"/api/v1/articles/{article_id}",
        json={
            "title": "Gear rental",
            "body": "Northwind rents tents from both stores for $20 per day.",
        },
    )
    ai = [
        m["text"]
        for m in _ask(api, "Can I rent a tent from you?")["messages"]
        if m["author"] == "ai"
    ]
    assert "$20 per day" in ai[0]


def test_internal_articles_never_reach_customers(api: Api) -> None:
    turn = _ask(api, "How much can agents refund without approval from a supervisor?")
    text = " ".join(m["text"] for m in turn["messages"])
    assert "$100" not in text and "Refund authority" not in text


def test_an_unanswerable_question_goes_to_a_person_instead_of_a_guess(api: Api) -> None:
    turn = _ask(api, "Who won the football match last night?")
    assert turn["conversation"]["status"] == "queued"
    assert "low_confidence" in turn["conversation"]["routing"]["reasons"]


def test_an_edited_faq_article_is_what_the_next_customer_reads(api: Api) -> None:
    """FAQ intents answer with their article, which each process keeps until the workspace's
    knowledge revision moves: an edit shows in the very next answer."""
    sup = api.login("supervisor@example.com", "demo-supervisor")
    items = api.staff(sup, "GET", "/api/v1/articles").json()["items"]
    [article] = [a for a in items if a["slug"] == "opening-hours"]
    before = [m["text"] for m in _ask(api, "When are you open?")["messages"] if m["author"] == "ai"]
    again = [m["text"] for m in _ask(api, "When are you open?")["messages"] if m["author"] == "ai"]
    assert before == again and "Source: " in before[0]  # the FAQ's article, twice
    r = api.staff(
        sup,
        "PUT",
        f"/api/v1/articles/{article['id']}",
        json={"title": article["title"], "body": "Both stores now open at 7am every day."},
    )
    assert r.status_code == 200, r.text
    after = [m["text"] for m in _ask(api, "When are you open?")["messages"] if m["author"] == "ai"]
    assert "7am every day" in after[0], after
