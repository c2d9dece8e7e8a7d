"""Files in web chat in a real browser: the customer sends a photo from the chat and
the agent sees it inline in the desk; the agent sends a PDF back and the customer sees and can
download it; a refused file (HTML named .png) says why in the chat."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import Tab
from tests.browser.test_web import say, sign_in, start_chat
from tests.support import Api


def png(width: int, height: int) -> bytes:
    """A real PNG (a colour gradient), so the browser can decode and draw it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 4 % 256, y * 5 % 256, 160)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = png(64, 48)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


def test_files_both_ways_in_chat_and_desk(
    api: Api, open_tab: Callable[..., Tab], tmp_path: Path
) -> None:
    photo = tmp_path / "broken-juicer.png"
    photo.write_bytes(PNG)
    label = tmp_path / "return-label.pdf"
    label.write_bytes(PDF)
    fake = tmp_path / "invoice.png"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")

    customer = open_tab("/chat")
    start_chat(customer, "alex@example.com", "Alex Morgan")
    say(customer, "agent")
    expect(customer.page.locator("#chat-status")).to_contain_text("in line")

    desk = open_tab("/desk")
    sign_in(desk, "agent@example.com", "demo-agent")
    desk.page.locator(".queue-item", has_text="Alex Morgan").get_by_role(
        "button", name="Accept"
    ).click()
    expect(customer.page.locator("#chat-status")).to_contain_text("Alice Agent")

    chooser = customer.page.locator("input[data-role=attach-input]")
    chooser.set_input_files(str(fake))
    expect(customer.page.locator("#send-error")).to_contain_text("HTML, SVG")
    chooser.set_input_files(str(photo))
    own = customer.page.locator(".msg-customer", has_text="Sent a file: broken-juicer.png")
    expect(own.locator("img.chat-file-image")).to_be_visible()
    expect(customer.page.locator("#send-error")).to_have_text("")

    shown = desk.page.locator(".transcript img.chat-file-image")
    expect(shown).to_be_visible()
    expect(shown).to_have_attribute("alt", "broken-juicer.png")
    assert shown.evaluate("img => img.naturalWidth") == 64  # decoded from the fetched bytes
    desk.page.locator("input[data-role=attach-input]").set_input_files(str(label))
    expect(desk.page.locator(".transcript")).to_contain_text("Sent a file: return-label.pdf")
    desk.shot("desk-chat-files")

    sent = customer.page.locator(".msg-agent", has_text="Sent a file: return-label.pdf")
    button = sent.get_by_role("button", name=f"return-label.pdf ({len(PDF)} B)")
    expect(button).to_be_visible()
    with customer.page.expect_download() as info:
        button.click()
    assert Path(info.value.path()).read_bytes() == PDF
    customer.shot("chat-files")
