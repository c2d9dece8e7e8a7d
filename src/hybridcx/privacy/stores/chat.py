"""Web chat: files the customer and staff sent in a conversation (hybridcx.attachments)."""

from __future__ import annotations

from hybridcx.privacy.attachments import CHAT
from hybridcx.privacy.registry import PersonalDataStore, register_store

register_store(
    PersonalDataStore(
        CHAT.folder,
        "files",
        "files sent in web chat by the customer or by staff, sealed with the key ring",
        erase=CHAT.erase,
        retain=CHAT.retain,
        export=CHAT.export,
        order=10,  # listed in the messages, so before they go
    )
)
