"""Card numbers and CVVs are masked on ingest for every message path, with a secure way to pay."""

from __future__ import annotations

from typing import Any

from hybridcx.conversations import repository as repo
from hybridcx.kit.db import transaction
from tests.privacy.helpers import CARD, CARD_DIGITS, accepted, raw_database
from tests.support import Api, LiveServer, is_message, recv_until


def _texts(api: Api, conv: dict[str, Any], token: str) -> tuple[list[str], list[dict[str, Any]]]:
    full = api.staff(token, "GET", f"/api/v1/conversations/{conv['id']}").json()
    return [m["text"] for m in full["messages"]], full["events"]


def test_customer_message_is_masked_and_answered_with_the_secure_path(
    api: Api, server: LiveServer
) -> None:
    conv = api.start("card.holder@example.com", "Casey")
    ws = api.customer_ws(conv)
    try:
        r = api.say(conv, f"please charge my card {CARD} cvv 123", **{"Idempotency-Key": "k1"})
        assert r.status_code == 200, r.text
        messages = r.json()["messages"]
        assert messages[0]["text"] == "please charge my card [CARD] cvv [CVV]"
        reply = " ".join(m["text"] for m in messages[1:])
        assert "removed the card details" in reply and "/pay" in reply and "DTMF" in reply
        pushed = recv_until(ws, is_message("please charge", "customer"))
        assert CARD not in pushed["message"]["text"]
    finally:
        ws.close()
    # A retry with the same key and the same (unmasked) text gets the stored answer.
    again = api.say(conv, f"please charge my card {CARD} cvv 123", **{"Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.json() == r.json()
    dump = raw_database(server)
    assert CARD.encode() not in dump and CARD_DIGITS.encode() not in dump


def test_agent_reply_note_transfer_and_ask_are_masked(api: Api, server: LiveServer) -> None:
    conv, alice = accepted(api, "card.agent@example.com", "Dana")
    base = f"/api/v1/conversations/{conv['id']}"
    r = api.staff(
        alice, "POST", f"{base}/replies", json={"text": "Charging 5500-0000-0000-0004 now"}
    )
    assert r.json()["text"] == "Charging [CARD] now"
    r = api.staff(
        alice, "POST", f"{base}/replies", json={"text": f"card {CARD}, cvv 987", "internal": True}
    )
    assert r.json()["text"] == "card [CARD], cvv [CVV]"
    sam = api.login("supervisor@example.com", "demo-supervisor")
    bob = api.staff(sam, "GET", "/api/v1/agents").json()["items"]
    bob_id = next(a["id"] for a in bob if a["name"] == "Bob Tech")
    r = api.staff(
        alice, "POST", f"{base}/ask", json={"to_agent_id": bob_id, "text": f"is {CARD} valid?"}
    )
    assert r.status_code == 201, r.text
    r = api.staff(
        alice, "POST", f"{base}/transfer", json={"note": f"customer read out {CARD}", "tier": 3}
    )
    assert r.status_code == 200, r.text
    texts, events = _texts(api, conv, sam)
    assert (
        "customer read out [CARD]" in texts and "Question for Bob Tech: is [CARD] valid?" in texts
    )
    payloads = " ".join(str(e["data"]) for e in events)
    assert "[CARD]" in payloads  # the transfer note and the question, as events
    for text in texts + [payloads]:
        assert CARD not in text and CARD_DIGITS not in text and "5500" not in text
    dump = raw_database(server)
    assert b"5500-0000-0000-0004" not in dump and CARD.encode() not in dump


def test_a_person_handling_the_chat_sees_a_system_note(api: Api) -> None:
    conv, _ = accepted(api, "card.queue@example.com")
    turn = api.say(conv, f"my card is {CARD}").json()
    authors = {m["author"]: m["text"] for m in turn["messages"]}
    assert authors["customer"] == "my card is [CARD]"
    assert "/pay" in authors["system"] and "ai" not in authors


def test_pay_page_sends_nothing_anywhere(api: Api) -> None:
    r = api.http.get("/pay")
    assert r.status_code == 200 and "payment processor" in r.text
    assert 'autocomplete="cc-number"' in r.text and "<form" in r.text and "action=" not in r.text
    js = api.http.get("/web/static/pay.js").text
    assert "fetch(" not in js and "luhnValid" in js


def test_any_author_or_channel_goes_through_the_same_masking(api: Api, server: LiveServer) -> None:
    """System messages and future channels (email, SMS, voice transcripts) all store messages
    through repository.add_message, so they are masked the same way."""
    conv = api.start("card.system@example.com")

    async def add_as(author: str) -> tuple[str, dict]:
        async with transaction(server.runtime.sessions) as s:
            c = await repo.get_conversation(s, conv["id"])
            assert c is not None
            msg = repo.add_message(s, c, author=author, text=f"heard: {CARD} security code 456")
            event = repo.add_event(
                s, c, "voice.transcribed", actor="system", data={"text": f"heard {CARD}"}
            )
            await s.flush()
            return msg.text, event.data

    for author in ("system", "customer", "agent", "ai"):
        text, data = server.call(add_as(author))
        assert text == "heard: [CARD] security code [CVV]"
        assert data == {"text": "heard [CARD]"}
    assert CARD.encode() not in raw_database(server)
