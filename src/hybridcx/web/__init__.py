"""The web experience: customer chat and widget, help portal, agent desk, supervisor console."""
