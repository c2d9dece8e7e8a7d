"""Files in web chat: customers and agents send files in a conversation; the type is
sniffed from the bytes, the file sealed at rest, served only to the conversation's customer and
its workspace's staff."""
