"""Staff search: a keyed blind index over message words, filters and cursor paging."""
