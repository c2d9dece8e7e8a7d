"""The desk's search and tags in a real browser: words and tag chips narrow the list,
"Load more" pages through it, the tag chips filter the queue, and the conversation view adds and
removes tags and saves a custom field."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_web import sign_in
from tests.support import Api

LIST = "/api/v1/conversations"


def test_search_tag_chips_load_more_and_tags_in_the_conversation(
    api: Api, open_tab: Callable[..., Tab]
) -> None:
    sam = api.login("supervisor@example.com", "demo-supervisor")
    for name in ("refund", "damaged"):
        assert api.staff(sam, "POST", "/api/v1/tags", json={"name": name}).status_code == 201
    field = {
        "entity": "conversation",
        "key": "order_ref",
        "label": "Order reference",
        "type": "text",
    }
    assert api.staff(sam, "POST", "/api/v1/custom-fields", json=field).status_code == 201
    blender = api.start("kim@example.org", "Kim <b>Park</b>")  # escaped, never markup
    assert api.say(blender, "My blender arrived with a cracked jug").status_code == 200
    kettle = api.start("lee@example.org", "Lee Chan")
    assert api.say(kettle, "The kettle leaks, I want to talk to a person").status_code == 200
    assert api.staff(sam, "PUT", f"{LIST}/{kettle['id']}/tags/refund").status_code == 200
    for i in range(21):
        api.start(f"many{i}@example.org", f"Many {i}")

    desk = open_tab("/desk")
    sign_in(desk, "supervisor@example.com", "demo-supervisor")
    page = desk.page
    # Words.
    page.get_by_label("Search words").fill("blender")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.locator("#search-results .search-item")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Kim <b>Park</b>")
    # A part of a word finds nothing.
    page.get_by_label("Search words").fill("blend")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#search-results")).to_contain_text("Nothing found.")

    # Everything, 20 at a time, then the rest with "Load more".
    page.get_by_label("Search words").fill("")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(results).to_have_count(20)
    page.get_by_role("button", name="Load more").click()
    expect(results).to_have_count(23)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()

    # A tag chip narrows the search and the queue.
    expect(page.locator("#queue .queue-item")).to_have_count(1)
    page.locator(".chip-toggle[data-tag=refund]").click()
    expect(page.locator(".chip-toggle[data-tag=refund]")).to_have_attribute("aria-pressed", "true")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Lee Chan")
    expect(results.first.locator(".tag-chip")).to_have_text("refund")
    expect(page.locator("#queue .queue-item .tag-chip")).to_have_text("refund")
    page.locator(".chip-toggle[data-tag=damaged]").click()
    expect(page.locator("#search-results")).to_contain_text("Nothing found.")
    expect(page.locator("#queue .queue-item")).to_have_count(0)
    page.locator(".chip-toggle[data-tag=damaged]").click()
    expect(results).to_have_count(1)
    expect(page.locator("#queue .queue-item")).to_have_count(1)
    desk.shot("desk-search-tags")

    # The conversation view: tags as chips, add one, remove one, save a field.
    results.first.get_by_role("button").click()
    panel = page.get_by_role("region", name="Tags and fields")
    expect(panel.locator("[data-for=conversation] .tag-name")).to_have_text(["refund"])
    panel.get_by_label("Tag to add", exact=True).select_option("damaged")
    panel.get_by_role("button", name="Add tag").click()
    expect(panel.locator("[data-for=conversation] .tag-name")).to_have_text(["damaged", "refund"])
    panel.get_by_role("button", name="Remove tag refund").click()
    expect(panel.locator("[data-for=conversation] .tag-name")).to_have_text(["damaged"])
    panel.get_by_label("Order reference").fill("A-1001")
    panel.get_by_role("button", name="Save fields").click()
    expect(panel.get_by_role("status")).to_have_text("Saved.")
    # The customer's own tags, in the same panel.
    panel.get_by_label("Customer tag to add").select_option("damaged")
    panel.get_by_role("button", name="Add customer tag").click()
    expect(panel.locator("[data-for=customer] .tag-name")).to_have_text(["damaged"])
    desk.shot("desk-conversation-tags")
    assert api.staff(sam, "GET", f"{LIST}/{kettle['id']}/tags").json()["tags"] == ["damaged"]
    fields = api.staff(sam, "GET", f"{LIST}/{kettle['id']}/fields").json()["items"]
    assert [(f["key"], f["value"]) for f in fields] == [("order_ref", "A-1001")]
    customer_id = api.staff(sam, "GET", f"{LIST}/{kettle['id']}").json()["customer"]["id"]
    customer_tags = api.staff(sam, "GET", f"/api/v1/customers/{customer_id}/tags").json()
    assert customer_tags["tags"] == ["damaged"]
