"""Tags and custom fields on conversations and customers (issue 19)."""
