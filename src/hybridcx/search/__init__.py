"""Staff search (issue 19): a keyed blind index over message words, filters and cursor paging."""
