"""calendar_sync selectors: sync."""
