"""calendar_sync services: events."""
