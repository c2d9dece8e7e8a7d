"""Outbound webhooks (Standard Webhooks): subscriptions per workspace, signed, retried."""
