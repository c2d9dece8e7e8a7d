"""Proactive outreach and issue prevention: signals over the company backend and
the conversation log, campaigns that notify the customers they find (SMS, email), and replies
that continue as conversations carrying the notice's context."""
