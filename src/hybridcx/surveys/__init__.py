"""Surveys on every channel: CSAT, with the optional NPS question, after a
conversation is resolved, by email (a signed link to a small page), SMS (reply with a digit)
and voice (a short call: keypad or spoken digit), recorded as the same ``survey.submitted``
event as web chat's, so they feed the same CSAT and NPS KPIs."""
