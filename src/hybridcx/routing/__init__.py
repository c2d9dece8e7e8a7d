"""Predictive routing: an outcome model learned from the event log, and the strategy that uses it."""
