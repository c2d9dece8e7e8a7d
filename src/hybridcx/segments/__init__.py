"""AI personalised by customer segment: per-segment profiles (tone and wording,
offered flows, confidence threshold and escalation rules, preferred language) chosen from the
customer profile at each turn and applied as routing-policy overrides."""
