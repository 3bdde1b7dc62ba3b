"""calendar_sync selectors: events."""
