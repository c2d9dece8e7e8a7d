"""The AI turn's input guard and output filter (pure: no database; moved here from
``hybridcx.safety``, which keeps the loading of protected data)."""
