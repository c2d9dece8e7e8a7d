"""KPIs from the conversation event log, Erlang C staffing, and the analytics API and CLI."""
