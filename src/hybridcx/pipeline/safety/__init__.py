"""The AI turn's input guard and output filter (pure: no database; issue 18 moved them here from
``hybridcx.safety``, which keeps the loading of protected data)."""
