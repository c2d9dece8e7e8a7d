"""Regulated-industry workflows: per-intent compliance rules (disclosures, human-only topics),
identity verification before account actions, and the records kept for regulators."""
