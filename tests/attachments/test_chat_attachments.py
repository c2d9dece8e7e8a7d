"""Files in web chat over real HTTP: the customer and the agent send files both ways, each side
downloads them, the type comes from the bytes (a lying Content-Type is caught, markup refused),
the size limit is a 413 with a message, other workspaces see nothing, the file is sealed at
rest, exported, and gone after an erasure."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import pytest

from hybridcx.attachments.sniff import MARKUP, sniff
from hybridcx.privacy.files import MAGIC
from tests.e2e.test_isolation import other_workspace  # noqa: F401 (fixture)
from tests.support import Api, LiveServer, is_message, recv_until

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def upload(
    api: Api, conv_id: str, token: str, data: bytes, name: str, ctype: str = "image/png"
) -> Any:
    return api.http.post(
        f"/api/v1/conversations/{conv_id}/attachments",
        params={"filename": name},
        content=data,
        headers={**bearer(token), "Content-Type": ctype},
    )


def accepted(api: Api) -> tuple[dict[str, Any], str]:
    conv = api.start("alex@example.com", "Alex")
    api.say(conv, "agent")
    agent = api.login("agent@example.com", "demo-agent")
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/accept").is_success
    return conv, agent


def test_files_both_ways_downloaded_by_both_sides(api: Api, server: LiveServer) -> None:
    conv, agent = accepted(api)
    staff_ws = api.agent_ws(agent)
    customer_ws = api.customer_ws(conv)
    with staff_ws, customer_ws:
        r = upload(api, conv["id"], conv["customer_token"], PNG, "../../damage photo.png")
        assert r.status_code == 201, r.text
        msg = r.json()
        assert msg["author"] == "customer" and msg["text"] == "Sent a file: damage photo.png"
        [att] = msg["channel_meta"]["attachments"]
        assert att["content_type"] == "image/png" and att["size"] == len(PNG)
        assert att["filename"] == "damage photo.png"
        # The agent's desk hears of it live.
        event = recv_until(staff_ws, lambda e: e.get("message", {}).get("id") == msg["id"])
        assert event["message"]["channel_meta"]["attachments"][0]["id"] == att["id"]

        r = upload(api, conv["id"], agent, PDF, "label.pdf", "application/pdf")
        assert r.status_code == 201, r.text
        reply = r.json()
        assert reply["author"] == "agent" and reply["agent_name"]
        [label] = reply["channel_meta"]["attachments"]
        assert label["content_type"] == "application/pdf"
        recv_until(customer_ws, is_message("Sent a file: label.pdf", "agent"))

    for token in (conv["customer_token"], agent):
        for item, body, ctype in ((att, PNG, "image/png"), (label, PDF, "application/pdf")):
            got = api.http.get(item["url"], headers=bearer(token))
            assert got.status_code == 200, got.text
            assert got.content == body
            assert got.headers["content-type"] == ctype
            assert got.headers["x-content-type-options"] == "nosniff"
            assert got.headers["content-disposition"].startswith("attachment;")
    # Both are in the transcript each side reads.
    read = api.http.get(f"/api/v1/conversations/{conv['id']}", headers=bearer(agent)).json()
    ids = [a["id"] for m in read["messages"] for a in m["channel_meta"].get("attachments", [])]
    assert ids == [att["id"], label["id"]]
    # Sealed at rest: the stored file does not contain the bytes.
    stored = server.settings.data_dir / att["path"]
    assert stored.is_file() and PNG[16:200] not in stored.read_bytes()
    assert stored.read_bytes().startswith(MAGIC)
    # Staff downloads are audited.
    admin = api.login("admin@example.com", "demo-admin")
    audit = api.staff(admin, "GET", "/api/v1/audit?action=attachment.read").json()["items"]
    assert len(audit) == 2
    sent = api.staff(admin, "GET", "/api/v1/audit?action=attachment.sent").json()["items"]
    assert [a["details"]["attachment_id"] for a in sent] == [label["id"]]


def test_the_type_comes_from_the_bytes(api: Api) -> None:
    conv, agent = accepted(api)
    token = conv["customer_token"]
    # A PNG that claims to be text is stored as what it is.
    r = upload(api, conv["id"], token, PNG, "notes.txt", "text/plain")
    assert r.status_code == 201, r.text
    assert r.json()["channel_meta"]["attachments"][0]["content_type"] == "image/png"
    # HTML claiming to be a PNG is caught and refused, as is SVG.
    html = b"<!doctype html><html><script>alert(1)</script></html>"
    r = upload(api, conv["id"], token, html, "photo.png", "image/png")
    assert r.status_code == 415 and "HTML, SVG" in r.json()["detail"]
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'
    assert upload(api, conv["id"], token, svg, "logo.svg", "image/svg+xml").status_code == 415
    # An executable is no accepted type; text is.
    r = upload(api, conv["id"], token, b"MZ\x90\x00\x03\x00\x00\x00" * 10, "a.exe")
    assert r.status_code == 415 and "PNG" in r.json()["detail"]
    r = upload(api, conv["id"], token, "Order 1001, size M — thanks".encode(), "n.txt", "x/y")
    assert r.status_code == 201
    assert r.json()["channel_meta"]["attachments"][0]["content_type"] == "text/plain"
    assert upload(api, conv["id"], token, b"", "empty.txt").status_code == 415
    assert (
        api.http.post(
            f"/api/v1/conversations/{conv['id']}/attachments",
            content=PNG,
            headers=bearer(token),
        ).status_code
        == 422
    )  # no filename


def test_oversize_is_a_413_with_a_message(api: Api, server: LiveServer) -> None:
    conv, _agent = accepted(api)
    limit = server.settings.chat_max_attachment_bytes
    big = b"\xff\xd8\xff" + b"\x00" * limit
    r = upload(api, conv["id"], conv["customer_token"], big, "huge.jpg", "image/jpeg")
    assert r.status_code == 413
    assert "too large" in r.json()["detail"] and str(limit) in r.json()["detail"]
    # Over the general 1 MB body limit but under the attachment limit: accepted.
    r = upload(
        api, conv["id"], conv["customer_token"], b"\xff\xd8\xff" + b"\x00" * 1_500_000, "ok.jpg"
    )
    assert r.status_code == 201, r.text
    assert r.json()["channel_meta"]["attachments"][0]["content_type"] == "image/jpeg"


def test_only_the_conversation_s_customer_and_workspace_staff(
    api: Api,
    other_workspace: str,  # noqa: F811
) -> None:
    conv, agent = accepted(api)
    att = upload(api, conv["id"], conv["customer_token"], PNG, "a.png").json()
    url = att["channel_meta"]["attachments"][0]["url"]
    other = api.start("jordan.reed@example.com", "Jordan")
    assert api.http.get(url, headers=bearer(other["customer_token"])).status_code == 403
    assert api.http.get(url, headers=bearer(other_workspace)).status_code == 404
    assert api.http.get(url).status_code == 401
    assert upload(api, conv["id"], other_workspace, PNG, "x.png").status_code == 404
    assert upload(api, conv["id"], other["customer_token"], PNG, "x.png").status_code == 403
    # A wrong id is a 404, never someone else's file.
    assert api.http.get(url[:-4] + "0000", headers=bearer(agent)).status_code == 404
    bad = f"/api/v1/conversations/{other['id']}/attachments/{att['id']}/x"
    assert api.http.get(bad, headers=bearer(agent)).status_code == 404
    # An agent who has not accepted the conversation cannot send into it; once resolved,
    # nobody can.
    second = api.start("priya.patel@example.com", "Priya")
    api.say(second, "agent")
    assert upload(api, second["id"], agent, PNG, "x.png").status_code == 409
    assert api.staff(agent, "POST", f"/api/v1/conversations/{conv['id']}/resolve").is_success
    r = upload(api, conv["id"], conv["customer_token"], PNG, "late.png")
    assert r.status_code == 409 and "resolved" in r.json()["detail"]


def _wait_done(api: Api, token: str, request_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        req = api.staff(token, "GET", f"/api/v1/privacy/erasures/{request_id}").json()
        if req["status"] != "pending":
            return req  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"erasure still pending: {req}")


def test_export_has_the_files_and_erasure_removes_them(api: Api, server: LiveServer) -> None:
    conv, agent = accepted(api)
    mine = upload(api, conv["id"], conv["customer_token"], PNG, "a.png").json()
    theirs = upload(api, conv["id"], agent, PDF, "label.pdf", "application/pdf").json()
    metas = [m["channel_meta"]["attachments"][0] for m in (mine, theirs)]
    paths = [Path(server.settings.data_dir) / m["path"] for m in metas]
    assert all(p.is_file() for p in paths)
    admin = api.login("admin@example.com", "demo-admin")
    cid = api.staff(admin, "GET", f"/api/v1/conversations/{conv['id']}").json()["customer"]["id"]

    data = api.staff(admin, "GET", f"/api/v1/customers/{cid}/export").json()
    exported = {a["id"]: a for a in data["attachments"]}
    assert base64.b64decode(exported[metas[0]["id"]]["content_base64"]) == PNG
    assert base64.b64decode(exported[metas[1]["id"]]["content_base64"]) == PDF
    assert exported[metas[1]["id"]]["author"] == "agent"

    r = api.staff(admin, "DELETE", f"/api/v1/customers/{cid}")
    assert r.status_code == 202, r.text
    done = _wait_done(api, admin, r.json()["id"])
    assert done["status"] == "completed", done
    assert {s["step"]: s["count"] for s in done["steps"]}["chat/attachments"] == 2
    assert not any(p.exists() for p in paths)
    assert not any(p.parent.exists() for p in paths)
    assert api.http.get(metas[0]["url"], headers=bearer(admin)).status_code == 404


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (PDF, "application/pdf"),
        ("plain text ✓\r\n\tok".encode(), "text/plain"),
        (b"\xef\xbb\xbf  <svg></svg>", MARKUP),
        (b"hello <script>x()</script>", MARKUP),
        (b"\x00\x01\x02binary", None),
        (b"\xc3\x28 not utf-8", None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
    ],
)
def test_sniff(data: bytes, kind: str | None) -> None:
    assert sniff(data) == kind
