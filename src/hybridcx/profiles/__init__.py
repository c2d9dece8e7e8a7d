"""One customer profile across channels: identities, merges and unmerges."""
