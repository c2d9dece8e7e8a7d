"""HTTP hardening (access9): rate limits, security headers and the client IP for the audit log."""
