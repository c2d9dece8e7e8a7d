"""Quality AI: a configurable rubric scoring every resolved conversation, AI and human alike."""
