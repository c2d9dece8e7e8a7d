"""Tier 1 task flows: declarative YAML flows with slot filling, validation and confirmation."""
