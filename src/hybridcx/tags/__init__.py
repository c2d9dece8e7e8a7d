"""Tags and custom fields on conversations and customers."""
