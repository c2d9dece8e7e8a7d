"""A/B experiments and gradual rollouts of policy changes, with guardrails that stop them."""
