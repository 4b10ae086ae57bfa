"""What several apps share: the page-or-fragment helper for htmx, one counter, text rules."""
