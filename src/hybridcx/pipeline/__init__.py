"""The AI turn: a list of small, pure steps (no web, DB or settings imports)."""
