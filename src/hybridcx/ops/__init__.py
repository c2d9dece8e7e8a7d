"""Operations: readiness, Prometheus metrics, request context for logs."""
