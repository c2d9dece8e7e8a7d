"""Human approval for consequential AI actions (refunds, account changes) above policy limits."""
