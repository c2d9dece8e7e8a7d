"""HTTP hardening: rate limits, security headers and the client IP for the audit log."""
