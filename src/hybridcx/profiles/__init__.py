"""One customer profile across channels (issue 20): identities, merges and unmerges."""
